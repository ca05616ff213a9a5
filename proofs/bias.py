"""A bias before batch normalization does nothing (Ioffe & Szegedy 2015, section 2).

BN subtracts the batch mean, so a batch constant b added before it cancels: the output
does not change, and the gradient a loss sends to b is exactly 0. A per-sample shift is
not cancelled, and without BN the gradient to b is not 0: those are the controls.

Run: python proofs/bias.py  (or: symbn prove proofs/bias.py) -- exit status 0 only if every
verdict is the expected one.
"""

import sys

import sympy as sp

from symbn import batchnorm, batchnorm_explicit, claim, explicit_symbols, g, run_claims, sample_symbols

u, v = sample_symbols("u v")  # per-sample variables: the layer's output, another one
b = sp.Symbol("b", real=True)  # a batch constant: the same for every sample

bias_is_redundant = claim(
    "bias-is-redundant", batchnorm(u + b), batchnorm(u),
    statement="BN(u + b) = BN(u) for every batch constant b",
    source="Ioffe & Szegedy 2015, section 2",
    explicit_sizes=(2, 3),  # also on explicit batches u0, u1(, u2), without Mean's rules
    controls=[claim("per-sample-shift-is-redundant", batchnorm(u + v), batchnorm(u),
                    statement="a per-sample shift v cancels too", expected="REFUTED")],
)

# The gradient, on an explicit batch of 3 and by plain sympy.diff: an independent route
# that does not use Mean's rules (SymPy cancels b from the plain sums as it builds them, so
# both verdicts say "0 as built")
us, gs = explicit_symbols(u, 3), explicit_symbols(g, 3)  # u0, u1, u2 and g0, g1, g2
loss = sum(gi * yi for gi, yi in zip(gs, batchnorm_explicit([ui + b for ui in us])))
bias_gradient_is_zero = claim(
    "bias-gradient-is-zero", sp.diff(loss, b), 0,
    statement="dL/db = 0 for L = sum_i g_i BN(u_i + b), at batch size 3: the bias never learns",
    source="Ioffe & Szegedy 2015, section 2",
    steps=[("L", loss)],
    controls=[claim("bias-gradient-without-bn-is-zero", sp.diff(sum(gs) * b, b), 0,
                    statement="without BN, dL/db = g0 + g1 + g2 is 0 too", expected="REFUTED")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
