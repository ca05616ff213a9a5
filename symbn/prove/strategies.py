"""Symbolic strategies: each reduces a residual and says on which domain it is exactly 0.

A strategy takes the residual lhs - rhs and returns a :class:`Reduction`: the reduced
expression (the prover says PROVED only when it is the exact integer 0), the domain the
zero holds on, and for ``rationalize`` a certificate the second check re-does.  Each
strategy works on the moment form with moment atoms frozen to symbols that keep their
known signs (:func:`symbn.core.freeze_moments_signed`: Var(x) >= 0, eps > 0 stay known):

* ``rationalize``: each square-root base B becomes S**2 (S > 0) by solving B = S**2 for a
  symbol B is linear in, so the residual becomes rational, then its numerator is
  expanded (in SymPy's sparse polynomial ring, :mod:`symbn.prove.fraction`); where B is
  linear in no symbol, it is reduced modulo S**2 = B to a + b*S instead; with no square
  roots, plain expansion;
* ``cases``: sign case split for Max/Min/Heaviside/Abs/sign/Piecewise (ReLU and friends,
  in any spelling), each argument (Max(a, b): a - b; a product: a factor) made a variable
  u by a change of variables and split into u > 0, u < 0, u = 0; batch means of such
  functions are first made branch-free, each alone or merged by linearity (:func:`cases`);
* ``simplify``: SymPy's heuristic ``simplify``, last because it can take minutes.

Domains.  Replacing sqrt(B) by S > 0 proves the claim where B > 0 only, and a division
by d where d != 0.  :func:`domain_of` lists every such condition that is not known to
hold; for a radicand it then tries the boundary B = 0 (the pivot solved for B = 0,
sqrt(0) = 0) with the same strategy, and when that is 0 too the condition relaxes to
B >= 0 (dropped when B >= 0 is known).  The zero branch of a case split that makes a
side undefined (0/0) adds "argument != 0".

Moment atoms are independent symbols here; a zero found this way is a zero for every
batch, because the actual moments are just one choice of their values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from symbn.core import Mean, depends_on_sample, freeze_moments_signed, rewrite
from symbn.prove.certificate import Certificate
from symbn.prove.fraction import Fraction, fractions

_BRANCHING = (sp.Max, sp.Min, sp.Heaviside, sp.Abs, sp.sign, sp.Piecewise)
_MAX_SPLITS = 6
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)
#: the domain of a proof that holds nowhere: the prover does not report it as PROVED
EMPTY = "False"


@dataclass(frozen=True)
class Reduction:
    """A strategy's result: ``residual`` 0 means proved on ``domain`` (() = everywhere)."""

    residual: sp.Expr
    domain: tuple[str, ...] = ()
    certificate: Certificate | None = None


#: a strategy: the residual lhs - rhs in, its :class:`Reduction` out
Strategy = Callable[[sp.Expr], Reduction]
#: ``pivot -> replacement`` substitutions, in the order they apply
_Substitutions = tuple[tuple[sp.Expr, sp.Expr], ...]
#: ``(S, B)``: the positive symbol S standing for sqrt(B)
_Radicals = tuple[tuple[sp.Symbol, sp.Expr], ...]
#: how a rational reduction was reached, the :class:`Certificate`'s (substitutions,
#: radicals, numerator, denominator)
_Parts = tuple[_Substitutions, _Radicals, sp.Expr, sp.Expr]


def _freeze(residual: sp.Expr) -> tuple[sp.Expr, dict[sp.Dummy, sp.Expr], dict[sp.Expr, str]]:
    """(frozen residual, atoms, known): :func:`freeze_moments_signed`, and the frozen
    radicands known to be positive / nonnegative before freezing (a variance of any
    expression plus eps: moment form forgets that Mean((h - Mean(h))**2) >= 0)."""
    residual = sp.sympify(residual)
    radicands = sorted({p.base for p in rewrite.atoms(residual, sp.Pow) if _is_radical(p)
                        and p.base.has(Mean) and p.base.is_extended_nonnegative},
                       key=sp.default_sort_key)
    frozen, atoms = freeze_moments_signed(sp.Tuple(residual, *radicands))
    known = {sp.expand(b): "positive" if r.is_extended_positive else "nonnegative"
             for b, r in zip(frozen[1:], radicands)}
    return frozen[0], atoms, known


