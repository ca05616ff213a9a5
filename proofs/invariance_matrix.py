"""The invariance matrix of the normalization family (Ba, Kiros & Hinton 2016, table 1).

For BatchNorm, LayerNorm, InstanceNorm, GroupNorm, RMSNorm and weight normalization: is
the output invariant to re-scaling or re-centering the weight matrix, re-scaling one weight
vector, re-scaling or re-centering the dataset, re-scaling one training case?  Each cell is
proved (scale invariance at eps = 0) or refuted with a counterexample.

Run: python proofs/invariance_matrix.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "invariance", "--brief"]))
