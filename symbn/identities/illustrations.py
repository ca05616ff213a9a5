"""Numbers behind the report's plots, computed by kernels compiled from the catalogue's claims."""

from __future__ import annotations

import numpy as np

from symbn.identities import backward, bias
from symbn.kernels import compile_kernel


def _batch(seed=0, n=32):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1)) * 2 + 1, rng.normal(size=(n, 1))


def bias_drift(steps=50, lr=0.1, seed=0) -> dict:
    """b and the loss under the naive step (statistics held) and under the true gradient.

    Neither the loss nor either gradient depends on b (BN(u + b) = BN(u)), so the naive
    step moves b by the same amount every time while the loss stays put.
    """
    u, g = _batch(seed)
    kernel = compile_kernel({"naive": bias._naive_bias_gradient().lhs,
                             "true": bias._bias_gradient().lhs, "loss": bias._loss()},
                            "bias_drift")
    values = kernel(axes=(0,), u=u, g=g, gamma=1.5, beta=0.2, epsilon=1e-5)
    step = np.arange(steps)
    return {"step": step, "loss": np.full(steps, float(values["loss"][0])),
            "b_naive": -lr * float(values["naive"][0]) * step,
            "b_true": -lr * float(values["true"][0]) * step}


def eps_residual(ratios=np.logspace(-4, 2, 60), seed=0) -> dict:
    """<dx, xhat> / (N gamma Mean(g xhat) / s) against r = eps / Var(x); exactly r / (1 + r)."""
    claim, unit = backward._orthogonality_residual(), backward._orthogonality_residual(False)
    kernel = compile_kernel({"inner": claim.lhs, "unit": unit.rhs}, "eps_residual")
    x, g = _batch(seed)
    var = float(x.var())
    values = [kernel(axes=(0,), x=x, g=g, gamma=1.5, epsilon=r * var) for r in ratios]
    return {"ratio": ratios, "measured": np.array([v["inner"][0] / v["unit"][0] for v in values]),
            "exact": ratios / (1 + ratios)}


def homogeneity(gamma=2.0, z=np.linspace(-3, 3, 301)) -> dict:
    """f(gamma z) against gamma f(z) for ReLU (equal) and tanh (not)."""
    return {"z": z, "gamma": gamma,
            "relu": (np.maximum(0, gamma * z), gamma * np.maximum(0, z)),
            "tanh": (np.tanh(gamma * z), gamma * np.tanh(z))}
