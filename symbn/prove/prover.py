"""``prove(lhs, rhs)``: the strategy chain that turns a claim into a verdict.

1. Apply the assumptions: ``where={eps: 0}`` substitutes (``where={N: 4}`` takes the
   explicit form at batch size 4), ``assume=[gamma > 0]`` gives the symbol that sign
   (SymPy then reasons with it, and the counterexample search honours it).  Keys match
   the claim's symbols by name; anything symbn cannot apply is an :class:`AssumptionError`.
2. Try to refute at exact rational points, random and at the boundaries.
3. Run the symbolic strategies (:mod:`symbn.prove.strategies`).  PROVED only when one
   reduces lhs - rhs to exactly 0, on the domain it states; every PROVED is then checked
   a second time, independently (:func:`symbn.prove.certificate.second_check`).
4. Otherwise search harder for a counterexample; failing that, UNDECIDED with the residual.

``budget`` bounds the whole call: every stage runs in a child process killed at the
deadline (:func:`symbn.prove.budget.run_with_budget`), and the call returns within the
budget plus :data:`OVERHEAD` (process starts and the second check's minimum time).

Works on general-form expressions (batch means, any N) and explicit ones alike, and on
matrices entry by entry.
"""

from __future__ import annotations

import math
import time

import sympy as sp
from sympy.core.relational import Relational

from symbn.core import Mean, N, SampleSymbol, instantiate
from symbn.prove import certificate as _certificate
from symbn.prove.budget import run_with_budget
from symbn.prove.sampling import find_counterexample
from symbn.prove.strategies import STRATEGIES
from symbn.prove.verdict import Status, Verdict

DEFAULT_BUDGET = 5.0
#: time a call may take beyond its budget: process starts, and the second check's floor
OVERHEAD = 1.0
_SECOND_CHECK_FLOOR = 0.5
_SIGNS = {
    sp.StrictGreaterThan: ("positive", ">"),
    sp.StrictLessThan: ("negative", "<"),
    sp.GreaterThan: ("nonnegative", ">="),
    sp.LessThan: ("nonpositive", "<="),
    sp.Unequality: ("nonzero", "!="),
}
_KEPT_FACTS = ("integer", "real", "positive", "negative", "nonnegative", "nonpositive", "nonzero")


class AssumptionError(ValueError):
    """An assumption symbn cannot apply."""


def apply_assumptions(exprs, where=None, assume=()):
    """(exprs with the assumptions applied, their readable statements).

    Keys of ``where`` and symbols in ``assume`` are matched to the claim's symbols by
    name, so ``where={"epsilon": 0}`` and a Symbol without the claim's assumptions work.
    """
    exprs = [sp.sympify(e) for e in exprs]
    symbols = set().union(*(e.free_symbols for e in exprs))
    has_batch = any(e.has(Mean) or e.has(N) for e in exprs)
    substitutions, statements, batch_size = {}, [], None
    for key, value in (where or {}).items():
        if _name(key) == N.name and has_batch and N not in substitutions:
            batch_size = _batch_size(value)
            substitutions[N] = sp.Integer(batch_size)
            statements.append(f"N = {batch_size}")
            continue
        symbol = _claim_symbol(key, symbols, "where")
        if symbol in substitutions:
            raise AssumptionError(f"where= gives {symbol} twice: give each symbol one value")
        try:
            substitutions[symbol] = sp.sympify(value, strict=True)
        except (sp.SympifyError, TypeError) as error:
            raise AssumptionError(f"where={{{key!r}: {value!r}}}: the value is not an expression "
                                  f"SymPy understands ({error})") from None
        statements.append(f"{symbol} = {value}")
    relations: dict = {}
    for relation in assume:
        symbol, kind = _sign_condition(relation, symbols)
        if symbol is None:
            continue  # already known from the symbol's own assumptions
        if symbol in substitutions:
            raise AssumptionError(
                f"assume=[{relation}] is about {symbol}, which where= already sets to "
                f"{substitutions[symbol]}: give one or the other")
        relations.setdefault(symbol, []).append(kind)
    for symbol, kinds in relations.items():
        new = _with_facts(symbol, [k for k, _ in kinds])
        if len(kinds) > 1:
            raise AssumptionError(
                f"assume= states {len(kinds)} conditions on {symbol} "
                f"({', '.join(f'{symbol} {op} 0' for _, op in kinds)}): give one")
        substitutions[symbol] = new
        statements.append(f"{symbol} {kinds[0][1]} 0")
    exprs = [e.xreplace(substitutions) for e in exprs]
    if batch_size is not None:
        exprs = [_instantiate(e, batch_size) for e in exprs]
    return exprs, tuple(statements)


