"""Rigorous enclosures of general-form expressions on a concrete batch, in ball arithmetic.

The counterexample search visits points where both sides of most claims agree; evaluating
them exactly in SymPy (substituting rationals, then ``sympy.N``) is its whole cost.  Here
each expression is evaluated instead in python-flint's ``arb`` balls (a midpoint and a
radius that certainly contains the exact value) at :data:`PRECISION` bits: ``Mean(h)`` is
``(1/m) * sum_i h(x_i)``, ``N`` is m, exactly as :func:`symbn.core.evaluate_at_batch` reads
them, and subexpressions the two sides share are evaluated once per point.

An enclosure is given only when every subexpression's ball is finite: a denominator or a
negative power whose ball may contain 0, a radicand or a logarithm's argument not certainly
> 0, or a function not in :data:`_FUNCTIONS` gives None, and the caller evaluates that point
exactly.  So an enclosure means the exact value is defined and lies in the ball.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import sympy as sp
from flint import arb, ctx, fmpq

from symbn.core import Mean, N, SampleSymbol

#: working precision in bits (60 digits): wide points (|v| from 1e-6 to 1e6, squared in a
#: variance) lose up to 24 digits to cancellation and keep more than 30
PRECISION = 200

#: the functions evaluated in balls: each is finite wherever its ball argument is (arb
#: gives nan outside the real domain: log at a ball not certainly > 0)
_FUNCTIONS: dict[type, Callable[[arb], arb]] = {
    sp.exp: arb.exp, sp.log: arb.log, sp.sin: arb.sin, sp.cos: arb.cos,
    sp.sinh: arb.sinh, sp.cosh: arb.cosh, sp.tanh: arb.tanh, sp.atan: arb.atan,
    sp.Abs: abs,
}
#: the operations of any number of arguments, folded left to right
_FOLDS: dict[type, Callable[[arb, arb], arb]] = {
    sp.Add: operator.add, sp.Mul: operator.mul, sp.Max: arb.max, sp.Min: arb.min,
}


class _Undecided(Exception):
    """A subexpression whose value the balls cannot certify as a finite real number."""


def enclosures(exprs: Sequence[sp.Expr], samples: Mapping[SampleSymbol, Sequence[sp.Expr]],
               constants: Mapping[sp.Symbol, sp.Expr], sample: int) -> list[arb] | None:
    """Balls that contain the exact values of ``exprs`` at the point (each per-sample
    variable's m values in ``samples``, observed at sample ``sample``; every other symbol
    in ``constants``; exact rationals), or None when some subexpression is possibly
    undefined or not supported there."""
    with _precision(PRECISION):
        try:
            point = _Point(samples, constants)
            return [point.value(sp.sympify(e), sample) for e in exprs]
        except _Undecided:
            return None


def relative_gap(lhs: sp.Expr, rhs: sp.Expr, samples: Mapping[SampleSymbol, Sequence[sp.Expr]],
                 constants: Mapping[sp.Symbol, sp.Expr], sample: int) -> arb | None:
    """A ball around ``|lhs - rhs| / (1 + |lhs| + |rhs|)`` at the point (as for
    :func:`enclosures`), or None when a side is possibly undefined or not supported there."""
    with _precision(PRECISION):
        balls = enclosures((lhs, rhs), samples, constants, sample)
        if balls is None:
            return None
        a, b = balls
        return abs(a - b) / (1 + abs(a) + abs(b))


@contextmanager
def _precision(bits: int) -> Iterator[None]:
    """arb's working precision, for the block (it is global to the process: a ball is an
    enclosure at any precision, so another thread changing it costs tightness, not truth)."""
    saved = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = saved


def _ball(number: sp.Expr) -> arb:
    if not number.is_Rational:  # an irrational or complex value: left to the exact path
        raise _Undecided(number)
    return arb(fmpq(int(number.p), int(number.q)))


class _Point:
    """One point; values are memoised per (subexpression, sample), shared by the sides."""

    def __init__(self, samples: Mapping[SampleSymbol, Sequence[sp.Expr]],
                 constants: Mapping[sp.Symbol, sp.Expr]):
        sizes = {len(values) for values in samples.values()}
        self.m = sizes.pop() if len(sizes) == 1 else None
        self.samples = {v: [_ball(sp.sympify(x)) for x in values] for v, values in samples.items()}
        self.constants = {s: _ball(sp.sympify(x)) for s, x in constants.items()}
        if self.m is not None:  # N is the batch size, as evaluate_at_batch reads it
            self.constants[N] = arb(self.m)
        self.memo: dict[tuple[sp.Basic, int], arb] = {}

    def value(self, expr: sp.Basic, i: int) -> arb:
        if expr.is_Atom:  # a number or a symbol: looked up, not memoised
            return self._atom(expr, i)
        mean = isinstance(expr, Mean)
        key = (expr, -1 if mean else i)  # a mean is a batch scalar: the same at every sample
        found = self.memo.get(key)
        if found is None:
            found = self._mean(expr) if mean else self._evaluate(expr, i)
            if not found.is_finite():
                raise _Undecided(expr)
            self.memo[key] = found
        return found

    def _atom(self, expr: sp.Basic, i: int) -> arb:
        if expr.is_Rational:
            return _ball(expr)
        if isinstance(expr, SampleSymbol) and expr in self.samples:
            return self.samples[expr][i]
        if isinstance(expr, sp.Symbol) and expr in self.constants:
            return self.constants[expr]
        raise _Undecided(expr)

    def _evaluate(self, expr: sp.Basic, i: int) -> arb:
        kind = type(expr)
        if not (kind in _FOLDS or kind is sp.Pow or kind in _FUNCTIONS and len(expr.args) == 1):
            raise _Undecided(expr)
        args = [self.value(a, i) for a in expr.args]
        if kind in _FOLDS:
            return functools.reduce(_FOLDS[kind], args)
        if kind is sp.Pow:
            return _power(expr, *args)
        return _FUNCTIONS[kind](args[0])

    def _mean(self, mean: sp.Basic) -> arb:
        """``(1/m) * sum_k h(x_k)``; a mean with no batch to take it over is not evaluated."""
        if self.m is None:
            raise _Undecided(mean)
        return sum((self.value(mean.args[0], k) for k in range(self.m)), arb(0)) / self.m


def _power(expr: sp.Pow, base: arb, exponent: arb) -> arb:
    """base**exponent: an integer power of any base (a negative one of a base certainly
    != 0, else the ball is not finite), any other power of a base certainly > 0 only
    (0**(1/2) is 0 but 0**(-1/2) is not defined, (-1)**(1/2) is not real)."""
    if expr.exp.is_Integer:
        return _integer_power(base, int(expr.exp))
    if not base > 0:
        raise _Undecided(expr)
    if expr.exp.is_Rational:
        return base ** fmpq(int(expr.exp.p), int(expr.exp.q))
    return (exponent * base.log()).exp()


def _integer_power(base: arb, n: int) -> arb:
    """base**n by repeated squaring: arb's own power is nan for a ball around 0 and loose
    for a ball of negative numbers."""
    result, square, k = arb(1), base, abs(n)
    while k:
        if k & 1:
            result *= square
        square *= square
        k >>= 1
    return result if n >= 0 else 1 / result
