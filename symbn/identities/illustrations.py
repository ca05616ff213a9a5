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


def batch_noise(sizes=(2, 4, 8, 16, 32, 64, 128, 256), batches=4000, seed=0) -> dict:
    """Spread of the batch mean and batch variance over many iid batches, against the
    proved laws: std(mu_B) = sigma/sqrt(m), E[sigma_B^2] = (m - 1)/m sigma^2 (sigma = 1)."""
    rng = np.random.default_rng(seed)
    std_mean, mean_var = [], []
    for m in sizes:
        samples = rng.normal(size=(batches, m))
        std_mean.append(samples.mean(axis=1).std())
        mean_var.append(samples.var(axis=1).mean())
    sizes = np.array(sizes)
    return {"m": sizes, "std_mean": np.array(std_mean), "law_std_mean": 1 / np.sqrt(sizes),
            "mean_var": np.array(mean_var), "law_mean_var": (sizes - 1) / sizes}


def mock_transforms(x=np.linspace(-4, 4, 401)) -> dict:
    """The two mock-BN families at p = q = 0, next to tanh for comparison."""
    import sympy as sp

    from symbn.identities import mock
    curves = {}
    for name in mock.FAMILIES:
        f = sp.lambdify(mock.z, mock.mock(mock.FAMILIES[name], mock.z).subs(
            {mock.p: 0, mock.q: 0}), "numpy")
        with np.errstate(invalid="ignore", divide="ignore"):  # select() evaluates both branches
            curves[name] = f(x)
    return {"x": x, **curves, "tanh": np.tanh(x)}
