"""ReLU is positively homogeneous.

max(0, gamma*z) = gamma*max(0, z) for gamma > 0 (proved by a sign case split)

Source: positive homogeneity of ReLU; e.g. Neyshabur et al. 2015 (Path-SGD), section 2.
Run: python proofs/relu_positive_homogeneity.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "relu-positive-homogeneity"]))
