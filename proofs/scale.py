"""Scaling the input of batch normalization.

Without eps, BN does not see the scale of its input: BN(a u) = BN(u) for a > 0. With eps
the scale moves into eps: BN_eps(a u) = BN_{eps/a^2}(u). A negative scale flips the sign
of the normalized output instead: the controls.

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/scale.py  (or: symbn prove proofs/scale.py)
"""

import sys

import sympy as sp

from symbn import batchnorm, claim, eps, run_claims, sample_symbols

u, = sample_symbols("u")
a = sp.Symbol("a", real=True)  # the scale: its sign is an assumption of each claim

scale_invariance = claim(
    "scale-invariance", batchnorm(u * a), batchnorm(u), where={eps: 0}, assume=[a > 0],
    statement="BN(a u) = BN(u) for a > 0, at eps = 0",
    source="Ioffe & Szegedy 2015, section 3.3",
    controls=[claim("scale-invariance-with-eps", batchnorm(u * a), batchnorm(u),
                    assume=[a > 0], expected="REFUTED", statement="the same for eps > 0"),
              claim("scale-invariance-negative", batchnorm(u * a), batchnorm(u),
                    where={eps: 0}, assume=[a < 0], expected="REFUTED",
                    statement="the same for a < 0")],
)

eps_moves = claim(
    "scale-moves-into-eps", batchnorm(u * a), batchnorm(u, eps=eps / a**2), assume=[a > 0],
    statement="BN_eps(a u) = BN_{eps/a^2}(u) for a > 0",
    source="Arora, Li & Lyu 2019",
    controls=[claim("scale-moves-into-eps-as-a", batchnorm(u * a), batchnorm(u, eps=eps / a),
                    assume=[a > 0], expected="REFUTED", statement="BN_eps(a u) = BN_{eps/a}(u)")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
