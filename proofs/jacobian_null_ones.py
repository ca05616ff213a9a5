"""The ones vector is in the null space.

J 1 = 0 for every eps: shifting every sample changes no output

Source: the Jacobian of batch standardization; e.g. Santurkar et al. 2018, appendix C.
Run: python proofs/jacobian_null_ones.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "jacobian-null-ones"]))
