"""A bias update leaves the centred output unchanged.

u + (b + db) - E[u + (b + db)] = u + b - E[u + b]: a step on b that ignores E[x]'s
dependence on b changes b but not the output, so b drifts without bound

Source: Ioffe & Szegedy 2015, section 2.
Run: python proofs/bias_update_cancellation.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "bias-update-cancellation"]))
