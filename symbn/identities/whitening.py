"""Joint whitening against per-feature normalization: what whitening needs, and where it fails.

Whitening maps the batch to Cov^(-1/2) (x - E[x]), which has identity covariance; it needs
the inverse square root of a d x d matrix (O(d^3)) and its derivatives in the backward
pass.  The batch covariance has rank <= min(d, m - 1), so it is singular whenever m <= d.
Per-feature normalization needs only d variances: O(d m), no matrix function, and a
positive denominator for every m >= 2 once eps > 0.
"""

from __future__ import annotations

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from symbn.identities.record import Claim, Identity, control

SOURCE = "Huang et al. 2018 (Decorrelated Batch Normalization); Ioffe & Szegedy 2015, 3"
tan_half = sp.Symbol("t", real=True)
root1, root2 = sp.symbols("r1 r2", positive=True)


def _spd_and_inverse_root(power=sp.Rational(-1, 2)):
    """A generic 2x2 SPD covariance Q diag(r1^2, r2^2) Q^T and Q diag(r^(2 power)) Q^T.

    Q is a rotation written rationally (c, s) = ((1 - t^2), 2t)/(1 + t^2), so the whole
    claim is rational: the spectral theorem makes this every SPD 2x2 matrix.
    """
    c = (1 - tan_half**2) / (1 + tan_half**2)
    s = 2 * tan_half / (1 + tan_half**2)
    Q = sp.Matrix([[c, -s], [s, c]])
    cov = Q * sp.diag(root1**2, root2**2) * Q.T
    return cov, Q * sp.diag(root1 ** (2 * power), root2 ** (2 * power)) * Q.T


def _whitened(power=sp.Rational(-1, 2)):
    cov, W = _spd_and_inverse_root(power)
    return Claim(W * cov * W.T, sp.eye(2), steps=(("Cov", cov), ("W = Cov^(-1/2)", W),
                                                  ("Cov of W (x - E[x]) = W Cov W^T",
                                                   W * cov * W.T)))


def batch_covariance(d, m):
    """(1/m) sum_i (x_i - mean)(x_i - mean)^T of m explicit d-dimensional samples."""
    xs = [sp.Matrix(sp.symbols(f"x{i}_1:{d + 1}", real=True)) for i in range(m)]
    mean = sum(xs, sp.zeros(d, 1)) / m
    return sum(((xi - mean) * (xi - mean).T for xi in xs), sp.zeros(d, d)) / m


def determinant(matrix):
    """det(matrix) for polynomial entries, computed in their polynomial ring (SymPy's
    DomainMatrix): ``Matrix.det`` expands products of whole entry expressions, which
    takes ten times longer for the 3x3 batch covariance."""
    exact = DomainMatrix.from_Matrix(matrix)
    return exact.domain.to_sympy(exact.det())


def _singular(d, m):
    cov = batch_covariance(d, m)
    return Claim(determinant(cov), 0, steps=((f"batch covariance, d = {d}, m = {m}", cov),))


IDENTITIES = (
    Identity(
        name="whitening-identity-covariance", title="Whitening gives identity covariance",
        statement="Cov^(-1/2) Cov Cov^(-1/2) = I for every SPD 2x2 Cov (symbolic entries, "
                  "spectral parametrization). The price: a d x d inverse square root, O(d^3) per "
                  "batch, and its derivative in the backward pass; per-feature normalization "
                  "needs d variances, O(d m)",
        source=SOURCE, tags=("whitening",), build=_whitened,
        controls=(control("whitening-with-inverse", "whitening with Cov^(-1) instead of "
                          "Cov^(-1/2) gives identity covariance", lambda: _whitened(-1)),),
    ),
    Identity(
        name="whitening-singular-small-batch", title="Small batches make whitening impossible",
        statement="det(batch covariance) = 0 when m <= d: rank <= m - 1 (d = 2, m = 2 and "
                  "d = 3, m = 3); per-feature variances stay defined for every m >= 2",
        source=SOURCE, tags=("whitening",),
        build=lambda: Claim(sp.Matrix([_singular(2, 2).lhs, _singular(3, 3).lhs]),
                            sp.zeros(2, 1)),
        controls=(control("whitening-singular-m3-d2", "det(batch covariance) = 0 for d = 2, "
                          "m = 3", lambda: _singular(2, 3)),),
    ),
)
