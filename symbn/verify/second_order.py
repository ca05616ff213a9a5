"""The Hessian-vector product of L = sum(dy * y) in x for every normalization of the family,
derived from the same general-form expression the family kernels compile.

BatchNorm, LayerNorm, InstanceNorm and GroupNorm are one formula, y = gamma_w * (x - Mean(x))
/ sqrt(Var(x) + eps) + beta_w (biased variance, eps inside the square root), on different
views and reduction axes (:func:`symbn.kernels.family.layout`); RMSNorm is y = gamma_w * x /
sqrt(Mean(x^2) + eps).  dx is :func:`symbn.core.derivative` of L, and (H v)_j is
:func:`symbn.core.directional_derivative` of dx along v: d/dt dL/dx_j(x + t v) at t = 0, the
coupling through the statistics included.  Weight normalization has no input to
differentiate twice in (its "input" is the weight), so it has none here.
"""

from __future__ import annotations

import functools

import numpy as np

from symbn.bn.batchnorm import eps, standardize, x
from symbn.bn.family import rms_normalize
from symbn.core import batch_sum, derivative, directional_derivative
from symbn.kernels import Kernel, compile_kernel
from symbn.kernels.family import beta_w, g, gamma_w, layout, v

SUPPORTED = ("batchnorm", "layernorm", "instancenorm", "groupnorm", "rmsnorm")


@functools.cache
def hvp_kernel(rms: bool) -> Kernel:
    y = gamma_w * rms_normalize(x, eps) if rms else gamma_w * standardize(x, eps) + beta_w
    dx = derivative(batch_sum(g * y), x)
    return compile_kernel({"hvp": directional_derivative(dx, x, v)},
                          "rms_hvp" if rms else "standardize_hvp")


def family_hvp(name: str, x_canonical, dy, direction, gamma, eps_value, *, groups=None):
    """(H v) for ``name`` on an input in the canonical view (N, C, *S) (per-channel norms) or
    (M, C) (layernorm, rmsnorm), gamma shaped as the framework's."""
    lay = layout(name, np.shape(x_canonical), groups)
    view = lambda a: np.reshape(a, lay.view)  # noqa: E731
    scale = np.broadcast_to(np.reshape(gamma, lay.param_view), lay.view)
    out = hvp_kernel(name == "rmsnorm")(x=view(x_canonical), g=view(dy), v=view(direction),
                                        gamma_w=scale, epsilon=eps_value, axes=lay.axes)
    return out["hvp"].reshape(np.shape(x_canonical))
