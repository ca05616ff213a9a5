"""Piecewise identities (Max, Min, Abs, sign, Heaviside) by a sign case split, exactly.

Each branch point is decided by the sign of an argument (Abs(u): u; Max(a, b): a - b).
Its numerator and denominator are factored into irreducible polynomials; a factor of
evident sign (positive variables with positive coefficients, a negative variable...)
keeps it, every other factor f is *free* and takes each of the signs +, -, 0.  For one
assignment every piecewise function is one rational expression, and the residual must
vanish on the region the assignment describes:

* identically, when no free factor is 0 (an open region; one that happens to be empty
  only asks for more);
* on f = 0 for each factor of sign 0: f is solved for a variable it is linear in with a
  numeric coefficient, which is substituted, and the result must vanish identically.

Every point of the domain lies in one region, where each piecewise function *is* its
branch, so zero in every case is zero everywhere.  An assignment under which a
denominator is 0 is outside the domain.  A factor linear in no variable, more than
``MAX_FREE`` free factors, or a piecewise function inside a batch mean or inside another
piecewise function is refused: no confirmation, never a wrong one.
"""

from __future__ import annotations

import ast
from itertools import product

import flint

from symbn.certify.engine import _PIECEWISE, RatFunc, Refused, Undefined, zero_modulo
from symbn.certify.forms import exact_forms

MAX_FREE = 6


class _Outside(Exception):
    """The assignment puts a denominator at 0, or describes an empty region."""


def zero_in_every_case(tree, names, *, samples=(), positive=(), negative=()) -> tuple[bool, int]:
    """(zero in every case, number of cases); Refused when the split does not apply."""
    try:
        return _split(tree, names, samples, positive, negative)
    except Undefined as why:
        raise Refused(str(why)) from None


def _split(tree, names, samples, positive, negative) -> tuple[bool, int]:
    _refuse_nesting(tree)
    free: dict[str, object] = {}
    last_pass: list = [None]

    def collect(form, name, values):
        if form is not last_pass[0]:  # a redone pass: only the last one's values count
            last_pass[0] = form
            free.clear()
        for u in _deciders(name, values):
            for f in _factors(u):
                if not form.sign(f):
                    free[str(f)] = f
        return values[0]

    atoms: dict = {}
    exact_forms([tree], names, samples=samples, positive=positive, negative=negative,
                piecewise=collect, atoms=atoms)
    if len(free) > MAX_FREE:
        raise Refused(f"{len(free)} free sign factors (at most {MAX_FREE} are split)")
    keys = sorted(free)
    cases = 0
    for signs in product((1, -1, 0), repeat=len(keys)):
        assignment = dict(zip(keys, signs))
        zeros: dict[str, object] = {}

        def branch(form, name, values, assignment=assignment, zeros=zeros):
            if form is not last_pass[0]:
                last_pass[0] = form
                zeros.clear()
            return _branch(form, name, values, assignment, zeros)
        try:
            (value,), relations, ctx = exact_forms(
                [tree], names, samples=samples, positive=positive, negative=negative,
                piecewise=branch, atoms={k: list(v) for k, v in atoms.items()})
        except _Outside:
            continue
        cases += 1
        if not _zero_on(value, list(zeros.values()), relations, ctx, names):
            return False, cases
    return True, cases


def _refuse_nesting(tree) -> None:
    def visit(node, inside):
        if isinstance(node, ast.Call):
            name = node.func.id
            if name in _PIECEWISE and inside:
                raise Refused(f"{name} inside {inside} (no case split there)")
            if name == "Mean" or name in _PIECEWISE:
                inside = inside or ("a batch mean" if name == "Mean" else name)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)
    visit(tree, None)


def _deciders(name, values):
    if name in ("Max", "Min"):
        return [a - b for i, a in enumerate(values) for b in values[i + 1:]]
    return [values[0]]


def _factors(u: RatFunc):
    found = []
    for p in (u.num, u.den):
        if not p.is_zero():
            found += [f for f, _ in p.factor()[1]]
    return found


def _sign_of(form, u: RatFunc, assignment, zeros) -> int:
    if u.num.is_zero():
        return 0
    c_num, num = u.num.factor()
    c_den, den = u.den.factor()
    sign = (1 if c_num > 0 else -1) * (1 if c_den > 0 else -1)
    zero = False
    for f, e in num + den:
        s = form.sign(f) or assignment.get(str(f))
        if s is None:  # met while a pass is redone for a new atom, or a real gap
            raise Undefined("a sign factor that appeared only in one case")
        if s == 0:
            if (f, e) in den:
                raise _Outside  # a denominator is 0 here: outside the domain
            zero = True
            zeros[str(f)] = f
        else:
            sign *= s ** e
    return 0 if zero else sign


def _branch(form, name, values, assignment, zeros):
    one = form.poly.const(1)
    if name in ("Max", "Min"):
        want = 1 if name == "Max" else -1
        for i, a in enumerate(values):
            if all(_sign_of(form, a - b, assignment, zeros) * want >= 0
                   for j, b in enumerate(values) if j != i):
                return a
        raise _Outside  # no largest argument: the signs contradict one another
    s = _sign_of(form, values[0], assignment, zeros)
    if name == "Abs":
        return values[0] * form.poly.const(s)
    if name == "sign":
        return form.poly.const(s)
    return one if s > 0 else form.poly.const(0) if s < 0 else form.poly.const(flint.fmpq(1, 2))


def _zero_on(value: RatFunc, zero_factors, relations, ctx, names) -> bool:
    """Is ``value`` zero wherever every factor in ``zero_factors`` is 0 (and the relations
    hold)?  Each factor is solved for a variable it is linear in, and substituted."""
    num = value.num
    relations = dict(relations)
    pending = [_in(ctx, f) for f in zero_factors]
    while pending:
        f = pending.pop()
        if f.is_zero():
            continue
        solved = _solve_linear(f, ctx, names)
        if solved is None:
            raise Refused(f"the boundary {f} = 0 is linear in no variable")
        gens = list(ctx.gens())
        gens[solved[0]] = solved[1]
        num = num.compose(*gens)
        pending = [g.compose(*gens) for g in pending]
        relations = {k: RatFunc(x.num.compose(*gens), x.den.compose(*gens))
                     for k, x in relations.items()}
    return zero_modulo(num, relations, ctx)


def _in(ctx, f):
    """``f`` in ``ctx``: a pass that met a new atom only appended variables."""
    if f.context() is ctx:
        return f
    pad = (0,) * (ctx.nvars() - f.context().nvars())
    return ctx.from_dict({e + pad: c for e, c in f.to_dict().items()})


def _solve_linear(f, ctx, names):
    """(index of p, the polynomial p equals on f = 0) for a declared variable p that f is
    linear in with a numeric coefficient; None if there is none."""
    terms = f.to_dict()
    for i, name in enumerate(ctx.names()):
        if name not in names:
            continue  # an atom stands for an expression: never solved for
        linear = {e: c for e, c in terms.items() if e[i]}
        if len(linear) == 1:
            (e, c), = linear.items()
            if e[i] == 1 and sum(e) == 1:
                rest = ctx.from_dict({k: v for k, v in terms.items() if not k[i]})
                return i, -rest / c
    return None
