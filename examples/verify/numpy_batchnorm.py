"""Batch normalization written once for every layout with the channel on axis 1 (NC, NCL,
NCHW), in NumPy:

    symbn verify numpy_batchnorm:batchnorm_backward --kind batchnorm-backward
"""

import numpy as np


def _axes(x):
    return (0, *range(2, x.ndim))


def _per_channel(p, x):
    return p.reshape((1, -1) + (1,) * (x.ndim - 2))


def batchnorm_forward(x, gamma, beta, eps):
    axes = _axes(x)
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return _per_channel(gamma, x) * (x - mu) / np.sqrt(var + eps) + _per_channel(beta, x)


def batchnorm_backward(x, dy, gamma, beta, eps):
    axes = _axes(x)
    mu = x.mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    xhat = (x - mu) * inv
    mean_dy = dy.mean(axis=axes, keepdims=True)
    mean_dy_xhat = (dy * xhat).mean(axis=axes, keepdims=True)
    dx = _per_channel(gamma, x) * inv * (dy - mean_dy - xhat * mean_dy_xhat)
    return dx, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)
