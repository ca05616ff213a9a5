"""The Jacobian of xhat for every N.

d xhat/dx = (1/s)(I - 1 1^T/N - xhat xhat^T/N), s = sqrt(Var(x) + eps), applied to any
direction v

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian_xhat.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "jacobian-xhat"]))
