"""The sqrt-shift transform is increasing.

f'(x) > 0 on both sides of 0 for every p, q (f'(x) = |f'(x)|)

Source: odd extensions of log(1 + x) and sqrt(x + 1/4) - 1/2 as BN replacements.
Run: python proofs/sqrt_shift_monotone.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "sqrt-shift-monotone"]))
