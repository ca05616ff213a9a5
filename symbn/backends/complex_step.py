"""A framework-free derivative check: the complex-step method.

f'(x) = Im f(x + i h) / h has no subtractive cancellation, so with h = 1e-30 it is exact to
rounding (Squire & Trapp 1998).  BN is analytic (no abs, no branches), so it applies:
each reduced position is perturbed in every channel at once (channels are independent),
which costs one forward pass per position.  The forward pass and the closed-form dx it
differentiates for the Hessian-vector product are written here in plain NumPy.
"""

from __future__ import annotations

import numpy as np

from symbn.backends.base import Backend, bn_forward, channel_shape, reduction_axes

_H = 1e-30


def _forward(x, gamma, beta, eps):
    return bn_forward(np, x, gamma, beta, eps)


def _closed_form_dx(x, g, gamma, eps):
    axes = reduction_axes(x)
    mean = x.mean(axis=axes, keepdims=True)
    s = np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    xhat = (x - mean) / s
    return np.reshape(gamma, channel_shape(x)) / s * (
        g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True))


def _channel_loss(x, g, gamma, beta, eps):
    return (g * _forward(x, gamma, beta, eps)).sum(axis=reduction_axes(x))


class ComplexStepBackend(Backend):
    name = "complex-step"

    def train(self, x, g, gamma, beta, eps):
        dx = np.empty_like(x)
        for position in np.ndindex(x.shape[0], *x.shape[2:]):
            index = (position[0], slice(None), *position[1:])
            moved = x.astype(complex)
            moved[index] += 1j * _H
            dx[index] = _channel_loss(moved, g, gamma, beta, eps).imag / _H
        return {
            "y": _forward(x, gamma, beta, eps),
            "dx": dx,
            "dgamma": _channel_loss(x, g, gamma + 1j * _H, beta, eps).imag / _H,
            "dbeta": _channel_loss(x, g, gamma, beta + 1j * _H, eps).imag / _H,
        }

    def hvp(self, x, g, v, gamma, beta, eps):
        return _closed_form_dx(x + 1j * _H * v, g, gamma, eps).imag / _H
