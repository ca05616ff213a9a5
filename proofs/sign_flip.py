"""Negating the input negates gamma.

BN_{gamma,beta}(-x) = BN_{-gamma,beta}(x) for every eps

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/sign_flip.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "sign-flip"]))
