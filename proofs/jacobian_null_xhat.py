"""At eps = 0, xhat is in the null space too.

J xhat = 0 at eps = 0; for eps > 0, J xhat = eps/(s (Var + eps)) xhat, so the rank is N
- 2 at eps = 0 and N - 1 for eps > 0

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian_null_xhat.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "jacobian-null-xhat"]))
