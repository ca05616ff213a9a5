"""Tolerances for comparing a user's outputs with the float64 derivation, from the dtype.

The rule: an output computed in a dtype with unit roundoff u, from inputs already rounded to
that dtype (the derivation is evaluated in float64 on exactly those rounded values, so input
rounding is not counted), passes when

    max |actual - reference| / max |reference|  <=  C * u * sqrt(n) * (1 + r)

with n the number of values each statistic reduces over and r = |mean(x)| / std(x).
sqrt(n): rounding errors of a sum of n terms grow like sqrt(n) when they are independent
(Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 2.8), n u being the
worst case; (1 + r): centring x - mean(x) loses log10(r) digits when the mean is large
against the spread, in any correct algorithm; C absorbs the few roundings per output
(division, square root, the final rounding to the dtype).  A one-pass variance
E[x^2] - E[x]^2 loses about 2 log10(r) digits instead, which is what the "mean offset" stress
case measures.  The formula's mistakes (a wrong eps, variance or gradient) are caught in
float64, where this bound is about 1e-13; the float16/bfloat16 checks catch numerical
failures (overflow, NaN, a lost eps, a wrong output dtype).
"""

from __future__ import annotations

import math

import numpy as np

UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11,
                 "bfloat16": 2.0**-8}
#: the constant of the rule (see the module docstring); measured against NumPy, PyTorch and
#: JAX implementations on every case (the largest ratio seen, times a margin of 4)
C = 16.0


def tolerance(dtype: str, n: int, offset_ratio: float) -> float:
    return C * UNIT_ROUNDOFF[dtype] * math.sqrt(n) * (1.0 + offset_ratio)


def offset_ratio(x: np.ndarray) -> float:
    """r = |mean(x)| / std(x), over the whole input."""
    spread = float(np.std(x))
    return abs(float(np.mean(x))) / spread if spread > 0 else 0.0


def round_to(a: np.ndarray, dtype: str) -> np.ndarray:
    """``a`` rounded to ``dtype`` (nearest, ties to even), returned as float64."""
    if dtype == "bfloat16":  # no NumPy type: round float32's bits to the top 16
        bits = np.asarray(a, dtype=np.float32).view(np.uint32)
        bits = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)
        return bits.view(np.float32).astype(np.float64)
    return np.asarray(a).astype(dtype).astype(np.float64)
