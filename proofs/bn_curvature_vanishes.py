"""Training-mode BN's curvature in its own input is O(1/N).

d^2 y_j / d x_j^2 -> 0 as N -> oo with the batch moments fixed; N * d^2 y_j / d x_j^2
tends to a nonzero limit, so the order is exactly 1/N

Source: Ioffe & Szegedy 2015, section 3.1 (inference); Goodfellow et al. 2016, section 8.7.1.
Run: python proofs/bn_curvature_vanishes.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "bn-curvature-vanishes"]))