def _name(key) -> str | None:
    if isinstance(key, str):
        return key
    return key.name if isinstance(key, sp.Symbol) else None


def _claim_symbol(key, symbols: set, where: str):
    """The claim's symbol that ``key`` (a Symbol or its name) names."""
    name = _name(key)
    if name is None:
        raise AssumptionError(f"{where}: {key!r} is not a symbol or a symbol's name")
    if isinstance(key, sp.Symbol) and key in symbols:
        return key
    matches = [s for s in symbols if s.name == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(sorted({s.name for s in symbols})) or "none"
        raise AssumptionError(f"{where}: the claim has no symbol named {name!r} "
                              f"(its symbols: {known})")
    raise AssumptionError(f"{where}: several symbols of the claim are named {name!r} "
                          "(with different assumptions): pass the claim's own Symbol")


def _batch_size(value) -> int:
    value = sp.sympify(value)
    if not (value.is_Integer and value >= 1):
        raise AssumptionError(f"where={{N: {value}}}: the batch size must be a positive integer")
    return int(value)


def _instantiate(expr, m: int):
    """The explicit form at batch size m; sample 0 stands for every sample by symmetry."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: instantiate(e, m))
    return instantiate(expr, m)


def _sign_condition(relation, symbols):
    """(the claim's symbol, (fact, operator)) for ``symbol op 0``; (None, None) if known."""
    relation = sp.sympify(relation)
    if relation is sp.true:
        return None, None
    kind = _SIGNS.get(type(relation))
    if kind is None or not isinstance(relation, Relational) or relation.rhs != 0 \
            or not isinstance(relation.lhs, sp.Symbol):
        raise AssumptionError(
            f"cannot apply the assumption {relation!r}: write a sign condition on one symbol "
            "(gamma > 0, a < 0, x >= 0, a != 0) in assume=[...], or a value in where={eps: 0}")
    symbol = _claim_symbol(relation.lhs, symbols, "assume")
    stated = type(relation)(symbol, 0)
    if stated is sp.false:
        raise AssumptionError(f"assume=[{relation}] contradicts what {symbol} is declared to "
                              f"be ({', '.join(f for f in _KEPT_FACTS if getattr(symbol, 'is_' + f))})")
    if stated is sp.true:
        return None, None
    return symbol, kind


def _with_facts(symbol, facts):
    """``symbol`` with its own facts and ``facts`` (a Symbol of the same kind and name)."""
    own = {f: True for f in _KEPT_FACTS if symbol.assumptions0.get(f) is True}
    try:
        merged = {**own, **{f: True for f in facts}}
        probe = sp.Dummy(**merged)  # raises on a contradiction
        if any(getattr(probe, f"is_{f}") is False for f in merged):
            raise ValueError
    except ValueError:
        raise AssumptionError(f"assume= contradicts itself on {symbol} "
                              f"({', '.join(facts)} with {', '.join(own) or 'nothing'}): "
                              "no value satisfies it") from None
    if isinstance(symbol, SampleSymbol) or type(symbol) is sp.Symbol:
        return type(symbol)(symbol.name, **merged)
    return type(symbol)(*symbol.__getnewargs_ex__()[0], **merged)


def _check_budget(budget) -> float:
    try:
        seconds = float(budget)
    except (TypeError, ValueError):
        raise ValueError(f"budget must be a number of seconds, got {budget!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"budget must be a finite positive number of seconds, got {budget!r}")
    return seconds


def prove(lhs, rhs=0, *, where=None, assume=(), budget: float = DEFAULT_BUDGET,
          tries: int = 12, seed: int = 0) -> Verdict:
    """Prove or refute ``lhs == rhs`` for every value of every symbol.

    ``budget`` is the time in seconds the whole call may take (plus :data:`OVERHEAD`).
    Returns a :class:`~symbn.prove.verdict.Verdict`; never raises for a false or hard
    claim.  Raises :class:`AssumptionError` for an assumption it cannot apply and
    ValueError for a budget that is not a finite positive number.
    """
    start = time.perf_counter()
    deadline = start + _check_budget(budget)
    (lhs, rhs), statements = apply_assumptions((lhs, rhs), where, assume)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return _prove_matrix(sp.Matrix(lhs), sp.Matrix(rhs), statements, deadline, tries, seed, start)
    return _prove_scalar(lhs, rhs, statements, deadline, tries, seed, start)


def _remaining(deadline) -> float:
    return deadline - time.perf_counter()


def _search(lhs, rhs, tries, seed, deadline, attempts, label):
    if _remaining(deadline) <= 0:
        attempts.append(f"{label}: not run, the budget was spent")
        return None
    outcome = run_with_budget(_find, (lhs, rhs, tries, seed), _remaining(deadline))
    if not outcome.finished:
        attempts.append(f"{label}: the budget ran out")
    elif outcome.error:
        attempts.append(f"{label}: failed: {outcome.error.strip().splitlines()[-1]}")
    return outcome.value if outcome.finished else None


def _find(lhs, rhs, tries, seed):
    return find_counterexample(lhs, rhs, tries=tries, seed=seed)


def _prove_scalar(lhs, rhs, statements, deadline, tries, seed, start) -> Verdict:
    def verdict(status, method, residual, counterexample=None, **extra):
        return Verdict(status, method, statements, residual,
                       time.perf_counter() - start, counterexample, tuple(attempts), **extra)

    attempts: list = []
    try:
        residual = sp.sympify(lhs - rhs)
    except (TypeError, ValueError) as error:
        return verdict(Status.UNDECIDED, f"SymPy cannot subtract the two sides: {error}", sp.nan)
    counterexample = _search(lhs, rhs, tries, seed, deadline, attempts, "counterexample search")
    if counterexample is not None:
        return verdict(Status.REFUTED, "counterexample at an exact point", residual, counterexample)
    if residual == 0:
        return _checked(verdict, "construction (lhs - rhs is 0 once built)", lhs - rhs,
                        (), None, deadline)
    reduced = residual
    for name, strategy in STRATEGIES:
        if _remaining(deadline) <= 0:
            attempts.append(f"{name}: not run, the budget was spent")
            continue
        outcome = run_with_budget(strategy, (residual,), _remaining(deadline))
        if not outcome.finished:
            attempts.append(f"{name}: the time budget ran out")
        elif outcome.error:
            attempts.append(f"{name}: failed: {outcome.error.strip().splitlines()[-1]}")
        elif outcome.value.residual == 0 and "False" not in outcome.value.domain:
            return _checked(verdict, name, residual, outcome.value.domain,
                            outcome.value.certificate, deadline)
        else:
            attempts.append(f"{name}: residual did not reduce to 0")
            reduced = outcome.value.residual
    counterexample = _search(lhs, rhs, 8 * tries, seed + 1, deadline, attempts,
                             "extended counterexample search")
    if counterexample is not None:
        return verdict(Status.REFUTED, "counterexample at an exact point (extended search)",
                       reduced, counterexample)
    return verdict(Status.UNDECIDED, "no strategy reduced the residual to 0", reduced)


def _checked(verdict, method, residual, domain, certificate, deadline) -> Verdict:
    """PROVED after the independent second check; UNDECIDED if that check disagrees."""
    second_check = getattr(_certificate, "second_check", None)
    if second_check is None:
        confirmed, evidence = None, ("second check: not available in this version",)
    else:
        seconds = max(_remaining(deadline), _SECOND_CHECK_FLOOR)
        outcome = run_with_budget(second_check, (residual, certificate), seconds)
        if not outcome.finished or outcome.error:
            why = "ran out of time" if not outcome.finished else \
                f"failed: {outcome.error.strip().splitlines()[-1]}"
            confirmed, evidence = None, (f"second check {why}",)
        else:
            confirmed, evidence = outcome.value.confirmed, tuple(outcome.value.evidence)
    if confirmed is False:
        return verdict(Status.UNDECIDED, f"{method} reduced it to 0, but the second check "
                       "disagreed", residual, evidence=evidence)
    return verdict(Status.PROVED, method, sp.S.Zero, domain=tuple(domain), evidence=evidence,
                   certificate=certificate)


def _prove_matrix(lhs, rhs, statements, deadline, tries, seed, start) -> Verdict:
    if lhs.shape != rhs.shape:
        raise ValueError(f"cannot compare a {lhs.shape} matrix with a {rhs.shape} one")
    entries = [(_prove_scalar(a, b, statements, deadline, tries, seed, start), index)
               for index, (a, b) in enumerate(zip(lhs, rhs))]
    for wanted in (Status.REFUTED, Status.UNDECIDED):
        for v, index in entries:
            if v.status is wanted:
                return Verdict(v.status, f"entry {index}: {v.method}", statements,
                               lhs - rhs, time.perf_counter() - start, v.counterexample, v.attempts)
    methods = sorted({v.method for v, _ in entries})
    domain = tuple(dict.fromkeys(c for v, _ in entries for c in v.domain))
    evidence = tuple(dict.fromkeys(e for v, _ in entries for e in v.evidence))
    return Verdict(Status.PROVED, "entrywise: " + ", ".join(methods), statements,
                   sp.zeros(*lhs.shape), time.perf_counter() - start,
                   domain=domain, evidence=evidence)
