"""The derived backward pass equals the textbook closed form.

dL/dx = gamma/s * (g - Mean(g) - xhat*Mean(g*xhat)), s = sqrt(Var(x) + eps), for every
batch size N and every eps

Source: Ioffe & Szegedy 2015, section 3 (backward pass); Kratzert 2016 for the closed form.
Run: python proofs/backward_closed_form.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "backward-closed-form"]))
