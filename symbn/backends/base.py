"""What a reference backend is: a framework that names itself and is imported lazily.

Every backend computes, for BN in training mode with the channel on axis 1, the forward
output and the gradients of L = sum(g * y); the Hessian-vector product of L in x; eval
mode; and (where the framework has one) its running-statistics update.  Nothing here
imports a framework until a check needs it.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod

import numpy as np

from symbn.bn.conventions import Convention


class Backend(ABC):
    """A reference implementation to check symbn's kernels against."""

    #: short name shown in tables
    name: str = ""
    #: the modules it needs, and the pip requirement that provides them
    modules: tuple[str, ...] = ()
    requirement: str = ""
    #: the running-statistics convention it implements, if any (a symbn Convention)
    convention: Convention | None = None

    def unavailable_reason(self) -> str | None:
        """None when usable; otherwise why not and how to fix it."""
        for module in self.modules:
            try:
                importlib.import_module(module)
            except ImportError as error:
                return (f"{self.requirement} is not installed ({error}); "
                        "install it with: pip install 'symbn[refs]'")
        return None

    @abstractmethod
    def train(self, x, g, gamma, beta, eps) -> dict[str, np.ndarray]:
        """{"y", "dx", "dgamma", "dbeta"} for training-mode BN, L = sum(g * y)."""

    @abstractmethod
    def hvp(self, x, g, v, gamma, beta, eps) -> np.ndarray:
        """d/dt dL/dx(x + t v) at t = 0."""

    def evaluate(self, x, gamma, beta, eps, running_mean, running_var) -> np.ndarray:
        """Eval-mode BN (:func:`bn_eval`): plain NumPy by default."""
        return bn_eval(np, x, gamma, beta, eps, running_mean, running_var)

    def running_update(self, x, running_mean, running_var, eps):
        """(new running mean, new running var) under ``self.convention``; None if it has none."""
        return None


def channel_shape(x) -> tuple[int, ...]:
    """Broadcast shape of a per-channel parameter for channel axis 1: (1, C, 1, ...)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def reduction_axes(x) -> tuple[int, ...]:
    """Every axis but the channel (axis 1): where BN takes its statistics."""
    return (0,) + tuple(range(2, x.ndim))


def bn_forward(xp, x, gamma, beta, eps):
    """Training-mode BN written against an array module ``xp`` (numpy, jax.numpy,
    autograd.numpy): each framework differentiates the same plain formula itself."""
    axes, shape = reduction_axes(x), channel_shape(x)
    mean = xp.mean(x, axis=axes, keepdims=True)
    var = xp.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return xp.reshape(gamma, shape) * (x - mean) / xp.sqrt(var + eps) + xp.reshape(beta, shape)


def bn_eval(xp, x, gamma, beta, eps, running_mean, running_var):
    """Eval-mode BN, gamma * (x - mean) / sqrt(var + eps) + beta with the running statistics,
    written against an array module ``xp`` like :func:`bn_forward`."""
    shape = channel_shape(x)
    return (xp.reshape(gamma, shape) * (x - xp.reshape(running_mean, shape))
            / xp.sqrt(xp.reshape(running_var, shape) + eps) + xp.reshape(beta, shape))


def numpy_batchnorm(x, g, gamma, beta, eps, axes=None) -> dict[str, np.ndarray]:
    """Training-mode BN forward and backward written out by hand in NumPy (biased variance,
    eps inside the square root; the backward as in Kratzert 2016 / cs231n):

        xhat = (x - mean) / sqrt(var + eps),   y = gamma xhat + beta,
        dx = gamma / sqrt(var + eps) * (g - mean(g) - xhat mean(g xhat)),
        dgamma = sum(g xhat),   dbeta = sum(g)

    over ``axes`` (default: every axis but the channel, axis 1); gamma and beta have the
    shape of the kept axes.  The reference the generated kernels are tested and
    benchmarked against: it shares no code with them.
    """
    axes = reduction_axes(x) if axes is None else tuple(axes)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    xhat = centred * inv_std
    shape = mean.shape
    gam = np.reshape(gamma, shape)
    y = gam * xhat + np.reshape(beta, shape)
    dbeta, dgamma = g.sum(axis=axes), (g * xhat).sum(axis=axes)
    n = x.size // mean.size  # values per channel; the means are the sums over n
    dx = (gam * inv_std / n) * (n * g - np.reshape(dbeta, shape) - xhat * np.reshape(dgamma, shape))
    return {"y": y, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}
