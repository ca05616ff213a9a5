"""The batch variance is biased by (N-1)/N.

E[sigma_B^2] = (N-1)/N sigma^2: why running variances are stored unbiased

Source: the sampling distribution of the mean and variance; Ioffe & Szegedy 2015, section 3.1.
Run: python proofs/batch_variance_biased.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "batch-variance-biased"]))
