"""The batch mean fluctuates as sigma^2/N.

Var(mu_B) = E[(mu_B - mu)^2] = sigma^2/N

Source: the sampling distribution of the mean and variance; Ioffe & Szegedy 2015, section 3.1.
Run: python proofs/batch_mean_variance.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "batch-mean-variance"]))
