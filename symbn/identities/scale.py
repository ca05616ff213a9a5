"""Scale invariance of BN and its consequences for the gradient (Ioffe & Szegedy 2015, 3.3)."""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import batchnorm, beta, derive_batchnorm, eps, gamma, x
from symbn.core import batch_sum
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance)"
a = sp.Symbol("a", real=True)


def _rescaled(sign=1, eps_scaled=True):
    """BN_eps(a x) against BN_{eps/a^2}(x), with gamma's sign flipped for a < 0."""
    lhs = batchnorm(a * x, gamma, beta, eps)
    rhs = batchnorm(x, sign * gamma, beta, eps / a**2 if eps_scaled else eps)
    return Claim(lhs, rhs, assume=(a > 0 if sign > 0 else a < 0,),
                 steps=(("BN_eps(a x)", lhs), ("BN_{eps/a^2}(x)", rhs)))


def _gradient_scaling(at_eps_zero, corrected=False):
    """dL/dx at input a x against (1/a) dL/dx at x: the gradient shrinks as the weights grow."""
    bn = derive_batchnorm()
    lhs = bn.dx.xreplace({x: a * x})
    rhs = (bn.dx.xreplace({eps: eps / a**2}) if corrected else bn.dx) / a
    return Claim(lhs, rhs, where={eps: 0} if at_eps_zero else {}, assume=(a > 0,),
                 steps=(("dL/dx at input a x", lhs), ("(1/a) dL/dx at input x", rhs)))


def _orthogonal_to_weights(at_eps_zero):
    """<dL/dw, w> = sum_n dL/dx_n (w . u_n) = sum_n dL/dx_n x_n: zero at eps = 0."""
    bn = derive_batchnorm()
    inner = batch_sum(bn.dx * x)
    return Claim(inner, 0, where={eps: 0} if at_eps_zero else {},
                 steps=(("<dL/dw, w> = sum_n dL/dx_n * x_n", inner),))


def _sign_flip(flip_gamma=True):
    lhs = batchnorm(-x, gamma, beta, eps)
    rhs = batchnorm(x, -gamma if flip_gamma else gamma, beta, eps)
    return Claim(lhs, rhs, steps=(("BN_{gamma,beta}(-x)", lhs), ("BN_{-gamma,beta}(x)", rhs)))


def _rms_rescaled(eps_scaled=True):
    from symbn.bn.family import rms_normalize
    lhs, rhs = rms_normalize(a * x, eps), rms_normalize(x, eps / a**2 if eps_scaled else eps)
    return Claim(lhs, rhs, assume=(a > 0,), steps=(("RMS_eps(a x)", lhs),
                                                   ("RMS_{eps/a^2}(x)", rhs)))


IDENTITIES = (
    Identity(
        name="scale-invariance", title="Scaling BN's input rescales eps",
        statement="BN_eps(a x) = BN_{eps/a^2}(x) for a > 0: at eps = 0 BN is scale invariant",
        source=SOURCE, tags=("scale", "family"), build=_rescaled, explicit_sizes=(2, 3),
        controls=(control("scale-invariance-same-eps", "BN_eps(a x) = BN_eps(x) for a > 0",
                          lambda: _rescaled(eps_scaled=False)),),
    ),
    Identity(
        name="rms-scale-invariance", title="Scaling RMSNorm's input rescales eps",
        statement="RMS_eps(a x) = RMS_{eps/a^2}(x) for a > 0: the exact eps law behind the "
                  "invariance matrix's scale cells for RMSNorm",
        source="Zhang & Sennrich 2019 (RMSNorm)", tags=("scale", "family"), build=_rms_rescaled,
        controls=(control("rms-scale-invariance-same-eps", "RMS_eps(a x) = RMS_eps(x), a > 0",
                          lambda: _rms_rescaled(False)),),
    ),
    Identity(
        name="scale-negative", title="A negative scale flips gamma",
        statement="BN_{gamma,eps}(a x) = BN_{-gamma,eps/a^2}(x) for a < 0",
        source=SOURCE, tags=("scale", "family"), build=lambda: _rescaled(-1),
        controls=(control("scale-negative-no-flip", "BN_eps(a x) = BN_{eps/a^2}(x) for a < 0",
                          lambda: Claim(batchnorm(a * x), batchnorm(x, eps=eps / a**2),
                                        assume=(a < 0,))),),
    ),
    Identity(
        name="scale-gradient", title="At eps = 0 the gradient scales as 1/a",
        statement="dL/dx(a x) = dL/dx(x) / a for a > 0 and eps = 0: larger weights, smaller "
                  "gradients",
        source=SOURCE, tags=("scale", "backward"), build=lambda: _gradient_scaling(True),
        controls=(control("scale-gradient-eps", "dL/dx(a x) = dL/dx(x) / a also for eps > 0",
                          lambda: _gradient_scaling(False)),),
    ),
    Identity(
        name="scale-gradient-correction", title="For eps > 0 the 1/a law holds with eps/a^2",
        statement="dL/dx_eps(a x) = dL/dx_{eps/a^2}(x) / a for a > 0 and every eps",
        source=SOURCE, tags=("scale", "backward", "eps"),
        build=lambda: _gradient_scaling(False, corrected=True),
        controls=(control("scale-gradient-correction-eps", "the same with eps/a instead of "
                          "eps/a^2", lambda: Claim(
                              derive_batchnorm().dx.xreplace({x: a * x}),
                              derive_batchnorm().dx.xreplace({eps: eps / a}) / a,
                              assume=(a > 0,))),),
    ),
    Identity(
        name="scale-gradient-orthogonal", title="At eps = 0 the weight gradient is orthogonal "
        "to the weights", statement="<dL/dw, w> = 0 at eps = 0 (so gradient descent only grows "
        "||w||)", source=SOURCE, tags=("scale", "backward"),
        build=lambda: _orthogonal_to_weights(True),
        controls=(control("scale-gradient-orthogonal-eps", "<dL/dw, w> = 0 also for eps > 0",
                          lambda: _orthogonal_to_weights(False)),),
    ),
    Identity(
        name="sign-flip", title="Negating the input negates gamma",
        statement="BN_{gamma,beta}(-x) = BN_{-gamma,beta}(x) for every eps",
        source=SOURCE, tags=("scale", "family"), build=_sign_flip, explicit_sizes=(2, 3),
        controls=(control("sign-flip-keeps-gamma", "BN_{gamma,beta}(-x) = BN_{gamma,beta}(x)",
                          lambda: _sign_flip(False)),),
    ),
)
