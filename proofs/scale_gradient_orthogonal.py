"""At eps = 0 the weight gradient is orthogonal to the weights.

<dL/dw, w> = 0 at eps = 0 (so gradient descent only grows ||w||)

Source: Ioffe & Szegedy 2015, section 3.3; Arora, Li & Lyu 2019 (scale invariance).
Run: python proofs/scale_gradient_orthogonal.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "scale-gradient-orthogonal"]))
