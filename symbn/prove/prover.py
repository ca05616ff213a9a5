"""``prove(lhs, rhs)``: the strategy chain that turns a claim into a verdict.

1. Apply the assumptions: ``where={eps: 0}`` substitutes (``where={N: 4}`` takes the
   explicit form at batch size 4), ``assume=[gamma > 0]`` gives the symbol that sign
   (SymPy then reasons with it, and the counterexample search honours it).  Keys match
   the claim's symbols by name; anything symbn cannot apply is an :class:`AssumptionError`.
   SymPy simplified the claim with each symbol's declaration while building it, so an
   assumption must imply the declaration (not eps >= 0 for a positive eps) and a value
   must satisfy it, but for 0 of a positive (negative) symbol, the boundary, which the
   verdict's statement names.
2. Try to refute at exact rational points, random and at the boundaries.
3. Run the symbolic strategies (:mod:`symbn.prove.strategies`).  PROVED only when one
   reduces lhs - rhs to exactly 0, on the domain it states joined with where the claim as
   given is defined (:mod:`symbn.prove.definedness`, computed before anything rewrites
   it; a claim already 0 as built says that what SymPy cancelled is unknown); every
   PROVED is then checked a second time, independently
   (:func:`symbn.prove.certificate.second_check`).
4. Otherwise search harder for a counterexample; failing that, UNDECIDED with the residual.

``budget`` bounds the whole call: every stage runs in a child process killed at the
deadline (:func:`symbn.prove.budget.run_with_budget`), and the call returns within the
budget plus :data:`OVERHEAD` (the round trips to the worker), and the first call in a
process also waits for the worker to start (about a second, once).

Works on general-form expressions (batch means, any N) and explicit ones alike, and on
matrices entry by entry.
"""

from __future__ import annotations

import ast
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeAlias, TypeVar, cast

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom

from sympy.parsing.sympy_parser import TokenError

from symbn.core import N, SampleSymbol, depends_on_sample, instantiate, instantiate_all
from symbn.core.explicit import ExplicitSymbol
from symbn.prove.budget import run_with_budget
from symbn.prove.certificate import Certificate, second_check
from symbn.prove.definedness import Condition, conditions, readable
from symbn.prove.sampling import CONFIRM_DIGITS, GAP, NOWHERE, UNSAMPLED, find_counterexample
from symbn.prove.strategies import EMPTY, STRATEGIES, Strategy
from symbn.prove.verdict import (BUDGET_SPENT, OUT_OF_TIME, Counterexample, Side, Status,
                                 Verdict, printed)

DEFAULT_BUDGET = 5.0
#: time a call may take beyond its budget: the round trips to the worker process
OVERHEAD = 1.0
_SIGNS = {
    sp.StrictGreaterThan: ("positive", ">"),
    sp.StrictLessThan: ("negative", "<"),
    sp.GreaterThan: ("nonnegative", ">="),
    sp.LessThan: ("nonpositive", "<="),
    sp.Unequality: ("nonzero", "!="),
}
_RECHECKED = ("the counterexample was re-evaluated exactly at 60 digits from its recorded "
              "values, which satisfy every assumption",)
#: the sign and number facts of a declaration symbn keeps (SymPy simplifies with them)
FACTS = ("integer", "real", "positive", "negative", "nonnegative", "nonpositive", "nonzero")
#: the comparisons a string assumption may make, as SymPy relations
_COMPARISONS: dict[type[ast.cmpop], type[Relational]] = {
    ast.Gt: sp.StrictGreaterThan, ast.Lt: sp.StrictLessThan, ast.GtE: sp.GreaterThan,
    ast.LtE: sp.LessThan, ast.NotEq: sp.Unequality}
#: the sign facts, as the operator a condition ``symbol op 0`` states them with
_FACT_OPERATORS = {fact: op for fact, op in _SIGNS.values()}

#: what :func:`prove` accepts for a side: a :data:`Side`, a number, a string SymPy parses,
#: or a matrix written as a list or tuple (of rows)
SideLike: TypeAlias = Side | int | float | str | Sequence[Any]
#: ``where=``: the claim's symbols (or their names) and the values they take
Where: TypeAlias = Mapping[sp.Symbol | str, object]
#: ``assume=``: sign conditions on one symbol each, as relations or strings ('a > 0')
Assume: TypeAlias = Iterable[sp.Basic | str]
#: a sign condition: (the fact SymPy knows it by, the operator it is written with)
_Kind: TypeAlias = tuple[str, str]
#: the second check of a proof: (confirmed: True, False or None for not checked, evidence)
_Check: TypeAlias = tuple[bool | None, tuple[str, ...]]
_T = TypeVar("_T")


class AssumptionError(ValueError):
    """An assumption symbn cannot apply."""


class ShapeMismatch(ValueError):
    """The two sides of a matrix claim have different shapes (both are named)."""


class InexactNumber(ValueError):
    """A float in a claim or a where= value: symbn proves exactly, and a float is a rounded
    binary number that SymPy rounds again as it builds (1 + 1e-20 is built as 1.0), so a
    verdict about it would be about another claim than the one written."""


