"""The library of known BN mistakes, each a real kernel generated from a wrong derivation.

A user's outputs are fitted against every entry (and against the correct derivation);
the diagnosis names the one that reproduces them.  Every mistake is derived or built
symbolically like the correct BN, then compiled: nothing is guessed from names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from symbn.bn.batchnorm import beta, derive_batchnorm, eps, g, gamma, x
from symbn.core import Mean, batch_mean, batch_sum, batch_var, derivative
from symbn.kernels import Kernel, compile_kernel

OUTPUTS = {"bn-forward": ("y",), "bn-backward": ("dx", "dgamma", "dbeta")}


@dataclass(frozen=True)
class Mistake:
    """A wrong BN; ``axes`` names a wrong reduction ("first" = only axis 0), else correct."""

    name: str
    description: str
    outputs: dict  # {"y", "dx", "dgamma", "dbeta"} -> general-form expression
    axes: str = "all"

    @functools.cached_property
    def kernel(self) -> Kernel:
        return compile_kernel(self.outputs, f"mistake_{self.name}")


def _derived(y) -> dict:
    loss = batch_sum(g * y)
    return {"y": y, "dx": derivative(loss, x), "dgamma": derivative(loss, gamma),
            "dbeta": derivative(loss, beta)}


def _with(**changes) -> dict:
    bn = derive_batchnorm()
    return {**{"y": bn.y, "dx": bn.dx, "dgamma": bn.dgamma, "dbeta": bn.dbeta}, **changes}


@functools.cache
def correct() -> Mistake:
    return Mistake("correct", "the correct BN", _with())


@functools.cache
def mistakes() -> tuple[Mistake, ...]:
    bn = derive_batchnorm()
    mu, var = batch_mean(x), batch_var(x)
    s = sp.sqrt(var + eps)
    xhat = (x - mu) / s
    return (
        Mistake("ignores-mean", "dx ignores Mean(x)'s dependence on x (the Ioffe & Szegedy "
                "bias example)", _with(dx=derivative(bn.loss, x, hold=[Mean(x)]))),
        Mistake("ignores-variance", "dx ignores Var(x)'s dependence on x",
                _with(dx=derivative(bn.loss, x, hold=[var]))),
        Mistake("unbiased-variance", "normalizes with the unbiased variance N/(N-1) Var(x)",
                _derived(gamma * (x - mu) / sp.sqrt(batch_var(x, unbiased=True) + eps) + beta)),
        Mistake("eps-outside-sqrt", "eps outside the square root: (x - mu)/(sqrt(var) + eps)",
                _derived(gamma * (x - mu) / (sp.sqrt(var) + eps) + beta)),
        Mistake("missing-1/N", "dx uses batch sums where the means belong (a missing 1/N)",
                _with(dx=gamma / s * (g - batch_sum(g) - xhat * batch_sum(g * xhat)))),
        Mistake("dgamma-uses-x", "dgamma = sum(g * x) instead of sum(g * xhat)",
                _with(dgamma=batch_sum(g * x))),
        Mistake("wrong-axes", "statistics over axis 0 only (of an (N, C, H, W) input)",
                _with(), axes="first"),
    )

