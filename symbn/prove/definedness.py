"""Where a claim is defined: the conditions for ``lhs == rhs`` AS GIVEN to make sense.

A PROVED holds only where both sides are defined, so its domain includes these
conditions, computed from the claim before any strategy rewrites it (a strategy that
cancels z/z or rewrites |z| as z*sign(z) would otherwise lose "z != 0"):

* every denominator that can vanish: ``d != 0`` (``d > 0`` for a variance);
* every square root's radicand: ``B >= 0`` on the reals (``B > 0`` in a denominator);
* a function at a possible pole or outside its real domain: log(B) needs ``B > 0``,
  tan(z) ``cos(z) != 0``, cot(z) and csc(z) ``sin(z) != 0``, coth(z) and csch(z)
  ``z != 0``, asin(z) ``1 - z**2 >= 0``, ...; a function not in :data:`FINITE` and not
  listed there needs ``f(z) is finite``.

Conditions inside a batch mean hold at every sample (``x - Mean(x) != 0``).  A condition
known to hold (eps > 0, Var(x) + eps > 0) is left out.  Each condition can be evaluated
at a point (:meth:`Condition.holds_at`): the counterexample search uses that to make sure a
point where one side is undefined is excluded by the domain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from symbn.core import Mean, SampleSymbol, depends_on_sample, evaluate_at_batch
from symbn.prove.accuracy import accurate
from symbn.prove.strategies import EMPTY, _freeze, _holds, _is_radical, _nonzero_factors, _readable

#: functions finite at every real argument (an undefined function is generic and smooth)
FINITE = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.atan, sp.erf, sp.erfc,
          sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise, sp.floor,
          sp.ceiling, sp.frac, sp.re, sp.im, sp.Derivative, AppliedUndef, Mean)
#: a function's condition on its argument z: (kind, expression compared with 0)
_POLES: dict[object, Callable[[sp.Expr], tuple[str, sp.Expr]]] = {
    sp.tan: lambda z: ("!=", sp.cos(z)), sp.sec: lambda z: ("!=", sp.cos(z)),
    sp.cot: lambda z: ("!=", sp.sin(z)), sp.csc: lambda z: ("!=", sp.sin(z)),
    sp.coth: lambda z: ("!=", z), sp.csch: lambda z: ("!=", z),
    sp.log: lambda z: (">", z), sp.asin: lambda z: (">=", 1 - z**2),
    sp.acos: lambda z: (">=", 1 - z**2), sp.atanh: lambda z: (">", 1 - z**2),
    sp.acosh: lambda z: (">=", z - 1), sp.acoth: lambda z: (">", z**2 - 1),
}
_RELATIONS = {">": sp.StrictGreaterThan, ">=": sp.GreaterThan, "!=": sp.Unequality}


@dataclass(frozen=True)
class Condition:
    """``expr > 0`` / ``>= 0`` / ``!= 0``, or ``expr is finite`` (kind "finite")."""

    kind: str
    expr: sp.Expr

    def holds_at(self, samples: dict[SampleSymbol, list[sp.Expr]], constants: dict[sp.Symbol, sp.Expr]) -> bool:
        """False when the condition fails (or cannot be evaluated) at some sample of the
        point; True when it holds at every sample."""
        m = len(next(iter(samples.values()))) if samples else 1
        for i in range(m if depends_on_sample(self.expr) else 1):
            try:
                value = evaluate_at_batch(self.expr, samples, i) if samples else self.expr
                # a value with no correct digit (sin(b)**2 + cos(b)**2 - 1 evaluates to
                # 1e-31 or so) cannot be evaluated: it is not nonzero
                value = accurate(sp.sympify(value).xreplace(constants), 30)
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
                return False
            if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_number:
                return False
            if self.kind == "finite":
                continue
            if not value.is_comparable:
                return False
            if not {">": value > 0, ">=": value >= 0, "!=": value != 0}[self.kind]:
                return False
        return True


def conditions(*exprs: object) -> list[Condition]:
    """The conditions for ``exprs`` to be defined on the reals, unsimplified."""
    found: list[Condition] = []
    for expr in exprs:
        for e in sp.preorder_traversal(sp.sympify(expr)):
            found += _own(e)
    return list(dict.fromkeys(found))


def _own(e: sp.Basic) -> list[Condition]:
    if isinstance(e, sp.Pow):
        if _is_radical(e):
            return [Condition(">" if e.exp.is_negative else ">=", e.base)]
        if e.exp.is_negative:
            return [Condition("!=", e.base)]
        if not e.exp.is_number:
            return [Condition("finite", e)]
        return []
    if not isinstance(e, sp.Function) or isinstance(e, FINITE):
        return []
    pole = _POLES.get(e.func)
    if pole is not None and len(e.args) == 1:
        return [Condition(*pole(e.args[0]))]
    return [Condition("finite", e)]


def readable(found: list[Condition]) -> tuple[str, ...]:
    """The conditions not known to hold, readable; (EMPTY,) when one is known false."""
    texts: list[str] = []
    for condition in found:
        own = _readable_one(condition)
        if EMPTY in own:
            return (EMPTY,)
        texts += own
    return tuple(dict.fromkeys(texts))


@functools.lru_cache(maxsize=4096)
def _readable_one(condition: Condition) -> tuple[str, ...]:
    """:func:`readable` of one condition (memoised: a catalogue run meets most of its
    conditions several times, in a claim, its controls and its explicit forms)."""
    if condition.kind == "finite":
        return () if condition.expr.is_finite is True else (f"{condition.expr} is finite",)
    # SymPy's sign rules settle most conditions as given (eps + a sum of squares > 0) at a
    # fraction of the cost of expanding them first (a variance at N = 8 has 64 terms)
    if (condition.expr.is_nonnegative if condition.kind == ">=" else condition.expr.is_positive):
        return ()
    if not _small(condition.expr):  # expanding it could take longer than any budget
        return (f"{condition.expr} {condition.kind} 0",)
    frozen, atoms, known = _freeze(condition.expr)
    frozen = sp.factor_terms(sp.expand(frozen))
    # B > 0 for a B known >= 0 (a variance) is B != 0: a**2 Var > 0 reads a != 0, Var > 0
    nonzero = condition.kind == "!=" or condition.kind == ">" and (
        frozen.is_nonnegative or _holds(sp.GreaterThan(frozen, 0), known))
    relations = _nonzero_factors(frozen) if nonzero else [
        _RELATIONS[condition.kind](frozen, 0, evaluate=False)]
    texts: list[str] = []
    for relation in relations:
        if type(relation)(relation.lhs, 0) is sp.false:
            return (EMPTY,)
        if not _holds(relation, known):
            texts.append(_readable(relation, atoms))
    return tuple(texts)


def _small(expr: sp.Expr) -> bool:
    """True when expanding ``expr`` is cheap: no integer power above 16, few operations."""
    return sp.count_ops(expr) <= 400 and not any(
        p.exp.is_Integer and abs(p.exp) > 16 for p in expr.atoms(sp.Pow))

