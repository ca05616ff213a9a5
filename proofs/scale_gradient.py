"""At eps = 0 the gradient scales as 1/a.

dL/dx(a x) = dL/dx(x) / a for a > 0 and eps = 0: larger weights, smaller gradients

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/scale_gradient.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "scale-gradient"]))
