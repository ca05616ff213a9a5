"""Property tests (hypothesis): the general form, the kernels and plain arithmetic agree on
arbitrary batches, not only on the hand-picked ones."""

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symbn import Mean, derive_batchnorm, evaluate_at_batch, moment_form
from symbn.bn.batchnorm import beta, eps, g, gamma, x
from symbn.kernels import batchnorm as kernels

BN = derive_batchnorm()
values = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)


def batch(min_size=2, max_size=7):
    return st.lists(st.tuples(values, values), min_size=min_size, max_size=max_size).filter(
        lambda rows: np.var([r[0] for r in rows]) > 1e-3)


@settings(max_examples=40, deadline=None, derandomize=True)
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


@settings(max_examples=60, deadline=None, derandomize=True)
@given(batch(1, 6))
def test_moment_form_of_the_variance_is_the_variance(rows):
    xs = [sp.Rational(r[0]).limit_denominator(1000) for r in rows]
    variance = moment_form(Mean((x - Mean(x)) ** 2))
    exact = evaluate_at_batch(variance, {x: xs})
    mean = sum(xs) / len(xs)
    assert exact == sum((v - mean) ** 2 for v in xs) / len(xs)
