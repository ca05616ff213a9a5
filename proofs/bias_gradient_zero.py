"""The gradient through E[x] with respect to a pre-BN bias is exactly 0.

d/db sum_i g_i BN(u_i + b) = 0 for every eps

Source: Ioffe & Szegedy 2015, section 2.
Run: python proofs/bias_gradient_zero.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "bias-gradient-zero"]))
