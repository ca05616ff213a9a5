"""The normalization family on arrays: one derivation per formula, the rest is axes.

BatchNorm, LayerNorm, InstanceNorm and GroupNorm share the standardize kernel, RMSNorm has
its own; each is only a view of the input and a set of reduction axes:

==============  ==========================  ===============================  ===============
normalization   view of x (N, C, *S)        statistics over                  gamma, beta
==============  ==========================  ===============================  ===============
batchnorm       as is                       N and *S, per channel            (C,)
layernorm       as is                       C and *S, per sample             x.shape[1:]
instancenorm    as is                       *S, per sample and channel       (C,)
groupnorm       (N, G, C/G, *S)             C/G and *S, per sample and group (C,)
rmsnorm         as is                       C and *S (no centring)           x.shape[1:]
==============  ==========================  ===============================  ===============

The affine parameters enter the derivation as per-value weights (``gamma_w``, ``beta_w``),
so one kernel serves per-channel and elementwise parameters: their gradients are derived
per value (g * dy/dgamma_w) and summed over the values that share a parameter.  Weight
normalization (w = g v / ||v||, per output row) is derived the same way.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import sympy as sp

from symbn.bn.batchnorm import eps, gradients, standardize, x
from symbn.bn.family import rms_normalize
from symbn.core import batch_sum, derivative, sample_symbols
from symbn.kernels.numpy_kernel import Kernel, KernelInputError, compile_kernel

g, gamma_w, beta_w, v, dw = sample_symbols("g gamma_w beta_w v dw")
gain = sp.Symbol("gain", real=True)


def _derived(y: sp.Expr, params: tuple[sp.Symbol, ...]) -> dict[str, sp.Expr]:
    return {"y": y, "dx": gradients(y, (x,), g)[x],
            **{f"d{p}": g * derivative(y, p) for p in params}}


@functools.cache
def standardize_kernel() -> Kernel:
    return compile_kernel(_derived(gamma_w * standardize(x, eps) + beta_w, (gamma_w, beta_w)),
                          "standardize_affine")


@functools.cache
def rms_kernel() -> Kernel:
    return compile_kernel(_derived(gamma_w * rms_normalize(x, eps), (gamma_w,)), "rms_affine")


@functools.cache
def weight_norm_kernel() -> Kernel:
    """w = gain * v / ||v|| and, for an upstream dL/dw, the derived dL/dv and dL/dgain."""
    w = gain * v / sp.sqrt(batch_sum(v**2))
    d = gradients(w, (v, gain), dw)
    return compile_kernel({"w": w, "dv": d[v], "dgain": d[gain]}, "weight_norm")


@dataclass(frozen=True)
class Layout:
    """How one normalization sees an input: a view shape and the reduction axes in it."""

    view: tuple[int, ...]
    axes: tuple[int, ...]
    param_view: tuple[int, ...]  # the view shape of gamma and beta


def layout(name: str, shape: tuple[int, ...], groups: int | None = None) -> Layout:
    n, c, spatial = shape[0], shape[1], tuple(shape[2:])
    ones = (1,) * len(spatial)
    if name == "batchnorm":
        return Layout(tuple(shape), (0, *range(2, len(shape))), (1, c, *ones))
    if name in ("layernorm", "rmsnorm"):
        return Layout(tuple(shape), tuple(range(1, len(shape))), (1, c, *spatial))
    if name == "instancenorm":
        if not spatial or math.prod(spatial) < 2:
            raise KernelInputError("instancenorm needs more than one spatial value per channel")
        return Layout(tuple(shape), tuple(range(2, len(shape))), (1, c, *ones))
    if name == "groupnorm":
        if not groups or c % groups:
            raise KernelInputError(f"groupnorm needs a number of groups dividing C = {c}, "
                                   f"got {groups}")
        return Layout((n, groups, c // groups, *spatial), tuple(range(2, len(shape) + 1)),
                      (1, groups, c // groups, *ones))
    raise KernelInputError(f"unknown normalization {name!r}; use one of {', '.join(FAMILY)}")


FAMILY = ("batchnorm", "layernorm", "instancenorm", "groupnorm", "rmsnorm")


def normalize(name: str, x: np.ndarray, g: np.ndarray, gamma: ArrayLike, beta: ArrayLike,
              eps: float, *, groups: int | None = None) -> dict[str, np.ndarray]:
    """y, dx, dgamma, dbeta (no dbeta for rmsnorm) for L = sum(g * y); gamma, beta shaped as
    the framework's (see the table above)."""
    if not eps > 0:
        raise KernelInputError(f"eps must be > 0, got {eps}")
    lay = layout(name, x.shape, groups)

    def view(a: ArrayLike) -> np.ndarray:
        return np.reshape(a, lay.view)

    def params(p: ArrayLike) -> np.ndarray:
        return np.broadcast_to(np.reshape(p, lay.param_view), lay.view)
    if name == "rmsnorm":
        out = rms_kernel()(x=view(x), g=view(g), gamma_w=params(gamma), epsilon=eps, axes=lay.axes)
    else:
        out = standardize_kernel()(x=view(x), g=view(g), gamma_w=params(gamma),
                                   beta_w=params(beta), epsilon=eps, axes=lay.axes)
    shared = tuple(i for i, k in enumerate(lay.param_view) if k == 1)
    result = {"y": out["y"].reshape(x.shape), "dx": out["dx"].reshape(x.shape)}
    for p, value in (("dgamma", out["dgamma_w"]), ("dbeta", out.get("dbeta_w"))):
        if value is not None:
            result[p] = value.sum(axis=shared).reshape(np.shape(gamma))
    return result


def weight_norm(v: np.ndarray, gain: ArrayLike, dw: np.ndarray) -> dict[str, np.ndarray]:
    """w = gain v/||v|| per row of v (norm over the other axes, as PyTorch's dim=0) and the
    gradients of sum(dw * w) with respect to v and gain."""
    rows = v.shape[0]

    def flat(a: ArrayLike) -> np.ndarray:
        return np.reshape(a, (rows, -1))
    out = weight_norm_kernel()(v=flat(v), dw=flat(dw), gain=np.reshape(gain, (rows, 1)),
                               axes=(1,))
    return {"w": out["w"].reshape(v.shape), "dv": out["dv"].reshape(v.shape),
            "dgain": out["dgain"].reshape(np.shape(gain))}


