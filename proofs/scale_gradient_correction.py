"""For eps > 0 the 1/a law holds with eps/a^2.

dL/dx_eps(a x) = dL/dx_{eps/a^2}(x) / a for a > 0 and every eps

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/scale_gradient_correction.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "scale-gradient-correction"]))
