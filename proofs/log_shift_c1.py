"""The log-shift transform is C^1 at the junction.

f'(0+) = f'(0-): the odd mirror keeps the first derivative continuous

Source: odd extensions of log(1 + x) and sqrt(x + 1/4) - 1/2 as BN replacements.
Run: python proofs/log_shift_c1.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "log-shift-c1"]))
