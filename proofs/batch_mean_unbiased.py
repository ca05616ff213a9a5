"""The batch mean is unbiased.

E[mu_B] = mu for iid samples

Source: the sampling distribution of the mean and variance; Ioffe & Szegedy 2015, section 3.1.
Run: python proofs/batch_mean_unbiased.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "batch-mean-unbiased"]))
