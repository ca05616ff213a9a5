"""Tolerances for comparing a user's outputs with the float64 derivation, from the dtype.

The rule: an output computed in a dtype with unit roundoff u, from inputs already rounded to
that dtype (the derivation is evaluated in float64 on exactly those rounded values, so input
rounding is not counted), passes when

    max |actual - reference| / max |reference|  <=  C * u * sqrt(n) * (1 + r)

with n the number of values each statistic reduces over and r = max |mean| / sqrt(var + eps)
over the statistics' groups (0 for RMSNorm and weight normalization, which do not centre).
sqrt(n): rounding errors of a sum of n terms grow like sqrt(n) when they are independent
(Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 2.8), n u being the
worst case; (1 + r): centring x - mean(x) leaves an absolute error of about u |mean| that the
normalization divides by sqrt(var + eps), in any correct algorithm (a large mean offset, or a
constant channel, whose only scale is sqrt(eps)); C absorbs the few roundings per output
(division, square root, the final rounding to the dtype).  A one-pass variance
E[x^2] - E[x]^2 loses about 2 log10(r) digits instead, which is what the "mean offset" stress
case measures.  The formula's mistakes (a wrong eps, variance or gradient) are caught in
float64, where this bound is about 1e-13; the float16/bfloat16 checks catch numerical
failures (overflow, NaN, a lost eps, a wrong output dtype).
"""

from __future__ import annotations

import math

import numpy as np

#: u = 2^-p for p significand bits (half the machine epsilon); bfloat16 has 8 (no NumPy type)
UNIT_ROUNDOFF = {**{name: float(np.finfo(name).eps) / 2 for name in ("float64", "float32",
                                                                     "float16")},
                 "bfloat16": 2.0**-8}
#: the constant of the rule: correct NumPy, PyTorch and JAX implementations of every member
#: were measured at most 1.3 u sqrt(n) (1 + r) on the grid and the stress cases, so 8 leaves
#: a margin of 6 (tests/test_verify_precision.py requires at least 4)
C = 8.0


def tolerance(dtype: str, n: int, ratio: float) -> float:
    """C u sqrt(n) (1 + r), the rule above."""
    return C * UNIT_ROUNDOFF[dtype] * math.sqrt(n) * (1.0 + ratio)


def offset_ratio(x: np.ndarray) -> float:
    """|mean(x)| / std(x) over the whole input: r for a single statistic over all of x."""
    spread = float(np.std(x))
    return abs(float(np.mean(x))) / spread if spread > 0 else 0.0


def centring_ratio(view: np.ndarray, axes: tuple[int, ...], eps: float) -> float:
    """r = max |mean| / sqrt(var + eps), the statistics taken over ``axes`` of ``view``."""
    mean = view.mean(axis=axes)
    return float(np.max(np.abs(mean) / np.sqrt(view.var(axis=axes) + eps)))


def round_to(a: np.ndarray, dtype: str) -> np.ndarray:
    """``a`` rounded to ``dtype`` (nearest, ties to even), returned as float64."""
    if dtype == "bfloat16":  # no NumPy type: round float32's bits to the top 16
        bits = np.asarray(a, dtype=np.float32).view(np.uint32)
        bits = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)
        return bits.view(np.float32).astype(np.float64)
    return np.asarray(a).astype(dtype).astype(np.float64)