def _refuse_floats(expr: Side, what: str, typed: bool = False) -> None:
    """:class:`InexactNumber` naming the first float in ``expr`` (``what`` says where it
    is); ``typed``: ``expr`` is a value as the user typed it, not a claim SymPy built."""
    floats = sorted(expr.atoms(sp.Float), key=sp.default_sort_key)
    if floats:
        decimal = repr(float(floats[0]))
        exactly = (f"give it exactly, sp.Rational('{decimal}')" if typed else
                   "write each number in it exactly (sp.Rational('0.1') or sp.Rational(1, 10), "
                   "not 0.1)")
        raise InexactNumber(
            f"{what} contains the float {decimal}: symbn proves exactly, and a float is a "
            "rounded binary number (SymPy rounds again as it builds: 1 + 1e-20 is built as "
            f"1.0); {exactly}")


def apply_assumptions(exprs: Iterable[Side], where: Where | None = None,
                      assume: Assume = ()) -> tuple[list[Side], tuple[str, ...]]:
    """(exprs with the assumptions applied, their readable statements).

    Keys of ``where`` and symbols in ``assume`` are matched to the claim's symbols by
    name, so ``where={"epsilon": 0}`` and a Symbol without the claim's assumptions work.
    ``where={N: m}`` (symbn's own N) takes the explicit form at batch size m: sample 0
    stands for every sample by symmetry, unless the claim names explicit samples (x0,
    x1, ...), which break the symmetry: each side is then the column of its m samples.
    """
    exprs, statements, _ = _assumptions(exprs, where, assume)
    return exprs, statements


class _Transform(Protocol):
    """The assumptions applied to one expression: its instances, one per sample checked;
    ``every``: at every sample (a condition inside a mean holds at each)."""

    def __call__(self, expr: object, every: bool = False) -> list[sp.Expr]: ...


def _assumptions(exprs: Iterable[Side], where: Where | None,
                 assume: Assume) -> tuple[list[Side], tuple[str, ...], _Transform]:
    """:func:`apply_assumptions`, and the function that applies them to any expression
    (it returns the list of the expression's instances, one per sample checked)."""
    exprs = [sp.sympify(e) for e in exprs]
    for name, e in zip(("the lhs", "the rhs"), exprs):
        _refuse_floats(e, name)
    symbols: set[sp.Symbol] = set().union(*(e.free_symbols for e in exprs))
    substitutions: dict[sp.Symbol, sp.Basic] = {}
    statements: list[str] = []
    batch_size: int | None = None
    for key, value in (where or {}).items():
        if _is_batch_size(key, symbols) and batch_size is None:
            batch_size = _batch_size(value)
            statements.append(f"N = {batch_size}")
            continue
        symbol = _claim_symbol(key, symbols, "where")
        if symbol in substitutions:
            raise AssumptionError(f"where= gives {symbol} twice: give each symbol one value")
        try:
            substitutions[symbol] = _where_value(value, symbols)
        except (sp.SympifyError, TypeError, SyntaxError, TokenError) as error:
            raise AssumptionError(f"where={{{key!r}: {value!r}}}: the value is not an expression "
                                  f"SymPy understands ({error})") from None
        _refuse_floats(substitutions[symbol], f"where={{{key!r}: {value!r}}}: the value",
                       typed=True)
        statements.append(_where_statement(symbol, substitutions[symbol], key))
    _check_where_values(substitutions)
    relations: dict[sp.Symbol, list[_Kind]] = {}
    for relation in assume:
        symbol, kind = _sign_condition(relation, symbols)
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
    every_sample = batch_size is not None and any(
        isinstance(s, ExplicitSymbol) for e in exprs for s in e.free_symbols)

    def transform(expr: object, every: bool = False) -> list[sp.Expr]:
        """``every``: at every sample (a condition inside a mean holds at each)."""
        expr = sp.sympify(expr).xreplace(substitutions)
        if batch_size is None:
            return [expr]
        if every_sample or every:
            return instantiate_all(expr, batch_size)
        return [_instantiate(expr, batch_size)]
    if every_sample:
        exprs = [sp.Matrix(transform(e)) for e in exprs]
    else:
        exprs = [transform(e)[0] for e in exprs]
    return exprs, tuple(statements), transform


def _is_batch_size(key: object, symbols: set[sp.Symbol]) -> bool:
    """True for symbn's own N, or the name "N" when no symbol of the claim is so named
    (a user's Symbol("N") is a plain symbol)."""
    if isinstance(key, str):
        return key == N.name and not any(s.name == N.name and s != N for s in symbols)
    return bool(key == N)


def _name(key: object) -> str | None:
    if isinstance(key, str):
        return key
    return cast(str, key.name) if isinstance(key, sp.Symbol) else None


def _claim_symbol(key: object, symbols: set[sp.Symbol], where: str) -> sp.Symbol:
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


def _batch_size(value: object) -> int:
    size = sp.sympify(value)
    if not (size.is_Integer and size >= 1):
        raise AssumptionError(f"where={{N: {size}}}: the batch size must be a positive integer")
    return int(size)


