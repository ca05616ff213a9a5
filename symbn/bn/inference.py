"""Folding eval-mode BN into the preceding Linear (or 1x1 Conv) layer.

y = gamma * (W z + b - mu) / sqrt(var + eps) + beta = W' z + b' with
W' = diag(gamma / sqrt(var + eps)) W and b' = gamma * (b - mu) / sqrt(var + eps) + beta,
as ``torch.nn.utils.fusion.fuse_linear_bn_eval`` does.  ``affine=False`` is gamma = 1,
beta = 0.
"""

from __future__ import annotations

import sympy as sp


def fold_linear_bn(W, b, mean, var, eps, gamma=None, beta=None):
    """(W', b') for Linear(W, b) followed by eval-mode BN; works on SymPy or NumPy values."""
    rows = len(mean)
    gamma = [1] * rows if gamma is None else gamma
    beta = [0] * rows if beta is None else beta
    scale = [gamma[i] / _sqrt(var[i] + eps) for i in range(rows)]
    W_folded = [[scale[i] * W[i][j] for j in range(len(W[i]))] for i in range(rows)]
    b_folded = [scale[i] * (b[i] - mean[i]) + beta[i] for i in range(rows)]
    return W_folded, b_folded


def _sqrt(value):
    return sp.sqrt(value) if isinstance(value, sp.Basic) else value ** 0.5
