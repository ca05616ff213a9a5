"""The soundness suite: wrong formulas and wrong identities that must all be REFUTED.

A prover that can say PROVED is only trustworthy if it is seen to say REFUTED for claims
that are almost right.  The suite holds

* mutations of every catalogue identity: a changed coefficient, a flipped sign, an added
  constant, a dropped term, a missing assumption; an inequality's relation reversed (a
  changed bound may still hold, having slack);
* every known BN mistake (:mod:`symbn.verify.mistakes`) claimed equal to the correct BN;
* a wrong batch size: "with eps = 0 no gradient reaches the input" holds at N = 2 only;
* claims that fail only at a boundary: a constant batch, a batch of one, a radicand at 0
  or below 0, a symbol at 0, values far from 1, a generic function f, a missing sign
  assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from symbn.identities import CATALOGUE
from symbn.identities.record import Claim, Identity, build_claim
from symbn.prove import Status


@dataclass(frozen=True)
class WrongClaim:
    name: str
    kind: str
    origin: str
    build: Callable[[], Claim]


def _first_symbol(claim: Claim):
    """A symbol of the claim (or of its derivation, when the claim reduced to 0 = 0)."""
    exprs = [claim.lhs - claim.rhs] + [e for _, e in claim.steps]
    free = set().union(*(sp.sympify(e).free_symbols for e in exprs)) - set(claim.where)
    return sorted(free, key=str)[0] if free else None


def _is_zero(expr) -> bool:
    return expr.is_zero_matrix if isinstance(expr, sp.MatrixBase) else sp.sympify(expr) == 0


def _ones_like(expr):
    return sp.ones(*expr.shape) if isinstance(expr, sp.MatrixBase) else sp.S.One


def _dropped(expr):
    target = expr[0] if isinstance(expr, sp.MatrixBase) else sp.sympify(expr)
    if not target.is_Add or len(target.args) < 2:
        return None
    smaller = sp.Add(*target.args[1:])
    if isinstance(expr, sp.MatrixBase):
        expr = expr.copy()
        expr[0] = smaller
        return expr
    return smaller


def _mutations_of(identity: Identity, claim: Claim) -> list[WrongClaim]:
    """The wrong variants of ``identity``, changed from its built ``claim`` (not rebuilt)."""
    def wrong(kind, change):
        def build():
            lhs, rhs = change(claim)
            return Claim(lhs, rhs, claim.where, claim.assume)
        return WrongClaim(f"{identity.name}/{kind}", kind, identity.name, build)

    if claim.relation != "==":
        return [_reversed(identity, claim)]
    found = [wrong("added constant", lambda c: (c.lhs, c.rhs + _ones_like(c.rhs) / 7))]
    if _is_zero(claim.rhs):
        if _first_symbol(claim) is None:
            return found
        found.append(wrong("changed coefficient",
                           lambda c: (c.lhs, _first_symbol(c) / 2 * _ones_like(c.rhs))))
    else:
        found.append(wrong("changed coefficient", lambda c: (c.lhs, sp.Rational(3, 2) * c.rhs)))
        found.append(wrong("flipped sign", lambda c: (c.lhs, -c.rhs)))
    # only from a stated right-hand side: a derived left-hand side may hold terms that are
    # each zero, and dropping one of those leaves a true claim
    if _dropped(claim.rhs) is not None:
        found.append(wrong("dropped term", lambda c: (c.lhs, _dropped(c.rhs))))
    if claim.where or claim.assume:
        found.append(WrongClaim(f"{identity.name}/missing assumption", "missing assumption",
                                identity.name, lambda: _without_assumptions(claim)))
    return found


#: an inequality's reversal: lhs <= rhs becomes lhs > rhs, false wherever the claim holds
_REVERSED = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}


def _reversed(identity: Identity, claim: Claim) -> WrongClaim:
    """An inequality's wrong variant: the reversed relation (the other mutations change
    a bound that may have slack, and a looser bound is no wrong claim)."""
    return WrongClaim(f"{identity.name}/reversed relation", "reversed relation", identity.name,
                      lambda: Claim(claim.lhs, claim.rhs, claim.where, claim.assume,
                                    relation=_REVERSED[claim.relation]))


def _without_assumptions(c: Claim) -> Claim:
    return Claim(c.lhs, c.rhs)


def _mistake_claims() -> list[WrongClaim]:
    from symbn.verify.mistakes import correct, mistakes

    found, right = [], correct().outputs  # derived once, not once per output
    for m in mistakes():
        for output, expr in m.outputs.items():
            if expr != right[output]:
                found.append(WrongClaim(f"mistake/{m.name}/{output}", "known mistake", m.name,
                                        _fixed(Claim(expr, right[output]))))
    return found


def _fixed(claim: Claim) -> Callable[[], Claim]:
    return lambda: claim


def _wrong_batch_size() -> WrongClaim:
    from symbn.identities.structure import _degenerate
    return WrongClaim("degenerate-batch/N=3", "wrong batch size",
                      "with eps = 0 and N = 2 dx vanishes; not at N = 3", lambda: _degenerate(3))


def _boundary_claims() -> list[WrongClaim]:
    """Claims true almost everywhere, false on a boundary the search must visit."""
    from symbn.bn.batchnorm import gamma, standardize, x
    from symbn.core import Mean, N, batch_var, derivative

    a, b = sp.symbols("a b", real=True)
    t = sp.Symbol("t", nonnegative=True)
    f = sp.Function("f")
    xhat = standardize(x)
    claims = {
        "sign of a standard deviation is 1 (a constant batch has 0)":
            lambda: Claim(sp.sign(sp.sqrt(batch_var(x))), 1),
        "sign of a norm is 1 (0 at a = b = 0)":
            lambda: Claim(sp.sign(sp.sqrt(a**2 + b**2)), 1),
        "sign of a nonnegative symbol is 1 (0 at t = 0)": lambda: Claim(sp.sign(t), 1),
        "|sqrt(a + 30)|**2 = a + 30 (a negative radicand)":
            lambda: Claim(sp.Abs(sp.sqrt(a + 30))**2, a + 30),
        "sqrt(a) sqrt(b) = sqrt(ab) (a, b < 0)":
            lambda: Claim(sp.sqrt(a) * sp.sqrt(b), sp.sqrt(a * b)),
        "the mean is the sample (only a batch of one)":
            lambda: Claim(Mean(x), x, where={N: 2}),
        "floor(a / 10**5) = 0 (wide values)": lambda: Claim(sp.floor(a / 10**5), 0),
        "Heaviside(gamma xhat) = Heaviside(x - E[x]) without gamma > 0":
            lambda: Claim(sp.Heaviside(gamma * xhat), sp.Heaviside(x - Mean(x))),
        "standardize(a x) = standardize(x) (a < 0 flips the sign)":
            lambda: Claim(standardize(a * x, 0), standardize(x, 0)),
        "d/dx_j Mean f(x) = f'(x_j) for a generic f (the 1/N is missing)":
            lambda: Claim(derivative(Mean(f(x)), x), sp.Derivative(f(x), x)),
    }
    return [WrongClaim(f"boundary/{name}", "boundary", name, build)
            for name, build in claims.items()]


def wrong_claims(cache=None) -> list[WrongClaim]:
    """Every claim of the soundness suite, each expected REFUTED.  Each identity's claim is
    built once (read from ``cache`` when given: the same entry ``check`` uses)."""
    return ([w for i in CATALOGUE if i.expected is Status.PROVED
             for w in _mutations_of(i, build_claim(i, cache))]
            + _mistake_claims()
            + [_wrong_batch_size()]
            + _boundary_claims())
