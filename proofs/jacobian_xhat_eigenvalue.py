"""The eigenvalue along xhat for eps > 0.

J xhat = eps / (s (Var(x) + eps)) * xhat

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian_xhat_eigenvalue.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "jacobian-xhat-eigenvalue"]))
