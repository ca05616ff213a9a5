"""For eps > 0, <dL/dx, xhat> is exactly proportional to eps.

<dL/dx, xhat> = N*gamma*Mean(g*xhat)/s * eps/(Var(x) + eps), s = sqrt(Var(x) + eps)

Source: Ioffe & Szegedy 2015, section 3 (backward pass); Kratzert 2016 for the closed form.
Run: python proofs/backward_orthogonality_residual.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "backward-orthogonality-residual"]))
