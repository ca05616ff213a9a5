"""``prove_inequality(lhs <= rhs)``: PROVED with an exact certificate, or REFUTED at a point.

The difference ``D`` (rhs - lhs for ``<=``/``<``, lhs - rhs for ``>=``/``>``) must be
nonnegative (positive for a strict claim) for every value the assumptions allow.

1. Refute first: exact rational points (concrete batches for general-form claims, the
   boundaries too: constant batches, zeros, wide values, a batch of one) where D < 0
   (D <= 0 for a strict claim), re-evaluated at 60 digits (exactly, when D is 0).  A
   point where a ball certainly holding D (:mod:`symbn.prove.enclosure`) shows the
   relation holds is passed over without that exact evaluation.
2. Certify: D in moment form, each batch mean of a monomial an atom, each ``sqrt(B)`` a
   symbol ``s > 0`` with ``s**2 = B``; D = P/Q in lowest terms, Q a product of
   irreducible factors (sparse polynomial arithmetic throughout).  Each factor of Q gets
   a known sign (a positive symbol, a radicand, or a factor proved > 0 by a
   certificate of its own; what cannot be signed is stated as the domain), and then
   ``M * Q * D`` (a multiplier M = 1, or a mean of squares such as Mean(g**2), stated
   ``> 0`` in the domain) is written as a nonnegative combination of squares of batch
   constants and batch means of squares (:mod:`symbn.prove.sos`), times positive
   symbols.  A strict claim needs one term that is a positive symbol product alone.
3. The identity ``multiplier * D = sum of terms`` is re-verified exactly from the claim
   (moment form, s**2 -> B, expanded: 0); a certificate that fails is discarded and the
   verdict is UNDECIDED with the reason.

The verdict's certificate (:class:`InequalityCertificate`) prints as a readable sum and
exports JSON that :mod:`symbn.certify.inequality` re-checks with python-flint alone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Any

import sympy as sp

from symbn.core import Mean, N, SampleSymbol, evaluate_at_batch, moment_form
from symbn.prove import sos
from symbn.prove.accuracy import PrecisionExhausted, accurate
from symbn.prove.budget import run_with_budget
from symbn.prove.definedness import Condition
from symbn.prove.enclosure import enclosures
from symbn.prove.prover import BUILT, DEFAULT_BUDGET, AssumptionError, assume_and_define
from symbn.prove.strategies import EMPTY
from symbn.prove.sampling import (BATCH_SIZES, BOUNDARIES, CONFIRM_DIGITS, SEARCH_DIGITS,
                                  Unsampleable, random_point)
from symbn.prove.verdict import BUDGET_SPENT, OUT_OF_TIME, Counterexample, Status, Verdict

__all__ = ["FORMAT", "RELATIONS", "AssumptionError", "InequalityCertificate", "certify",
           "prove_inequality", "refute", "relation_of", "second_check", "split", "vacuous", "verify"]

#: relation class -> (operator, strict, sign of D = sign * (rhs - lhs))
RELATIONS: dict[type, tuple[str, bool, int]] = {
    sp.LessThan: ("<=", False, 1), sp.StrictLessThan: ("<", True, 1),
    sp.GreaterThan: (">=", False, -1), sp.StrictGreaterThan: (">", True, -1),
}
#: the most basis candidates one block may have before the search gives up on it
_MAX_CANDIDATES = 4000


class Unsupported(ValueError):
    """A difference outside what the certificate search handles (the reason)."""


@dataclass(frozen=True)
class Factor:
    """A factor of the certificate's multiplier, ``expr**power``, and why it is > 0:
    ``"positive symbol"``, ``"square root"`` (of a radicand shown > 0), ``"radicand"``,
    ``"domain"`` (stated in the verdict's domain) or ``"proved"`` (``proof`` certifies
    expr > 0).  A constant of the denominator is in the numerator, never a factor."""

    expr: sp.Expr
    power: int
    reason: str
    proof: InequalityCertificate | None = None


@dataclass(frozen=True)
class InequalityCertificate:
    """``multiplier * D = sum of terms``, every factor > 0 and every term >= 0.

    D is ``rhs - lhs`` (``<=``, ``<``) or ``lhs - rhs`` (``>=``, ``>``); each term is
    ``coefficient * multiplier * Mean(base**2)`` or ``... * base**2`` with a rational
    coefficient >= 0 and a multiplier that is a product of positive symbols and square
    roots.  A strict claim's certificate holds a term with base 1 and positive symbols
    only.  ``radicands``: each square root's radicand, proved > 0 or stated in the domain.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    relation: str
    multiplier: tuple[Factor, ...]
    terms: tuple[sos.Square, ...]
    radicands: tuple[Factor, ...] = ()
    samples: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()

    @property
    def difference(self) -> sp.Expr:
        return self.rhs - self.lhs if self.relation in ("<=", "<") else self.lhs - self.rhs

    @property
    def difference_text(self) -> str:
        return "(rhs - lhs)" if self.relation in ("<=", "<") else "(lhs - rhs)"

    def multiplier_expr(self) -> sp.Expr:
        return sp.Mul(*[f.expr ** f.power for f in self.multiplier])

    def sum_expr(self) -> sp.Expr:
        return sp.Add(*[term_expr(t) for t in self.terms])

    def text(self) -> str:
        """``(epsilon + Mean(...)) * (rhs - lhs) = epsilon + Mean((...)**2)``."""
        factors = " * ".join(f"({sp.sstr(f.expr)})" + (f"**{f.power}" if f.power != 1 else "")
                             for f in self.multiplier if f.expr != 1)
        left = f"{factors} * {self.difference_text}" if factors else self.difference_text
        right = " + ".join(_term_text(t) for t in self.terms) or "0"
        return f"{left} = {right}"

    def lines(self) -> tuple[str, ...]:
        """The evidence lines of a PROVED verdict."""
        lines = [f"certificate: {self.text()}"]
        for f in self.multiplier + self.radicands:
            if f.reason == "proved" and f.proof is not None:
                proof = " + ".join(_term_text(t) for t in f.proof.terms)
                lines.append(f"  {sp.sstr(f.expr)} > 0 as it equals {proof}")
        lines.append("the certificate was re-verified exactly (SymPy: multiplier * "
                     f"{self.difference_text} - sum of terms expands to 0 in moment form, "
                     "each sqrt(B)**2 = B); every Gram matrix is PSD by an exact rational "
                     "LDL^T")
        return tuple(lines)

    def to_json(self) -> dict[str, Any]:
        """The certificate as plain data in the format ``FORMAT`` (``python -m
        symbn.certify`` re-checks it); ``reading`` says in words what the fields state."""
        return {
            "format": FORMAT, "reading": READING,
            "lhs": _text(self.lhs), "rhs": _text(self.rhs), "relation": self.relation,
            "sample_variables": list(self.samples), "positive_symbols": list(self.positive),
            "multiplier_factors": [self._factor_json(f) for f in self.multiplier],
            "radicands": [self._factor_json(f) for f in self.radicands],
            "terms": [{"coefficient": str(t.coefficient),
                       "positive_factor": _text(t.multiplier), "squared": _text(t.base),
                       "inside_batch_mean": t.in_mean} for t in self.terms],
        }

    def _factor_json(self, f: Factor) -> dict[str, Any]:
        """A factor; its proof rests on this certificate's hypotheses (the checker
        refuses a nested proof that states others)."""
        data: dict[str, Any] = {"expr": _text(f.expr), "power": int(f.power),
                                "reason": f.reason}
        if f.proof is not None:
            data["proof"] = {**f.proof.to_json(), "sample_variables": list(self.samples),
                             "positive_symbols": list(self.positive)}
        return data