def rationalize(residual: sp.Expr) -> Reduction:
    frozen, atoms, known = _freeze(residual)
    reduced, parts = _rational_reduce(frozen)
    if reduced != 0:
        return Reduction(reduced.xreplace(atoms))
    domain = domain_of(frozen, atoms, lambda e: _rational_reduce(e)[0] == 0, known=known)
    substitutions, radicals, numerator, denominator = parts
    return Reduction(sp.S.Zero, domain, Certificate(
        "rationalize", frozen, atoms, substitutions, radicals, numerator, denominator, domain))


def _rational_reduce(frozen: sp.Expr) -> tuple[sp.Expr, _Parts]:
    """(reduced, (substitutions, radicals, numerator, denominator)); reduced is 0 iff the
    numerator, free of square roots where possible, expands to 0."""
    expr = _expand_radical_bases(frozen)
    eliminated = _eliminate_radicals(expr)
    if eliminated is not None:
        rational, substitutions, radicals = eliminated
        return _numerator_form(rational, substitutions, radicals)
    modulo = _reduce_modulo_radical(expr)
    if modulo is not None:
        return modulo
    return _numerator_form(expr, (), ())


def _numerator_form(rational: sp.Expr, substitutions: Iterable[tuple[sp.Expr, sp.Expr]],
                    radicals: Iterable[tuple[sp.Symbol, sp.Expr]]) -> tuple[sp.Expr, _Parts]:
    """A rational expression over one denominator, its numerator expanded: 0 iff it is 0.

    In exact ring arithmetic (:mod:`symbn.prove.fraction`), with no polynomial gcd, which
    a zero test does not need.  Where an opaque atom (a square root left, a function)
    makes a nonzero numerator inconclusive, and for a division by a zero polynomial,
    SymPy's ``together`` and ``expand``, whose automatic simplification knows more
    (sqrt(a**2*B) = a*sqrt(B) for a > 0).
    """
    known = (tuple(substitutions), tuple(radicals))
    exact = _fractions_or_none([rational])
    if exact is not None and (exact[0].is_zero or not exact[0].opaque):
        reduced = sp.S.Zero if exact[0].is_zero else exact[0].as_expr()
        return reduced, (*known, exact[0].recorded, exact[0].denominator_expr())
    numerator, denominator = sp.fraction(sp.together(rational))
    expanded = sp.expand(numerator)
    reduced = sp.S.Zero if expanded == 0 else expanded / denominator
    return reduced, (*known, numerator, denominator)


def _fractions_or_none(exprs: list[sp.Expr]) -> list[Fraction] | None:
    """:func:`symbn.prove.fraction.fractions`, the numerators recorded for a certificate;
    None where it refuses."""
    try:
        return fractions(exprs, record=True)
    except ValueError:  # a division by a zero polynomial, an infinity: SymPy's turn
        return None


