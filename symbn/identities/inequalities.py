"""Inequalities about normalization, proved with exact certificates (tag "inequality").

Each claim is ``lhs <= rhs`` (or ``<``) in the general batch form unless stated; a PROVED
carries a certificate ``multiplier * (rhs - lhs) = sum of squares`` that
:mod:`symbn.certify.inequality` re-checks (:mod:`symbn.prove.inequality`).  Notation:
mu = Mean(x), v = Mean((x - mu)**2) (biased), s = sqrt(v + eps), xhat = (x - mu)/s,
eps > 0 inside the square root; g is the upstream gradient dL/dy.  dx is derived by
differentiating L = sum_i g_i y_i through the batch statistics, never typed.
"""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import batchnorm, derive_batchnorm, eps, gamma, standardize, x
from symbn.bn.family import rms_normalize
from symbn.core import Mean, N, SampleSymbol, batch_var, directional_derivative
from symbn.identities.record import Claim, Identity, control

SANTURKAR = ("Santurkar, Tsipras, Ilyas & Madry 2018, How does batch normalization help "
             "optimization?, Theorem 4.1")
g = derive_batchnorm().g
#: a per-element (per-feature) gain, the RMSNorm/LayerNorm weight
w = SampleSymbol("w")
#: a direction of the input, and the loss's curvature in BN's output (its Hessian kappa*I)
v = SampleSymbol("v")
kappa = sp.Symbol("kappa", positive=True)


def _santurkar_sharp(misprint: bool = False) -> Claim:
    """Mean(dx**2) <= gamma**2/s**2 (Mean(g**2) - Mean(g)**2 - Mean(g*xhat)**2): Theorem
    4.1's ||dx||^2 <= gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - <g,xhat>^2/m) divided by m.
    ``misprint``: the 1/sqrt(m) coefficients of the paper's printed statement (in the mean
    form, sqrt(N) times the two subtracted means)."""
    bn = derive_batchnorm()
    k = sp.sqrt(N) if misprint else sp.S.One
    bound = gamma**2 / (batch_var(x) + eps) * (
        Mean(g**2) - k * Mean(g) ** 2 - k * Mean(g * bn.xhat) ** 2)
    return Claim(Mean(bn.dx**2), bound, relation="<=", steps=(
        ("dL/dx_j, derived through Mean(x) and Var(x)", bn.dx),
        ("Mean(dx**2)", Mean(bn.dx**2)), ("the bound", bound)))


def _santurkar_weak(scaled: bool = True) -> Claim:
    """Mean(dx**2) <= gamma**2/(v + eps) * Mean(g**2); ``scaled=False``: without the
    gamma**2/(v + eps) (a control)."""
    bn = derive_batchnorm()
    bound = (gamma**2 / (batch_var(x) + eps) if scaled else 1) * Mean(g**2)
    return Claim(Mean(bn.dx**2), bound, relation="<=",
                 steps=(("dL/dx_j, derived", bn.dx), ("the bound", bound)))


def _gauss_newton(scaled: bool = True) -> Claim:
    """kappa Mean((J v)**2) <= kappa gamma**2/(v + eps) (Mean(v**2) - Mean(v)**2 -
    Mean(v*xhat)**2): J v derived as the directional derivative of y = BN(x) along a
    per-sample direction v (the batch statistics move with x); ``scaled=False``: the bound
    kappa Mean(v**2) without BN's factor (a control)."""
    jv = directional_derivative(batchnorm(x), x, v)
    bound = kappa * gamma**2 / (batch_var(x) + eps) * (
        Mean(v**2) - Mean(v) ** 2 - Mean(v * standardize(x)) ** 2) if scaled else kappa * Mean(v**2)
    return Claim(kappa * Mean(jv**2), bound, relation="<=",
                 steps=(("J v = d/dt BN(x + t v) at t = 0", jv), ("the bound", bound)))


def _zscore_max(m: int, bound: sp.Expr = N - 1) -> Claim:
    return Claim(standardize(x) ** 2, bound, where={N: m}, relation="<=")


def _rms(gain: sp.Expr) -> Claim:
    y = gain * rms_normalize(x)
    return Claim(Mean(y**2), Mean(gain**2), relation="<=", steps=(("RMSNorm output y", y),))


