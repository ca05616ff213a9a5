"""The Jacobian of batch standardization on an explicit batch, as a matrix.

On a batch of three samples x0, x1, x2 (plain sums, no Mean), xhat_i = (x_i - mu)/s and
J[i][j] = d xhat_i / d x_j. J sends the all-ones vector to 0 (shifting every input alike
changes nothing) and, at eps = 0, also xhat itself (scaling the inputs changes nothing):
claims between matrices, written as lists. A basis vector is not sent to 0 (the control).

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian.py  (or: symbn prove proofs/jacobian.py)
"""

import sys

import sympy as sp

from symbn import batchnorm_explicit, claim, eps, explicit_symbols, run_claims, x

xs = explicit_symbols(x, 3)  # x0, x1, x2
xhat = batchnorm_explicit(xs, gamma=1, beta=0)  # standardization: BN with gamma = 1, beta = 0
J = sp.Matrix([[sp.diff(xhat_i, x_j) for x_j in xs] for xhat_i in xhat])
zero = [0, 0, 0]

ones_in_null_space = claim(
    "jacobian-sends-ones-to-zero", J * sp.Matrix([1, 1, 1]), zero,
    statement="J (1, 1, 1) = 0 at batch size 3", source="Santurkar et al. 2018, appendix C",
    controls=[claim("jacobian-sends-e0-to-zero", J * sp.Matrix([1, 0, 0]), zero,
                    expected="REFUTED", statement="J (1, 0, 0) = 0")],
)

xhat_in_null_space = claim(
    "jacobian-sends-xhat-to-zero", J * sp.Matrix(xhat), zero, where={eps: 0},
    statement="J xhat = 0 at batch size 3 and eps = 0", source="Santurkar et al. 2018, appendix C",
    controls=[claim("jacobian-sends-xhat-to-zero-with-eps", J * sp.Matrix(xhat), zero,
                    expected="REFUTED", statement="the same for eps > 0")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
