"""A bias before BN is redundant.

BN(u + b) = BN(u) for every batch constant b and every eps: beta does its job

Source: Ioffe & Szegedy 2015, section 2.
Run: python proofs/bias_shift_invariance.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "bias-shift-invariance"]))
