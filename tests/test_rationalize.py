"""The rationalize strategy's faster pieces against the SymPy calls they replace: its exact
zero test (symbn.prove.fraction) against together/expand, with SymPy's fallback where it
cannot decide; atoms/xreplace/replace once per distinct subexpression; the Hessian of a
quadratic form read off its terms; moments frozen to the same symbols in every call."""

import random

import pytest
import sympy as sp

from symbn.bn import derive_batchnorm
from symbn.core import Mean, freeze_moments_signed, instantiate, rewrite, sample_symbols
from symbn.prove.fraction import ZeroDivisor, fraction, fractions
from symbn.prove.strategies import EMPTY, _hessian, rationalize

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


def _explicit_dx(m):
    bn = derive_batchnorm()
    return instantiate(bn.dx - bn.dx_closed_form + sp.sqrt(bn.eps + x**2), m)


@pytest.mark.parametrize("expr", [_explicit_dx(3), derive_batchnorm().dx, sp.Integer(2)])
def test_rewrites_agree_with_sympys(expr):
    radical = lambda e: e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer  # noqa: E731
    expand_base = lambda e: sp.Pow(sp.expand(e.base), e.exp)  # noqa: E731
    assert rewrite.atoms(expr, sp.Pow, Mean) == expr.atoms(sp.Pow, Mean)
    rule = {s: s + 1 for s in expr.free_symbols} | {m: y for m in expr.atoms(Mean)}
    assert rewrite.xreplace(expr, rule) == expr.xreplace(rule)
    assert rewrite.xreplace(expr, {}) is expr
    assert rewrite.replace(expr, radical, expand_base) == expr.replace(radical, expand_base)
    # SymPy's simultaneous replacement: x -> x**2 is not applied to the x**2 it made
    square = lambda e: e == x  # noqa: E731
    assert rewrite.replace(x + y, square, lambda e: e**2) == (x + y).replace(square, lambda e: e**2)


@pytest.mark.parametrize("quadratic", [x**2 - 2 * x * y + 3 * y**2 + z, 5 * x * z, x**2 / 7 + 1])
def test_the_hessian_read_off_the_terms_is_sympys(quadratic):
    xs = [x, y, z]
    assert _hessian(sp.Poly(quadratic, *xs).terms(), 3) == sp.hessian(quadratic, xs)


def test_a_moment_is_frozen_to_the_same_symbol_but_never_to_one_in_use():
    u, v = sample_symbols("u v")
    claim = Mean(u) ** 2 + Mean(u**2) - Mean(v)
    first, atoms = freeze_moments_signed(claim)
    again, _ = freeze_moments_signed(claim)
    assert first == again and set(atoms.values()) == {Mean(u), Mean(v), Mean((u - Mean(u))**2)}
    # a frozen expression given back: its symbols stand for something else now
    given = first + Mean(v)
    refrozen, back = freeze_moments_signed(given)
    (symbol, moment), = back.items()
    assert moment == Mean(v) and symbol not in first.free_symbols
    assert refrozen == first + symbol


def test_the_relu_stack_read_off_at_zero_is_sympys_subs():
    """zscore's stack reads A and c off at z = 0 with one memoised xreplace: the same as
    SymPy's subs on h and its Jacobian (each Max(0, ...) evaluated again)."""
    from symbn.identities.zscore import _stack
    claim = _stack(lambda t: sp.Max(0, t), layers=2)
    zs = sp.Matrix(sorted(claim.lhs.free_symbols & set(sp.symbols("z1 z2", real=True)), key=str))
    at_zero = {zi: 0 for zi in zs}
    assert claim.rhs == claim.lhs.jacobian(zs).subs(at_zero) * zs + claim.lhs.subs(at_zero)
    assert claim.rhs.has(sp.Heaviside)
