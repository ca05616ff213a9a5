"""Whitening gives identity covariance.

Cov^(-1/2) Cov Cov^(-1/2) = I for every SPD 2x2 Cov (symbolic entries, spectral
parametrization)

Source: Huang et al. 2018 (Decorrelated Batch Normalization); Ioffe & Szegedy 2015, 3.
Run: python proofs/whitening_identity_covariance.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "whitening-identity-covariance"]))
