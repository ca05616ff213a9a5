"""gamma is redundant before a ReLU followed by a linear layer.

W relu(gamma*z + beta) = (W diag(gamma)) relu(z + beta/gamma) for gamma > 0: the next
layer's weights absorb gamma

Source: positive homogeneity of ReLU; e.g. Neyshabur et al. 2015 (Path-SGD), section 2.
Run: python proofs/relu_gamma_redundant.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "relu-gamma-redundant"]))
