"""Shared test helpers: a hand-written NumPy BN and an error measure."""

import numpy as np


def numpy_batchnorm(x, g, gamma, beta, eps, axes):
    """Training-mode BN forward and backward written out by hand (biased variance)."""
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (x - mu) / s
    shape = mu.shape
    gam = np.reshape(gamma, shape)
    y = gam * xhat + np.reshape(beta, shape)
    dx = gam / s * (g - g.mean(axis=axes, keepdims=True)
                    - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    dgamma = (g * xhat).sum(axis=axes)
    dbeta = g.sum(axis=axes)
    return {"y": y, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def relative_error(actual, reference):
    """max |actual - reference| / max |reference|; the reference must not be ~0."""
    scale = np.max(np.abs(reference))
    assert scale > 1e-6, "reference is (nearly) identically zero: the comparison would be vacuous"
    return float(np.max(np.abs(np.asarray(actual, dtype=np.float64) - reference)) / scale)