#: the format tag of an inequality certificate's JSON (``symbn-certificate/1`` is an
#: equality's)
FORMAT = "symbn-inequality-certificate/1"
#: what a certificate in ``FORMAT`` states, written into each file for its reader
READING = (
    "(product over multiplier_factors of expr**power) * D = sum over terms of coefficient "
    "* positive_factor * S, where D = rhs - lhs (lhs - rhs for >= and >), S = "
    "Mean(squared**2) (a batch mean over the sample_variables) when inside_batch_mean, else "
    "squared**2; every coefficient is a rational >= 0, every positive_factor a product of "
    "positive_symbols and square roots, every multiplier factor and radicand > 0 for its "
    "reason ('proved': its proof, a certificate of 0 < expr in this format); so D >= 0 (> 0 "
    "for a strict relation, which needs a term with squared = 1) wherever the domain holds")




def _text(expr: sp.Expr) -> str:
    """Python syntax the certificate checker parses (rationals as integer quotients)."""
    return str(sp.sstr(sp.sympify(expr), order="lex"))


def term_expr(t: sos.Square) -> sp.Expr:
    square = Mean(t.base**2) if t.in_mean else t.base**2
    return t.coefficient * t.multiplier * square


def _squared(base: sp.Expr) -> str:
    text = sp.sstr(base)
    return f"{text}**2" if base.is_Atom or isinstance(base, Mean) else f"({text})**2"


def _term_text(t: sos.Square) -> str:
    inner = f"Mean({_squared(t.base)})" if t.in_mean else (
        "" if t.base == 1 else _squared(t.base))
    parts = [sp.sstr(c) for c in (t.coefficient, t.multiplier) if c != 1] + ([inner] if inner else [])
    return "*".join(parts) or "1"


# --- the ring: moment atoms, square roots --------------------------------------------