def _reduce_modulo_radical(expr: sp.Expr) -> tuple[sp.Expr, _Parts] | None:
    """For one square-root base B: numerator a(B) + b(B)*sqrt(B); 0 when a and b expand to 0.

    Each sqrt(B)**k becomes S**k; the numerator over a common denominator, sum_k c_k S**k,
    is reduced with S**2 = B.  a == b == 0 implies the residual is 0 (the converse is not
    needed).  The certificate's numerator is a + b*S, a and b sums of c_k * B**(k//2).
    In ring arithmetic where no opaque atom is left; with SymPy's otherwise.
    """
    radicals = [p for p in rewrite.atoms(expr, sp.Pow) if _is_radical(p)]
    bases = {p.base for p in radicals}
    if len(bases) != 1 or any(p.exp.q != 2 for p in radicals):
        return None
    base = bases.pop()
    s = sp.Dummy("S", positive=True)
    substitutions = tuple((p, s ** (2 * p.exp)) for p in sorted(radicals, key=sp.default_sort_key))
    rational = rewrite.xreplace(expr, dict(substitutions))
    exact = _fractions_or_none([rational, base, s])
    if exact is not None and not exact[0].opaque:
        terms, reduced = _modulo_exact(exact[0], exact[1], exact[2], base)
        even, odd = _modulo_parts(terms, base)
        return reduced, (substitutions, ((s, base),), even + odd * s, exact[0].denominator_expr())
    numerator, denominator = sp.fraction(sp.together(rational))
    even, odd = _modulo_parts([(k, c) for (k,), c in sp.Poly(sp.expand(numerator), s).terms()],
                              base)
    parts: _Parts = (substitutions, ((s, base),), even + odd * s, denominator)
    even, odd = sp.expand(even), sp.expand(odd)
    reduced = sp.S.Zero if even == 0 and odd == 0 else (even + odd * sp.sqrt(base)) / denominator
    return reduced, parts


