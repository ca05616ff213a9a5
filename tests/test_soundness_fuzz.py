"""A fixed-seed fuzzer: random nested batch expressions, three ways of evaluating them, and
the prover's verdicts checked against exact evaluation.

* general form evaluated on a batch (symbn's instantiation), the moment form evaluated on
  the same batch, and the explicit form (plain sums over x0..x{m-1}) evaluated there must
  agree exactly, on random batches and on boundary ones (constant batch, a batch of one,
  zeros, wide values);
* a true claim (an expression against its moment form) is never REFUTED;
* a mutated claim is never PROVED unless it really holds: every PROVED is re-evaluated at
  exact points inside its stated domain.
"""

import random

import pytest
import sympy as sp

from symbn import Status, prove
from symbn.bn.batchnorm import eps, gamma, x
from symbn.core import Mean, batch_var, evaluate_at_batch, explicit_symbol, instantiate, moment_form
from symbn.core import depends_on_sample, sample_symbols

g, = sample_symbols("g")
SEED = 20261122
EXPRESSIONS = 24
BATCHES = ("random", "constant", "one", "zeros", "wide")


def _leaf(rng):
    return rng.choice([x, g, x, g, gamma, eps, sp.Rational(rng.randint(-5, 5), rng.randint(1, 3))])


def random_expression(rng, depth=3):
    """A random general-form expression that varies from sample to sample: sums, products,
    means, centring, standardization, ReLU, Abs."""
    while True:
        expr = _random_expression(rng, depth)
        if depends_on_sample(expr):
            return expr


def _random_expression(rng, depth):
    if depth == 0:
        return _leaf(rng)
    a, b = _random_expression(rng, depth - 1), _random_expression(rng, depth - 1)
    if not depends_on_sample(a):
        a = a + rng.choice([x, g])
    kind = rng.choice(["add", "mul", "mean", "centre", "std", "relu", "abs", "square"])
    return {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "mean": lambda: Mean(a * b),
        "centre": lambda: a - Mean(a),
        "std": lambda: (a - Mean(a)) / sp.sqrt(batch_var(a) + eps),
        "relu": lambda: sp.Max(a, 0),
        "abs": lambda: sp.Abs(a),
        "square": lambda: a**2,
    }[kind]()


def random_batch(rng, kind, variables):
    m = 1 if kind == "one" else rng.randint(2, 4)
    value = {
        "random": lambda: sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)),
        "constant": lambda: sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)),
        "one": lambda: sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)),
        "zeros": lambda: rng.choice([sp.S.Zero, sp.Rational(rng.randint(-3, 3))]),
        "wide": lambda: rng.choice([sp.Rational(rng.randint(-10**6, 10**6), 7),
                                    sp.Rational(1, rng.randint(1, 10**6))]),
    }[kind]
    if kind == "constant":
        samples = {v: [value()] * m for v in variables}
    else:
        samples = {v: [value() for _ in range(m)] for v in variables}
    constants = {gamma: value() if kind != "zeros" else sp.S.Zero,
                 eps: abs(value()) + sp.Rational(1, 10**6)}
    return samples, constants, m


def _explicit_value(expr, samples, constants, m, sample):
    explicit = instantiate(expr, m, sample)
    values = {explicit_symbol(v, i): samples[v][i] for v in samples for i in range(m)}
    return explicit.xreplace(values).xreplace(constants)


def _number(expr):
    value = sp.N(expr, 40)
    return None if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or not value.is_number else value


def _same(a, b):
    a, b = _number(a), _number(b)
    if a is None or b is None:
        return a is None and b is None or None  # undefined on one side only: skipped
    return bool(abs(a - b) <= 1e-25 * (1 + abs(a) + abs(b)))


def respell(expr):
    """The same expression spelled differently: ReLU as (z + |z|)/2, |z| as sign(z)*z,
    means in moment form, products expanded."""
    expr = expr.replace(lambda e: isinstance(e, sp.Max) and 0 in e.args,
                        lambda e: (sp.Add(*[a for a in e.args if a != 0])
                                   + sp.Abs(sp.Add(*[a for a in e.args if a != 0]))) / 2)
    expr = expr.replace(lambda e: isinstance(e, sp.Abs), lambda e: sp.sign(e.args[0]) * e.args[0])
    return sp.expand(moment_form(expr))


def _cases():
    rng = random.Random(SEED)
    return [random_expression(rng) for _ in range(EXPRESSIONS)]


@pytest.mark.parametrize("index", range(EXPRESSIONS))
def test_general_moment_and_explicit_forms_agree_on_every_batch(index):
    expr = _cases()[index]
    rng = random.Random(SEED + index)
    compared = 0
    for kind in BATCHES:
        samples, constants, m = random_batch(rng, kind, [x, g])
        sample = rng.randrange(m)
        general = evaluate_at_batch(expr, samples, sample).xreplace(constants)
        moments = evaluate_at_batch(moment_form(expr), samples, sample).xreplace(constants)
        explicit = _explicit_value(expr, samples, constants, m, sample)
        for other in (moments, explicit):
            same = _same(general, other)
            assert same is not False, (kind, expr, general, other)
            compared += same is True
    assert compared >= 2  # most batches are defined: the comparison is not vacuous


def _domain_holds(verdict, samples, constants, sample):
    names = {"Mean": Mean, "x": x, "g": g, "gamma": gamma, "epsilon": eps}
    for condition in verdict.domain:
        value = evaluate_at_batch(sp.sympify(condition, locals=names), samples, sample)
        if value.xreplace(constants) is not sp.true:
            return False
    return True


@pytest.mark.parametrize("index", range(0, EXPRESSIONS, 2))
def test_verdicts_agree_with_exact_evaluation(index):
    expr = _cases()[index]
    rng = random.Random(SEED - index)
    # a true claim is never refuted
    assert prove(expr, respell(expr), budget=4).status is not Status.REFUTED
    # a mutation is PROVED only where it really holds
    mutated = expr + rng.choice([Mean(x) * gamma / 3, sp.Max(x, 0) / 5, sp.Rational(1, 7)])
    verdict = prove(expr, mutated, budget=4)
    if verdict.status is Status.PROVED:
        for kind in BATCHES:
            samples, constants, m = random_batch(rng, kind, [x, g])
            sample = rng.randrange(m)
            if _domain_holds(verdict, samples, constants, sample):
                assert _same(evaluate_at_batch(expr, samples, sample).xreplace(constants),
                             evaluate_at_batch(mutated, samples, sample).xreplace(constants)) \
                    is not False, (expr, mutated, verdict)
    if verdict.status is Status.REFUTED:
        cx = verdict.counterexample
        assert cx.lhs != cx.rhs
