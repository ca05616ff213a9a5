"""N/(N-1) corrects the bias.

E[N/(N-1) sigma_B^2] = sigma^2 (PyTorch's running variance)

Source: the sampling distribution of the mean and variance; Ioffe & Szegedy 2015, section 3.1.
Run: python proofs/batch_variance_corrected.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "batch-variance-corrected"]))
