"""A negative scale flips gamma.

BN_{gamma,eps}(a x) = BN_{-gamma,eps/a^2}(x) for a < 0

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/scale_negative.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "scale-negative"]))
