"""Small batches make whitening impossible.

det(batch covariance) = 0 when m <= d: rank <= m - 1 (d = 2, m = 2 and d = 3, m = 3);
per-feature variances stay defined for every m >= 2

Source: Huang et al. 2018 (Decorrelated Batch Normalization); Ioffe & Szegedy 2015, 3.
Run: python proofs/whitening_singular_small_batch.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "whitening-singular-small-batch"]))
