"""With fixed statistics, z-scoring is affine in its input.

(z - mu)/sigma = f(0) + z f'(0): eval-mode BN is an affine map

Source: Ioffe & Szegedy 2015, section 3.1 (inference); Goodfellow et al. 2016, section 8.7.1.
Run: python proofs/zscore_affine_in_input.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "zscore-affine-in-input"]))
