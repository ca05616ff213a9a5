"""f(gamma z) = gamma f(z) for gamma > 0 (as ReLU is).

f(gamma z) = gamma f(z) for gamma > 0 (as ReLU is)

Source: control.
Run: python proofs/sqrt_shift_positively_homogeneous.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "sqrt-shift-positively-homogeneous"]))