def _instantiate(expr: Side, m: int) -> Side:
    """The explicit form at batch size m; sample 0 stands for every sample by symmetry."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: instantiate(e, m))
    return instantiate(expr, m)


def _sign_condition(relation: sp.Basic | str, symbols: set[sp.Symbol]) -> tuple[sp.Symbol, _Kind]:
    """(the claim's symbol, (fact, operator)) for ``symbol op 0``."""
    if isinstance(relation, str):
        return _parsed_condition(relation, symbols)
    if isinstance(relation, bool):  # Python compared two expressions before prove saw them
        raise AssumptionError(
            f"an assumption in assume=[...] is the Python bool {relation}: Python's == and != "
            "compare the expressions' forms (a != 0 is True for any symbol a); write "
            "sp.Ne(a, 0) or the string 'a != 0'")
    relation = sp.sympify(relation)
    if relation is sp.false:
        raise AssumptionError("an assumption in assume=[...] is False as written: it "
                              "contradicts a symbol's declared assumptions (eps < 0 for a "
                              "positive eps); if the claim's symbol is declared otherwise, "
                              "state it on that symbol or as a string ('a < 0')")
    if relation is sp.true:
        raise AssumptionError(
            "an assumption in assume=[...] is True before prove sees it: SymPy evaluated "
            "the relation with its symbol's own declaration (Symbol('a', positive=True) > 0 "
            "is True), so it names no symbol of the claim.  State it on the claim's own "
            "symbol (a > 0 with the a the claim uses), or as a string assume=['a > 0'], "
            "which is read with the claim's symbols.  (Python's a != 0 is True for any "
            "symbol a: write sp.Ne(a, 0) or 'a != 0')")
    return _on_claim_symbol(relation, repr(relation), symbols)


def _parsed_condition(text: str, symbols: set[sp.Symbol]) -> tuple[sp.Symbol, _Kind]:
    """``"a > 0"`` read with the claim's symbols: (symbol, kind).  The string must be one
    comparison with one operator: Python would read ``"a != 0 and b > 0"`` as the first
    operand of ``and``, and ``"a != 0 != b"`` as a chain."""
    written = text.strip()
    try:
        tree = ast.parse(written, mode="eval").body
    except SyntaxError:
        tree = None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or "#" in written \
            or type(tree.ops[0]) not in _COMPARISONS:
        raise AssumptionError(f"assume=[{text!r}]: cannot read it as one condition: write one "
                              "comparison per string, like 'gamma > 0' (and, or, not, chains "
                              "and comments are not read; a value goes in where={'eps': 0})")
    # every name a plain symbol (not SymPy's zeta or N), so that it stays a relation;
    # then matched to the claim's symbol by name
    local = _names(written)
    try:
        sides = [sp.parse_expr(cast(str, ast.get_source_segment(written, side)),
                               local_dict=local) for side in (tree.left, tree.comparators[0])]
        relation = _COMPARISONS[type(tree.ops[0])](*sides, evaluate=False)
    except (sp.SympifyError, SyntaxError, TypeError, TokenError) as error:
        raise AssumptionError(f"assume=[{text!r}]: cannot read it as a condition "
                              f"({type(error).__name__}): write it like 'gamma > 0'") from None
    return _on_claim_symbol(relation, repr(text), symbols, by_name=True)


def _on_claim_symbol(relation: sp.Basic, written: str, symbols: set[sp.Symbol],
                     by_name: bool = False) -> tuple[sp.Symbol, _Kind]:
    """``symbol op 0`` (``written``: as the user gave it) stated on the claim's own symbol:
    (symbol, kind).  ``by_name``: the relation was read from a string, so its symbol is a
    name only (a plain Symbol equal to a plain one of the claim, which may have another
    of that name)."""
    kind = _SIGNS.get(type(relation))
    if kind is None or not isinstance(relation, Relational) or relation.rhs != 0 \
            or not isinstance(relation.lhs, sp.Symbol):
        raise AssumptionError(
            f"cannot apply the assumption {written}: write a sign condition on one symbol "
            "(gamma > 0, a < 0, x >= 0, sp.Ne(a, 0) or the string 'a != 0') in assume=[...], "
            "or a value in where={eps: 0}")
    symbol = _claim_symbol(relation.lhs.name if by_name else relation.lhs, symbols, "assume")
    if type(relation)(symbol, 0) is sp.false:
        raise AssumptionError(f"assume=[{written}] contradicts what {symbol} is declared to "
                              f"be ({', '.join(f for f in FACTS if getattr(symbol, 'is_' + f))})")
    # one the declaration implies (epsilon >= 0 for a positive epsilon) still states a
    # condition, which must imply the declaration in turn (_with_facts)
    return symbol, kind


def _declared_facts(symbol: sp.Symbol) -> list[str]:
    """The sign and number facts ``symbol`` is declared with, none implied by another
    (``["positive"]`` for a positive epsilon; ``["integer", "nonnegative"]``)."""
    facts = [f for f in FACTS if getattr(symbol, f"is_{f}") is True]
    return [f for f in facts if not any(
        g != f and getattr(sp.Dummy(**{g: True}), f"is_{f}") is True for g in facts)]


def _declaration(symbol: sp.Symbol) -> str:
    """``symbol``'s declaration as conditions: "epsilon > 0", "n integer and n >= 0"."""
    return " and ".join(f"{symbol} {_FACT_OPERATORS[f]} 0" if f in _FACT_OPERATORS
                        else f"{symbol} {f}" for f in _declared_facts(symbol))


def _where_value(value: object, symbols: set[sp.Symbol]) -> sp.Basic:
    """A where= value; a string is read exactly ('1/2' is one half, '0.5' too: a decimal
    written out is the number it shows), each name in it as the claim's symbol of that
    name, else as a plain symbol (not SymPy's gamma or N)."""
    if not isinstance(value, str):
        return sp.sympify(value, strict=True)
    return sp.sympify(value, locals=_names(value, symbols), rational=True)


def _names(text: str, symbols: Iterable[sp.Symbol] = ()) -> dict[str, sp.Symbol]:
    """Each name in ``text`` as the symbol of ``symbols`` of that name, else a plain Symbol
    (not SymPy's zeta, gamma or N): the local names to read ``text`` with."""
    named = {s.name: s for s in symbols}
    return {n: named.get(n, sp.Symbol(n)) for n in re.findall(r"[A-Za-z_]\w*", text)}


def _check_where_values(substitutions: dict[sp.Symbol, sp.Basic]) -> None:
    """An :class:`AssumptionError` for a where= value the substitution cannot honour: one
    that names a symbol where= also sets (applied at once, {a: b, b: 1} would not mean
    a = b = 1), an infinite one, or one that varies per sample for a symbol that is one
    value per batch (Mean(d*x) was built as d*Mean(x); d = x cannot undo that)."""
    for symbol, value in substitutions.items():
        chained = sorted(str(s) for s in value.free_symbols if s in substitutions)
        if chained:
            raise AssumptionError(
                f"where={{{symbol}: {value}}}: the value names {', '.join(chained)}, which "
                "where= also sets; substitutions apply at once, so give each value without "
                "the others' symbols (e.g. {a: 1, b: 1} for a = b = 1)")
        if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise AssumptionError(f"where={{{symbol}: {value}}}: a value must be finite; "
                                  "state a limit as a claim of its own")
        if not isinstance(symbol, SampleSymbol) and depends_on_sample(value):
            raise AssumptionError(
                f"where={{{symbol}: {value}}}: {symbol} is one value per batch (a Mean "
                "takes it out as a constant while the claim is built), and the value varies "
                "per sample; build the claim with the per-sample expression in place")


def lacking_facts(symbol: sp.Symbol, value: object) -> list[str]:
    """The facts of ``symbol``'s declaration (:data:`FACTS`) that ``value`` is not known
    to have: an expression built with ``symbol`` was simplified with them (sqrt(p**2) -> p
    for a positive p), so putting ``value`` in its place gives another formula."""
    return [f for f in FACTS if getattr(symbol, f"is_{f}") is True
            and getattr(value, f"is_{f}", None) is not True]


def _where_statement(symbol: sp.Symbol, value: sp.Basic, key: object) -> str:
    """The statement of ``where={symbol: value}``; an :class:`AssumptionError` unless the
    value has every sign and number fact of the symbol's declaration: SymPy simplified
    the claim with the declaration while building it (sqrt(p**2) -> p for a positive p),
    which a substitution cannot undo.  The one exception is 0 for a positive (negative)
    symbol, the boundary of its declaration (``where={eps: 0}``), which the statement names."""
    broken = lacking_facts(symbol, value)
    if not broken:
        return f"{symbol} = {value}"
    sign = "positive" if symbol.is_positive else "negative" if symbol.is_negative else None
    declared = _declaration(symbol)
    if sign is not None and value == 0 and set(broken) <= {sign, "nonzero"}:
        # the claim was built with the declaration: the verdict rests on its simplifications
        return f"{symbol} = 0 (taking what SymPy simplified with its declaration {declared} to hold at 0)"
    named = [f for f in _declared_facts(symbol) if f in broken] or broken
    raise AssumptionError(
        f"where={{{key!r}: {value}}}: {symbol} is declared {declared}, and {value} is not "
        f"known to be {' and '.join(named)}: SymPy simplified the claim with {declared} while "
        "building it (as sqrt(p**2) -> p for a positive p), which a substitution cannot "
        "undo.  Give a value that satisfies the declaration, or build the claim with a "
        f"symbol declared for the values you mean (Symbol({symbol.name!r}"
        f"{'' if 'real' in broken else ', real=True'}))")


def _with_facts(symbol: sp.Symbol, facts: list[str]) -> sp.Symbol:
    """``symbol`` with its own facts and ``facts`` (a Symbol of the same kind and name);
    an :class:`AssumptionError` unless ``facts`` (with the symbol's number kind) imply
    every sign fact of its declaration: SymPy simplified the claim with the declaration
    while building it, so a weaker assumption (eps >= 0 for a positive eps) would be a
    statement the verdict does not cover."""
    own = {f: True for f in FACTS if symbol.assumptions0.get(f) is True}
    try:
        merged = {**own, **{f: True for f in facts}}
        probe = sp.Dummy(**merged)  # raises on a contradiction
        if any(getattr(probe, f"is_{f}") is False for f in merged):
            raise ValueError
    except ValueError:
        raise AssumptionError(f"assume= contradicts itself on {symbol} "
                              f"({', '.join(facts)} with {', '.join(own) or 'nothing'}): "
                              "no value satisfies it") from None
    kind = {f: True for f in ("integer", "real") if own.get(f)}
    stated = sp.Dummy(**kind, **{f: True for f in facts})
    if any(getattr(stated, f"is_{f}") is not True for f in own):
        declared = _declaration(symbol)
        conditions = ", ".join(f"{symbol} {_FACT_OPERATORS[f]} 0" for f in facts)
        raise AssumptionError(
            f"assume=[{conditions}] does not imply {symbol}'s declaration {declared}: SymPy "
            f"simplified the claim with {declared} while building it, which an assumption "
            f"cannot undo, so the verdict would hold for {declared} only.  To prove it for "
            f"{conditions}, build the claim with {symbol} declared so (Symbol("
            f"{symbol.name!r}, {facts[0]}=True)); for {declared}, drop the assumption")
    if all(getattr(symbol, f"is_{f}") is True for f in facts):
        return symbol  # the declaration says so already (a string 'epsilon > 0')
    if isinstance(symbol, SampleSymbol) or type(symbol) is sp.Symbol:
        return type(symbol)(symbol.name, **merged)
    return type(symbol)(*symbol.__getnewargs_ex__()[0], **merged)


def _check_budget(budget: float) -> float:
    try:
        seconds = float(budget)
    except (TypeError, ValueError):
        raise ValueError(f"budget must be a number of seconds, got {budget!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"budget must be a finite positive number of seconds, got {budget!r}")
    return seconds


def prove(lhs: SideLike, rhs: SideLike = 0, *, where: Where | None = None, assume: Assume = (),
          budget: float = DEFAULT_BUDGET, tries: int = 12, seed: int = 0) -> Verdict:
    """Prove or refute ``lhs == rhs`` for every value of every symbol.

    ``budget`` is the time in seconds the whole call may take (plus :data:`OVERHEAD`).
    Returns a :class:`~symbn.prove.verdict.Verdict`; never raises for a false or hard
    claim.  A list or tuple (of rows) is a matrix, as is a SymPy matrix; a matrix claim
    is proved entry by entry.  Raises :class:`AssumptionError` for an assumption it cannot
    apply, :class:`ShapeMismatch` for sides of different shapes, :class:`InexactNumber` for
    a float in the claim or a where= value, and ValueError for a budget that is not a
    finite positive number.  An inequality ``prove(lhs <= rhs)`` (``<``,
    ``>=``, ``>``; no second side) is proved with a certificate or refuted by
    :func:`symbn.prove.inequality.prove_inequality`.  An unevaluated ``sp.Eq(lhs, rhs)``
    alone is ``prove(lhs, rhs)``; any other relation or logical formula (``Ne``, ``And``, a
    Python bool such as ``expr1 == expr2``) is a TypeError saying how to state the claim.
    """
    lhs, rhs = _equation_sides(lhs, rhs)
    if isinstance(lhs, (sp.LessThan, sp.StrictLessThan, sp.GreaterThan, sp.StrictGreaterThan)):
        from symbn.prove.inequality import prove_inequality  # it imports this module

        if not (isinstance(rhs, int) and rhs == 0):
            raise TypeError("prove: give an inequality alone, prove(lhs <= rhs), not a second side")
        return prove_inequality(lhs, where=where, assume=assume, budget=budget,
                                tries=2 * tries, seed=seed)
    start = time.perf_counter()
    deadline = start + _check_budget(budget)
    given = _side(lhs, "lhs"), _side(rhs, "rhs")
    check_shapes(*given, who="prove")
    if isinstance(given[0], sp.MatrixBase) and 0 in given[0].shape:
        raise ValueError(f"prove: the claim is an empty {given[0].rows}x{given[0].cols} "
                         "matrix, so there is nothing to prove: give sides with at least "
                         "one entry")
    (left, right), statements, defined = assume_and_define(given, where, assume)
    if isinstance(left, sp.MatrixBase) or isinstance(right, sp.MatrixBase):
        return _prove_matrix(sp.Matrix(left), sp.Matrix(right), statements, deadline, tries, seed,
                             start, defined)
    return _prove_scalar(left, right, statements, deadline, tries, seed, start, defined)


def _equation_sides(lhs: Any, rhs: Any) -> tuple[Any, Any]:
    """(lhs, rhs) of ``prove(sp.Eq(lhs, rhs))``; the arguments unchanged for anything but a
    relation or logical formula prove does not state (a TypeError saying how to)."""
    alone = isinstance(rhs, int) and not isinstance(rhs, bool) and rhs == 0
    for side in (lhs, rhs):
        if isinstance(side, bool):
            raise TypeError(f"prove: a claim is the Python bool {side}: Python compared the "
                            "expressions (== compares their forms) before prove saw them; "
                            "give the two sides, prove(lhs, rhs), or sp.Eq(lhs, rhs)")
    if isinstance(lhs, BooleanAtom) and alone:
        raise ValueError(
            f"prove: the claim was evaluated to {lhs} by SymPy before prove saw it: sp.Eq of "
            "two matrices compares them at once, and a relation whose sides' declarations "
            "settle it is decided as it is built (Abs(a) >= 0).  Give an equation's two "
            "sides, prove(lhs, rhs), and an inequality with unevaluated sides, "
            "prove(sp.Le(lhs, rhs, evaluate=False)) (sp.Lt, sp.Ge, sp.Gt alike)")
    if isinstance(lhs, sp.Eq) and alone:
        return lhs.lhs, lhs.rhs
    inequality = (sp.LessThan, sp.StrictLessThan, sp.GreaterThan, sp.StrictGreaterThan)
    for side in (lhs, rhs):
        # a Symbol is a Boolean too (for logic): only a relation or formula that is no
        # expression is refused
        if isinstance(side, sp.logic.boolalg.Boolean) and not isinstance(side, sp.Expr) \
                and not isinstance(side, BooleanAtom) \
                and not (side is lhs and alone and isinstance(side, inequality)):
            raise TypeError(f"prove: {sp.sstr(side)} ({type(side).__name__}) is not a claim "
                            "prove states: give the two sides of an equation, prove(lhs, "
                            "rhs) or prove(sp.Eq(lhs, rhs)), or an inequality alone, "
                            "prove(lhs <= rhs); lhs != rhs is shown by prove(lhs, rhs) "
                            "coming out REFUTED; prove each part of And/Or on its own")
    return lhs, rhs


def assume_and_define(given: Sequence[Side], where: Where | None, assume: Assume
                      ) -> tuple[list[Side], tuple[str, ...], Definedness]:
    """:func:`apply_assumptions`, and where the claim *as given* is defined: its conditions
    are found before anything rewrites it (``where={b: a}`` turns b/a into 1, which hides
    a != 0), then carried through the assumptions."""
    found = conditions(*given)
    exprs, statements, transform = _assumptions(given, where, assume)
    found = list(dict.fromkeys(Condition(c.kind, e) for c in found
                               for e in transform(c.expr, every=True)))
    return exprs, statements, Definedness(_readable(found), tuple(found))


def _readable(found: list[Condition]) -> tuple[str, ...]:
    """:func:`~symbn.prove.definedness.readable` of ``found``, in the worker of the calling
    thread when it answers: the conditions' analysis is SymPy work, which there runs beside
    the other threads' proofs rather than under this process's one lock (and here when the
    worker fails, with its error)."""
    outcome = run_with_budget(readable, (found,), math.inf)
    if outcome.finished and outcome.error is None:
        return cast(tuple[str, ...], outcome.value)
    return readable(found)


def check_shapes(lhs: Side, rhs: Side, who: str) -> None:
    """:class:`ShapeMismatch` naming both shapes unless the sides have the same shape."""
    shapes = [f"a {side.rows}x{side.cols} matrix" if isinstance(side, sp.MatrixBase) else "a scalar"
              for side in (lhs, rhs)]
    if shapes[0] != shapes[1]:
        raise ShapeMismatch(f"{who}: lhs is {shapes[0]} and rhs is {shapes[1]}: give both "
                            "sides the same shape")


def _side(side: SideLike | None, name: str) -> Side:
    """One side of a claim as a SymPy expression or matrix (a list or tuple is a matrix);
    anything else is one clear TypeError or ValueError."""
    if side is None:
        raise TypeError(f"prove: {name} is None; give an expression, a string SymPy can "
                        "parse, or a matrix (a list of lists)")
    if isinstance(side, (list, tuple)):
        try:
            return sp.Matrix(side)
        except (ValueError, TypeError, sp.SympifyError) as error:
            raise ValueError(f"prove: {name} is a {type(side).__name__} that is not a "
                             f"matrix of expressions ({error})") from None
    try:  # a string is read exactly: a decimal written out is the number it shows
        return sp.sympify(side, strict=not isinstance(side, str), rational=isinstance(side, str))
    except (sp.SympifyError, SyntaxError, TypeError, TokenError) as error:
        what = f"the string {side!r}" if isinstance(side, str) else f"a {type(side).__name__}"
        raise ValueError(f"prove: {name} is {what}, which SymPy cannot read as an "
                         f"expression ({type(error).__name__})") from None


@dataclass(frozen=True)
class Definedness:
    """Where the claim as given is defined: the readable domain lines every PROVED
    includes, and the conditions the counterexample search evaluates."""

    domain: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()


#: the domain line of a proof by construction: lhs - rhs was 0 as built, so a factor SymPy
#: cancelled while building the claim (x/x -> 1) is unknown to the prover, its condition too
BUILT = "every factor SymPy may have cancelled while building the claim (x/x -> 1) is defined"


def _remaining(deadline: float) -> float:
    return deadline - time.perf_counter()


@dataclass(frozen=True)
class _Stage:
    """What one budgeted stage found for one claim: a counterexample, a proof (with its
    second check), or neither (``residual`` is the reduction reached)."""

    counterexample: Counterexample | None = None
    method: str | None = None
    residual: sp.Expr | None = None
    domain: tuple[str, ...] = ()
    certificate: Certificate | None = None
    check: _Check = (None, ())
    notes: tuple[str, ...] = ()
    #: a refutation's residual and counterexample as text (:func:`printed`), printed in
    #: the worker, beside the other proofs, rather than under the caller's one lock
    printed: dict[str, Any] | None = None


def _first_pass(pairs: Sequence[tuple[sp.Expr, sp.Expr]], tries: int, seed: int,
                found: Iterable[Condition] = ()) -> list[_Stage]:
    """In one child process, for each (lhs, rhs): the counterexample search, then
    ``rationalize`` and the second check of a proof.  One round trip decides most claims.
    ``found``: the claim's definedness conditions (a point they exclude is no gap).
    Stops at the first pair refuted: a matrix claim with one false entry is false, and
    the entries after it need not be searched (the list is then shorter than ``pairs``)."""
    stages: list[_Stage] = []
    for lhs, rhs in pairs:
        stages.append(_quick(lhs, rhs, tries, seed, found))
        if stages[-1].counterexample is not None:
            break
    refuted = stages[0].counterexample
    if len(pairs) == 1 and refuted is not None:  # (a matrix's verdict prints its own)
        stages[0] = replace(stages[0], printed=printed(sp.sympify(pairs[0][0] - pairs[0][1]),
                                                       refuted))
    return stages


def _quick(lhs: sp.Expr, rhs: sp.Expr, tries: int, seed: int,
           found: Iterable[Condition] = ()) -> _Stage:
    notes: list[str] = []
    try:
        counterexample = find_counterexample(lhs, rhs, tries=tries, seed=seed,
                                             conditions=found, notes=notes)
    except Exception as error:  # noqa: BLE001 -- a claim never raises; say what failed
        counterexample = None
        notes.append(f"counterexample search: failed: {error!r}")
    residual = sp.sympify(lhs - rhs)
    if residual == 0:  # the same expression: no point can tell them apart
        return _Stage(method="construction (lhs - rhs is 0 once built)", residual=sp.S.Zero,
                      check=_second_check(sp.S.Zero, None), notes=tuple(notes))
    if counterexample is not None:
        return _Stage(counterexample=counterexample)
    name, strategy = STRATEGIES[0]
    return _strategy(name, strategy, residual, tuple(notes))


def _strategy(name: str, strategy: Strategy, residual: sp.Expr,
              notes: tuple[str, ...] = ()) -> _Stage:
    """One strategy, and the second check of its proof, in the same child process."""
    try:
        reduction = strategy(residual)
    except Exception as error:  # noqa: BLE001 -- a claim never raises; say what failed
        return _Stage(residual=residual, notes=notes + (f"{name}: failed: {error!r}",))
    if reduction.residual != 0 or EMPTY in reduction.domain:
        return _Stage(residual=reduction.residual,
                      notes=notes + (f"{name}: residual did not reduce to 0",))
    return _Stage(method=name, residual=residual, domain=reduction.domain,
                  certificate=reduction.certificate,
                  check=_second_check(residual, reduction.certificate), notes=notes)


def _second_check(residual: sp.Expr, certificate: Certificate | None) -> _Check:
    """(confirmed, evidence) of :func:`symbn.prove.certificate.second_check`."""
    try:
        result = second_check(residual, certificate)
    except Exception as error:  # noqa: BLE001 -- an unchecked proof says so
        return None, (f"second check failed to run: {error!r}",)
    return result.confirmed, tuple(result.evidence)


def _budgeted(fn: Callable[..., _T], args: tuple[object, ...], deadline: float, label: str,
              attempts: list[str]) -> _T | None:
    """``fn(*args)`` in a child until the deadline; None (and a note) if it did not finish."""
    if _remaining(deadline) <= 0:
        attempts.append(f"{label}: {BUDGET_SPENT}")
        return None
    outcome = run_with_budget(fn, args, _remaining(deadline))
    if not outcome.finished:
        attempts.append(f"{label}: {OUT_OF_TIME}")
        return None
    if outcome.error:
        attempts.append(f"{label}: failed: {outcome.error.strip().splitlines()[-1]}")
        return None
    return cast(_T, outcome.value)  # what fn returned, back from the worker


def _find(lhs: sp.Expr, rhs: sp.Expr, tries: int, seed: int,
          found: Iterable[Condition]) -> tuple[Counterexample | None, list[str]]:
    """The extended search: more points, each looked at to the digits of the confirmation
    (a difference the first search was too coarse to see is one it finds)."""
    notes: list[str] = []
    return find_counterexample(lhs, rhs, tries=tries, seed=seed, conditions=found,
                               notes=notes, digits=CONFIRM_DIGITS), notes


def _prove_scalar(lhs: sp.Expr, rhs: sp.Expr, statements: tuple[str, ...], deadline: float,
                  tries: int, seed: int, start: float, defined: Definedness = Definedness(),
                  first: _Stage | None = None) -> Verdict:
    """``first``: the first pass's result for this claim, when a matrix ran it already;
    ``defined``: where the claim as given is defined (every PROVED's domain includes it)."""
    attempts: list[str] = []

    def verdict(status: Status, method: str, residual: sp.Expr,
                counterexample: Counterexample | None = None, **extra: Any) -> Verdict:
        return Verdict(status, method, statements, residual,
                       time.perf_counter() - start, counterexample, tuple(attempts), **extra)

    try:
        residual = sp.sympify(lhs - rhs)
    except (TypeError, ValueError) as error:
        return verdict(Status.UNDECIDED, f"SymPy cannot subtract the two sides: {error}", sp.nan)
    if first is None:
        stages = _budgeted(_first_pass, ([(lhs, rhs)], tries, seed, defined.conditions), deadline,
                           "counterexample search and rationalize", attempts)
        first = stages[0] if stages else None
    later: tuple[tuple[str, Strategy], ...]
    reduced, later = residual, STRATEGIES
    if first is None and residual == 0:
        return verdict(Status.PROVED, "construction (lhs - rhs is 0 once built)", residual,
                       evidence=(f"no second check: {BUDGET_SPENT}",),
                       domain=defined.domain + (BUILT,))
    if first is not None:
        attempts.extend(first.notes)
        if first.counterexample is not None:
            return verdict(Status.REFUTED, "counterexample at an exact point", residual,
                           first.counterexample, evidence=_RECHECKED, _printed=first.printed)
        if first.method is not None:
            return _proved(verdict, first, defined, attempts)
        reduced, later = first.residual, STRATEGIES[1:]
    for name, strategy in later:
        stage = _budgeted(_strategy, (name, strategy, residual), deadline, name, attempts)
        if stage is not None:
            attempts.extend(stage.notes)
            if stage.method is not None:
                return _proved(verdict, stage, defined, attempts)
            reduced = stage.residual
    # whether the budget, not the strategies, left the claim undecided (the extended search
    # after them can refute, never prove)
    late = any(OUT_OF_TIME in note or BUDGET_SPENT in note for note in attempts)
    extended = _budgeted(_find, (lhs, rhs, 8 * tries, seed + 1, defined.conditions), deadline,
                         "extended counterexample search", attempts)
    counterexample = None
    if extended is not None:
        counterexample, notes = extended
        attempts.extend(dict.fromkeys(notes))
    if counterexample is not None:
        return verdict(Status.REFUTED, "counterexample at an exact point (extended search)",
                       reduced, counterexample, evidence=_RECHECKED)
    unsampled = [note for note in attempts if UNSAMPLED in note]
    return verdict(Status.UNDECIDED, ("the time budget ran out before a strategy reduced the "
                                      "residual to 0" if late else
                                      "no strategy reduced the residual to 0")
                   + (f"; {unsampled[0].split(': ', 1)[1]}" if unsampled else ""), reduced)


def _proved(verdict: Callable[..., Verdict], stage: _Stage, defined: Definedness,
            attempts: list[str]) -> Verdict:
    """PROVED after the independent second check, on the domain where the claim as given
    is defined and the strategy's own; UNDECIDED if the second check disagrees, if the
    claim is defined nowhere, if the search met a point where one side only is undefined
    that the domain does not exclude, or if it met no point where both sides are defined."""
    confirmed, evidence = stage.check
    if confirmed is False:
        return verdict(Status.UNDECIDED, f"{stage.method} reduced it to 0, but the second "
                       "check disagreed", stage.residual, evidence=evidence)
    if EMPTY in defined.domain:
        return verdict(Status.UNDECIDED, f"{stage.method} reduced it to 0, but a side is "
                       "undefined everywhere (a denominator known 0 or a radicand known < 0)",
                       stage.residual)
    gaps = [a for a in attempts if a.startswith((GAP, NOWHERE))]
    if gaps:
        return verdict(Status.UNDECIDED, f"{stage.method} reduced it to 0, but {gaps[0]}",
                       stage.residual)
    built = (BUILT,) if cast(str, stage.method).startswith("construction") else ()  # a proof names its method
    domain = tuple(dict.fromkeys(defined.domain + tuple(stage.domain) + built))
    return verdict(Status.PROVED, stage.method, sp.S.Zero, domain=domain,
                   evidence=evidence, certificate=stage.certificate)


def _prove_matrix(lhs: sp.MatrixBase, rhs: sp.MatrixBase, statements: tuple[str, ...],
                  deadline: float, tries: int, seed: int, start: float,
                  defined: Definedness) -> Verdict:
    pairs = list(zip(lhs, rhs))
    firsts: Sequence[_Stage | None] = _budgeted(
        _first_pass, (pairs, tries, seed, defined.conditions), deadline,
        "counterexample search and rationalize", []) or [None] * len(pairs)
    if firsts[-1] is not None and firsts[-1].counterexample is not None:
        pairs = pairs[:len(firsts)]  # an entry is refuted: the claim is, whatever the rest
    entries = [(_prove_scalar(a, b, statements, deadline, tries, seed, start, defined, first),
                index)
               for index, ((a, b), first) in enumerate(zip(pairs, firsts))]
    for wanted in (Status.REFUTED, Status.UNDECIDED):
        for v, index in entries:
            if v.status is wanted:
                # an undecided claim keeps the other entries' running out of time (one
                # might have been refuted): it depends on the machine's load, and is not cached
                late = tuple(f"entry {k}: {note}" for w, k in entries if k != index
                             for note in w.attempts if OUT_OF_TIME in note or BUDGET_SPENT in note
                             ) if wanted is Status.UNDECIDED else ()
                return Verdict(v.status, f"entry {index}: {v.method}", statements,
                               lhs - rhs, time.perf_counter() - start, v.counterexample,
                               v.attempts + late)
    methods = sorted({v.method for v, _ in entries})
    domain = tuple(dict.fromkeys(c for v, _ in entries for c in v.domain))
    evidence = tuple(dict.fromkeys(e for v, _ in entries for e in v.evidence))
    return Verdict(Status.PROVED, "entrywise: " + ", ".join(methods), statements,
                   sp.zeros(*lhs.shape), time.perf_counter() - start,
                   domain=domain, evidence=evidence)
