"""Eval-mode BN folds into the preceding Linear layer.

gamma (W z + b - mu)/sqrt(var + eps) + beta = W' z + b' with W' = diag(gamma/sqrt(var +
eps)) W, b' = gamma (b - mu)/sqrt(var + eps) + beta

Source: Ioffe & Szegedy 2015, section 3.1; torch.nn.utils.fusion.fuse_linear_bn_eval.
Run: python proofs/fold_linear_bn.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "fold-linear-bn"]))
