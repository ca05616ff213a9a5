"""The normalization family in the general batch form: a formula over a reduction set.

BatchNorm, LayerNorm, InstanceNorm and GroupNorm all standardize (``standardize``: subtract
the mean, divide by sqrt(biased variance + eps)); they differ only in which values form the
reduction set, i.e. in the reduction axes (:mod:`symbn.kernels.family`).  RMSNorm divides by
the root mean square without centring; weight normalization rescales a weight vector.
"""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import eps as _eps
from symbn.bn.batchnorm import standardize
from symbn.core import batch_mean, batch_sum


def rms_normalize(x: sp.Expr, eps: sp.Expr = _eps) -> sp.Expr:
    """RMSNorm (Zhang & Sennrich 2019): x / sqrt(Mean(x^2) + eps), no centring."""
    return x / sp.sqrt(batch_mean(x**2) + eps)


def weight_normalize(v: sp.Expr, x: sp.Expr) -> sp.Expr:
    """Weight normalization (Salimans & Kingma 2016) of one unit, before its gain g:
    w = v / ||v||, output w . x = sum_k v_k x_k / sqrt(sum_k v_k^2) over the input dims k."""
    return batch_sum(v * x) / sp.sqrt(batch_sum(v**2))


__all__ = ["rms_normalize", "standardize", "weight_normalize"]
