"""The structure of the backward map: Jacobian of xhat, its null space, rank, eigenvalues."""

from __future__ import annotations

import functools

import sympy as sp

from symbn.bn.batchnorm import derive_batchnorm, eps, gamma, x
from symbn.core import (N, batch_mean, batch_sum, batch_var, directional_derivative,
                        explicit_symbols, instantiate, instantiate_all, sample_symbols)
from symbn.identities.record import Claim, Identity, control

SOURCE = "the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C"
v, = sample_symbols("v")


def _s():
    return sp.sqrt(batch_var(x) + eps)


def _xhat():
    return derive_batchnorm().xhat


def jacobian_times(direction):
    """(J u)_j = (1/s) (u_j - Mean(u) - xhat_j Mean(xhat u)), J = d xhat / d x."""
    xhat = _xhat()
    return (direction - batch_mean(direction) - xhat * batch_mean(xhat * direction)) / _s()


def _jacobian_claim(formula=jacobian_times):
    derived = directional_derivative(_xhat(), x, v)
    return Claim(derived, formula(v), steps=(("J v = d/dt xhat(x + t v) at t = 0", derived),
                                             ("(1/s)(v - Mean(v) - xhat Mean(xhat v))",
                                              jacobian_times(v))))


@functools.cache
def _explicit_jacobian(m):
    """d xhat_j / d x_k at batch size m by plain sympy.diff, against the formula (memoised:
    the null-space claims reuse the same Jacobian)."""
    xs = explicit_symbols(x, m)
    xhats = instantiate_all(_xhat(), m)
    s = instantiate(_s(), m)
    ones = sp.ones(m, 1)
    xh = sp.Matrix(xhats)
    formula = (sp.eye(m) - ones * ones.T / m - xh * xh.T / m) / s
    return Claim(sp.Matrix(m, m, lambda j, k: sp.diff(xhats[j], xs[k])), formula)


def _explicit_null(m, vector):
    """J u = 0 at batch size m with J the plain sympy.diff of the explicit xhat (no Mean
    rules): u is the ones vector, or xhat itself."""
    jacobian = _explicit_jacobian(m).lhs
    u = sp.ones(m, 1) if vector == "ones" else sp.Matrix(instantiate_all(_xhat(), m))
    return Claim(jacobian * u, sp.zeros(m, 1), where={} if vector == "ones" else {eps: 0})


def _projected():
    """u = v - Mean(v) - xhat Mean(xhat v)/Mean(xhat^2): orthogonal to 1 and to xhat."""
    xhat = _xhat()
    return v - batch_mean(v) - xhat * batch_mean(xhat * v) / batch_mean(xhat**2)


def _norm_squared(with_eps_factor=True):
    bn = derive_batchnorm()
    q = batch_var(x) / (batch_var(x) + eps)  # Mean(xhat^2)
    g_norm2, g_sum, g_xhat = batch_sum(bn.g**2), batch_sum(bn.g), batch_sum(bn.g * bn.xhat)
    factor = (2 - q) if with_eps_factor else 1
    formula = gamma**2 / _s()**2 * (g_norm2 - g_sum**2 / N - g_xhat**2 * factor / N)
    return Claim(batch_sum(bn.dx**2), formula,
                 steps=(("||dL/dx||^2", batch_sum(bn.dx**2)),
                        ("in ||g||^2, <1,g>^2, <xhat,g>^2", formula)))


def _degenerate(m):
    bn = derive_batchnorm()
    loss = instantiate(bn.loss, m)
    return Claim(sp.diff(loss, explicit_symbols(x, m)[0]), 0, where={eps: 0},
                 steps=((f"dL/dx_0 at N = {m}, eps = 0", sp.diff(loss, explicit_symbols(x, m)[0])),))


