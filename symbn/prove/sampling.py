"""Counterexample search at random exact rational points.

Sampling can refute, never prove.  A general-form claim is evaluated on a concrete batch
of m samples (m = 2..5), so a counterexample is a batch a user can check by hand.  Each
candidate is re-evaluated from its recorded values at higher precision before it is
reported.
"""

from __future__ import annotations

import random

import sympy as sp

from symbn.core import N, SampleSymbol, evaluate_at_batch
from symbn.prove.verdict import Counterexample

BATCH_SIZES = (3, 4, 2, 5)
_SEARCH_DIGITS = 30
_CONFIRM_DIGITS = 60


def random_value(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A small random rational that respects the symbol's assumptions (sign, integrality)."""
    if symbol.is_integer:
        value = sp.Integer(rng.randint(1, 6))
    else:
        value = sp.Rational(rng.randint(1, 19), rng.randint(1, 6))
    if symbol.is_positive or symbol.is_nonnegative:
        return value
    if symbol.is_negative or symbol.is_nonpositive:
        return -value
    return value if rng.random() < 0.5 else -value


def _distinct_values(symbol, m, rng):
    values: list = []
    while len(values) < m:
        v = random_value(symbol, rng)
        if v not in values:
            values.append(v)
    return values


def random_point(free: set, rng: random.Random, batch_size: int):
    """(samples, constants) for the symbols ``free``, on a batch of ``batch_size`` samples."""
    sample_vars = sorted((s for s in free if isinstance(s, SampleSymbol)), key=str)
    samples = {v: _distinct_values(v, batch_size, rng) for v in sample_vars}
    constants = {
        s: random_value(s, rng)
        for s in sorted(free, key=str)
        if not isinstance(s, SampleSymbol) and s != N
    }
    if N in free and not samples:
        constants[N] = sp.Integer(batch_size)
    return samples, constants


def _value(expr, samples, constants, sample):
    if samples:
        expr = evaluate_at_batch(expr, samples, sample)
    return sp.sympify(expr).xreplace(constants)


def _differs(lhs, rhs, digits):
    """True/False when the two numbers surely differ / agree to ``digits``; None if undefined."""
    try:
        a, b = sp.N(lhs, digits), sp.N(rhs, digits)
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    if not (a.is_number and b.is_number) or a.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    if not (a.is_extended_real and b.is_extended_real):
        return None
    scale = 1 + abs(a) + abs(b)
    return bool(abs(a - b) > scale * sp.Float(10) ** (-(digits // 2)))


def confirm(cx: Counterexample, lhs, rhs) -> bool:
    """Re-evaluate both sides from the counterexample's recorded values, at higher precision."""
    left = _value(lhs, cx.samples, cx.constants, cx.sample)
    right = _value(rhs, cx.samples, cx.constants, cx.sample)
    return _differs(left, right, _CONFIRM_DIGITS) is True


def find_counterexample(lhs, rhs, *, tries: int = 12, seed: int = 0) -> Counterexample | None:
    """Evaluate lhs and rhs at ``tries`` random exact points; a confirmed difference or None."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    free = lhs.free_symbols | rhs.free_symbols
    rng = random.Random(seed)
    for k in range(tries):
        m = BATCH_SIZES[k % len(BATCH_SIZES)]
        samples, constants = random_point(free, rng, m)
        sample = rng.randrange(m) if samples else 0
        left = _value(lhs, samples, constants, sample)
        right = _value(rhs, samples, constants, sample)
        if _differs(left, right, _SEARCH_DIGITS):
            cx = Counterexample(
                constants=constants, samples=samples,
                batch_size=m if samples else None,
                sample=sample, lhs=left, rhs=right,
            )
            if confirm(cx, lhs, rhs):
                return cx
    return None
