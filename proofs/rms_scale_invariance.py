"""Scaling RMSNorm's input rescales eps.

RMS_eps(a x) = RMS_{eps/a^2}(x) for a > 0: the exact eps law behind the invariance
matrix's scale cells for RMSNorm

Source: Zhang & Sennrich 2019 (RMSNorm).
Run: python proofs/rms_scale_invariance.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "rms-scale-invariance"]))
