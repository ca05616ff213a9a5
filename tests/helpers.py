"""Shared test helpers: the hand-written NumPy BN (shared with the bench) and an error measure."""

import numpy as np

from symbn.backends.base import numpy_batchnorm

__all__ = ["numpy_batchnorm", "relative_error"]


def relative_error(actual, reference):
    """max |actual - reference| / max |reference|; the reference must not be ~0."""
    scale = np.max(np.abs(reference))
    assert scale > 1e-6, "reference is (nearly) identically zero: the comparison would be vacuous"
    return float(np.max(np.abs(np.asarray(actual, dtype=np.float64) - reference)) / scale)
