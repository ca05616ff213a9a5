"""A rational expression over one denominator, its numerator expanded in SymPy's sparse
polynomial ring over QQ: the exact zero test of the ``rationalize`` strategy.

An expression built from symbols and rational numbers by +, * and integer powers is a
rational function N/D.  N is expanded by ring arithmetic (dicts of exponent tuples), far
cheaper than ``together`` and ``expand`` on SymPy trees; D is kept as a product of
factors, each a monic polynomial: a sum a/(F**i G) + b/(F**j H) goes over
F**max(i, j) G H, a factor the terms share counted once (as ``together`` does), and no
gcd is computed.  Every factor is a nonzero polynomial (a base that is the zero
polynomial is refused: it divides by 0), so the expression is 0 iff N is the zero
polynomial.

Any other subexpression (a function, a Float, pi) is an *opaque* atom, and a fractional
power B**(p/q) is (B**(1/q))**p with the root B**(1/q) an opaque atom: a further
indeterminate of the ring.  N = 0 then still proves the expression 0, whatever values
the atoms take; N != 0 does not prove it nonzero, since atoms may be related
(sqrt(B)**2 = B, exp(a)*exp(-a) = 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sympy as sp

#: a factor of the denominator (a monic polynomial of the ring) -> its exponent
Denominator = dict[Any, int]
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)


class ZeroDivisor(ValueError):
    """A base raised to a negative power is the zero polynomial: a division by 0."""


@dataclass(frozen=True)
class Fraction:
    """An expression = ``numerator`` / prod(f**k for f, k in ``denominator``.items()).

    ``opaque``: True when the ring has an indeterminate other than a symbol (a nonzero
    numerator then proves nothing).  ``recorded``: when asked for, the numerator before
    expansion, a SymPy expression built without evaluation (for a certificate).
    """

    numerator: Any  # an element of SymPy's PolyRing over QQ
    denominator: Denominator
    opaque: bool
    recorded: sp.Expr | None = None

    @property
    def is_zero(self) -> bool:
        return not self.numerator

    def denominator_expr(self) -> sp.Expr:
        return sp.Mul(*[f.as_expr() ** k for f, k in self.denominator.items()])

    def as_expr(self) -> sp.Expr:
        """numerator / denominator, the numerator expanded."""
        return self.numerator.as_expr() / self.denominator_expr()


def fractions(exprs: Iterable[sp.Expr], *, record: bool = False) -> list[Fraction]:
    """Each of ``exprs`` as a :class:`Fraction`, all in one ring (so they combine).

    Raises :class:`ZeroDivisor` for a division by a polynomial that is 0, and
    ValueError for an infinity or nan.
    """
    exprs = [sp.sympify(e) for e in exprs]
    ring = _Ring(exprs, record)
    return [ring.fraction(e) for e in exprs]


def fraction(expr: sp.Expr, *, record: bool = False) -> Fraction:
    """:func:`fractions` of one expression."""
    return fractions([expr], record=record)[0]


#: one node's value: (expanded numerator, denominator, numerator before expansion or None)
_Part = tuple[Any, Denominator, sp.Expr | None]


class _Ring:
    """The ring of some expressions, and each subexpression's :data:`_Part`, memoised:
    an explicit batch form repeats its mean and variance many times."""

    def __init__(self, exprs: list[sp.Expr], record: bool) -> None:
        gens = _indeterminates(exprs)
        self.ring = sp.ring(gens, sp.QQ)[0]
        self.gens = dict(zip(gens, self.ring.gens))
        self.opaque = any(not g.is_Symbol for g in gens)
        self.record = record
        self._parts: dict[sp.Expr, _Part] = {}
        self._powers: dict[tuple[Any, int], Any] = {}
        self._exprs: dict[Any, sp.Expr] = {}

    def fraction(self, expr: sp.Expr) -> Fraction:
        numerator, denominator, recorded = self._part(expr)
        return Fraction(numerator, denominator, self.opaque, recorded)

    def _part(self, expr: sp.Expr) -> _Part:
        part = self._parts.get(expr)
        if part is None:
            part = self._parts[expr] = self._compute(expr)
        return part

    def _compute(self, expr: sp.Expr) -> _Part:
        if expr in self.gens:
            return self.gens[expr], {}, expr
        if expr.is_Rational:
            return self.ring(sp.QQ(int(expr.p), int(expr.q))), {}, expr
        if expr.is_Add:
            return self._sum([self._part(a) for a in expr.args])
        if expr.is_Mul:
            parts = [self._part(a) for a in expr.args]
            numerator, denominator = parts[0][0], dict(parts[0][1])
            for n, d, _ in parts[1:]:
                numerator = numerator * n
                for f, k in d.items():
                    denominator[f] = denominator.get(f, 0) + k
            return numerator, denominator, self._unevaluated(sp.Mul, [p[2] for p in parts])
        if expr.is_Pow and expr.exp.is_Integer:
            return self._power(self._part(expr.base), int(expr.exp))
        # B**(p/q) = (B**(1/q))**p, the root an indeterminate (see _indeterminates)
        root = _root(expr)
        return self._power((self.gens[root], {}, root), int(expr.exp.p))

    def _sum(self, parts: list[_Part]) -> _Part:
        """sum_i n_i/D_i = (sum_i n_i * D/D_i) / D, D the least product of the factors."""
        denominator: Denominator = {}
        for _, d, _ in parts:
            for f, k in d.items():
                denominator[f] = max(denominator.get(f, 0), k)
        numerator = self.ring.zero
        terms = []
        for n, d, r in parts:
            missing = [(f, k - d.get(f, 0)) for f, k in denominator.items() if k > d.get(f, 0)]
            for f, k in missing:
                n = n * self._pow(f, k)
            numerator = numerator + n
            if self.record:
                terms.append(self._unevaluated(sp.Mul, [r] + [self._factor(f, k)
                                                              for f, k in missing]))
        return numerator, denominator, self._unevaluated(sp.Add, terms)

    def _power(self, part: _Part, k: int) -> _Part:
        """(n/D)**k; for k < 0, with n = c*f (f monic): (D**|k| / c**|k|) / f**|k|."""
        n, d, r = part
        if k >= 0:
            return (self._pow(n, k), {f: e * k for f, e in d.items()},
                    _pow_expr(r, k) if self.record else None)
        k = -k
        if not n:
            raise ZeroDivisor("a base raised to a negative power is the zero polynomial")
        c = n.LC
        numerator = self.ring((1 / c) ** k)
        for g, e in d.items():
            numerator = numerator * self._pow(g, e * k)
        recorded = None
        if self.record:
            recorded = self._unevaluated(sp.Mul, [sp.QQ.to_sympy(1 / c) ** k] + [
                self._factor(g, e * k) for g, e in d.items()])
        return numerator, ({} if n.is_ground else {n.monic(): k}), recorded

    def _pow(self, f: Any, k: int) -> Any:
        if k == 1:
            return f
        key = (f, k)
        if key not in self._powers:
            self._powers[key] = f**k
        return self._powers[key]

    def _factor(self, f: Any, k: int) -> sp.Expr | None:
        """f**k as an unevaluated SymPy power (f's expression made once)."""
        if f not in self._exprs:
            self._exprs[f] = f.as_expr()
        return _pow_expr(self._exprs[f], k)

    def _unevaluated(self, op: type, args: list[Any]) -> sp.Expr | None:
        """op(*args) built without evaluation; a factor 1 left out of a product."""
        if not self.record:
            return None
        if op is sp.Mul:
            args = [a for a in args if a is not sp.S.One] or [sp.S.One]
        return args[0] if len(args) == 1 else op(*args, evaluate=False)


def _root(power: sp.Pow) -> sp.Expr:
    return sp.Pow(power.base, sp.Rational(1, power.exp.q))


def _indeterminates(exprs: list[sp.Expr]) -> list[sp.Expr]:
    """The symbols of ``exprs``, then their opaque atoms (each distinct node visited once):
    a fractional power's root B**(1/q); any node but +, *, an integer power, a symbol or
    a rational number whole."""
    symbols: set[sp.Expr] = set()
    atoms: dict[sp.Expr, None] = {}
    seen: set[sp.Basic] = set()
    todo = list(exprs)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.is_Symbol:
            symbols.add(node)
        elif node.is_Add or node.is_Mul or node.is_Pow and node.exp.is_Integer:
            todo.extend(node.args)
        elif node.is_Pow and node.exp.is_Rational:
            root = _root(node)
            atoms.setdefault(root, None)
            todo.append(node.base)
        elif node in _UNDEFINED:
            raise ValueError(f"{node} is not a value")
        elif not node.is_Rational:
            atoms.setdefault(node, None)
    return sorted(symbols, key=sp.default_sort_key) + sorted(atoms, key=sp.default_sort_key)


def _pow_expr(base: sp.Expr | None, k: int) -> sp.Expr | None:
    return base if k == 1 or base is None else sp.Pow(base, k, evaluate=False)
