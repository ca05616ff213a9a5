"""Is z-scoring linear?  Affine in its input with fixed statistics; not in the weights, and
training-mode BN is not affine in the batch -- but only by O(1/N)."""

from __future__ import annotations

import functools

import sympy as sp

from symbn.bn.batchnorm import batchnorm, batchnorm_eval, eps, standardize, x
from symbn.core import derivative, explicit_symbols, instantiate, large_batch_limit, rewrite
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ioffe & Szegedy 2015, section 3.1 (inference); Goodfellow et al. 2016, section 8.7.1"
z = sp.Symbol("z", real=True)
w = sp.Symbol("w", real=True)
mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)


def _zscore_affine():
    f = (z - mu) / sigma
    affine = f.subs(z, 0) + z * sp.diff(f, z).subs(z, 0)
    return Claim(f, affine, steps=(("f(z) = (z - mu)/sigma", f), ("f(0) + z f'(0)", affine)))


def _stack(activation=lambda t: t, layers=3):
    """``layers`` of z -> diag(1/sigma_k) (W_k z + b_k - mu_k), on 2-vectors."""
    zs = sp.Matrix(sp.symbols("z1 z2", real=True))
    h = zs
    for k in range(1, layers + 1):
        W = sp.Matrix(2, 2, sp.symbols(f"w{k}_11 w{k}_12 w{k}_21 w{k}_22", real=True))
        b, m = (sp.Matrix(sp.symbols(f"{n}{k}_1 {n}{k}_2", real=True)) for n in ("b", "mu"))
        s = sp.symbols(f"sigma{k}_1 sigma{k}_2", positive=True)
        h = (sp.diag(*s).inv() * (W * h + b - m)).applyfunc(activation)
    # A and c at z = 0 in one pass, which evaluates each layer shared by h and its
    # Jacobian once (each Max(0, ...) again at z = 0 is what costs)
    jacobian = h.jacobian(zs)
    at_zero = rewrite.xreplace(sp.Tuple(*jacobian, *h), {zi: 0 for zi in zs})
    n = len(jacobian)
    affine = sp.Matrix(*jacobian.shape, at_zero[:n]) * zs + sp.Matrix(at_zero[n:])
    return Claim(h, affine, steps=(("three z-scored affine layers", h),
                                   ("A z + c, A and c read off at z = 0", affine)))


def _scales_with_weight():
    return Claim(standardize(2 * w * x), 2 * standardize(w * x))


@functools.cache
def _curvature_of_bn():
    """d^2 y_j / d x_j^2 of training-mode BN, through the batch statistics (memoised:
    the claims below and their controls all start from it)."""
    return derivative(derivative(batchnorm(x), x), x)


@functools.cache
def _curvature_limit(order=0):
    """lim_{N -> oo} N**order * d^2 y_j / d x_j^2, the batch moments held fixed."""
    return large_batch_limit(_curvature_of_bn(), order=order)


def _curvature():
    return Claim(_curvature_limit(), 0, steps=(
        ("d^2 y_j / d x_j^2 (training mode)", _curvature_of_bn()),
        ("N * d^2 y_j / d x_j^2 as N -> oo, moments fixed", _curvature_limit(1)),
        ("d^2 y_j / d x_j^2 as N -> oo, moments fixed", _curvature_limit()),
    ))


def _explicit_curvature(m):
    return Claim(instantiate(_curvature_of_bn(), m),
                 sp.diff(instantiate(batchnorm(x), m), explicit_symbols(x, m)[0], 2))


IDENTITIES = (
    Identity(
        name="zscore-affine-in-input",
        title="With fixed statistics, z-scoring is affine in its input",
        statement="(z - mu)/sigma = f(0) + z f'(0): eval-mode BN is an affine map",
        source=SOURCE, tags=("zscore", "core"), build=_zscore_affine,
        controls=(
            control("zscore-linear-in-weight", "z-scoring is linear in the weight: "
                    "zscore(2 w x) = 2 zscore(w x)", _scales_with_weight),
            control("bn-train-affine-in-batch", "training-mode BN is affine in its own input: "
                    "d^2 y_j / d x_j^2 = 0", lambda: Claim(_curvature_of_bn(), 0)),
        ),
    ),
    Identity(
        name="zscore-stack-collapses",
        title="A stack of affine + fixed z-score layers is one affine map",
        statement="three layers z -> (W z + b - mu)/sigma compose to A z + c: without a "
                  "nonlinearity, eval-mode BN cannot replace the activation function",
        source=SOURCE, tags=("zscore", "core"), build=_stack,
        controls=(control("zscore-relu-stack-collapses", "the same stack with ReLU between "
                          "the layers is affine too", lambda: _stack(lambda t: sp.Max(0, t))),),
    ),
    Identity(
        name="bn-curvature-vanishes",
        title="Training-mode BN's curvature in its own input is O(1/N)",
        statement="d^2 y_j / d x_j^2 -> 0 as N -> oo with the batch moments fixed; "
                  "N * d^2 y_j / d x_j^2 tends to a nonzero limit, so the order is exactly 1/N",
        source=SOURCE, tags=("zscore", "core"), build=_curvature,
        explicit_sizes=(2, 3), explicit=_explicit_curvature,
        controls=(control("bn-curvature-faster-than-1/N",
                          "N * d^2 y_j / d x_j^2 -> 0 too (curvature o(1/N))",
                          lambda: Claim(_curvature_limit(1), 0)),),
    ),
    Identity(
        name="bn-eval-curvature-zero",
        title="Eval-mode BN has zero curvature",
        statement="d^2 y / d x^2 = 0 with running statistics",
        source=SOURCE, tags=("zscore",),
        build=lambda: Claim(sp.diff(batchnorm_eval(x), x, 2), 0,
                            steps=(("eval-mode y", batchnorm_eval(x)),)),
        controls=(control("bn-eval-curvature-eps", "with the input inside the square root "
                          "the curvature is not zero: d^2/dx^2 x/sqrt(x^2 + eps) = 0",
                          lambda: Claim(sp.diff(x / sp.sqrt(x**2 + eps), x, 2), 0)),),
    ),
)
