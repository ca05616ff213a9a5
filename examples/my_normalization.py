"""My own normalization: the quadratic mean over the batch, no centring (PowerNorm-like).

Run: symbn prove examples/my_normalization.py   (or: python examples/my_normalization.py)
     symbn report examples/my_normalization.py  (and its derivation, kernel, numeric checks)
"""

import sys

from symbn import beta, gamma, run_claims, x
from symbn.bn.family import rms_normalize
from symbn.normalization import Normalization

batch_rms = Normalization(
    "batch-rms", gamma * rms_normalize(x) + beta, params=(gamma, beta), over="batch",
    # the row I expect: a scaling is undone by the RMS; a shift is not, without centring
    invariant_to=("weight matrix re-scaling", "weight vector re-scaling", "dataset re-scaling"))

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
