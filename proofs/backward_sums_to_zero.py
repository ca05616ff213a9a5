"""The input gradients of a batch sum to zero.

sum_j dL/dx_j = 0 for every N and every eps (BN is invariant to shifting x)

Source: Ioffe & Szegedy 2015, section 3 (backward pass); Kratzert 2016 for the closed form.
Run: python proofs/backward_sums_to_zero.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "backward-sums-to-zero"]))
