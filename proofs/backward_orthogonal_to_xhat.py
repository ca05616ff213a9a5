"""At eps = 0 the input gradient is orthogonal to xhat.

<dL/dx, xhat> = 0 when eps = 0 (BN is then invariant to scaling x)

Source: Ioffe & Szegedy 2015, section 3 (backward pass); Kratzert 2016 for the closed form.
Run: python proofs/backward_orthogonal_to_xhat.py  (exit status 0 only if every verdict is the expected one)
"""

import sys

from symbn.cli import main

if __name__ == "__main__":
    sys.exit(main(["prove", "backward-orthogonal-to-xhat"]))
