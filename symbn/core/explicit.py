"""The explicit form: a concrete batch of m samples, x0 .. x{m-1}.

Slow but obviously right: means become explicit sums and derivatives are plain
``sympy.diff``.  It is the ground truth the general form's rules are checked against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

from symbn.core.batch import Mean, N, SampleSymbol, sample_variables


class ExplicitSymbol(sp.Symbol):
    """Sample ``index``'s copy of the per-sample variable named ``variable``, printed ``x3``.

    It is identified by (variable, index), not by its printed name, so it never equals a
    user's symbol ``x3``, and sample 0 of ``x1`` is not sample 10 of ``x``.
    """

    def __new__(cls, variable: str, index: int, **assumptions: Any) -> ExplicitSymbol:
        obj: ExplicitSymbol = sp.Symbol.__xnew__(cls, f"{variable}{index}", **assumptions)
        obj.variable, obj.index = variable, int(index)
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str, int], dict[str, Any]]:
        return (self.variable, self.index), self.assumptions0

    def _hashable_content(self) -> tuple[Any, ...]:
        content: tuple[Any, ...] = super()._hashable_content()
        return content + (self.variable, self.index)


def explicit_symbol(var: SampleSymbol, i: int) -> ExplicitSymbol:
    """Sample i's copy of a per-sample variable: ``x`` -> ``x3``."""
    return ExplicitSymbol(var.name, i, **var.assumptions0)


def explicit_symbols(var: SampleSymbol, m: int) -> list[sp.Symbol]:
    """``[x0, ..., x{m-1}]``."""
    return [explicit_symbol(var, i) for i in range(m)]


def instantiate(expr: sp.Expr, m: int, sample: int = 0) -> sp.Expr:
    """The explicit form of a general-form expression at batch size ``m``.

    Every ``Mean(h)`` becomes ``(1/m) * sum_i h(x_i)``, ``N`` becomes ``m``, and the
    generic sample becomes sample ``sample``.  A batch scalar does not depend on it.
    """
    if not isinstance(m, int) or m < 1:
        raise ValueError(f"batch size m must be a positive integer, got {m!r}")
    if not 0 <= sample < m:
        raise ValueError(f"sample index must be in 0..{m - 1}, got {sample}")
    return _Instantiation(m).at(sp.sympify(expr), sample)


def instantiate_all(expr: sp.Expr, m: int) -> list[sp.Expr]:
    """The explicit form of ``expr`` at each of the m samples."""
    inst = _Instantiation(m)
    expr = sp.sympify(expr)
    return [inst.at(expr, i) for i in range(m)]


def evaluate_at_batch(expr: sp.Expr, samples: Mapping[SampleSymbol, Sequence[Any]],
                      sample: int = 0) -> sp.Expr:
    """The value of a general-form expression on a concrete batch, at sample ``sample``.

    ``samples`` maps each per-sample variable to its m values (numbers); the result still
    holds any batch constant that was not given a value.
    """
    sizes = {len(values) for values in samples.values()}
    if len(sizes) != 1:
        raise ValueError(f"every per-sample variable needs the same number of values, got {sizes}")
    m = sizes.pop()

    def value(var: SampleSymbol, i: int) -> sp.Expr:
        return sp.sympify(samples[var][i])
    return _Instantiation(m, value).at(sp.sympify(expr), sample)


class _Instantiation:
    """One batch size; explicit means are cached (they do not depend on the sample).

    ``sample_value(var, i)`` is what sample i's copy of ``var`` becomes: a symbol for the
    explicit form, a number for evaluation on a concrete batch.
    """

    def __init__(self, m: int,
                 sample_value: Callable[[SampleSymbol, int], sp.Expr] = explicit_symbol):
        self.m = m
        self.sample_value = sample_value
        self._means: dict[Mean, sp.Expr] = {}

    def mean(self, mean: Mean) -> sp.Expr:
        if mean not in self._means:
            h = mean.args[0]
            self._means[mean] = sp.Add(*[self.at(h, i) for i in range(self.m)]) / self.m
        return self._means[mean]

    def at(self, expr: sp.Expr, i: int) -> sp.Expr:
        outer = {m: self.mean(m) for m in _outermost_means(expr)}
        expr = expr.xreplace(outer)
        here = {v: self.sample_value(v, i) for v in sample_variables(expr)}
        return expr.xreplace(here).xreplace({N: sp.Integer(self.m)})


def _outermost_means(expr: sp.Basic) -> set[Mean]:
    if isinstance(expr, Mean):
        return {expr}
    found: set[Mean] = set()
    for arg in getattr(expr, "args", ()):
        found |= _outermost_means(arg)
    return found