class Ring:
    """Batch means of monomials as symbols, each sqrt(B) a symbol s > 0 with s**2 = B."""

    def __init__(self) -> None:
        self.atoms: dict[sp.Expr, sp.Symbol] = {}   # sample monomial -> its mean's symbol
        self.roots: dict[sp.Symbol, sp.Expr] = {}   # s -> B (in ring symbols)
        self._root_of: dict[sp.Expr, sp.Symbol] = {}
        self.samples: set[SampleSymbol] = set()

    def mean_of(self, monomial: sp.Expr) -> sp.Expr:
        """The symbol for Mean(monomial); 1 for the monomial 1."""
        if monomial == 1:
            return sp.S.One
        if monomial not in self.atoms:
            even = all(e % 2 == 0 for e in monomial.as_powers_dict().values())
            self.atoms[monomial] = sp.Dummy(f"M[{monomial}]", **(
                {"nonnegative": True} if even else {"real": True}))
            self.samples |= monomial.free_symbols
        return self.atoms[monomial]

    def encode(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with means and square roots as the ring's symbols."""
        expr = moment_form(sp.sympify(expr))
        expr = expr.replace(lambda e: isinstance(e, Mean), self._mean)
        return expr.replace(lambda e: e.is_Pow and e.exp.is_Rational and e.exp.q == 2,
                            lambda e: self._root(e.base) ** e.exp.p)

    def _mean(self, mean: Mean) -> sp.Expr:
        arg = mean.args[0]
        coefficient, monomial = arg.as_coeff_Mul()
        if not all(isinstance(s, SampleSymbol) for s in monomial.free_symbols) or not \
                all(isinstance(b, SampleSymbol) and e.is_Integer and e > 0
                    for b, e in monomial.as_powers_dict().items()):
            raise Unsupported(f"the batch mean {mean} is not of a monomial of sample variables")
        return coefficient * self.mean_of(monomial)

    def _root(self, base: sp.Expr) -> sp.Symbol:
        base = sp.expand(base)
        if base.has(*self.roots) or sp.fraction(sp.together(base))[1].free_symbols:
            raise Unsupported(f"the radicand {base} is not a polynomial in batch constants")
        if base not in self._root_of:
            s = sp.Dummy(f"s{len(self.roots)}", positive=True)
            self._root_of[base], self.roots[s] = s, base
        return self._root_of[base]

    def decode(self, expr: sp.Expr) -> sp.Expr:
        """Back to batch means and square roots."""
        back: dict[sp.Symbol, sp.Expr] = {s: Mean(m) for m, s in self.atoms.items()}
        # a radicand holds no root (nested roots are refused), only moment atoms
        back.update({s: sp.sqrt(b.xreplace(back)) for s, b in self.roots.items()})
        return sp.sympify(expr).xreplace(back)

    def is_zero(self, expr: sp.Expr) -> bool:
        """Whether the rational function ``expr`` is exactly 0 modulo s**2 = B: its
        numerator reduces to 0 (and its denominator does not)."""
        expr = sp.sympify(expr)
        if not expr.free_symbols:
            return bool(expr == 0)
        ring, relations = self._polynomial_ring([expr])
        numerator, denominator = _fraction(expr, ring)
        return not numerator.rem(relations) and bool(_product(denominator, ring).rem(relations))

    def _polynomial_ring(self, exprs: Sequence[sp.Expr]) -> tuple[Any, list[Any]]:
        """SymPy's sparse polynomial ring over QQ in the symbols of ``exprs`` (and their
        roots' radicands), lex with the roots first, and the relations s**2 - B: with
        the roots first, each relation's leading term is s**2, so the relations are a
        Groebner basis and the remainder on division by them is the unique normal form."""
        found: set[sp.Symbol] = set().union(*(e.free_symbols for e in exprs))
        roots = [s for s in self.roots if s in found]
        for s in roots:
            found |= self.roots[s].free_symbols
        gens = roots + sorted(found - set(roots), key=sp.default_sort_key)
        ring = _sparse_ring(tuple(gens))
        return ring, [ring(s**2 - self.roots[s]) for s in roots]


def _sparse_ring(gens: tuple[sp.Symbol, ...]) -> Any:
    """SymPy's polynomial ring QQ[gens], lex: arithmetic on dicts of exponents, far faster
    than expanding expression trees."""
    return sp.ring(gens, sp.QQ, sp.lex)[0]


def _fraction(expr: sp.Expr, ring: Any) -> tuple[Any, dict[Any, int]]:
    """(numerator, denominator) of a rational function, built by ring arithmetic in
    ``ring``; the denominator as {irreducible factor: power}, each factor primitive with
    a positive leading coefficient (constants go to the numerator).  A sum is taken over
    the least common denominator, the larger power of each factor: 1/B + 1/B**2 keeps
    B**2, not B**3.  The numerator may still share factors with it (:func:`_cancelled`)."""
    factored: dict[Any, tuple[Any, dict[Any, int]]] = {}
    known: dict[Any, None] = {}  # the irreducible factors met so far

    def inverse(num: Any, den: dict[Any, int]) -> tuple[Any, dict[Any, int]]:
        if not num:
            raise Unsupported(f"{expr} divides by 0")
        if num not in factored:
            factored[num] = _factors(num, known)
            known.update(dict.fromkeys(factored[num][1]))
        constant, factors = factored[num]
        return _product(den, ring) * (1 / constant), factors

    done: dict[sp.Expr, tuple[Any, dict[Any, int]]] = {}  # a subexpression met again

    def walk(e: sp.Expr) -> tuple[Any, dict[Any, int]]:
        if e not in done:
            done[e] = read(e)
        return done[e]

    def read(e: sp.Expr) -> tuple[Any, dict[Any, int]]:
        if e.is_Add:
            parts = [walk(a) for a in e.args]
            common: dict[Any, int] = {}
            for _, den in parts:
                for f, k in den.items():
                    common[f] = max(common.get(f, 0), k)
            num = ring.zero
            for n, den in parts:
                num += n * _product({f: k - den.get(f, 0) for f, k in common.items()}, ring)
            return num, common
        if e.is_Mul:
            num, den = ring.one, {}
            for n, d in map(walk, e.args):
                num *= n
                for f, k in d.items():
                    den[f] = den.get(f, 0) + k
            return num, den
        if e.is_Pow and e.exp.is_Integer:
            num, den = walk(e.base)
            k = int(e.exp)
            if k < 0:
                num, den = inverse(num, den)
            return num ** abs(k), {f: j * abs(k) for f, j in den.items()}
        try:
            return ring(e), {}
        except ValueError:
            raise Unsupported(f"{e} is not a rational function of batch constants") from None
    return walk(sp.sympify(expr))


def _factors(poly: Any, known: Iterable[Any]) -> tuple[Any, dict[Any, int]]:
    """(c, {f: k}) with poly = c * prod f**k, each f irreducible, primitive, with a
    positive leading coefficient (as ``factor_list`` gives them).  The cheap cases first:
    a gen dividing every term; a factor of ``known`` (exact division); what is left
    linear in a gen with a constant coefficient, irreducible (a factorization would have
    a factor free of that gen that divides the constant).  ``factor_list`` for the rest."""
    ring = poly.ring
    found: dict[Any, int] = {}
    for k, gen in enumerate(ring.gens):
        power = min(m[k] for m in poly.itermonoms())
        if power:
            found[gen] = power
            poly = poly.exquo(gen**power)
    for f in known:
        while not poly.is_ground:
            quotient, remainder = poly.div(f)
            if remainder:
                break
            found[f], poly = found.get(f, 0) + 1, quotient
    if poly.is_ground:
        return poly.LC, found
    constant, rest = poly.primitive()
    if rest.LC < 0:
        constant, rest = -constant, -rest
    if any(rest.degree(k) == 1 and rest.coeff_wrt(k, 1).is_ground for k in range(ring.ngens)):
        found[rest] = found.get(rest, 0) + 1
        return constant, found
    constant, factor_list = poly.factor_list()
    for f, k in factor_list:
        found[f] = found.get(f, 0) + k
    return constant, found


def _product(factors: dict[Any, int], ring: Any) -> Any:
    """The polynomial prod f**k of a factored denominator, in ``ring``."""
    result = ring.one
    for f, k in factors.items():
        result *= f**k
    return result


def _cancelled(numerator: Any, denominator: dict[Any, int]) -> tuple[Any, dict[Any, int]]:
    """``numerator / denominator`` in lowest terms: each irreducible factor divided out
    of the numerator as often as it divides it (a remainder of 0 on division by one
    polynomial is divisibility), so no gcd of the large numerator is ever computed."""
    lowest: dict[Any, int] = {}
    for f, k in denominator.items():
        while k:
            quotient, remainder = numerator.div(f)
            if remainder:
                break
            numerator, k = quotient, k - 1
        if k:
            lowest[f] = k
    return numerator, lowest


# --- certificates --------------------------------------------------------------------


def _polynomial(expr: sp.Expr) -> Any:
    """``expr``, a polynomial in ring symbols, in QQ[its symbols]."""
    expr = sp.sympify(expr)
    ring = _sparse_ring(tuple(sorted(expr.free_symbols, key=str)))
    try:
        return ring(expr)
    except ValueError:  # not a polynomial in the ring's symbols
        raise Unsupported(f"{expr} is not a polynomial in batch constants") from None


def _symbols(poly: Any) -> set[sp.Symbol]:
    """The symbols ``poly`` holds (its ring may have more)."""
    gens = poly.ring.symbols
    return {gens[k] for k in range(len(gens)) if any(m[k] for m in poly.itermonoms())}


def _times(poly: Any, expr: sp.Expr) -> Any:
    """``poly * expr`` (a polynomial in ring symbols), in the ring of both's symbols."""
    factor = _polynomial(expr)
    ring = _sparse_ring(tuple(sorted(set(poly.ring.symbols) | set(factor.ring.symbols), key=str)))
    return poly.set_ring(ring) * factor.set_ring(ring)


class _Frame:
    """The polynomial ring one search step reads its polynomials in: QQ[gens], lex, the
    gens (the given symbols and the radicands' symbols of the roots among them) in order
    of their names, and each root's radicand as an element."""

    def __init__(self, ring: Ring, symbols: Iterable[sp.Symbol]):
        found = set(symbols)
        roots = [s for s in found if s in ring.roots]
        for s in roots:
            found |= ring.roots[s].free_symbols
        self.ring = _sparse_ring(tuple(sorted(found, key=str)))
        self.index = {s: k for k, s in enumerate(self.ring.symbols)}
        self.radicands = {self.index[s]: self.ring(ring.roots[s]) for s in roots}

    def reduce(self, poly: Any) -> Any:
        """The normal form of ``poly`` modulo s**2 = B: a root's power s**(2q + r) becomes
        s**r * B**q.  A radicand holds no root, so each root's degree ends 0 or 1: the
        remainder on division by the relations, which are a Groebner basis (lex, the
        roots first), is this normal form."""
        if not any(m[k] > 1 for m in poly.itermonoms() for k in self.radicands):
            return poly
        reduced = self.ring.zero
        for monomial, coefficient in poly.iterterms():
            rest, factor = list(monomial), self.ring.one
            for k, radicand in self.radicands.items():
                q, rest[k] = divmod(monomial[k], 2)
                if q:
                    factor *= radicand**q
            reduced += factor.mul_term((tuple(rest), coefficient))
        return reduced

    def monomial(self, exponents: Sequence[int]) -> Any:
        return self.ring.one.mul_term((tuple(exponents), self.ring.domain.one))


def _coefficients(poly: Any) -> dict[tuple[int, ...], Fraction]:
    return {m: Fraction(int(c.numerator), int(c.denominator)) for m, c in poly.iterterms() if c}


@dataclass
class _Search:
    """One certificate search: the ring, the positive symbols, the domain it states."""

    ring: Ring
    positive: list[sp.Symbol]
    domain: list[str] = field(default_factory=list)
    depth: int = 0

    def nonnegative(self, target: Any, strict: bool) -> list[sos.Square] | None:
        """Terms whose sum is ``target`` (a polynomial in ring symbols: an element of a
        sparse polynomial ring in them), or None."""
        head: list[sos.Square] = []
        if strict:
            lead = self._positive_monomial(target)
            if lead is None:
                return None
            coefficient, monomial = lead
            head = [sos.Square(coefficient / 2, monomial, sp.S.One, False)]
            target = target - target.ring(coefficient / 2 * monomial)
        frame = _Frame(self.ring, _symbols(target))
        reduced = frame.reduce(target.set_ring(frame.ring))
        used = _symbols(reduced)
        if not used:  # a constant: a nonnegative number, or no certificate
            value = sp.Rational(frame.ring.domain.to_sympy(reduced.coeff(1)))
            return None if value < 0 else head + (
                [sos.Square(value, sp.S.One, sp.S.One, False)] if value > 0 else [])
        frame = _Frame(self.ring, used)
        reduced = reduced.set_ring(frame.ring)
        blocks = self._blocks(reduced, frame, used)
        if not blocks:
            return None
        # the ring of the coefficient equations: with the means Mean(u_i u_j) of the
        # off-diagonal entries
        extra = {self.ring.mean_of(p.sample * q.sample) for b in blocks
                 for p in b.basis for q in b.basis} - {sp.S.One}
        if not extra <= set(frame.index):
            frame = _Frame(self.ring, used | extra)
            reduced = reduced.set_ring(frame.ring)
        taus = [frame.ring(b.multiplier) for b in blocks]
        constants = [[frame.ring(p.constant) for p in b.basis] for b in blocks]

        def entry(k: int, i: int, j: int) -> dict[tuple[int, ...], Fraction]:
            """tau * b_i b_j Mean(u_i u_j), times 2 off the diagonal, reduced."""
            a, b = blocks[k].basis[i], blocks[k].basis[j]
            value = taus[k] * constants[k][i] * constants[k][j] * (1 if i == j else 2)
            mean = self.ring.mean_of(a.sample * b.sample)
            if mean != 1:
                value *= frame.ring.gens[frame.index[mean]]
            return _coefficients(frame.reduce(value))

        grams = sos.solve(sos.Problem(_coefficients(reduced), blocks, entry))
        if grams is None:
            return None
        return _merged(head + sos.squares(grams))

    def _positive_monomial(self, target: Any) -> tuple[sp.Rational, sp.Expr] | None:
        """(c, m): a term c*m of ``target`` with c > 0 and m a product of positive
        symbols (the first in SymPy's order of the terms)."""
        gens = target.ring.symbols
        found = [target.ring.domain.to_sympy(c) * sp.Mul(*[g**e for g, e in zip(gens, m)])
                 for m, c in target.iterterms()
                 if c > 0 and all(gens[k] in self.positive for k, e in enumerate(m) if e)]
        if not found:
            return None
        c, m = sp.Add.make_args(sp.Add(*found))[0].as_coeff_Mul()
        return sp.Rational(c), m

    def _blocks(self, target: Any, frame: _Frame, variables: set[sp.Symbol]) -> list[sos.Block]:
        """One block per multiplier tau (1 and each positive symbol), each with the basis
        pairs (b, u) whose diagonal tau * b**2 * Mean(u**2) fits the target's exponents.
        Exponents are read in ``frame``, whose gens not in ``variables`` (radicands'
        symbols) the target does not hold: 0 is their only exponent that fits."""
        gens = frame.ring.symbols
        n = len(gens)
        exps = list(target.itermonoms())
        lo = [min(e[k] for e in exps) for k in range(n)]
        hi = [max(e[k] for e in exps) for k in range(n)]
        degrees = (min(sum(e) for e in exps), max(sum(e) for e in exps))
        sample_vars = sorted(self.ring.samples, key=str)
        weights = self._weights(gens, sample_vars)
        grades = [_grade(e, weights) for e in exps]
        grade_lo = [min(g[k] for g in grades) for k in range(len(sample_vars))]
        grade_hi = [max(g[k] for g in grades) for k in range(len(sample_vars))]
        degree = max(grade_hi, default=0)
        half = [max(0, min(h, sum(grade_hi)) // 2) for h in grade_hi]
        samples = [sp.Mul(*[v**k for v, k in zip(sample_vars, ks)])
                   for ks in product(*[range(h + 1) for h in half])] if degree else [sp.S.One]
        squares = [None if u == 1 else frame.index.get(self.ring.mean_of(u**2), -1)
                   for u in samples]
        own = [k for k in range(n) if gens[k] in variables]
        roots = set(frame.radicands)

        def fits(exponents: list[int]) -> bool:
            """Whether the diagonal with these exponents, reduced (a root squared is its
            radicand), has a monomial within the target's exponents."""
            if not any(exponents[k] > 1 for k in roots):
                return _within(exponents, lo, hi, degrees, weights, grade_lo, grade_hi)
            return any(_within(m, lo, hi, degrees, weights, grade_lo, grade_hi)
                       for m in frame.reduce(frame.monomial(exponents)).itermonoms())

        blocks = []
        for tau, t_exp in self._taus(gens, variables, exps):
            # a root enters a basis monomial at most once (its square is its radicand)
            ranges = [range(0, 2) if k in roots else range(0, max(0, (hi[k] - t_exp[k])) // 2 + 1)
                      for k in own]
            count = 1
            for r in ranges:
                count *= len(r)
            if count * len(samples) > _MAX_CANDIDATES:
                continue
            basis = []
            t_degree = sum(t_exp)
            for ks in product(*ranges):
                if not any(e for k, e in zip(own, ks) if k in roots):
                    # no root in b: the diagonal tau * b**2 * Mean(u**2) has the degree
                    # below (plus 1 for Mean(u**2), u != 1), known without building it
                    bare = t_degree + 2 * sum(ks)
                    if bare > degrees[1] or bare + 1 < degrees[0]:
                        continue
                b: sp.Expr | None = None
                for u, square in zip(samples, squares):
                    if square == -1:  # Mean(u**2) is not among the target's symbols
                        continue
                    diagonal = list(t_exp)
                    for k, e in zip(own, ks):
                        diagonal[k] += 2 * e
                    if square is not None:
                        diagonal[square] += 1
                    if fits(diagonal):
                        if b is None:
                            b = sp.Mul(*[gens[k]**e for k, e in zip(own, ks)])
                        basis.append(sos.Pair(b, u))
            if basis:
                blocks.append(sos.Block(tau, tuple(basis)))
        return blocks

    def _taus(self, gens: Sequence[sp.Symbol], variables: set[sp.Symbol],
              exps: list[tuple[int, ...]]) -> list[tuple[sp.Expr, list[int]]]:
        """1, and each positive symbol and product of two that divides a monomial of the
        target, with their exponents: the multipliers of the blocks."""
        ours = [gens.index(s) for s in self.positive if s in variables]
        found = []
        for pair in [(), *[(k,) for k in ours],
                     *[(k, j) for i, k in enumerate(ours) for j in ours[i:]]]:
            t = [0] * len(gens)
            for k in pair:
                t[k] += 1
            if not pair or any(all(e >= d for e, d in zip(m, t)) for m in exps):
                found.append((sp.Mul(*[gens[k] for k in pair]), t))
        return found

    def _weights(self, gens: Sequence[sp.Symbol], sample_vars: list[SampleSymbol]
                 ) -> list[list[int]]:
        """Each gen's degree in each sample variable: a moment atom's monomial's, else 0."""
        monomial_of = {symbol: monomial for monomial, symbol in self.ring.atoms.items()}
        weights = []
        for g in gens:
            powers = monomial_of[g].as_powers_dict() if g in monomial_of else {}
            weights.append([int(powers.get(v, 0)) for v in sample_vars])
        return weights

    def sign_factor(self, f: sp.Expr, radicand: bool = False) -> tuple[Factor, int] | None:
        """(the factor made positive, its sign): f or -f proved > 0, a positive symbol,
        a radicand (unless ``radicand``: one is being signed); None when neither sign is
        known."""
        if f in self.ring.roots:  # sqrt(B), its radicand B shown > 0 with the others
            return Factor(self.ring.decode(f), 1, "square root"), 1
        if f in self.positive:
            return Factor(self.ring.decode(f), 1, "positive symbol"), 1
        for b in () if radicand else self.ring.roots.values():
            if sp.expand(f - b) == 0:
                return Factor(self.ring.decode(f), 1, "radicand"), 1
            if sp.expand(f + b) == 0:
                return Factor(self.ring.decode(-f), 1, "radicand"), -1
        if self.depth > 1:
            return None
        for sign in (1, -1):
            inner = _Search(self.ring, self.positive, depth=self.depth + 1)
            terms = inner.nonnegative(_polynomial(sign * f), strict=True)
            if terms is not None:
                proof = InequalityCertificate(sp.S.Zero, self.ring.decode(sign * f), "<", (),
                                              self.decode_terms(terms),
                                              samples=self._sample_names(),
                                              positive=self._positive_names())
                return Factor(self.ring.decode(sign * f), 1, "proved", proof), sign
        return None

    def _sample_names(self) -> tuple[str, ...]:
        return tuple(sorted(str(s) for s in self.ring.samples))

    def _positive_names(self) -> tuple[str, ...]:
        return tuple(sorted(str(s) for s in self.positive if s not in self.ring.roots))

    def decode_terms(self, terms: Iterable[sos.Square]) -> tuple[sos.Square, ...]:
        return tuple(sos.Square(t.coefficient, self.ring.decode(t.multiplier),
                                self.ring.decode(t.base), t.in_mean) for t in terms)


def _grade(exponents: Sequence[int], weights: list[list[int]]) -> list[int]:
    """A monomial's degree in each sample variable (through its moment atoms)."""
    grade = [0] * (len(weights[0]) if weights else 0)
    for e, w in zip(exponents, weights):
        if e:
            for i, k in enumerate(w):
                grade[i] += e * k
    return grade


def _within(exponents: Sequence[int], lo: list[int], hi: list[int], degrees: tuple[int, int],
            weights: list[list[int]], grade_lo: list[int], grade_hi: list[int]) -> bool:
    """Whether a monomial lies within the target's exponents, total degrees and grades."""
    if not degrees[0] <= sum(exponents) <= degrees[1]:
        return False
    if any(not a <= e <= b for e, a, b in zip(exponents, lo, hi)):
        return False
    return all(a <= g <= b for g, a, b in zip(_grade(exponents, weights), grade_lo, grade_hi))


def certify(lhs: sp.Expr, rhs: sp.Expr, relation: str, defined: Sequence[Condition] = ()
            ) -> tuple[InequalityCertificate | None, tuple[str, ...], str]:
    """(certificate, domain, why not) for ``lhs relation rhs``; the certificate is None
    when none was found, when it did not verify exactly, or when the domain it needs
    (with the conditions ``defined``: where the claim as given is defined) is shown empty
    by :func:`vacuous` (the reason says which)."""
    strict = relation in ("<", ">")
    difference = rhs - lhs if relation in ("<=", "<") else lhs - rhs
    ring = Ring()
    try:
        encoded = ring.encode(difference)
        free = encoded.free_symbols
        numerator, denominator = _cancelled(*_fraction(
            encoded, _sparse_ring(tuple(sorted(free, key=str)))))
    except Unsupported as why:
        return None, (), str(why)
    positive = sorted([s for s in free if s.is_positive], key=str)
    search = _Search(ring, positive)
    radicands = []
    # every radicand of the claim as given (a root SymPy squared away included): each is
    # shown > 0, or the domain states it
    bases = {p.base for p in sp.sympify(difference).atoms(sp.Pow)
             if p.exp.is_Rational and p.exp.q == 2}
    encoded_bases = list(dict.fromkeys([*(sp.expand(ring.encode(b)) for b in
                                          sorted(bases, key=sp.default_sort_key)),
                                        *ring.roots.values()]))
    for b in encoded_bases:
        signed = (Factor(ring.decode(b), 1, "positive symbol"), 1) if b in positive else \
            search.sign_factor(b, radicand=True)
        if signed is not None and signed[1] == 1:
            radicands.append(signed[0])
        else:
            text = f"{sp.sstr(ring.decode(b))} > 0"
            search.domain.append(text)
            radicands.append(Factor(ring.decode(b), 1, "domain"))
    factors: list[Factor] = []
    sign = 1
    for f, k in denominator.items():
        f = f.as_expr()
        signed = search.sign_factor(f)
        if signed is None:
            if k % 2:
                return None, (), f"the sign of the denominator's factor {ring.decode(f)} is unknown"
            search.domain.append(f"{sp.sstr(ring.decode(f))} != 0")
            factors.append(Factor(ring.decode(f), k, "domain"))
            continue
        factor, s = signed
        factors.append(Factor(factor.expr, k, factor.reason, factor.proof))
        sign *= s**k
    target = numerator * sign
    for multiplier in _multipliers(ring, positive):
        terms = search.nonnegative(_times(target, multiplier), strict)
        if terms is None:
            continue
        extra = [] if multiplier == 1 else [_multiplier_factor(multiplier, ring, positive)]
        domain = list(search.domain) + [f"{sp.sstr(f.expr)} > 0" for f in extra
                                        if f.reason == "domain"]
        # a sample variable only the domain names (x of Var(x) > 0 once where= took it
        # out of the sides) is one too: else the checker reads it as a constant
        samples = {*search._sample_names(), *(str(s) for c in defined for s in c.expr.free_symbols
                                             if isinstance(s, SampleSymbol))}
        certificate = InequalityCertificate(
            lhs, rhs, relation, tuple(factors + extra), search.decode_terms(terms),
            tuple(radicands), tuple(sorted(samples)), search._positive_names())
        stated = [*defined, *(Condition("!=" if f.power % 2 == 0 else ">", f.expr)
                              for f in (*factors, *extra, *radicands) if f.reason == "domain")]
        empty = vacuous(stated)
        if empty is not None:  # the certificate holds only where no point is: it proves nothing
            return None, (), f"a certificate was found, but its domain is empty: {empty}"
        failure = verify(certificate)
        if failure is not None:
            return None, (), f"a certificate was found but did not verify exactly ({failure})"
        return certificate, tuple(dict.fromkeys(domain)), ""
    return None, (), "no sum-of-squares certificate was found (multipliers tried: " + ", ".join(
        sp.sstr(ring.decode(m)) for m in _multipliers(ring, positive)) + ")"


#: at most this many conditions are checked in pairs by :func:`vacuous`
_MAX_PAIRED = 8


def vacuous(conditions: Sequence[Condition], *, tries: int = 24, seed: int = 0) -> str | None:
    """Why no real point satisfies every condition (``f > 0``, ``f >= 0``, ``f != 0``);
    None when a point satisfying them all was found (then the domain is not empty) or no
    reason was.

    A sum-of-squares certificate that holds for every value shows a condition false
    everywhere: ``-f >= 0`` refutes ``f > 0``, ``-f > 0`` refutes ``f >= 0``, ``f`` exactly
    0 refutes ``f != 0``; for two conditions, ``-(f + g) >= 0`` refutes ``f > 0`` with
    ``g >= 0`` (``-(f + g) > 0`` when both are ``>=``).  A rational f has the sign of
    numerator * denominator where it is defined."""
    signed = list(dict.fromkeys(c for c in conditions if c.kind in (">", ">=", "!=")))
    if not signed or _witness(signed, tries, seed):
        return None
    for c in signed:
        if c.kind == "!=" and sp.simplify(c.expr) == 0:
            return f"{sp.sstr(c.expr)} != 0 holds nowhere (it is 0)"
    ordered = [c for c in signed if c.kind != "!="]
    groups = [[c] for c in ordered] + [
        [c, d] for i, c in enumerate(ordered[:_MAX_PAIRED]) for d in ordered[i + 1:_MAX_PAIRED]]
    for group in groups:
        total = sp.Add(*[c.expr for c in group])
        if _nowhere(total, strict_sum=any(c.kind == ">" for c in group)):
            return " and ".join(f"{sp.sstr(c.expr)} {c.kind} 0" for c in group) + (
                " holds nowhere" if len(group) == 1 else " hold together nowhere") + (
                f": {sp.sstr(-total)} {'>=' if any(c.kind == '>' for c in group) else '>'} 0 "
                "has a sum-of-squares certificate")
    return None


def _witness(conditions: Sequence[Condition], tries: int, seed: int) -> bool:
    """Whether a random exact point satisfies every condition."""
    free = set().union(*(c.expr.free_symbols for c in conditions))
    rng = random.Random(seed)
    for k in range(tries):
        mode = "small" if k % 2 == 0 else "wide"
        try:
            samples, constants = random_point(free, rng, BATCH_SIZES[k % len(BATCH_SIZES)], mode)
        except Unsampleable:
            return False
        if all(c.holds_at(samples, constants) for c in conditions):
            return True
    return False


def _nowhere(total: sp.Expr, *, strict_sum: bool) -> bool:
    """Whether ``total > 0`` (``>= 0`` unless ``strict_sum``) is false everywhere: -total
    >= 0 (> 0) has a certificate."""
    ring = Ring()
    try:
        encoded = ring.encode(total)
        numerator, denominator = _fraction(
            encoded, _sparse_ring(tuple(sorted(encoded.free_symbols, key=str))))
        target = -numerator * _product(denominator, numerator.ring)
        positive = sorted([s for s in _symbols(target) if s.is_positive], key=str)
        return _Search(ring, positive).nonnegative(target, strict=not strict_sum) is not None
    except (Unsupported, ValueError, sp.PolynomialError):
        return False  # a form the search cannot treat: not shown empty


def _merged(terms: list[sos.Square]) -> list[sos.Square]:
    """Equal squares with equal multipliers added into one term."""
    found: dict[tuple[sp.Expr, sp.Expr, bool], sp.Rational] = {}
    for t in terms:
        key = (t.multiplier, t.base, t.in_mean)
        found[key] = found.get(key, sp.S.Zero) + t.coefficient
    return [sos.Square(c, m, b, in_mean) for (m, b, in_mean), c in found.items()]


def _multipliers(ring: Ring, positive: list[sp.Symbol]) -> list[sp.Expr]:
    """1, then each mean of a square (Mean(g**2)) and each variance, as ring expressions."""
    found: list[sp.Expr] = [sp.S.One, *ring.roots]
    for v in sorted(ring.samples, key=str):
        found.append(ring.mean_of(v**2))
        found.append(ring.mean_of(v**2) - ring.mean_of(v) ** 2)
    return found


def _multiplier_factor(multiplier: sp.Expr, ring: Ring, positive: list[sp.Symbol]) -> Factor:
    if multiplier in ring.roots:
        return Factor(ring.decode(multiplier), 1, "square root")
    if multiplier in positive:
        return Factor(ring.decode(multiplier), 1, "positive symbol")
    return Factor(ring.decode(multiplier), 1, "domain")


def verify(certificate: InequalityCertificate) -> str | None:
    """None when ``multiplier * D - sum of terms`` is exactly 0 (moment form, each
    sqrt(B)**2 = B) and every term and factor has the form its reason claims; else why."""
    for t in certificate.terms:
        if t.coefficient < 0:
            return f"a term has the negative coefficient {t.coefficient}"
        if not all(s.is_positive or _is_root(s) for s in sp.Mul.make_args(t.multiplier)
                   for s in [s.base if s.is_Pow and s.exp.is_Integer and s.exp > 0 else s]):
            return f"a term's multiplier {t.multiplier} is not a product of positive symbols"
    ring = Ring()
    difference = ring.encode(certificate.multiplier_expr() * certificate.difference
                             - certificate.sum_expr())
    try:
        zero = ring.is_zero(difference)
    except Unsupported as error:
        return f"the identity cannot be evaluated: {error}"
    if not zero:
        return "multiplier * difference - sum of terms is not 0"
    for f in certificate.multiplier + certificate.radicands:
        if f.proof is not None:
            why = verify(f.proof)
            if why is not None:
                return f"the proof that {f.expr} > 0: {why}"
    if certificate.relation in ("<", ">") and not any(
            t.base == 1 and t.coefficient > 0 and all(s.is_positive for s in t.multiplier.free_symbols)
            for t in certificate.terms):
        return "a strict claim's certificate has no strictly positive term"
    return None


def _is_root(e: sp.Expr) -> bool:
    return bool(e.is_Pow and e.exp == sp.S.Half)


# --- refutation ----------------------------------------------------------------------


def _value(expr: sp.Expr, samples: dict[SampleSymbol, list[sp.Expr]],
           constants: dict[sp.Symbol, sp.Expr], sample: int) -> sp.Expr:
    if samples:
        expr = evaluate_at_batch(expr, samples, sample)
    return sp.sympify(expr).xreplace(constants)


def _violates(value: sp.Expr, strict: bool, digits: int) -> bool:
    """D < 0, or D <= 0 for a strict claim, surely (exactly 0 counts only when exact)."""
    try:
        number = accurate(value, digits)
    except PrecisionExhausted:  # no digit known: only an exact 0 violates a strict claim
        return strict and bool(sp.simplify(value) == 0)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
        return False
    if not number.is_comparable or number.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return False
    if number < -(sp.Float(10) ** (-(digits // 2))) * (1 + abs(number)):
        return True
    if strict and abs(number) < sp.Float(10) ** (-(digits // 2)):
        return bool(sp.simplify(value) == 0)
    return False


def _holds_surely(difference: sp.Expr, strict: bool, samples: dict[SampleSymbol, list[sp.Expr]],
                  constants: dict[sp.Symbol, sp.Expr], sample: int) -> bool:
    """Whether a ball certainly containing D at the point (:mod:`symbn.prove.enclosure`:
    given only where D is defined) lies in [0, oo) ((0, oo) for a strict claim): then the
    point is no counterexample, and its exact evaluation, the search's cost, is skipped."""
    balls = enclosures([difference], samples, constants, sample)
    return balls is not None and bool(balls[0] > 0 if strict else balls[0] >= 0)


def refute(lhs: sp.Expr, rhs: sp.Expr, relation: str, *, tries: int = 24,
           seed: int = 0, defined: Sequence[Condition] = ()) -> Counterexample | None:
    """A point (a concrete batch, for general-form claims) where the relation fails,
    confirmed at 60 digits; None when none was found.  A point where a condition of
    ``defined`` fails (the claim as given is undefined there) is no counterexample."""
    strict = relation in ("<", ">")
    difference = rhs - lhs if relation in ("<=", "<") else lhs - rhs
    # a point gives a value to what the conditions need too (x of Var(x) > 0 when the
    # claim's sides simplified it away)
    free = difference.free_symbols.union(*(c.expr.free_symbols for c in defined))
    rng = random.Random(seed)
    for k in range(tries):
        mode = BOUNDARIES[(k // 2) % len(BOUNDARIES)] if k % 2 else "small"
        if mode == "radicand zero":
            mode = "zeros"
        m = 1 if mode == "batch of one" else BATCH_SIZES[k % len(BATCH_SIZES)]
        try:
            samples, constants = random_point(free, rng, m, mode)
        except Unsampleable:
            return None
        sample = rng.randrange(m) if samples else 0
        if _holds_surely(difference, strict, samples, constants, sample):
            continue
        try:
            value = _value(difference, samples, constants, sample)
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
            continue
        # the conditions are checked at a violating point only: most points violate
        # nothing, and each condition is evaluated at every sample of the batch
        if _violates(value, strict, SEARCH_DIGITS) and _violates(value, strict, CONFIRM_DIGITS) \
                and all(c.holds_at(samples, constants) for c in defined):
            return Counterexample(constants=constants, samples=samples,
                                  batch_size=m if samples or N in free else None, sample=sample,
                                  lhs=_value(lhs, samples, constants, sample),
                                  rhs=_value(rhs, samples, constants, sample))
    return None


# --- the verdict ---------------------------------------------------------------------


def _decide(lhs: sp.Expr, rhs: sp.Expr, relation: str, tries: int, seed: int,
            defined: Sequence[Condition] = ()
            ) -> tuple[Counterexample | None, InequalityCertificate | None, tuple[str, ...], str]:
    """In the worker: refute, then certify."""
    counterexample = refute(lhs, rhs, relation, tries=tries, seed=seed, defined=defined)
    if counterexample is not None:
        return counterexample, None, (), ""
    try:
        certificate, domain, why = certify(lhs, rhs, relation, defined)
    except sos.SolverMissing as missing:
        certificate, domain, why = None, (), str(missing)
    except Exception as error:  # noqa: BLE001 -- a claim never raises; say what failed
        certificate, domain, why = None, (), f"the certificate search failed: {error!r}"
    return None, certificate, domain, why


def second_check(certificate: InequalityCertificate, domain: Sequence[str]
                 ) -> tuple[bool | None, tuple[str, ...]]:
    """(confirmed, evidence) of :mod:`symbn.certify.inequality`, which re-reads the
    certificate's JSON and shares nothing with the search."""
    from symbn.certify.engine import Malformed
    from symbn.certify.inequality import check_inequality

    try:
        data = certificate.to_json()
        result = check_inequality({**data, "domain": list(domain), "claim":
                                   f"{data['lhs']} {data['relation']} {data['rhs']}"})
    except Malformed as error:
        return None, (f"the independent check found the certificate malformed: {error}",)
    return result.confirmed, result.lines


def _second_check_lines(certificate: InequalityCertificate, domain: Sequence[str]
                        ) -> tuple[bool | None, tuple[str, ...], tuple[str, ...]]:
    """In the worker: :func:`second_check`, and the certificate's evidence lines."""
    return (*second_check(certificate, domain), certificate.lines())


def _extended(lhs: sp.Expr, rhs: sp.Expr, relation: str, tries: int, seed: int,
              defined: Sequence[Condition] = ()) -> Counterexample | None:
    return refute(lhs, rhs, relation, tries=tries, seed=seed, defined=defined)


def relation_of(lhs: sp.Expr, op: str, rhs: sp.Expr) -> sp.core.relational.Relational:
    """``lhs op rhs`` as an unevaluated SymPy relation (op one of <=, <, >=, >)."""
    for kind, (name, _, _) in RELATIONS.items():
        if name == op:
            relation: sp.core.relational.Relational = kind(lhs, rhs, evaluate=False)
            return relation
    raise ValueError(f"{op!r} is not an inequality: use one of <=, <, >=, >")


def split(relation: object, rhs: object = None) -> tuple[sp.Expr, sp.Expr, str]:
    """(lhs, rhs, operator) of ``lhs <= rhs`` and friends; one clear error otherwise."""
    if relation in (True, False) or relation is sp.true or relation is sp.false:
        raise ValueError("the inequality was evaluated to True/False by SymPy before prove "
                         "saw it (from what SymPy knows of its sides: a declaration, Abs >= 0, "
                         "...): state it with unevaluated sides, sp.Le(lhs, rhs, evaluate=False) (sp.Lt, "
                         "sp.Ge, sp.Gt alike)")
    kind = RELATIONS.get(type(relation))
    if kind is None:
        raise TypeError(f"prove_inequality: {relation!r} is not an inequality: write lhs <= rhs, "
                        "lhs < rhs, lhs >= rhs or lhs > rhs")
    if rhs is not None:
        raise TypeError("prove_inequality: give the relation alone (lhs <= rhs), not a second side")
    assert isinstance(relation, sp.core.relational.Relational)
    return relation.lhs, relation.rhs, kind[0]


def prove_inequality(relation: object, *, where: Mapping[Any, object] | None = None,
                     assume: Iterable[Any] = (),
                     budget: float = DEFAULT_BUDGET, tries: int = 24, seed: int = 0) -> Verdict:
    """Prove ``lhs <= rhs`` (``<``, ``>=``, ``>``) with a certificate, or refute it.

    Assumptions as for :func:`symbn.prove`: ``where`` substitutes (``where={N: 4}`` the
    explicit form at batch size 4), ``assume`` gives sign conditions; anything that cannot
    be applied is an :class:`AssumptionError`.  ``budget`` bounds the call (seconds).
    """
    start = time.perf_counter()
    seconds = _budget(budget)
    lhs, rhs, op = split(relation)
    (lhs, rhs), statements, definedness = assume_and_define((lhs, rhs), where, assume)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        raise ValueError("prove_inequality compares scalars: give one entry at a time")
    require_real(lhs - rhs)
    defined, found = definedness.domain, definedness.conditions
    attempts: list[str] = []
    difference = rhs - lhs if op in ("<=", "<") else lhs - rhs

    def verdict(status: Status, method: str, **extra: Any) -> Verdict:
        return Verdict(status, method, statements, extra.pop("residual", difference),
                       time.perf_counter() - start, attempts=tuple(attempts), **extra)

    if EMPTY in defined:
        return verdict(Status.UNDECIDED, "a side is undefined everywhere (a denominator known "
                       "0 or a radicand known < 0)")
    outcome = run_with_budget(_decide, (lhs, rhs, op, tries, seed, found), seconds)
    if not outcome.finished or outcome.error:
        attempts.append("counterexample search and certificate: " + (
            OUT_OF_TIME if not outcome.finished else
            f"failed: {str(outcome.error).strip().splitlines()[-1]}"))
        return verdict(Status.UNDECIDED, "no certificate within the budget")
    counterexample, certificate, domain, why = outcome.value
    if counterexample is not None:
        # the sides' exact values at the point, found by the search: D is their difference
        at = counterexample.rhs - counterexample.lhs if op in ("<=", "<") else \
            counterexample.lhs - counterexample.rhs
        return verdict(Status.REFUTED, "counterexample at an exact point",
                       counterexample=counterexample, evidence=(
                           f"at this point {_difference_name(op)} = {sp.N(at, 12)} violates "
                           f"{op}; re-evaluated at {CONFIRM_DIGITS} digits from its exact values, "
                           "which satisfy every assumption",))
    if certificate is not None:
        domain = tuple(dict.fromkeys(defined + domain))
        # in the worker, beside the other threads' proofs: printing and re-reading the
        # certificate is most of what an inequality costs outside the search
        remaining = seconds - (time.perf_counter() - start)
        check = run_with_budget(_second_check_lines, (certificate, domain), max(remaining, 0))
        if not check.finished or check.error:
            confirmed, checked, lines = None, ("the independent check " + (
                OUT_OF_TIME if not check.finished else
                f"failed: {str(check.error).strip().splitlines()[-1]}"),), ()
        else:
            confirmed, checked, lines = check.value
        if confirmed is True:
            # as for an equation whose sides are equal as built: a relation between two
            # numbers may be one SymPy made by cancelling factors (a/a <= 1 is built as 1 <= 1)
            built = (BUILT,) if not (lhs - rhs).free_symbols else ()
            return verdict(Status.PROVED, "sum-of-squares certificate", residual=sp.S.Zero,
                           domain=domain + built, evidence=lines + checked,
                           certificate=certificate)
        why = "a certificate verified in SymPy was not confirmed by the independent check: " \
            + "; ".join(checked)
    attempts.append(why)
    remaining = seconds - (time.perf_counter() - start)
    if remaining <= 0:  # said, so that the verdict is known to depend on the load (not cached)
        attempts.append(f"extended counterexample search: {BUDGET_SPENT}")
        return verdict(Status.UNDECIDED, f"no certificate: {why}")
    extended = run_with_budget(_extended, (lhs, rhs, op, 8 * tries, seed + 1, found), remaining)
    if not extended.finished or extended.error:
        attempts.append("extended counterexample search: " + (
            OUT_OF_TIME if not extended.finished else
            f"failed: {str(extended.error).strip().splitlines()[-1]}"))
    elif extended.value is not None:
        return verdict(Status.REFUTED, "counterexample at an exact point (extended search)",
                       counterexample=extended.value, evidence=(
                           f"re-evaluated at {CONFIRM_DIGITS} digits from its exact values, "
                           "which satisfy every assumption",))
    return verdict(Status.UNDECIDED, f"no certificate: {why}")


def _difference_name(op: str) -> str:
    return "rhs - lhs" if op in ("<=", "<") else "lhs - rhs"


def require_real(difference: sp.Expr) -> None:
    """An inequality compares real numbers: every symbol in it must be declared real."""
    unreal = sorted(str(s) for s in difference.free_symbols if s.is_real is not True)
    if unreal:
        raise AssumptionError(
            f"an inequality compares real numbers, and {', '.join(unreal)} "
            f"{'is' if len(unreal) == 1 else 'are'} not declared real (SymPy's default symbol "
            "is complex): declare it with real=True, positive=True or nonnegative=True, or "
            "state the claim with assume=[...]")


def _budget(budget: object) -> float:
    try:
        seconds = float(budget)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"budget must be a number of seconds, got {budget!r}") from None
    if not (seconds > 0 and seconds != float("inf")):
        raise ValueError(f"budget must be a finite positive number of seconds, got {budget!r}")
    return seconds