IDENTITIES = (
    Identity(
        name="jacobian-xhat", title="The Jacobian of xhat for every N",
        statement="d xhat/dx = (1/s)(I - 1 1^T/N - xhat xhat^T/N), s = sqrt(Var(x) + eps), "
                  "applied to any direction v",
        source=SOURCE, tags=("structure", "backward"), build=_jacobian_claim,
        explicit_sizes=(2, 3), explicit=_explicit_jacobian,
        controls=(control("jacobian-xhat-no-xhat-term", "d xhat/dx = (1/s)(I - 1 1^T/N)",
                          lambda: _jacobian_claim(
                              lambda u: (u - batch_mean(u)) / _s())),),
    ),
    Identity(
        name="jacobian-null-ones", title="The ones vector is in the null space",
        statement="J 1 = 0 for every eps: shifting every sample changes no output",
        source=SOURCE, tags=("structure",), build=lambda: Claim(jacobian_times(sp.S.One), 0),
        explicit_sizes=(2, 3), explicit=lambda m: _explicit_null(m, "ones"),
        controls=(control("jacobian-null-x", "J x = 0 for every eps",
                          lambda: Claim(jacobian_times(x), 0)),),
    ),
    Identity(
        name="jacobian-null-xhat", title="At eps = 0, xhat is in the null space too",
        statement="J xhat = 0 at eps = 0; for eps > 0, J xhat = eps/(s (Var + eps)) xhat, "
                  "so the rank is N - 2 at eps = 0 and N - 1 for eps > 0",
        source=SOURCE, tags=("structure", "eps"),
        build=lambda: Claim(jacobian_times(_xhat()), 0, where={eps: 0}),
        explicit_sizes=(2, 3), explicit=lambda m: _explicit_null(m, "xhat"),
        controls=(control("jacobian-null-xhat-eps", "J xhat = 0 also for eps > 0",
                          lambda: Claim(jacobian_times(_xhat()), 0)),),
    ),
    Identity(
        name="jacobian-xhat-eigenvalue", title="The eigenvalue along xhat for eps > 0",
        statement="J xhat = eps / (s (Var(x) + eps)) * xhat",
        source=SOURCE, tags=("structure", "eps"),
        build=lambda: Claim(jacobian_times(_xhat()),
                            eps / (_s() * (batch_var(x) + eps)) * _xhat()),
        controls=(control("jacobian-xhat-eigenvalue-1/s", "J xhat = xhat / s",
                          lambda: Claim(jacobian_times(_xhat()), _xhat() / _s())),),
    ),
    Identity(
        name="jacobian-eigenvalue-rest", title="On the rest, J is 1/s times the identity",
        statement="J u = u/s for every u orthogonal to 1 and to xhat: the other N - 2 "
                  "eigenvalues are all 1/s",
        source=SOURCE, tags=("structure",),
        build=lambda: Claim(jacobian_times(_projected()), _projected() / _s()),
        controls=(control("jacobian-eigenvalue-rest-unprojected", "J v = v/s for every v",
                          lambda: Claim(jacobian_times(v), v / _s())),),
    ),
    Identity(
        name="degenerate-batch-of-two", title="With N = 2 and eps = 0 no gradient reaches x",
        statement="dL/dx = 0 identically for a batch of 2 at eps = 0 (xhat = +-1 whatever x is)",
        source=SOURCE, tags=("structure", "eps"), build=lambda: _degenerate(2),
        controls=(control("degenerate-batch-of-three", "the same for a batch of 3",
                          lambda: _degenerate(3)),),
    ),
    Identity(
        name="gradient-norm", title="The squared norm of the input gradient",
        statement="||dL/dx||^2 = gamma^2/s^2 (||g||^2 - <1,g>^2/N - (2 - q) <xhat,g>^2/N), "
                  "q = Var/(Var + eps) (q = 1 at eps = 0)",
        source=SOURCE, tags=("structure", "backward"), build=_norm_squared,
        explicit_sizes=(2, 3),
        controls=(control("gradient-norm-eps-free", "the eps = 0 formula (factor 1) for eps > 0",
                          lambda: _norm_squared(False)),),
    ),
)
