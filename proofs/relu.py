"""ReLU after batch normalization: a positive gamma can be moved out of the ReLU.

ReLU is positively homogeneous, max(c t, 0) = c max(t, 0) for c > 0, so after BN
ReLU(gamma xhat + beta) = gamma ReLU(xhat + beta/gamma) for gamma > 0: the next layer can
absorb gamma. Both fail for a negative factor (the controls). SymPy's Max is the ReLU.

Source: positive homogeneity of ReLU, e.g. Neyshabur et al. 2015 (Path-SGD), section 2.
Run: python proofs/relu.py  (or: symbn prove proofs/relu.py)
"""

import sys

import sympy as sp

from symbn import batchnorm, beta, claim, gamma, run_claims, sample_symbols, standardize

u, = sample_symbols("u")
c, t = sp.symbols("c t", real=True)


def relu(value):
    return sp.Max(value, 0)


positive_homogeneity = claim(
    "relu-positive-homogeneity", relu(c * t), c * relu(t), assume=[c > 0],
    statement="ReLU(c t) = c ReLU(t) for c > 0", source="Neyshabur et al. 2015, section 2",
    controls=[claim("relu-homogeneity-negative", relu(c * t), c * relu(t), assume=[c < 0],
                    expected="REFUTED", statement="the same for c < 0")],
)

gamma_moves_out = claim(
    "relu-gamma-moves-out", relu(batchnorm(u)), gamma * relu(standardize(u) + beta / gamma),
    assume=[gamma > 0],
    statement="ReLU(BN(u)) = gamma ReLU(xhat + beta/gamma) for gamma > 0",
    source="Neyshabur et al. 2015, section 2 (homogeneity), applied after BN",
    controls=[claim("relu-gamma-moves-out-negative", relu(batchnorm(u)),
                    gamma * relu(standardize(u) + beta / gamma), assume=[gamma < 0],
                    expected="REFUTED", statement="the same for gamma < 0")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
