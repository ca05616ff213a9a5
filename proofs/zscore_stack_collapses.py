"""A stack of affine + fixed z-score layers is one affine map.

three layers z -> (W z + b - mu)/sigma compose to A z + c: without a nonlinearity, eval-
mode BN cannot replace the activation function

Source: Ioffe & Szegedy 2015, section 3.1 (inference); Goodfellow et al. 2016, section 8.7.1.
Run: python proofs/zscore_stack_collapses.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "zscore-stack-collapses"]))
