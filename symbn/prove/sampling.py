"""Counterexample search at exact rational points, random and at the boundaries.

Sampling can refute, never prove.  A general-form claim is evaluated on a concrete batch
of m samples, so a counterexample is a batch a user can check by hand.  Besides small
random rationals (m = 2..5) the search visits the boundaries where claims break:
constant batches (Var = 0), a batch of one (N = 1), zero for every symbol that may be 0,
wide values (|v| up to 10**6 and down to 10**-6), and points where a square root's
radicand vanishes.  An undefined function f is instantiated as a random polynomial with
rational coefficients: a counterexample for that f refutes the claim for a generic f.
Every point satisfies every symbol's assumptions (the prover has turned the listed
assumptions into those), and each candidate is re-evaluated from its recorded values at
higher precision before it is reported.

Most points of most claims agree, and evaluating them exactly in SymPy is the search's
whole cost: each point is first evaluated in ball arithmetic (:mod:`symbn.prove.enclosure`).
Balls certainly defined and certainly close are a point the exact evaluation could not
tell apart, with no side undefined (no gap): it is skipped.  Balls certainly apart go
straight to the exact confirmation; anything else (a side possibly undefined, too close to
call, a function the balls do not evaluate) is evaluated exactly, as before.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sympy as sp
from flint import fmpq
from sympy.core.function import AppliedUndef

from symbn.core import N, SampleSymbol, evaluate_at_batch
from symbn.prove.accuracy import PrecisionExhausted, accurate
from symbn.prove.enclosure import relative_gap
from symbn.prove.verdict import Counterexample

if TYPE_CHECKING:  # the conditions a point is checked against; imported for the type only
    from symbn.prove.definedness import Condition

# a point: each per-sample variable's m values, every other symbol's value, and each
# undefined function's polynomial
_Samples = dict[SampleSymbol, list[sp.Expr]]
_Constants = dict[sp.Symbol, sp.Expr]
_Functions = dict[Any, sp.Lambda]

BATCH_SIZES = (3, 4, 2, 5)
#: the digits a search evaluates at (an extended search: the digits of the confirmation)
SEARCH_DIGITS = 30
CONFIRM_DIGITS = 60
#: what every other try of a search looks at, in turn
BOUNDARIES = ("wide", "constant batch", "zeros", "wide", "radicand zero", "batch of one")


#: how the note about a symbol the search cannot sample begins
UNSAMPLED = "the counterexample search cannot pick a value for"


class Unsampleable(ValueError):
    """A symbol whose declared assumptions the search cannot honour with a rational value
    (irrational, transcendental, ...): the search does not sample it."""

    def __init__(self, symbol: sp.Symbol):
        declared = getattr(symbol, "_assumptions_orig", symbol.assumptions0)
        facts = sorted(f for f, v in declared.items() if v and f != "commutative")
        super().__init__(f"{UNSAMPLED} {symbol} that is "
                         f"{', '.join(facts)} as declared, so it did not sample the claim")
        self.symbol = symbol


_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)


def random_value(symbol: sp.Symbol, rng: random.Random, mode: str = "small") -> sp.Expr:
    """A random exact value that honours every declaration of the symbol (sign,
    integrality, parity, primality, imaginary, nonzero, ...); ``mode`` "wide" reaches
    magnitudes 10**6 and 10**-6, "zeros" gives 0 where the symbol allows it.  Raises
    :class:`Unsampleable` for declarations no such value honours (irrational)."""
    if mode == "zeros" and allows(symbol, sp.S.Zero):
        return sp.S.Zero
    for _ in range(20):
        value = _candidate(symbol, rng, mode)
        if allows(symbol, value):
            return value
    raise Unsampleable(symbol)


def _candidate(symbol: sp.Symbol, rng: random.Random, mode: str) -> sp.Expr:
    if symbol.is_zero:
        return sp.S.Zero
    wide = mode == "wide"
    if symbol.is_prime:
        return sp.nextprime(rng.randint(1, 10**6)) if wide else sp.Integer(rng.choice(_PRIMES))
    if symbol.is_composite:
        return sp.Integer(rng.choice(_PRIMES) * rng.choice(_PRIMES))
    if symbol.is_integer:
        value = sp.Integer(rng.randint(1, 10**6 if wide else 6))
        if symbol.is_odd:
            value = 2 * value - 1
        elif symbol.is_even:
            value = 2 * value
    elif wide:
        value = rng.choice([sp.Rational(rng.randint(1, 10**6), rng.randint(1, 7)),
                            sp.Rational(rng.randint(1, 7), rng.randint(1, 10**6))])
    else:
        value = sp.Rational(rng.randint(1, 19), rng.randint(1, 6))
    if symbol.is_noninteger and value.is_integer:
        value += sp.S.Half
    if symbol.is_imaginary:
        value *= sp.I
    if symbol.is_positive or symbol.is_nonnegative or symbol.is_imaginary and value.is_zero:
        return value
    if symbol.is_negative or symbol.is_nonpositive:
        return -value
    value = value if rng.random() < 0.5 else -value
    if symbol.is_extended_real is None and not symbol.is_imaginary and rng.random() < 0.5:
        # a symbol not declared real is complex in SymPy (|z|**2 is not z**2 at z = I)
        value += sp.I * sp.Rational(rng.choice((-1, 1)) * rng.randint(1, 19), rng.randint(1, 6))
    return value


def allows(symbol: sp.Symbol, value: object) -> bool:
    """True when ``value`` has every property ``symbol`` is declared to have or lack."""
    return _allows(symbol, sp.sympify(value))


@functools.lru_cache(maxsize=4096)
def _allows(symbol: sp.Symbol, value: sp.Basic) -> bool:
    """:func:`allows` (memoised: the search draws the same small rationals again and again;
    a symbol's equality includes its assumptions, so the key is all the answer depends on)."""
    return all(getattr(value, f"is_{fact}") is held
               for fact, held in symbol.assumptions0.items())


def _batch(symbol: sp.Symbol, m: int, rng: random.Random, mode: str) -> list[sp.Expr]:
    if mode == "constant batch":
        return [random_value(symbol, rng)] * m
    values: list[sp.Expr] = []
    while len(values) < m:
        v = random_value(symbol, rng, mode)
        if v not in values or mode == "zeros":
            values.append(v)
    return values


def random_point(free: set[sp.Basic], rng: random.Random, batch_size: int,
                 mode: str = "small") -> tuple[_Samples, _Constants]:
    """(samples, constants) for the symbols ``free``, on a batch of ``batch_size`` samples."""
    ordered = sorted(free, key=str)
    samples = {v: _batch(v, batch_size, rng, mode) for v in ordered if isinstance(v, SampleSymbol)}
    constants = {
        s: random_value(s, rng, mode if mode != "zeros" or rng.random() < 0.7 else "small")
        for s in ordered
        if not isinstance(s, SampleSymbol) and s != N
    }
    if N in free and not samples:
        constants[N] = sp.Integer(batch_size)
    return samples, constants


def _radicand_zero(exprs: Iterable[sp.Expr], samples: _Samples, constants: _Constants,
                   rng: random.Random) -> None:
    """Move one symbol so that a square root's radicand vanishes: a constant, or a sample
    variable at every sample (its radicand is then 0 for the whole batch)."""
    known = {**constants, **{v: values[0] for v, values in samples.items()}}
    bases = [p.base for e in exprs for p in e.atoms(sp.Pow)
             if p.exp.is_Rational and not p.exp.is_Integer
             and p.base.free_symbols and p.base.free_symbols <= set(known)]
    if not bases:
        return
    base = sp.expand(rng.choice(sorted(set(bases), key=sp.default_sort_key)))
    for s in sorted(base.free_symbols, key=str):
        c = base.coeff(s)
        if c.is_number and c != 0 and not (base - c * s).has(s):
            rest = (base - c * s).xreplace(known)
            value = -rest / c
            if value.is_Rational and allows(s, value):
                if s in samples:
                    samples[s] = [value] * len(samples[s])
                else:
                    constants[s] = value
                return


def _polynomials(functions: dict[Any, list[AppliedUndef]], rng: random.Random) -> _Functions:
    """A random polynomial (degree <= 3, rational coefficients) for each undefined function."""
    found: _Functions = {}
    for f in sorted(functions, key=str):
        nargs = max(len(a.args) for a in functions[f])
        ts = sp.symbols(f"t:{nargs}", real=True)
        poly = sum(sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)) * t**k
                   for t in ts for k in range(4)) + sp.Rational(rng.randint(-9, 9), 2)
        found[f] = sp.Lambda(ts, poly)
    return found


