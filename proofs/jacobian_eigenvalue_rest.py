"""On the rest, J is 1/s times the identity.

J u = u/s for every u orthogonal to 1 and to xhat: the other N - 2 eigenvalues are all
1/s

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian_eigenvalue_rest.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "jacobian-eigenvalue-rest"]))
