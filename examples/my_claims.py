"""My own claims about batch normalization.

Run: symbn prove examples/my_claims.py   (or: python examples/my_claims.py)
"""

import sys

from symbn import Mean, batchnorm, beta, claim, eps, run_claims, sample_symbols, standardize

u, = sample_symbols("u")  # one generic sample of a batch: Mean(u) is the batch mean

negation_flips = claim(
    "bn-of-negated-input", batchnorm(-u), 2 * beta - batchnorm(u),
    statement="BN(-u) = 2 beta - BN(u): negating the input mirrors the output about beta",
    source="my notes",
    controls=[claim("bn-ignores-negation", batchnorm(-u), batchnorm(u), expected="REFUTED")],
)

unit_second_moment = claim(
    "xhat-has-unit-second-moment", Mean(standardize(u) ** 2), 1, where={eps: 0},
    statement="Mean(xhat^2) = 1 at eps = 0",
    source="my notes",
    controls=[claim("xhat-unit-second-moment-with-eps", Mean(standardize(u) ** 2), 1,
                    expected="REFUTED", statement="the same for eps > 0")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
