"""The general batch form's rules, checked against the explicit form (plain sympy.diff)."""

import pytest
import sympy as sp

import symbn
from symbn import (
    Mean, batch_sum, batch_var, beta, derivative, eps, explicit_symbols, g, gamma, instantiate,
    moment_form, x,
)
from symbn.core import N
from symbn.testing import assert_proved, assert_refuted

pytestmark = pytest.mark.integration  # proves explicit forms up to m = 6

BN = symbn.derive_batchnorm()


def test_mean_is_linear_and_constants_factor_out():
    a, b = sp.symbols("a b", real=True)
    assert Mean(a * x + b) == a * Mean(x) + b
    assert Mean(x * Mean(g)) == Mean(x) * Mean(g)
    assert Mean(Mean(x)) == Mean(x)
    assert Mean(x - Mean(x)) == 0


def test_moment_form_reduces_variance_to_moments():
    assert moment_form(batch_var(x)) == Mean(x**2) - Mean(x) ** 2
    assert sp.expand(moment_form(batch_var(x, unbiased=True))
                     - N / (N - 1) * (Mean(x**2) - Mean(x) ** 2)) == 0


def test_derivative_of_a_mean_collapses_the_kronecker_delta():
    assert derivative(Mean(x**3), x) == 3 * x**2 / N
    # d/dx_j of sum_i (x_i - mean)^2 = 2 (x_j - mean), the mean's own term cancels
    assert sp.expand(derivative(batch_sum((x - Mean(x)) ** 2), x) - 2 * (x - Mean(x))) == 0


def test_derivative_refuses_sympy_chain_rule_through_a_mean():
    with pytest.raises(TypeError, match="symbn.derivative"):
        sp.diff(Mean(x**2), x)


def test_derivative_with_respect_to_a_batch_constant_goes_inside_the_mean():
    a = sp.Symbol("a", real=True)
    assert derivative(Mean(a * x**2 + a**2 * g), a) == Mean(x**2) + 2 * a * Mean(g)


@pytest.mark.parametrize("m", [2, 3, 4, 5, 6])
def test_forward_general_equals_explicit(m):
    for j in (0, m - 1):
        assert_proved(instantiate(BN.y, m, j), symbn.batchnorm_explicit(explicit_symbols(x, m))[j])


@pytest.mark.parametrize("m", [2, 3, 4, 5, 6])
def test_gradients_general_equal_plain_diff_of_explicit_loss(m):
    # The upstream gradient g is symbolic (g0..g{m-1}): a constant g makes dx == 0.
    loss = instantiate(BN.loss, m)
    xs = explicit_symbols(x, m)
    assert loss.has(*explicit_symbols(g, m))
    for j in sorted({0, m // 2, m - 1}):
        explicit_dx = sp.diff(loss, xs[j])
        assert_proved(instantiate(BN.dx, m, j), explicit_dx)
    assert_proved(instantiate(BN.dgamma, m), sp.diff(loss, gamma))
    assert_proved(instantiate(BN.dbeta, m), sp.diff(loss, beta))


@pytest.mark.parametrize("m", [2, 3])
def test_the_explicit_backward_at_eps_zero_is_the_plain_diff_at_eps_zero(m):
    """The catalogue's explicit backward at eps = 0 sets eps = 0 in the one at symbolic
    eps (setting a constant and differentiating commute): the same expressions as plain
    sympy.diff of the explicit loss built with eps = 0, and not the ones at eps."""
    from symbn.identities.backward import _explicit_dx
    loss = instantiate(symbn.derive_batchnorm(0).loss, m)
    plain = tuple(sp.diff(loss, xj) for xj in explicit_symbols(x, m))
    assert _explicit_dx(m, 0) == plain and _explicit_dx(m) != plain


@pytest.mark.parametrize("m", [2, 3, 5])
def test_wrong_backward_that_ignores_the_mean_differs_from_explicit(m):
    wrong = derivative(BN.loss, x, hold=[Mean(x)])
    loss = instantiate(BN.loss, m)
    verdict = assert_refuted(instantiate(wrong, m, 0), sp.diff(loss, explicit_symbols(x, m)[0]))
    assert verdict.counterexample is not None


def test_eps_zero_is_an_explicit_option():
    bn0 = symbn.derive_batchnorm(eps=0)
    assert not bn0.y.has(eps)
    assert_proved(instantiate(bn0.dx, 3, 1),
                  sp.diff(instantiate(bn0.loss, 3), explicit_symbols(x, 3)[1]))


def test_eval_mode_is_affine_in_x():
    y = symbn.batchnorm_eval(x)
    assert not y.has(Mean)
    assert sp.diff(y, x, 2) == 0

