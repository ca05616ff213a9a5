"""The structure of BN's backward pass, derived by differentiation through the batch statistics."""

from __future__ import annotations

import functools

import sympy as sp

from symbn.bn.batchnorm import derive_batchnorm, eps, gamma, x
from symbn.core import (Mean, N, batch_mean, batch_sum, batch_var, centred_form, derivative,
                        explicit_symbols, instantiate)
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ioffe & Szegedy 2015, section 3 (backward pass); Kratzert 2016 for the closed form"


@functools.cache
def _explicit_dx(m, eps_value=eps):
    """(dL/dx_j for each j) by plain sympy.diff of the explicit loss: the ground truth.
    Memoised: the closed form and the zero sum are cross-checked on the same one.  At a
    given eps, the derivative at symbolic eps with eps set: setting the constant eps and
    differentiating in x commute (SymPy builds the very same expressions either way)."""
    if eps_value != eps:
        return tuple(d.xreplace({eps: eps_value}) for d in _explicit_dx(m))
    loss = instantiate(derive_batchnorm().loss, m)
    return tuple(sp.diff(loss, xj) for xj in explicit_symbols(x, m))


def _closed_form():
    bn = derive_batchnorm()
    return Claim(bn.dx, bn.dx_closed_form, steps=(
        ("forward y", bn.y),
        ("loss L = sum_i g_i y_i", bn.loss),
        ("dL/dx_j, differentiated through Mean(x) and Var(x)", bn.dx),
        ("the same, collected by centred sample variables", centred_form(bn.dx)),
        ("textbook closed form", bn.dx_closed_form),
    ))


def _wrong_dx(hold):
    bn = derive_batchnorm()
    return Claim(derivative(bn.loss, x, hold=hold), bn.dx_closed_form)


def _sums_to_zero():
    bn = derive_batchnorm()
    return Claim(batch_sum(bn.dx), 0, steps=(("dL/dx_j", bn.dx), ("sum_j dL/dx_j", batch_sum(bn.dx))))


def _orthogonality(at_eps_zero: bool):
    bn = derive_batchnorm()
    inner = batch_sum(bn.dx * bn.xhat)
    return Claim(inner, 0, where={eps: 0} if at_eps_zero else {},
                 steps=(("<dx, xhat> = sum_j dL/dx_j * xhat_j", inner),))


def _orthogonality_residual(with_eps_factor=True):
    bn = derive_batchnorm()
    var = batch_var(x)
    factor = eps / (var + eps) if with_eps_factor else 1
    exact = N * gamma * batch_mean(bn.g * bn.xhat) / sp.sqrt(var + eps) * factor
    return Claim(batch_sum(bn.dx * bn.xhat), exact,
                 steps=(("<dx, xhat>", batch_sum(bn.dx * bn.xhat)), ("exact residual", exact)))


IDENTITIES = (
    Identity(
        name="backward-closed-form",
        title="The derived backward pass equals the textbook closed form",
        statement="dL/dx = gamma/s * (g - Mean(g) - xhat*Mean(g*xhat)), s = sqrt(Var(x) + eps), "
                  "for every batch size N and every eps",
        source=SOURCE, tags=("backward", "core"), build=_closed_form,
        explicit_sizes=(2, 3, 4),
        explicit=lambda m: Claim(_explicit_dx(m)[0],
                                 instantiate(derive_batchnorm().dx_closed_form, m, 0)),
        controls=(
            control("backward-ignores-mean", "a backward that ignores Mean(x)'s dependence on x "
                    "equals the closed form", lambda: _wrong_dx([Mean(x)])),
            control("backward-ignores-variance", "a backward that ignores Var(x)'s dependence on x "
                    "equals the closed form", lambda: _wrong_dx([batch_var(x)])),
        ),
    ),
    Identity(
        name="backward-sums-to-zero",
        title="The input gradients of a batch sum to zero",
        statement="sum_j dL/dx_j = 0 for every N and every eps (BN is invariant to shifting x)",
        source=SOURCE, tags=("backward", "core"), build=_sums_to_zero,
        explicit_sizes=(2, 3, 4),
        explicit=lambda m: Claim(sp.Add(*_explicit_dx(m)), 0),
        controls=(control(
            "backward-naive-sums-to-zero",
            "the naive gradient (batch statistics held constant) sums to zero",
            lambda: Claim(batch_sum(derivative(derive_batchnorm().loss, x, through_stats=False)), 0)),),
    ),
    Identity(
        name="backward-orthogonal-to-xhat",
        title="At eps = 0 the input gradient is orthogonal to xhat",
        statement="<dL/dx, xhat> = 0 when eps = 0 (BN is then invariant to scaling x)",
        source=SOURCE, tags=("backward", "core", "eps"), build=lambda: _orthogonality(True),
        explicit_sizes=(2, 3, 4),
        explicit=lambda m: Claim(
            sp.Add(*[d * xh for d, xh in zip(
                _explicit_dx(m, 0),
                [instantiate(derive_batchnorm(0).xhat, m, j) for j in range(m)])]), 0),
        controls=(control("backward-orthogonal-eps", "<dL/dx, xhat> = 0 also for eps > 0",
                          lambda: _orthogonality(False)),),
    ),
    Identity(
        name="backward-orthogonality-residual",
        title="For eps > 0, <dL/dx, xhat> is exactly proportional to eps",
        statement="<dL/dx, xhat> = N*gamma*Mean(g*xhat)/s * eps/(Var(x) + eps), "
                  "s = sqrt(Var(x) + eps)",
        source=SOURCE, tags=("backward", "eps"), build=_orthogonality_residual,
        explicit_sizes=(2, 3),
        controls=(control("backward-residual-without-eps",
                          "the residual is N*gamma*Mean(g*xhat)/s, without the eps factor",
                          lambda: _orthogonality_residual(False)),),
    ),
)
