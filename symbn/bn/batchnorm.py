"""Batch normalization, forward in both modes, backward by differentiation.

Training mode (Ioffe & Szegedy 2015, Algorithm 1)::

    mu = Mean(x),  var = Mean((x - mu)**2)        (biased variance)
    xhat = (x - mu) / sqrt(var + eps)             (eps inside the square root)
    y = gamma * xhat + beta

Eval mode replaces mu and var by running statistics, so BN is an affine map of x.
These are the conventions of PyTorch, Flax and Keras alike (see symbn.bn.conventions).
The backward pass is *derived* from ``L = sum_i g_i * y_i`` with :func:`symbn.derivative`,
never typed in; :func:`dx_closed_form` is the textbook formula it is proved equal to.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from symbn.core import batch_mean, batch_sum, batch_var, derivative, sample_symbols
from symbn.display import Displayable

#: eps > 0 is the default; pass ``eps=0`` to a function here for the eps-free case.
eps = sp.Symbol("epsilon", positive=True)
gamma = sp.Symbol("gamma", real=True)
beta = sp.Symbol("beta", real=True)
running_mean = sp.Symbol("mu_r", real=True)
running_var = sp.Symbol("sigma2_r", positive=True)
#: The input and the upstream gradient dL/dy of the generic sample.
x, g = sample_symbols("x g")


def standardize(x: sp.Expr, eps: sp.Expr = eps) -> sp.Expr:
    """xhat = (x - Mean(x)) / sqrt(Var(x) + eps), with the biased batch variance."""
    return (x - batch_mean(x)) / sp.sqrt(batch_var(x) + eps)


def batchnorm(x: sp.Expr, gamma: sp.Expr = gamma, beta: sp.Expr = beta,
              eps: sp.Expr = eps) -> sp.Expr:
    """Training-mode BN: y = gamma * xhat + beta with batch statistics."""
    return gamma * standardize(x, eps) + beta


def batchnorm_eval(x: sp.Expr, gamma: sp.Expr = gamma, beta: sp.Expr = beta, eps: sp.Expr = eps,
                   mean: sp.Expr = running_mean, var: sp.Expr = running_var) -> sp.Expr:
    """Eval-mode BN: y = gamma * (x - mean) / sqrt(var + eps) + beta with fixed statistics."""
    return gamma * (x - mean) / sp.sqrt(var + eps) + beta


def batchnorm_explicit(xs: Sequence[sp.Expr], gamma: sp.Expr = gamma, beta: sp.Expr = beta,
                       eps: sp.Expr = eps) -> list[sp.Expr]:
    """Training-mode BN of an explicit batch ``xs``, written with plain Python sums.

    Independent of :class:`~symbn.core.Mean` and its linearity rules, so it is the ground
    truth for claims those rules settle at construction (e.g. BN(x + b) = BN(x)).
    """
    m = len(xs)
    mu = sp.Add(*xs) / m
    var = sp.Add(*[(xi - mu) ** 2 for xi in xs]) / m
    return [gamma * (xi - mu) / sp.sqrt(var + eps) + beta for xi in xs]


def dx_closed_form(x: sp.Expr = x, g: sp.Expr = g, gamma: sp.Expr = gamma,
                   eps: sp.Expr = eps) -> sp.Expr:
    """The textbook backward pass, typed in on purpose (to be proved equal to the derived one).

    dx = gamma / s * (g - Mean(g) - xhat * Mean(g * xhat)),  s = sqrt(Var(x) + eps).
    """
    xhat = standardize(x, eps)
    s = sp.sqrt(batch_var(x) + eps)
    return gamma / s * (g - batch_mean(g) - xhat * batch_mean(g * xhat))


def gradients(y: sp.Expr, wrt: Iterable[sp.Symbol], upstream: sp.Expr = g) -> dict[sp.Symbol, sp.Expr]:
    """{v: dL/dv} for each v in ``wrt``, L = sum_i upstream_i * y_i: the upstream gradient
    dL/dy pulled back through y, and through every batch statistic in it."""
    loss = batch_sum(upstream * y)
    return {v: derivative(loss, v) for v in wrt}


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class BatchNormDerivation(Displayable, document="derivation"):
    """BN forward and backward for the generic sample, in the general batch form.

    ``loss`` is L = sum_i g_i * y_i, so g is the upstream gradient dL/dy; ``dx`` is
    dL/dx_j at the generic sample j, ``dgamma`` and ``dbeta`` are batch scalars.
    """

    x: sp.Symbol
    g: sp.Symbol
    gamma: sp.Symbol
    beta: sp.Symbol
    eps: sp.Expr
    xhat: sp.Expr
    y: sp.Expr
    loss: sp.Expr
    dx: sp.Expr
    dgamma: sp.Expr
    dbeta: sp.Expr

    @property
    def dx_closed_form(self) -> sp.Expr:
        return dx_closed_form(self.x, self.g, self.gamma, self.eps)


@functools.cache
def derive_batchnorm(eps: sp.Expr | int = eps) -> BatchNormDerivation:
    """Derive BN's backward by differentiating L = sum_i g_i * y_i through the batch statistics."""
    y = batchnorm(x, gamma, beta, eps)
    d = gradients(y, (x, gamma, beta))
    return BatchNormDerivation(
        x=x, g=g, gamma=gamma, beta=beta, eps=sp.sympify(eps),
        xhat=standardize(x, eps), y=y, loss=batch_sum(g * y),
        dx=d[x], dgamma=d[gamma], dbeta=d[beta],
    )
