"""The exact zero test of the rationalize strategy (symbn.prove.fraction) against SymPy's
together/expand, which it replaces, and the strategy's fallback where it cannot decide."""

import random

import pytest
import sympy as sp

from symbn.prove.fraction import ZeroDivisor, fraction, fractions
from symbn.prove.strategies import EMPTY, rationalize

x, y, z = sp.symbols("x y z", real=True)
a = sp.Symbol("a", positive=True)


def _random_rational(rng, depth):
    if depth == 0:
        return rng.choice([x, y, z, sp.Rational(rng.randint(-3, 3), rng.randint(1, 3))])
    left, right = _random_rational(rng, depth - 1), _random_rational(rng, depth - 1)
    return rng.choice([left + right, left * right, left ** rng.randint(0, 3),
                       left / right if right != 0 else left])


def _random_claims(count, seed=0):
    """Random rational expressions and the same expression minus its expanded copy
    (which is 0): both outcomes of the zero test."""
    rng = random.Random(seed)
    claims = []
    while len(claims) < count:
        e = _random_rational(rng, 4)
        if not e.has(sp.zoo, sp.nan):
            claims += [e, e - sp.expand(e)]
    return claims


@pytest.mark.parametrize("expr", _random_claims(120))
def test_the_zero_test_agrees_with_together_and_expand(expr):
    try:
        exact = fraction(expr, record=True)
    except ZeroDivisor:  # 1/(a base that is the zero polynomial): the strategy uses SymPy
        return
    assert exact.is_zero == (sp.expand(sp.fraction(sp.together(expr))[0]) == 0)
    assert not exact.opaque
    # numerator / denominator is the expression, expanded and as recorded (unexpanded)
    for numerator in (exact.numerator.as_expr(), exact.recorded):
        assert sp.cancel(numerator / exact.denominator_expr() - expr) == 0


def test_a_factor_the_terms_share_is_counted_once():
    exact = fraction(1 / (x + 1) ** 2 + 1 / (2 * x + 2) + y / (x + 1))
    assert exact.denominator_expr() == (x + 1) ** 2


def test_a_division_by_a_polynomial_that_is_zero_is_refused():
    zero = sp.Add((x + 1) ** 2, -x**2 - 2 * x - 1, evaluate=False)
    other = sp.Add(x**2 - 1, -(x - 1) * (x + 1), evaluate=False)
    with pytest.raises(ZeroDivisor):
        fraction(1 / zero)
    # the strategy leaves it to SymPy: 0 over a zero denominator, on an empty domain
    reduction = rationalize(x / zero - x / other)
    assert reduction.residual == 0 and reduction.domain == (EMPTY,)


def test_an_opaque_atom_decides_a_zero_but_not_a_nonzero():
    exact = fraction(sp.exp(x) * y / (1 + sp.exp(x)) + y / (1 + sp.exp(x)) - y)
    assert exact.opaque and exact.is_zero
    # sqrt(x)**3 / sqrt(x) - x is 0, but not for independent atoms: nothing is decided,
    # and the strategy asks SymPy, whose automatic simplification knows the relation
    related = sp.Mul(sp.sqrt(a) ** 3, 1 / sp.sqrt(a), evaluate=False) - a
    assert fraction(related).opaque and not fraction(related).is_zero
    assert rationalize(sp.sqrt(a**2 * (x**2 + 1)) - a * sp.sqrt(x**2 + 1)).residual == 0


def test_fractions_share_one_ring():
    s, b = fractions([x / y, y])
    assert (s.numerator * b.numerator).as_expr() == x * y


@pytest.mark.parametrize("lhs, rhs, proved", [
    # one radicand linear in no symbol: reduced modulo S**2 = B, with B rational
    (x**2 / (y**2 * sp.sqrt(x**2 / y**2 + 1)) + 1 / sp.sqrt(x**2 / y**2 + 1),
     sp.sqrt(x**2 / y**2 + 1), True),
    (x**2 / sp.sqrt(x**2 + y**2) + y**2 / sp.sqrt(x**2 + y**2), sp.sqrt(x**2 + y**2), True),
    (x**2 / sp.sqrt(x**2 + y**2) + y**2 / sp.sqrt(x**2 + y**2), 2 * sp.sqrt(x**2 + y**2), False),
])
def test_the_reduction_modulo_a_square_root(lhs, rhs, proved):
    reduction = rationalize(lhs - rhs)
    assert (reduction.residual == 0) is proved
    if proved:  # the certificate's numerator is a + b*S, which is 0
        numerator = reduction.certificate.numerator
        (s, base), = reduction.certificate.radicals
        assert sp.expand(numerator.xreplace({s: sp.sqrt(base)})) == 0
