"""``prove(lhs, rhs)``: the strategy chain that turns a claim into a verdict.

1. Apply the assumptions: ``where={eps: 0}`` substitutes, ``assume=[gamma > 0]`` gives the
   symbol that sign (SymPy then reasons with it).
2. Try to refute at random exact rational points (fast: no simplification).
3. Run the symbolic strategies (:mod:`symbn.prove.strategies`), each in a child process
   under a time budget.  PROVED only when one reduces lhs - rhs to exactly 0.
4. Otherwise search harder for a counterexample; failing that, UNDECIDED with the residual.

Works on general-form expressions (batch means, any N) and explicit ones alike, and on
matrices entry by entry.
"""

from __future__ import annotations

import time

import sympy as sp
from sympy.core.relational import Relational

from symbn.prove.budget import run_with_budget
from symbn.prove.sampling import find_counterexample
from symbn.prove.strategies import STRATEGIES
from symbn.prove.verdict import Status, Verdict

DEFAULT_BUDGET = 5.0
_SIGNS = {
    sp.StrictGreaterThan: ("positive", ">"),
    sp.StrictLessThan: ("negative", "<"),
    sp.GreaterThan: ("nonnegative", ">="),
    sp.LessThan: ("nonpositive", "<="),
}


class AssumptionError(ValueError):
    """An assumption symbn cannot apply."""


def apply_assumptions(exprs, where=None, assume=()):
    """(exprs with the assumptions applied, their readable statements)."""
    substitutions, statements = {}, []
    for symbol, value in (where or {}).items():
        substitutions[symbol] = sp.sympify(value)
        statements.append(f"{symbol} = {value}")
    for relation in assume:
        if relation is sp.true:
            continue  # already known from the symbol's own assumptions
        kind = _SIGNS.get(type(relation))
        if kind is None or not isinstance(relation, Relational) or relation.rhs != 0 \
                or not isinstance(relation.lhs, sp.Symbol):
            raise AssumptionError(
                f"cannot apply the assumption {relation!r}: write a sign condition on one symbol "
                "(gamma > 0, a < 0, x >= 0) in assume=[...], or a value in where={eps: 0}")
        symbol = relation.lhs
        extra = {"integer": True} if symbol.is_integer else {}
        substitutions[symbol] = type(symbol)(symbol.name, **{kind[0]: True}, **extra)
        statements.append(f"{symbol} {kind[1]} 0")
    return [sp.sympify(e).xreplace(substitutions) for e in exprs], tuple(statements)


def prove(lhs, rhs=0, *, where=None, assume=(), budget: float = DEFAULT_BUDGET,
          tries: int = 12, seed: int = 0) -> Verdict:
    """Prove or refute ``lhs == rhs`` for every value of every symbol.

    ``budget`` is the time in seconds each symbolic strategy may take.  Returns a
    :class:`~symbn.prove.verdict.Verdict`; never raises for a false or hard claim.
    """
    start = time.perf_counter()
    (lhs, rhs), statements = apply_assumptions((lhs, rhs), where, assume)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return _prove_matrix(sp.Matrix(lhs), sp.Matrix(rhs), statements, budget, tries, seed, start)
    return _prove_scalar(lhs, rhs, statements, budget, tries, seed, start)


def _prove_scalar(lhs, rhs, statements, budget, tries, seed, start) -> Verdict:
    def verdict(status, method, residual, counterexample=None, attempts=()):
        return Verdict(status, method, statements, residual,
                       time.perf_counter() - start, counterexample, tuple(attempts))

    counterexample = find_counterexample(lhs, rhs, tries=tries, seed=seed)
    if counterexample is not None:
        return verdict(Status.REFUTED, "counterexample at a random exact point",
                       lhs - rhs, counterexample)
    residual = sp.sympify(lhs - rhs)
    if residual == 0:
        return verdict(Status.PROVED, "construction (lhs - rhs is 0 once built)", residual)
    attempts, reduced = [], residual
    for name, strategy in STRATEGIES:
        outcome = run_with_budget(strategy, (residual,), budget)
        if not outcome.finished:
            attempts.append(f"{name}: time budget of {budget:g} s ran out")
        elif outcome.error:
            attempts.append(f"{name}: failed: {outcome.error.strip().splitlines()[-1]}")
        elif outcome.value == 0:
            return verdict(Status.PROVED, name, sp.S.Zero, attempts=attempts)
        else:
            attempts.append(f"{name}: residual did not reduce to 0")
            reduced = outcome.value
    counterexample = find_counterexample(lhs, rhs, tries=8 * tries, seed=seed + 1)
    if counterexample is not None:
        return verdict(Status.REFUTED, "counterexample at a random exact point (extended search)",
                       reduced, counterexample, attempts)
    return verdict(Status.UNDECIDED, "no strategy reduced the residual to 0", reduced,
                   attempts=attempts)


def _prove_matrix(lhs, rhs, statements, budget, tries, seed, start) -> Verdict:
    if lhs.shape != rhs.shape:
        raise ValueError(f"cannot compare a {lhs.shape} matrix with a {rhs.shape} one")
    entries = [(_prove_scalar(a, b, statements, budget, tries, seed, start), index)
               for index, (a, b) in enumerate(zip(lhs, rhs))]
    for wanted in (Status.REFUTED, Status.UNDECIDED):
        for v, index in entries:
            if v.status is wanted:
                return Verdict(v.status, f"entry {index}: {v.method}", statements,
                               lhs - rhs, time.perf_counter() - start, v.counterexample, v.attempts)
    methods = sorted({v.method for v, _ in entries})
    return Verdict(Status.PROVED, "entrywise: " + ", ".join(methods), statements,
                   sp.zeros(*lhs.shape), time.perf_counter() - start)
