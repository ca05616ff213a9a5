"""Property tests (hypothesis): the general form, the kernels and plain arithmetic agree on
arbitrary batches, not only on the hand-picked ones."""

import numpy as np
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symbn import Mean, derive_batchnorm, evaluate_at_batch, moment_form
from symbn.bn.batchnorm import beta, eps, g, gamma, x
from symbn.kernels import batchnorm as kernels

BN = derive_batchnorm()
values = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)


def batch(min_size=2, max_size=7):
    """Batches of (x, g) rows whose x is not (nearly) constant, so dx is well conditioned."""
    return st.lists(st.tuples(values, values), min_size=min_size, max_size=max_size).filter(
        lambda rows: np.var([r[0] for r in rows]) > 1e-3)


# Examples are reproducible (the "reproducible" profile in conftest.py derandomizes);
# HYPOTHESIS_PROFILE=explore searches new ones.
@settings(max_examples=40)
@given(batch(), st.floats(0.5, 3), st.floats(1e-4, 1.0))
def test_general_form_dx_evaluated_on_a_batch_equals_the_kernel(rows, gam, epsilon):
    xs, gs = [r[0] for r in rows], [r[1] for r in rows]
    kernel = kernels.train(np.array(xs)[:, None], np.array(gs)[:, None], np.array([gam]),
                           np.array([0.0]), epsilon)["dx"][:, 0]
    at = {gamma: sp.Float(gam, 30), beta: 0, eps: sp.Float(epsilon, 30)}
    exact = [float(sp.N(evaluate_at_batch(BN.dx, {x: xs, g: gs}, j).xreplace(at), 30))
             for j in range(len(xs))]
    scale = max(np.max(np.abs(exact)), 1e-300)
    assert np.max(np.abs(kernel - exact)) <= 1e-9 * scale + 1e-12


@settings(max_examples=60)
@example([7.5])  # a batch of one: the variance is 0
@example([2.0, 2.0])  # a constant batch
@given(st.lists(values, min_size=1, max_size=6))
def test_moment_form_of_the_variance_is_the_variance(xs):
    xs = [sp.Rational(v).limit_denominator(1000) for v in xs]
    variance = moment_form(Mean((x - Mean(x)) ** 2))
    exact = evaluate_at_batch(variance, {x: xs})
    mean = sum(xs) / len(xs)
    assert exact == sum((v - mean) ** 2 for v in xs) / len(xs)