def _with_functions(expr: sp.Expr, functions: _Functions) -> sp.Expr:
    if not functions:
        return expr
    for f, body in functions.items():
        expr = expr.replace(f, body)
    return expr.doit(deep=True)


def _value(expr: object, samples: Mapping[SampleSymbol, Sequence[Any]], constants: Mapping[sp.Symbol, Any],
           sample: int, functions: _Functions | None = None) -> sp.Expr:
    expr = _with_functions(sp.sympify(expr), functions or {})
    if samples:
        expr = evaluate_at_batch(expr, samples, sample)
    return sp.sympify(expr).xreplace(constants)


def _differs(lhs: sp.Expr, rhs: sp.Expr, digits: int) -> bool | None:
    """True/False when the two numbers surely differ / agree to ``digits``; None if undefined.

    Complex values are compared too: a claim about real symbols that gives two different
    complex numbers is false there.
    """
    try:
        a, b = accurate(lhs, digits), accurate(rhs, digits)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
        return None  # PrecisionExhausted among them: not confirmed
    return _apart(a, b, digits)


def _apart(a: sp.Expr, b: sp.Expr, digits: int) -> bool | None:
    """:func:`_differs` of the two sides' values already evaluated to ``digits``."""
    if not (a.is_number and b.is_number) or a.has(*_INFINITE) or b.has(*_INFINITE):
        return None
    if not (a.is_comparable or a.is_extended_real is False) or not (
            b.is_comparable or b.is_extended_real is False):
        return None
    scale = 1 + abs(a) + abs(b)
    return bool(abs(a - b) > scale * sp.Float(10) ** (-(digits // 2)))


_INFINITE = (sp.zoo, sp.nan, sp.oo, -sp.oo)
#: a value SymPy could not evaluate to the digits asked for
_INACCURATE: Any = object()


def _floats(values: Mapping[Any, Any]) -> dict[Any, Any]:
    return {k: [sp.N(x, 40) for x in v] if isinstance(v, list) else sp.N(v, 40)
            for k, v in values.items()}


def _confirmed(lhs: sp.Expr, rhs: sp.Expr, samples: _Samples, constants: _Constants,
               sample: int, functions: _Functions) -> tuple[sp.Expr, sp.Expr] | None:
    """Both sides' exact values at the point when they differ at :data:`CONFIRM_DIGITS`
    digits, else None: every counterexample is re-evaluated exactly before it is reported."""
    left = _value(lhs, samples, constants, sample, functions)
    right = _value(rhs, samples, constants, sample, functions)
    return (left, right) if _differs(left, right, CONFIRM_DIGITS) is True else None


def satisfies_assumptions(cx: Counterexample) -> bool:
    """Every recorded value respects its symbol's assumptions, and N is the batch size."""
    values = list(cx.constants.items()) + [
        (v, x) for v, xs in cx.samples.items() for x in xs]
    return all(allows(s, x) for s, x in values)


def find_counterexample(lhs: sp.Expr, rhs: sp.Expr, *, tries: int = 12, seed: int = 0,
                        conditions: Iterable[Condition] = (),
                        notes: list[str] | None = None,
                        digits: int = SEARCH_DIGITS) -> Counterexample | None:
    """Evaluate lhs and rhs at ``tries`` exact points; a confirmed difference or None.

    A point is a candidate when the sides differ, relative to 1 + |lhs| + |rhs|, by more
    than 10**-(digits // 2) at ``digits`` digits: a smaller difference goes unseen (an
    extended search looks at :data:`CONFIRM_DIGITS`, the digits every candidate is
    confirmed at).

    Even tries are small random points; each odd one visits the next boundary of
    :data:`BOUNDARIES`.  A point where exactly one side is undefined is no counterexample,
    but unless one of ``conditions`` (:class:`symbn.prove.definedness.Condition`) excludes
    it, ``notes`` gets a line starting with :data:`GAP`: a proof must not cover it.  When
    no point tried has both sides defined, a line starting with :data:`NOWHERE`: the
    claim's domain may be empty (a denominator identically 0 that SymPy does not see as
    0).  A symbol whose declarations no value honours leaves the claim unsampled (a note
    says why).
    """
    notes = [] if notes is None else notes
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    # a point gives a value to what the conditions need too (b of b/D when where= set the
    # b of the sides to 0)
    conditions = list(conditions)
    free = lhs.free_symbols | rhs.free_symbols
    free = free.union(*(c.expr.free_symbols for c in conditions if not c.expr.has(AppliedUndef)))
    applied: dict[Any, list[AppliedUndef]] = {}  # the function -> its applications
    for a in (lhs.atoms(AppliedUndef) | rhs.atoms(AppliedUndef)):
        applied.setdefault(a.func, []).append(a)
    if not free and (lhs - rhs).is_Rational and lhs != rhs:
        # two rational numbers: they differ however little (1 + 10**-40 and 1)
        return Counterexample(constants={}, lhs=lhs, rhs=rhs)
    # a point whose two sides' balls (symbn.prove.enclosure) are certainly this close is
    # one _apart cannot tell apart at ``digits``; one certainly this far apart, one it can
    agree, apart = fmpq(1, 10 ** (digits // 2 + 1)), fmpq(1, 10 ** (digits // 2 - 1))
    rng = random.Random(seed)
    defined = False  # some point had both sides defined
    for k in range(tries):
        mode = BOUNDARIES[(k // 2) % len(BOUNDARIES)] if k % 2 else "small"
        m = 1 if mode == "batch of one" else BATCH_SIZES[k % len(BATCH_SIZES)]
        try:
            samples, constants = random_point(free, rng, m, mode)
        except Unsampleable as error:
            notes.append(f"counterexample search: {error}")
            return None
        if mode == "radicand zero":
            _radicand_zero((lhs, rhs), samples, constants, rng)
        functions = _polynomials(applied, rng)
        sample = rng.randrange(m) if samples else 0
        gap = None if functions else relative_gap(lhs, rhs, samples, constants, sample)
        candidate = None
        if gap is None or not (gap < agree or gap > apart):  # the balls did not decide
            candidate = _exact_candidate(lhs, rhs, samples, constants, sample, functions,
                                         mode == "wide", conditions, notes, digits)
        # both sides defined here (a ball is given only where a side is defined), and the
        # claim as given too (SymPy cancels a D/D that is 0 as the point goes in); a
        # condition on an undefined function f is left out: f has no value at a point
        defined = defined or (gap is not None or candidate is not None) and all(
            c.holds_at(samples, constants) for c in conditions if not c.expr.has(AppliedUndef))
        if gap is not None and gap < agree:
            continue  # both sides certainly defined and equal here: no counterexample, no gap
        if not (candidate or gap is not None and gap > apart):
            continue
        confirmed = _confirmed(lhs, rhs, samples, constants, sample, functions)
        if confirmed is not None:
            cx = Counterexample(
                constants=constants, samples=samples,
                batch_size=m if samples or N in free else None,
                sample=sample, lhs=confirmed[0], rhs=confirmed[1], functions=functions,
            )
            assert satisfies_assumptions(cx), f"a counterexample broke an assumption: {cx}"
            return cx
    if tries and not defined:
        notes.append(f"{NOWHERE} none of the {tries} the search tried, so the claim may be "
                     "defined nowhere (a denominator 0 that SymPy does not see as 0)")
    return None


#: how a note about a point where exactly one side is undefined begins
GAP = "undefined on one side only:"
#: how a note that no point tried had both sides defined begins
NOWHERE = "no point tried has both sides defined:"


def _exact_candidate(lhs: sp.Expr, rhs: sp.Expr, samples: _Samples, constants: _Constants,
                     sample: int, functions: _Functions, wide: bool,
                     conditions: Iterable[Condition], notes: list[str],
                     digits: int) -> bool | None:
    """The exact evaluation of a point the balls did not decide: whether the two sides
    differ there at ``digits`` digits, None where a side is undefined or has no known
    digit; a :data:`GAP` note when exactly one side is undefined and no condition
    excludes the point."""
    # wide values are searched in 40-digit floats (exact radicals of 7-digit rationals
    # cost integer factorizations); every candidate is then confirmed exactly
    at = _floats if wide else (lambda values: values)
    digits = min(digits, SEARCH_DIGITS) if wide else digits  # no more than the values have
    left = _defined_value(lhs, at(samples), at(constants), sample, functions, digits)
    right = _defined_value(rhs, at(samples), at(constants), sample, functions, digits)
    if left is _INACCURATE or right is _INACCURATE:
        return None  # no digit of a side is known here: this point tells nothing
    if left is None or right is None:
        if (left is None) != (right is None) and all(
                c.holds_at(samples, constants) for c in conditions):
            side = "lhs" if left is None else "rhs"
            notes.append(f"{GAP} {side} is undefined at {_describe(samples, constants, sample)} "
                         "and the other side is not, a point the claim's domain does not exclude")
        return None
    return bool(_apart(left[1], right[1], digits))


def _defined_value(expr: sp.Expr, samples: Mapping[SampleSymbol, Sequence[Any]],
                   constants: Mapping[sp.Symbol, Any], sample: int,
                   functions: _Functions, digits: int) -> Any:
    """The value of ``expr`` at the point and that value to ``digits`` digits, None where
    it is undefined there, or :data:`_INACCURATE` when its digits cannot be had."""
    try:
        value = _value(expr, samples, constants, sample, functions)
        number = accurate(value, digits)
    except PrecisionExhausted:
        return _INACCURATE
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
        return None
    if number.has(*_INFINITE):
        return None
    return value, number


def _describe(samples: _Samples, constants: _Constants, sample: int) -> str:
    parts = [f"{k} = {list(map(str, v))}" for k, v in samples.items()]
    parts += [f"{k} = {v}" for k, v in constants.items()]
    return ", ".join(parts) + (f" (sample {sample})" if samples else "")
