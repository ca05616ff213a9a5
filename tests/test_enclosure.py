"""The ball-arithmetic fast path of the counterexample search (symbn.prove.enclosure) stands
in for the exact evaluation without changing what the search finds: an enclosure is given
only where the exact value is defined, and contains it; the search finds the same
counterexamples and the same gaps with it as without it."""

import importlib
import random

import mpmath
import pytest
import sympy as sp
from flint import arb

from symbn.bn.batchnorm import beta, eps, gamma, standardize, x
from symbn.core import Mean, N, SampleSymbol, batch_var, sample_symbols
from symbn.prove.enclosure import enclosures, relative_gap

sampling = importlib.import_module("symbn.prove.sampling")  # symbn.prove is also a function

g, = sample_symbols("g")
a = sp.Symbol("a", real=True)
p = sp.Symbol("p", positive=True)
f = sp.Function("f")
SEED = 20261122


def _random_expression(rng: random.Random, depth: int) -> sp.Expr:
    """Sums, products, quotients, means, standardization (with and without eps), radicals,
    integer powers (negative too), exp, log, tanh, Max, Min, Abs of per-sample variables
    and constants: everything the balls evaluate, and the points where it is undefined."""
    if depth == 0:
        return rng.choice([x, g, a, p, eps, gamma, sp.Rational(rng.randint(-5, 5), rng.randint(1, 3))])
    u, v = _random_expression(rng, depth - 1), _random_expression(rng, depth - 1)
    return rng.choice([
        lambda: u + v, lambda: u * v, lambda: u / v, lambda: Mean(u * v),
        lambda: (u - Mean(u)) / sp.sqrt(batch_var(u) + eps), lambda: (u - Mean(u)) / sp.sqrt(batch_var(u)),
        lambda: sp.sqrt(u), lambda: u ** rng.choice([-2, -1, 2, 3]), lambda: sp.exp(u / 7),
        lambda: sp.log(u), lambda: sp.tanh(u), lambda: sp.Max(u, v), lambda: sp.Min(u, 0),
        lambda: sp.Abs(u),
    ])()


def _random_claim_side(rng: random.Random) -> sp.Expr:
    while True:
        try:
            expr = _random_expression(rng, 3)
        except (TypeError, ValueError):  # Max of a nan as built (a constant 0/0)
            continue
        if expr.free_symbols and not expr.has(sp.nan, sp.zoo):
            return expr


def _inside(ball: arb, value: sp.Expr) -> bool:
    """|value - midpoint| <= radius, up to the 60 digits ``value`` was evaluated to (in
    mpmath: a decimal string of a ball around exp(10**9) would take arb forever)."""
    with mpmath.workdps(80):
        mid, rad, v = (mpmath.mpf(z._mpf_) for z in (ball.mid(), ball.rad(), sp.Float(value, 60)))
        return bool(abs(v - mid) <= rad + mpmath.mpf(10) ** -55 * (1 + abs(v)))


def test_an_enclosure_is_given_only_where_the_exact_value_is_defined_and_contains_it():
    rng = random.Random(SEED)
    enclosed = undefined = 0
    for _ in range(60):
        expr = _random_claim_side(rng)
        for mode in ("small",) + sampling.BOUNDARIES:
            m = 1 if mode == "batch of one" else rng.choice(sampling.BATCH_SIZES)
            samples, constants = sampling.random_point(expr.free_symbols | {x, g}, rng, m, mode)
            sample = rng.randrange(m)
            exact = sampling._defined_value(expr, samples, constants, sample, {},
                                            sampling.SEARCH_DIGITS)
            balls = enclosures([expr], samples, constants, sample)
            undefined += exact is None
            if balls is not None:
                enclosed += 1
                assert exact is not None, (expr, mode, samples, constants)
                value = sp.N(exact[0], 60)
                assert value.is_extended_real and _inside(balls[0], value), (expr, value, balls)
    assert enclosed > 150 and undefined > 20, (enclosed, undefined)  # both sides were exercised


_CONSTANT = {x: [sp.Rational(3, 2)] * 3}
_SPREAD = {x: [sp.Rational(1, 2), 2, sp.Rational(-7, 3)]}


