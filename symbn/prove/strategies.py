"""Symbolic strategies: each reduces a residual and says whether it is exactly 0.

A strategy takes the residual lhs - rhs and returns the reduced expression; the prover
says PROVED only when that is the exact integer 0.  Each strategy is sound on its own:

* ``rationalize``: moment form, moment atoms as symbols; then each square-root base B
  becomes S**2 (S > 0) by solving B = S**2 for a symbol B is linear in, so the residual
  becomes rational, then its numerator is expanded; where B is linear in no symbol, it is
  reduced modulo S**2 = B to a + b*S instead; with no square roots, plain expansion;
* ``cases``: sign case split for Max/Min/Heaviside/Abs/sign (ReLU and friends), each
  argument made a variable u by a change of variables and split into u > 0, u < 0, u = 0;
* ``simplify``: SymPy's heuristic ``simplify``, last because it can take minutes.

Moment atoms are independent symbols here; a zero found this way is a zero for every
batch, because the actual moments are just one choice of their values.
"""

from __future__ import annotations

import sympy as sp

from symbn.core import freeze_moments

_BRANCHING = (sp.Max, sp.Min, sp.Heaviside, sp.Abs, sp.sign)
_MAX_SPLITS = 6


def rationalize(residual):
    frozen, atoms = freeze_moments(residual)
    rational = _eliminate_radicals(frozen)
    if rational is not None:
        return _numerator_form(rational).xreplace(atoms)
    reduced = _reduce_modulo_radical(frozen)
    return (_numerator_form(frozen) if reduced is None else reduced).xreplace(atoms)


def _numerator_form(rational):
    """A rational expression over one denominator, its numerator expanded: 0 iff it is 0.

    Cheaper than ``cancel``, which also computes a polynomial gcd that a zero test does
    not need (1.9 s against 4.9 s for the explicit backward at m = 16).
    """
    numerator, denominator = sp.fraction(sp.together(rational))
    numerator = sp.expand(numerator)
    return sp.S.Zero if numerator == 0 else numerator / denominator


def _reduce_modulo_radical(expr):
    """For one square-root base B: numerator a(B) + b(B)*sqrt(B); 0 when a and b expand to 0.

    Each sqrt(B)**k becomes S**k; the numerator over a common denominator is reduced with
    S**2 = B.  a == b == 0 implies the residual is 0 (the converse is not needed).
    """
    expr = _expand_radical_bases(expr)
    radicals = [p for p in expr.atoms(sp.Pow) if _is_radical(p)]
    bases = {p.base for p in radicals}
    if len(bases) != 1 or any(p.exp.q != 2 for p in radicals):
        return None
    base = bases.pop()
    s = sp.Dummy("S", positive=True)
    numerator, _ = sp.fraction(sp.together(
        expr.xreplace({p: s ** (2 * p.exp) for p in radicals})))
    even = odd = sp.S.Zero
    for (k,), c in sp.Poly(sp.expand(numerator), s).terms():
        if k % 2:
            odd += c * base ** (k // 2)
        else:
            even += c * base ** (k // 2)
    even, odd = sp.expand(even), sp.expand(odd)
    return sp.S.Zero if even == 0 and odd == 0 else even + odd * sp.sqrt(base)


def _is_radical(e) -> bool:
    return e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer


def _expand_radical_bases(expr):
    return expr.replace(_is_radical, lambda e: sp.Pow(sp.expand(e.base), e.exp))


def _eliminate_radicals(expr):
    """Replace each square-root base B by S**2 with S > 0; None if it does not apply.

    B = S**2 is solved for a symbol B is linear in (``_linear_pivot``), which is then
    substituted everywhere: a bijection onto the region B > 0, where the claim lives.
    """
    expr = _expand_radical_bases(expr)
    radicals = expr.atoms(sp.Pow)
    if not any(map(_is_radical, radicals)) or any(
            _is_radical(p) and p.exp.q != 2 for p in radicals):
        return None
    used: set = set()
    while True:
        bases = sorted({p.base for p in expr.atoms(sp.Pow) if _is_radical(p)}, key=sp.default_sort_key)
        if not bases:
            return expr
        if len(used) > 4:
            return None
        base = bases[0]
        pivot = _linear_pivot(base, exclude=used)
        if pivot is None:
            return None
        coefficient = base.coeff(pivot)
        s = sp.Dummy("S", positive=True)
        expr = _expand_radical_bases(
            expr.xreplace({pivot: (s**2 - (base - coefficient * pivot)) / coefficient}))
        used.add(s)


def _linear_pivot(base, exclude):
    """A symbol that ``base`` is linear in, with a nonzero numeric coefficient."""
    poly_ok = []
    for s in sorted(base.free_symbols - exclude, key=lambda s: (not s.is_positive, str(s))):
        c = base.coeff(s)
        if c.is_number and c != 0 and not (base - c * s).has(s):
            poly_ok.append(s)
    return poly_ok[0] if poly_ok else None


def simplify(residual):
    frozen, atoms = freeze_moments(residual)
    return sp.simplify(frozen).xreplace(atoms)


def cases(residual):
    """0 when every sign case reduces to 0; otherwise the residual unchanged."""
    frozen, atoms = freeze_moments(residual)
    return sp.S.Zero if _zero_in_every_case(frozen, _MAX_SPLITS) else frozen.xreplace(atoms)


def _branch_arguments(expr) -> list:
    args = []
    for f in sorted(expr.atoms(*_BRANCHING), key=sp.default_sort_key):
        args += [a for a in f.args if not a.is_number]
    return args


def _undecided_sign(a) -> bool:
    return a.is_positive is None and a.is_negative is None and a.is_zero is None or (
        a.is_nonnegative is None and a.is_nonpositive is None)


def _expand_branch_arguments(expr):
    return expr.replace(lambda e: isinstance(e, _BRANCHING),
                        lambda e: e.func(*[sp.expand(a) for a in e.args]))


def _zero_in_every_case(expr, splits: int) -> bool:
    expr = _expand_branch_arguments(expr)
    undecided = [a for a in _branch_arguments(expr) if _undecided_sign(a)]
    if not undecided:
        if expr.atoms(*_BRANCHING):
            return False  # an argument of known sign SymPy still could not evaluate
        reduced = _eliminate_radicals(expr)
        reduced = sp.expand(expr) if reduced is None else _numerator_form(reduced)
        return reduced == 0
    if splits == 0:
        return False
    argument = undecided[0]
    pivot = next((s for s in sorted(argument.free_symbols, key=str)
                  if argument.is_polynomial(s) and sp.degree(argument, s) == 1
                  and argument.coeff(s).is_nonzero), None)
    if pivot is None:
        return False
    u = sp.Dummy("u", real=True)
    c = argument.coeff(pivot)
    expr = expr.xreplace({pivot: (u - (argument - c * pivot)) / c})
    t = sp.Dummy("t", positive=True)
    return all(_zero_in_every_case(expr.xreplace({u: branch}), splits - 1)
               for branch in (t, -t, sp.S.Zero))


#: Cheap first, heuristic last.
STRATEGIES = (
    ("rationalize", rationalize),
    ("cases", cases),
    ("simplify", simplify),
)
