"""symbn's BN on arrays: the kernels compiled from the derivation, with BN's own checks.

Layout: any number of dimensions with the channel on ``feature_axis`` (1 for PyTorch's
(N, C) and (N, C, H, W)); statistics are taken over every other axis.

What happens at the edges (matching PyTorch 2.13):

* one value per channel in training: :class:`KernelInputError` (PyTorch: ValueError);
* eps <= 0 in training: :class:`KernelInputError` (PyTorch: ValueError), since a constant
  channel would then divide by zero;
* a constant channel with eps > 0: xhat = 0, so y = beta and dx = gamma/sqrt(eps) *
  (g - Mean(g)), finite;
* NaN or inf in the input: propagated to every output of that channel, as in PyTorch.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from symbn.bn import batchnorm_eval, derive_batchnorm
from symbn.bn.batchnorm import x
from symbn.bn.conventions import Convention
from symbn.core import directional_derivative, sample_symbols
from symbn.kernels.numpy_kernel import Kernel, KernelInputError, compile_kernel

v, = sample_symbols("v")  # the direction of a Hessian-vector product


@functools.cache
def train_kernel(fused: bool = False) -> Kernel:
    """y, dx, dgamma, dbeta; ``fused`` evaluates y and dx in one numexpr pass each."""
    bn = derive_batchnorm()
    return compile_kernel({"y": bn.y, "dx": bn.dx, "dgamma": bn.dgamma, "dbeta": bn.dbeta},
                          "batchnorm_train_fused" if fused else "batchnorm_train", fused=fused)


@functools.cache
def hvp_kernel() -> Kernel:
    """(H v)_j for H the Hessian of L = sum_i g_i y_i in x, derived symbolically."""
    return compile_kernel({"hvp": directional_derivative(derive_batchnorm().dx, x, v)},
                          "batchnorm_hvp")


@functools.cache
def eval_kernel() -> Kernel:
    return compile_kernel({"y": batchnorm_eval(x)}, "batchnorm_eval")


@functools.cache
def running_kernel(convention: Convention) -> Kernel:
    mean, var = convention.running_update()
    return compile_kernel({"running_mean": mean, "running_var": var},
                          f"batchnorm_running_{convention.name}")


def _axes(array: ArrayLike, feature_axis: int) -> tuple[int, ...]:
    ndim = np.ndim(array)
    if not -ndim <= feature_axis < ndim:
        raise KernelInputError(f"feature_axis={feature_axis} does not fit an input of "
                               f"{ndim} dimensions")
    return tuple(i for i in range(ndim) if i != feature_axis % ndim)


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise KernelInputError(f"eps must be > 0 in training mode, got {eps}: with eps <= 0 a "
                               "constant channel divides by zero (PyTorch raises ValueError too)")


def train(x: ArrayLike, g: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float, *,
          feature_axis: int = 1, fused: bool = False) -> dict[str, np.ndarray]:
    """y, dx, dgamma, dbeta of training-mode BN for upstream gradient g.

    ``fused=True`` uses the optional numexpr path (``pip install 'symbn[fast]'``).
    """
    _check_eps(eps)
    return train_kernel(fused)(x=x, g=g, gamma=gamma, beta=beta, epsilon=eps,
                               axes=_axes(x, feature_axis))


def hvp(x: ArrayLike, g: ArrayLike, v: ArrayLike, gamma: ArrayLike, eps: float, *,
        feature_axis: int = 1) -> np.ndarray:
    """The Hessian of L = sum g*y with respect to x, applied to v."""
    _check_eps(eps)
    return hvp_kernel()(x=x, g=g, v=v, gamma=gamma, epsilon=eps,
                        axes=_axes(x, feature_axis))["hvp"]


def evaluate(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float,
             running_mean: ArrayLike, running_var: ArrayLike, *, feature_axis: int = 1) -> np.ndarray:
    """Eval-mode BN with running statistics: an affine map of x."""
    return eval_kernel()(x=x, gamma=gamma, beta=beta, epsilon=eps, mu_r=running_mean,
                         sigma2_r=running_var, axes=_axes(x, feature_axis))["y"]


def running_update(x: ArrayLike, running_mean: ArrayLike, running_var: ArrayLike,
                   convention: Convention, *, feature_axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(new running mean, new running var) after one training step, per ``convention``."""
    out = running_kernel(convention)(x=x, mu_r=running_mean, sigma2_r=running_var,
                                     axes=_axes(x, feature_axis))
    return out["running_mean"], out["running_var"]