@pytest.mark.parametrize("expr, samples, constants", [
    (1 / sp.sqrt(batch_var(x)), _CONSTANT, {}),                  # Var = 0: exact zoo
    ((x - Mean(x)) ** -2, _CONSTANT, {}),
    (sp.tanh(1 / a), {}, {a: 0}),                                # tanh(1/0) is a finite ball
    (sp.Max(0, 1 / a), {}, {a: 0}),
    (a ** -2, {}, {a: 0}),
    (sp.log(a), {}, {a: 0}),
    (sp.sqrt(a), {}, {a: -1}),                                   # complex: the exact path's
    (sp.sqrt(a), {}, {a: 0}),                                    # 0, but not certainly > 0
    (a + 1, {}, {a: 2 * sp.I}),                                  # an imaginary value
    (f(a), {}, {a: 1}),                                          # an undefined function
    (sp.Piecewise((a, a > 0), (-a, True)), {}, {a: 1}),          # not evaluated in balls
    (Mean(x), {}, {}),                                           # a mean with no batch
])
def test_a_possibly_undefined_or_unsupported_point_has_no_enclosure(expr, samples, constants):
    assert enclosures([expr], samples, constants, 0) is None


def test_a_vanishing_value_that_is_not_divided_by_is_enclosed():
    square, = enclosures([(x - Mean(x)) ** 2], _CONSTANT, {}, 1)
    assert square.contains(0) and square.rad() < 1e-50
    cube, = enclosures([(x - Mean(x)) ** 3 * N], _SPREAD, {}, 2)  # a negative base, odd power
    mean = sum(_SPREAD[x]) / 3
    assert _inside(cube, sp.N((_SPREAD[x][2] - mean) ** 3 * 3, 60))


def test_the_working_precision_is_restored():
    from flint import ctx
    before = ctx.prec
    assert enclosures([x / 3], _SPREAD, {}, 0) is not None
    assert enclosures([1 / (x - a)], _SPREAD, {a: sp.Rational(1, 2)}, 0) is None  # raised inside
    assert ctx.prec == before


def test_the_two_sides_share_the_work_and_agree_to_the_bits_carried():
    bn = standardize(x) * gamma + beta
    gap = relative_gap(bn, gamma * (x - Mean(x)) * (batch_var(x) + eps) ** sp.Rational(-1, 2) + beta,
                       _SPREAD, {gamma: 2, beta: sp.Rational(1, 3), eps: sp.Rational(1, 10)}, 0)
    assert gap is not None and gap < 1e-50


CLAIMS = [
    (standardize(x) * sp.sqrt(batch_var(x) + eps), x - Mean(x)),            # true
    (Mean(standardize(x) ** 2), batch_var(x) / (batch_var(x) + eps)),       # true
    (standardize(x) * gamma + beta, gamma * x + beta),                      # false
    (Mean(standardize(x) ** 2), 1),                                         # false by eps
    ((Mean(x ** 2) - Mean(x) ** 2) / batch_var(x), 1),                      # gap: Var = 0
    ((a ** 2 - a) / a, a - 1),                                              # gap: a = 0
    ((p ** 2 - p) / p, p - 1 + p / 10 ** 20),                               # false, barely
    (sp.log(p * sp.exp(a)), sp.log(p) + a),                                  # true
    (sp.Max(a, 0) + sp.Min(a, 0), a),                                       # true
    (sp.tanh(1 / a) * a, sp.tanh(1 / a) * sp.Abs(a)),                       # false for a < 0
]


@pytest.mark.parametrize("lhs, rhs", CLAIMS)
def test_the_search_finds_the_same_counterexamples_and_gaps_with_the_balls_as_without(
        lhs, rhs, monkeypatch):
    def search():
        notes: list[str] = []
        return sampling.find_counterexample(lhs, rhs, tries=24, notes=notes), notes

    decided = []
    real = sampling.relative_gap

    def counted(*args):
        gap = real(*args)
        decided.append(gap is not None)
        return gap
    monkeypatch.setattr(sampling, "relative_gap", counted)
    fast = search()
    monkeypatch.setattr(sampling, "relative_gap", lambda *args: None)  # every point exactly
    assert fast == search()
    assert any(decided)  # the balls decided some points


def test_a_gap_is_still_reported_with_the_balls():
    notes: list[str] = []
    assert sampling.find_counterexample((a ** 2 - a) / a, a - 1, tries=24, notes=notes) is None
    assert any(n.startswith(sampling.GAP) and "a = 0" in n for n in notes), notes


def test_a_sample_symbol_without_values_is_not_enclosed():
    lonely = SampleSymbol("lonely", real=True)
    assert enclosures([lonely + x], _SPREAD, {}, 0) is None
