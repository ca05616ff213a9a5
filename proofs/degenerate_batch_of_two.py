"""With N = 2 and eps = 0 no gradient reaches x.

dL/dx = 0 identically for a batch of 2 at eps = 0 (xhat = +-1 whatever x is)

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/degenerate_batch_of_two.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "degenerate-batch-of-two"]))