def _modulo_exact(rational: Fraction, base: Fraction, root: Fraction,
                  base_expr: sp.Expr) -> tuple[list[tuple[int, sp.Expr]], sp.Expr]:
    """([(k, c_k)], reduced) for :func:`_reduce_modulo_radical` in ring arithmetic (S is
    ``root``, B = P/Q is ``base``): a and b times Q**J (J the largest k//2) are
    polynomials, 0 iff a and b are; reduced is 0 when both are."""
    ring = rational.numerator.ring
    position = ring.gens.index(root.numerator)
    by_power: dict[int, dict[tuple[int, ...], Any]] = {}
    for monomial, c in rational.numerator.terms():
        k = monomial[position]
        by_power.setdefault(k, {})[monomial[:position] + (0,) + monomial[position + 1:]] = c
    coefficients = {k: ring.from_dict(terms) for k, terms in by_power.items()}
    top = max((k // 2 for k in coefficients), default=0)
    q = ring.one
    for f, e in base.denominator.items():
        q *= f**e
    cleared = [ring.zero, ring.zero]  # (a, b) * Q**top
    for k, c in coefficients.items():
        cleared[k % 2] += c * base.numerator ** (k // 2) * q ** (top - k // 2)
    terms = [(k, c.as_expr()) for k, c in coefficients.items()]
    if not cleared[0] and not cleared[1]:
        return terms, sp.S.Zero
    return terms, ((cleared[0].as_expr() + cleared[1].as_expr() * sp.sqrt(base_expr))
                   / (q.as_expr() ** top * rational.denominator_expr()))


def _modulo_parts(terms: Iterable[tuple[int, sp.Expr]], base: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(a, b) of sum_k c_k S**k = a + b*S modulo S**2 = B: the sums of c_k * B**(k//2)
    over even and over odd k, unexpanded."""
    even = odd = sp.S.Zero
    for k, c in terms:
        if k % 2:
            odd += c * base ** (k // 2)
        else:
            even += c * base ** (k // 2)
    return even, odd


def _is_radical(e: sp.Basic) -> bool:
    return e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer


@functools.lru_cache(maxsize=64)
def _expand_radical_bases(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each radicand expanded (memoised: the reduction, its domain and the
    domain's boundary cases each start from the same frozen residual)."""
    return rewrite.replace(expr, _is_radical, lambda e: sp.Pow(sp.expand(e.base), e.exp))


def _eliminate_radicals(
        expr: sp.Expr) -> tuple[sp.Expr, list[tuple[sp.Expr, sp.Expr]], list[tuple[sp.Symbol, sp.Expr]]] | None:
    """Replace each square-root base B by S**2 with S > 0: (rational expr, substitutions,
    radicals), or None if it does not apply.

    B = S**2 is solved for a symbol B is linear in (``_linear_pivot``), which is then
    substituted everywhere: a bijection onto the region B > 0 (the domain says so).
    """
    radicals = rewrite.atoms(expr, sp.Pow)
    if not any(map(_is_radical, radicals)) or any(
            _is_radical(p) and p.exp.q != 2 for p in radicals):
        return None
    used: set[sp.Symbol] = set()
    substitutions: list[tuple[sp.Expr, sp.Expr]] = []
    found: list[tuple[sp.Symbol, sp.Expr]] = []
    while True:
        bases = sorted({p.base for p in rewrite.atoms(expr, sp.Pow) if _is_radical(p)},
                       key=sp.default_sort_key)
        if not bases:
            return expr, substitutions, found
        if len(used) > 4:
            return None
        base = bases[0]
        pivot = _linear_pivot(base, exclude=used)
        if pivot is None:
            return None
        coefficient = base.coeff(pivot)
        s = sp.Dummy("S", positive=True)
        replacement = (s**2 - (base - coefficient * pivot)) / coefficient
        expr = _expand_radical_bases(rewrite.xreplace(expr, {pivot: replacement}))
        substitutions.append((pivot, replacement))
        found.append((s, base))
        used.add(s)


def _linear_pivot(base: sp.Expr, exclude: set[sp.Symbol]) -> sp.Symbol | None:
    """A symbol that ``base`` is linear in, with a nonzero numeric coefficient."""
    poly_ok = []
    for s in sorted(base.free_symbols - exclude, key=lambda s: (not s.is_positive, str(s))):
        c = base.coeff(s)
        if c.is_number and c != 0 and not (base - c * s).has(s):
            poly_ok.append(s)
    return poly_ok[0] if poly_ok else None


def domain_of(frozen: sp.Expr, atoms: dict[sp.Dummy, sp.Expr], is_zero: Callable[[sp.Expr], bool],
              depth: int = 2, known: dict[sp.Expr, str] | None = None) -> tuple[str, ...]:
    """The conditions a zero of ``frozen`` found by ``is_zero`` needs, readable (atoms
    restored): radicands > 0 (>= 0, or nothing, when the boundary B = 0 is 0 as well),
    denominators != 0.  A condition known to hold is left out."""
    known = known or {}
    conditions = _conditions(_expand_radical_bases(frozen), known)
    if any(type(c)(c.lhs, c.rhs) is sp.false for c in conditions):
        return (EMPTY,)  # a radicand known < 0 or a denominator known 0: nothing proved
    readable = [_readable(c, atoms) for c in conditions]
    domain = []
    for condition, text in zip(conditions, readable):
        base = condition.lhs
        others = set(readable) - {text}
        if isinstance(condition, sp.StrictGreaterThan) and depth and _boundary_holds(
                frozen, base, atoms, is_zero, depth, others):
            weak = sp.GreaterThan(base, 0, evaluate=False)
            if not _holds(weak, known):
                domain.append(_readable(weak, atoms))
        else:
            domain.append(text)
    return tuple(dict.fromkeys(domain))


def _conditions(expr: sp.Expr, known: dict[sp.Expr, str]) -> list[Relational]:
    found = []
    for p in sorted(rewrite.atoms(expr, sp.Pow), key=sp.default_sort_key):
        if _is_radical(p):
            found.append(sp.StrictGreaterThan(p.base, 0, evaluate=False))
        elif p.exp.is_negative and p.base.is_zero is not False:
            found += _nonzero_factors(p.base)
    for f in sorted(rewrite.atoms(expr, sp.log), key=sp.default_sort_key):
        found.append(sp.StrictGreaterThan(f.args[0], 0, evaluate=False))
    return list(dict.fromkeys(c for c in found if not _holds(c, known)))


def _nonzero_factors(denominator: sp.Expr) -> list[Relational]:
    """``denominator != 0`` as conditions on its factors: a radical factor needs its
    radicand > 0, a power its base != 0, a factor known nonzero nothing."""
    found = []
    for factor in sp.Mul.make_args(sp.factor_terms(sp.expand(denominator))):
        while factor.is_Pow and factor.exp.is_Integer and factor.exp > 0 or isinstance(factor, sp.Abs):
            factor = factor.args[0]
        if factor.is_zero is False:
            continue
        if _is_radical(factor):
            found.append(sp.StrictGreaterThan(factor.base, 0, evaluate=False))
        elif factor.is_nonnegative:  # a variance: != 0 reads > 0
            found.append(sp.StrictGreaterThan(factor, 0, evaluate=False))
        else:
            found.append(sp.Ne(factor, 0, evaluate=False))
    return found


def _holds(condition: Relational, known: dict[sp.Expr, str]) -> bool:
    """True when ``condition`` (B > 0, B >= 0, B != 0) is known to hold everywhere."""
    if type(condition)(condition.lhs, condition.rhs) is sp.true:
        return True
    sign = known.get(sp.expand(condition.lhs)) or _quadratic_sign(condition.lhs)
    return sign == "positive" or sign == "nonnegative" and isinstance(condition, sp.GreaterThan)


@functools.lru_cache(maxsize=256)
def _quadratic_sign(base: sp.Expr) -> str | None:
    """"positive"/"nonnegative" when ``base`` is a positive semidefinite quadratic form in
    its real variables of unknown sign plus a remainder SymPy knows is > 0 / >= 0 (the
    explicit variance plus eps); None otherwise."""
    xs = sorted((s for s in base.free_symbols if s.is_real and s.is_nonnegative is None
                 and s.is_nonpositive is None), key=str)
    if not xs:
        return None
    try:
        poly = sp.Poly(base, *xs)
    except sp.PolynomialError:
        return None
    terms = poly.terms()
    if any(sum(k) not in (0, 2) or sum(k) == 2 and not c.is_number for k, c in terms):
        return None
    rest = sp.Add(*[c for k, c in terms if sum(k) == 0])
    if not _hessian(terms, len(xs)).is_positive_semidefinite:
        return None
    return "positive" if rest.is_positive else "nonnegative" if rest.is_nonnegative else None


def _hessian(terms: list[tuple[tuple[int, ...], sp.Expr]], n: int) -> sp.Matrix:
    """The Hessian of the quadratic part of a polynomial, read off its terms (c*x_i**2
    gives 2c at (i, i), c*x_i*x_j gives c at (i, j) and (j, i)): ``sp.hessian``
    differentiates the expression twice for the same matrix."""
    hessian = sp.zeros(n, n)
    for exponents, c in terms:
        if sum(exponents) == 2:
            i, j = [i for i, e in enumerate(exponents) for _ in range(e)]
            hessian[i, j] = hessian[j, i] = 2 * c if i == j else c
    return hessian


_OPERATORS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.Unequality: "!="}


def _readable(condition: Relational, atoms: dict[sp.Dummy, sp.Expr]) -> str:
    return f"{_factored(condition.lhs.xreplace(atoms))} {_OPERATORS[type(condition)]} 0"


@functools.lru_cache(maxsize=256)
def _factored(expr: sp.Expr) -> sp.Expr:
    """``expr``, factored where that is shorter: an explicit variance reads (x0 - x1)**2/4."""
    if expr.has(Mean) or sp.count_ops(expr) > 60:
        return expr
    factored = sp.factor(expr)
    return factored if sp.count_ops(factored) < sp.count_ops(expr) else expr


def _boundary_holds(frozen: sp.Expr, base: sp.Expr, atoms: dict[sp.Dummy, sp.Expr],
                    is_zero: Callable[[sp.Expr], bool], depth: int, others: set[str]) -> bool:
    """True when lhs - rhs is 0 on B = 0 too, needing no condition beyond ``others``."""
    pivot = _linear_pivot(base, exclude=set())
    if pivot is None:
        return False
    c = base.coeff(pivot)
    at = rewrite.xreplace(_expand_radical_bases(frozen), {pivot: -(base - c * pivot) / c})
    if at.has(*_UNDEFINED) or not is_zero(at):
        return False
    return set(domain_of(at, atoms, is_zero, depth - 1)) <= others


def simplify(residual: sp.Expr) -> Reduction:
    frozen, atoms, known = _freeze(residual)
    reduced = sp.simplify(frozen)
    if reduced != 0:
        return Reduction(reduced.xreplace(atoms))
    return Reduction(sp.S.Zero, domain_of(frozen, atoms, lambda e: sp.simplify(e) == 0,
                                          depth=1, known=known))


def cases(residual: sp.Expr) -> Reduction:
    """0 when every sign case reduces to 0; otherwise the residual unchanged.

    Failing that, a batch mean of a piecewise function h becomes Mean(P) for a branch-free
    P once h = P is proved pointwise by the same case split (Mean(sign(x)**2 * x**2) =
    Mean(x**2)); where no single mean is, the means are merged by linearity first,
    sum_k c_k Mean(h_k) = Mean(H): Mean(relu(z)) - Mean(relu(-z)) = Mean(z).
    """
    residual = sp.sympify(residual)
    canonical = _in_signs(residual)
    for spelling in dict.fromkeys([residual, canonical]):
        split = _split_cases(spelling)
        if split is not None:
            return split
    merged = _merge_branching_means(canonical)
    if merged is not None:
        reduced, pointwise = merged
        result = cases(reduced)
        if result.residual == 0:
            return Reduction(sp.S.Zero, tuple(dict.fromkeys(pointwise + result.domain)))
    frozen, atoms, _ = _freeze(residual)
    return Reduction(frozen.xreplace(atoms))


def _split_cases(residual: sp.Expr) -> Reduction | None:
    """The proof by a sign case split of ``residual``, or None."""
    frozen, atoms, known = _freeze(residual)
    excluded: list[sp.Expr] = []
    if not _zero_in_every_case(frozen, _MAX_SPLITS, excluded):
        return None
    domain = domain_of(frozen, atoms, _zero_without_exclusions, known=known)
    return Reduction(sp.S.Zero, tuple(dict.fromkeys(
        domain + tuple(_readable(sp.Ne(a, 0), atoms) for a in excluded))))


def _in_signs(expr: sp.Expr) -> sp.Expr:
    """Abs, Max, Min and Heaviside of real arguments written with sign(): |z| = z sign(z),
    Max(a, b) = (a + b + (a - b) sign(a - b))/2, Heaviside(z) = (1 + sign(z))/2 (SymPy's
    Heaviside(0) = 1/2), so that two spellings of one function meet as one batch mean."""
    def real(e: sp.Basic) -> bool:
        return all(a.is_extended_real for a in e.args)
    rules = [
        (lambda e: isinstance(e, sp.Abs) and real(e), lambda e: e.args[0] * sp.sign(e.args[0])),
        # Max and Min are SymPy's of real arguments: of a complex symbol, left alone
        (lambda e: isinstance(e, (sp.Max, sp.Min)) and len(e.args) == 2
         and all(s.is_extended_real for s in e.free_symbols),
         lambda e: (e.args[0] + e.args[1] + (1 if isinstance(e, sp.Max) else -1)
                    * (e.args[0] - e.args[1]) * sp.sign(e.args[0] - e.args[1])) / 2),
        (lambda e: isinstance(e, sp.Heaviside) and real(e) and e.pargs[1:] in ((), (sp.S.Half,)),
         lambda e: (1 + sp.sign(e.args[0])) / 2),
    ]
    for matches, spelled in rules:
        expr = expr.replace(matches, spelled)
    return expr


def _merge_branching_means(residual: sp.Expr) -> tuple[sp.Expr, tuple[str, ...]] | None:
    """(residual with its means of piecewise functions merged and made branch-free, the
    domain of the pointwise proof), or None."""
    means = sorted((m for m in residual.atoms(Mean) if m.args[0].has(*_BRANCHING)),
                   key=sp.default_sort_key)
    means = [m for m in means if not any(m != n and n.has(m) for n in means)]
    if not means:
        return None
    # each mean on its own, where its argument is branch-free in disguise: Mean(sign(x)**2*x**2)
    replaced: dict[Mean, Mean] = {}
    domain: tuple[str, ...] = ()
    for m in means:
        p = _branch_free(m.args[0])
        if p is not None and (pointwise := cases(m.args[0] - p)).residual == 0:
            replaced[m], domain = Mean(p), domain + pointwise.domain
    if replaced:
        return residual.xreplace(replaced), domain
    # otherwise merged: sum_k c_k Mean(h_k) = Mean(sum_k c_k h_k), for batch constants c_k
    symbols = {m: sp.Dummy("M") for m in means}
    linear = sp.expand(residual.xreplace(symbols))
    rest = linear.xreplace({d: 0 for d in symbols.values()})
    coefficients = {m: linear.coeff(d) for m, d in symbols.items()}
    if any(c.has(*symbols.values()) or depends_on_sample(c) for c in coefficients.values()) \
            or sp.expand(linear - rest - sum(c * symbols[m] for m, c in coefficients.items())) != 0:
        return None
    h = sp.Add(*[c * m.args[0] for m, c in coefficients.items()])
    p = _branch_free(h)
    if p is None:
        return None
    pointwise = cases(h - p)
    if pointwise.residual != 0:
        return None
    return rest + Mean(p), pointwise.domain


def _branch_free(h: sp.Expr) -> sp.Expr | None:
    """``h`` with each piecewise function replaced by its branch for a positive argument
    (the argument is made a variable t > 0, SymPy evaluates, t is put back); None when
    an argument's sign cannot be isolated.  Only a candidate: H = P is then proved."""
    frozen, atoms = freeze_moments_signed(h)
    positive: list[tuple[sp.Dummy, sp.Expr]] = []
    for _ in range(_MAX_SPLITS):
        frozen = _expand_branch_arguments(frozen)
        undecided = [a for a in _branch_arguments(frozen) if _undecided_sign(a)]
        if not undecided:
            break
        split = _split(undecided[0])
        if split is None:
            return None
        argument, pivot = split
        c, t = argument.coeff(pivot), sp.Dummy("t", positive=True)
        frozen = frozen.xreplace({pivot: (t - (argument - c * pivot)) / c})
        positive.append((t, argument))
    if frozen.atoms(*_BRANCHING) or frozen.has(*_UNDEFINED):
        return None
    for t, argument in reversed(positive):  # the variables back, the branches chosen
        frozen = frozen.xreplace({t: argument})
    return frozen.xreplace(atoms)


def _split(argument: sp.Expr) -> tuple[sp.Expr, sp.Symbol] | None:
    """(what to split on, its pivot): the argument itself, or else one of its factors of
    undecided sign (sign(a*b) is decided by the signs of a and b)."""
    factors = [f for f in sp.Mul.make_args(sp.factor_terms(argument)) if _undecided_sign(f)]
    for candidate in [argument] + factors:
        candidate = sp.expand(candidate)
        pivot = _pivot(candidate)
        if pivot is not None:
            return candidate, pivot
    return None


def _pivot(argument: sp.Expr) -> sp.Symbol | None:
    """A symbol ``argument`` is linear in with a nonzero coefficient: u = argument is then
    a change of variables."""
    return next((s for s in sorted(argument.free_symbols, key=str)
                 if argument.is_polynomial(s) and sp.degree(argument, s) == 1
                 and argument.coeff(s).is_nonzero), None)


def _zero_without_exclusions(expr: sp.Expr) -> bool:
    excluded: list[sp.Expr] = []
    return _zero_in_every_case(expr, _MAX_SPLITS, excluded) and not excluded


def _branch_arguments(expr: sp.Expr) -> list[sp.Expr]:
    """The expressions whose signs decide the branches: Max(a, b) -> a - b, Abs(a) -> a,
    a Piecewise's conditions c > d -> c - d."""
    args = []
    for f in sorted(expr.atoms(*_BRANCHING), key=sp.default_sort_key):
        if isinstance(f, sp.Piecewise):
            args += [sp.expand(r.lhs - r.rhs) for _, c in f.args
                     for r in sorted(c.atoms(Relational), key=sp.default_sort_key)]
        elif isinstance(f, (sp.Max, sp.Min)):  # which argument wins: the sign of a difference
            args += [sp.expand(p - q) for i, p in enumerate(f.args) for q in f.args[i + 1:]]
        else:
            args += list(f.args)
    return [a for a in args if not a.is_number]


def _undecided_sign(a: sp.Expr) -> bool:
    return a.is_positive is None and a.is_negative is None and a.is_zero is None or (
        a.is_nonnegative is None and a.is_nonpositive is None)


def _expand_branch_arguments(expr: sp.Expr) -> sp.Expr:
    """Branch arguments expanded (a Piecewise's conditions as c - d > 0), so that SymPy
    sees their signs after a change of variables."""
    def expanded(e: sp.Basic) -> sp.Basic:
        if not isinstance(e, sp.Piecewise):
            return e.func(*[sp.expand(a) for a in e.args])
        return sp.Piecewise(*[(value, condition.xreplace({
            r: type(r)(sp.expand(r.lhs - r.rhs), 0) for r in condition.atoms(Relational)}))
            for value, condition in e.args])
    return expr.replace(lambda e: isinstance(e, _BRANCHING), expanded)


def _zero_in_every_case(expr: sp.Expr, splits: int, excluded: list[sp.Expr]) -> bool:
    """True when ``expr`` is 0 in every sign case of its branch arguments.  A top-level
    zero case where ``expr`` is undefined is skipped, its argument added to ``excluded``."""
    expr = _expand_branch_arguments(expr)
    undecided = [a for a in _branch_arguments(expr) if _undecided_sign(a)]
    if any(a.is_extended_real is not True for a in undecided):
        return False  # the cases u > 0, u < 0, u = 0 cover real arguments only (|z| at z = I)
    if not undecided:
        if expr.atoms(*_BRANCHING) or expr.has(*_UNDEFINED):
            return False  # an argument of known sign SymPy still could not evaluate
        return bool(_rational_reduce(expr)[0] == 0)
    if splits == 0:
        return False
    split = _split(undecided[0])
    if split is None:
        return False
    argument, pivot = split
    u = sp.Dummy("u", real=True)
    c = argument.coeff(pivot)
    expr = expr.xreplace({pivot: (u - (argument - c * pivot)) / c})
    t = sp.Dummy("t", positive=True)
    if not all(_zero_in_every_case(expr.xreplace({u: branch}), splits - 1, excluded)
               for branch in (t, -t)):
        return False
    at_zero = expr.xreplace({u: sp.S.Zero})
    if at_zero.has(*_UNDEFINED) and splits == _MAX_SPLITS:
        excluded.append(argument)
        return True
    return _zero_in_every_case(at_zero, splits - 1, excluded)


#: Cheap first, heuristic last.
STRATEGIES: tuple[tuple[str, Strategy], ...] = (
    ("rationalize", rationalize),
    ("cases", cases),
    ("simplify", simplify),
)
