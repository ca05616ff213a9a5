"""Eval-mode BN has zero curvature.

d^2 y / d x^2 = 0 with running statistics

Source: Ioffe & Szegedy 2015, section 3.1 (inference); Goodfellow et al. 2016, section 8.7.1.
Run: python proofs/bn_eval_curvature_zero.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "bn-eval-curvature-zero"]))
