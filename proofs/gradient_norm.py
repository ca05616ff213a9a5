"""The squared norm of the input gradient.

||dL/dx||^2 = gamma^2/s^2 (||g||^2 - <1,g>^2/N - (2 - q) <xhat,g>^2/N), q = Var/(Var +
eps) (q = 1 at eps = 0)

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/gradient_norm.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "gradient-norm"]))
