"""A bias before BN does nothing: its update cancels, its gradient is exactly zero."""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import batchnorm, batchnorm_explicit, beta, eps, g, gamma
from symbn.core import Mean, batch_sum, batch_var, derivative, explicit_symbols, sample_symbols
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ioffe & Szegedy 2015, section 2"
u, = sample_symbols("u")   # the layer's output before the bias
b = sp.Symbol("b", real=True)
db = sp.Symbol("Delta_b", real=True)


def _shift_invariance(shift):
    return Claim(batchnorm(u + shift), batchnorm(u),
                 steps=(("BN(u + b)", batchnorm(u + shift)), ("BN(u)", batchnorm(u))))


def _us(m):
    return explicit_symbols(u, m)


def _explicit_shift(m):
    return Claim(batchnorm_explicit([ui + b for ui in _us(m)])[0], batchnorm_explicit(_us(m))[0])


def _explicit_update(m):
    new, old = [ui + b + db for ui in _us(m)], [ui + b for ui in _us(m)]
    return Claim(new[0] - sp.Add(*new) / m, old[0] - sp.Add(*old) / m)


def _explicit_gradient(m):
    gs = explicit_symbols(g, m)
    ys = batchnorm_explicit([ui + b for ui in _us(m)])
    return Claim(sp.diff(sp.Add(*[gi * yi for gi, yi in zip(gs, ys)]), b), 0)


def _update(stats_follow):
    x_new = u + (b + db)
    centred = x_new - Mean(x_new if stats_follow else u + b)
    return Claim(centred, u + b - Mean(u + b), steps=(("x - E[x] after the update", centred),))


def _loss():
    return batch_sum(g * batchnorm(u + b))


def _bias_gradient():
    dloss = derivative(_loss(), b)
    return Claim(dloss, 0, steps=(("L(b) = sum_i g_i BN(u_i + b)", _loss()), ("dL/db", dloss)))


def _naive_bias_gradient():
    """dL/db with E[x] and Var[x] held as constants M, V: the step of Ioffe & Szegedy's example.

    The statistics must be held *before* Mean's linearity cancels b out of BN(u + b).
    """
    held_mean, held_var = sp.symbols("M V", real=True)
    xb = u + b
    y = gamma * (xb - held_mean) / sp.sqrt(held_var + eps) + beta
    naive = sp.diff(batch_sum(g * y), b).xreplace({held_mean: Mean(xb), held_var: batch_var(xb)})
    return Claim(naive, 0, steps=(("dL/db with M = E[x], V = Var[x] held", naive),))


IDENTITIES = (
    Identity(
        name="bias-shift-invariance",
        title="A bias before BN is redundant",
        statement="BN(u + b) = BN(u) for every batch constant b and every eps: beta does its job",
        source=SOURCE, tags=("bias", "core"), build=lambda: _shift_invariance(b),
        explicit_sizes=(2, 3), explicit=_explicit_shift,
        controls=(control("bias-per-sample-shift",
                          "a per-sample shift v is cancelled too: BN(u + v) = BN(u)",
                          lambda: _shift_invariance(sample_symbols("v")[0])),),
    ),
    Identity(
        name="bias-update-cancellation",
        title="A bias update leaves the centred output unchanged",
        statement="u + (b + db) - E[u + (b + db)] = u + b - E[u + b]: a step on b that ignores "
                  "E[x]'s dependence on b changes b but not the output, so b drifts without bound",
        source=SOURCE, tags=("bias", "core"), build=lambda: _update(True),
        explicit_sizes=(2, 3), explicit=_explicit_update,
        controls=(control("bias-update-stale-mean",
                          "with the mean not recomputed, the update does change the output",
                          lambda: _update(False)),),
    ),
    Identity(
        name="bias-gradient-zero",
        title="The gradient through E[x] with respect to a pre-BN bias is exactly 0",
        statement="d/db sum_i g_i BN(u_i + b) = 0 for every eps",
        source=SOURCE, tags=("bias", "core"), build=_bias_gradient,
        explicit_sizes=(2, 3),
        explicit=_explicit_gradient,
        controls=(control("bias-naive-gradient-zero",
                          "the naive gradient (batch statistics held constant) is 0 too",
                          _naive_bias_gradient),),
    ),
)
