"""Folding without affine parameters.

with affine=False (gamma = 1, beta = 0): W' = diag(1/sqrt(var + eps)) W, b' = (b -
mu)/sqrt(var + eps)

Source: Ioffe & Szegedy 2015, section 3.1; torch.nn.utils.fusion.fuse_linear_bn_eval.
Run: python proofs/fold_linear_bn_no_affine.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "fold-linear-bn-no-affine"]))