def _layernorm_scalar(strict: bool) -> Claim:
    y = gamma * standardize(x)
    return Claim(Mean(y**2), gamma**2, relation="<" if strict else "<=",
                 steps=(("LayerNorm output y (no shift)", y),))


IDENTITIES = (
    Identity(
        name="xhat-second-moment-below-1",
        title="BN's normalized values have mean square below 1",
        statement="Mean(xhat**2) < 1 for every batch (eps > 0): 1 - Mean(xhat**2) = eps/(v + eps); "
                  "equality exactly at eps = 0 (and v > 0)",
        source="Ioffe & Szegedy 2015, Algorithm 1 (eps inside the square root)",
        tags=("inequality",),
        build=lambda: Claim(Mean(standardize(x) ** 2), 1, relation="<"),
        controls=(control("xhat-second-moment-unbiased", "Mean(xhat**2) <= (N - 1)/N, the "
                          "unbiased variance's factor applied to BN's biased one",
                          lambda: Claim(Mean(standardize(x) ** 2), (N - 1) / N, relation="<=")),),
    ),
    Identity(
        name="bn-output-variance-at-most-gamma2",
        title="BN's output variance is at most gamma**2",
        statement="Var(y) <= gamma**2 with y = gamma*xhat + beta: gamma**2 - Var(y) = "
                  "gamma**2 eps/(v + eps); equality exactly at gamma = 0, or at eps = 0",
        source="Ioffe & Szegedy 2015, section 3",
        tags=("inequality",),
        build=lambda: Claim(batch_var(batchnorm(x)), gamma**2, relation="<="),
        controls=(control("bn-output-variance-strict", "Var(y) < gamma**2 (strict: false at "
                          "gamma = 0)",
                          lambda: Claim(batch_var(batchnorm(x)), gamma**2, relation="<")),),
    ),
    Identity(
        name="cauchy-schwarz-g-xhat",
        title="Cauchy-Schwarz for the upstream gradient and xhat",
        statement="Mean(g*xhat)**2 <= Mean(g**2) * Mean(xhat**2), certified with the "
                  "multiplier Mean(g**2) (so where Mean(g**2) > 0; at Mean(g**2) = 0 both sides "
                  "are 0); in the explicit form at N = 2, 3, 4 Lagrange's identity needs no "
                  "such condition",
        source="Cauchy-Schwarz for batch means; Santurkar et al. 2018, proof of Theorem 4.1",
        tags=("inequality",),
        build=lambda: Claim(Mean(g * standardize(x)) ** 2,
                            Mean(g**2) * Mean(standardize(x) ** 2), relation="<="),
        explicit_sizes=(2, 3, 4),
        controls=(control("cauchy-schwarz-mean-squared", "Mean(g*xhat)**2 <= Mean(g)**2 * "
                          "Mean(xhat**2) (the square of the mean for the mean of the square)",
                          lambda: Claim(Mean(g * standardize(x)) ** 2,
                                        Mean(g) ** 2 * Mean(standardize(x) ** 2),
                                        relation="<=")),),
    ),
    Identity(
        name="bn-gradient-norm-bound",
        title="BN's input gradient is bounded by gamma/s times the upstream gradient",
        statement="Mean(dx**2) <= gamma**2/(v + eps) * Mean(g**2), dx derived through the batch "
                  "statistics, for every eps > 0",
        source=SANTURKAR, tags=("inequality", "santurkar"),
        build=_santurkar_weak,
        controls=(control("bn-gradient-norm-unscaled", "Mean(dx**2) <= Mean(g**2): BN never "
                          "amplifies the gradient (false when gamma**2 > v + eps)",
                          lambda: _santurkar_weak(scaled=False)),),
    ),
    Identity(
        name="santurkar-theorem-4.1",
        title="Santurkar et al. Theorem 4.1: the gradient through BN is smaller",
        statement="||dx||^2 <= gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - <g,xhat>^2/m) with "
                  "sigma^2 = v + eps, in mean form: Mean(dx**2) <= gamma**2/(v + eps) "
                  "(Mean(g**2) - Mean(g)**2 - Mean(g*xhat)**2), for every eps > 0 (the paper "
                  "states eps = 0); the gap is gamma**2 eps Mean(g*xhat)**2/(v + eps)**2, 0 "
                  "exactly when eps = 0 or Mean(g*xhat) = 0",
        source=SANTURKAR, tags=("inequality", "santurkar"),
        build=_santurkar_sharp,
        controls=(control("santurkar-theorem-4.1-misprint", "the bound with 1/sqrt(m) for "
                          "1/m, as printed: in mean form sqrt(N) (Mean(g)**2 + Mean(g*xhat)**2) "
                          "subtracted", lambda: _santurkar_sharp(misprint=True)),),
    ),
    Identity(
        name="santurkar-curvature-gauss-newton",
        title="Santurkar et al. Theorem 4.2, its Gauss-Newton term: curvature through BN is smaller",
        statement="for a loss whose Hessian in BN's output is H = kappa*I (kappa > 0), along any "
                  "direction v of the input: (Jv)^T H (Jv) <= gamma^2/sigma^2 kappa (||v||^2 - "
                  "<1,v>^2/m - <v,xhat>^2/m), in mean form kappa Mean((J v)**2) <= kappa "
                  "gamma**2/(v + eps) (Mean(v**2) - Mean(v)**2 - Mean(v*xhat)**2), for every "
                  "eps > 0, J v derived as the directional derivative of BN along v.  Only the "
                  "J^T H J term of the Hessian through BN: the term from BN's own second "
                  "derivative (dL/dy . d^2 y[v, v]) is not covered, nor a non-isotropic H",
        source="Santurkar, Tsipras, Ilyas & Madry 2018, Theorem 4.2 (the J^T H J term of its proof)",
        tags=("inequality", "santurkar"),
        build=_gauss_newton,
        controls=(control("santurkar-curvature-unscaled", "kappa Mean((J v)**2) <= kappa "
                          "Mean(v**2): BN never amplifies curvature (false when gamma**2 > v + eps)",
                          lambda: _gauss_newton(scaled=False)),),
    ),
    Identity(
        name="zscore-max",
        title="The largest z-score in a batch of N is sqrt(N - 1)",
        statement="xhat_j**2 <= N - 1 for every sample j (biased variance, eps > 0), in the "
                  "explicit form at N = 8 and cross-checked at N = 2..7; not stated in the "
                  "general form, where nothing says the sample is one of the batch",
        source="Shiffler 1988, Maximum Z scores and outliers (The American Statistician 42:1)",
        tags=("inequality", "zscore"),
        build=lambda: _zscore_max(8), explicit_sizes=(2, 3, 4, 5, 6, 7), explicit=_zscore_max,
        controls=(control("zscore-within-1", "xhat_j**2 <= 1 at N = 8: normalized values lie "
                          "in [-1, 1]", lambda: _zscore_max(8, sp.S.One)),),
    ),
    Identity(
        name="rmsnorm-mean-square",
        title="RMSNorm with a scalar gain: the output's mean square is at most the gain's",
        statement="Mean(y**2) <= gamma**2 for y = gamma * x/sqrt(Mean(x**2) + eps) "
                  "(= gamma**2 Mean(x**2)/(Mean(x**2) + eps); equal at eps = 0)",
        source="Zhang & Sennrich 2019, Root mean square layer normalization",
        tags=("inequality", "rmsnorm"),
        build=lambda: _rms(gamma),
        controls=(control("rmsnorm-mean-square-per-element-gain", "Mean(y**2) <= Mean(w**2) for "
                          "a per-element gain w (false: w large where x is large)",
                          lambda: _rms(w)),),
    ),
    Identity(
        name="layernorm-mean-square",
        title="LayerNorm with a scalar gain and no shift: Mean(y**2) <= gamma**2",
        statement="Mean(y**2) <= gamma**2 for y = gamma*(x - Mean(x))/sqrt(v + eps), the mean "
                  "taken over the normalized features; equality at gamma = 0 (or eps = 0)",
        source="Ba, Kiros & Hinton 2016, Layer normalization",
        tags=("inequality", "layernorm"),
        build=lambda: _layernorm_scalar(False),
        controls=(control("layernorm-mean-square-strict", "Mean(y**2) < gamma**2 (strict: "
                          "false at gamma = 0)", lambda: _layernorm_scalar(True)),),
    ),
)
