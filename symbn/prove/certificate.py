"""Certificates of proofs, and the independent second check of every PROVED.

A strategy that proves ``lhs == rhs`` by rationalizing records *how*: which batch moments
it froze into plain symbols, which symbol it solved for to eliminate each square root
(``pivot -> (S**2 - rest)/c`` with ``S > 0`` standing for ``sqrt(B)``), and the resulting
numerator over a common denominator, before expansion.  :func:`second_check` re-checks that
record with an engine that shares no code with the strategy: the record is written out as
the JSON certificate of :mod:`symbn.certify` (expression text), and that package's
python-flint engine rebuilds the rationalized residual in exact polynomial arithmetic and
evaluates it at random integer points.  ``python -m symbn.certify DIR`` runs the same check
on certificates written to disk.

A PROVED without a certificate (the ``cases`` and ``simplify`` strategies) is checked in
general form: in moment form with python-flint where it is a polynomial identity there,
and by exact evaluation on random concrete batches (which can refute, and alone confirms
nothing).  A construction (lhs - rhs is 0 as built) has nothing to re-check here; its
explicit-batch cross-check lives with the identity (:mod:`symbn.identities.record`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from symbn.certify import checker
from symbn.certify.engine import Malformed, Refused, Undefined
from symbn.core import N, SampleSymbol


@dataclass(frozen=True)
class Certificate:
    """How a PROVED was reached, in enough detail to check it again independently.

    ``residual`` is lhs - rhs with every batch moment frozen to a plain symbol (``atoms``
    says which moment each stands for).  ``substitutions`` are applied to it in order;
    a replacement may contain new positive symbols S_k, with ``radicals`` giving
    ``(S_k, B_k)``: S_k > 0 and S_k**2 == B_k, so sqrt(B_k) == S_k.  The result equals
    ``numerator / denominator``; the proof is that ``numerator`` expands to 0.
    ``domain`` lists what the proof needs (B_k > 0, denominator != 0).
    """

    strategy: str
    residual: sp.Expr
    atoms: dict[sp.Dummy, sp.Expr]
    substitutions: tuple[tuple[sp.Expr, sp.Expr], ...]
    radicals: tuple[tuple[sp.Symbol, sp.Expr], ...]
    numerator: sp.Expr
    denominator: sp.Expr
    domain: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecondCheck:
    """``confirmed``: True when an independent engine confirmed the zero, False when it
    found the claim nonzero, None when it could not check; ``evidence`` says which."""

    confirmed: bool | None
    evidence: tuple[str, ...]


def second_check(residual: sp.Expr | sp.MatrixBase, certificate: Certificate | None = None, *,
                 seed: int = 0) -> SecondCheck:
    """Re-check a PROVED of ``residual == 0`` (lhs - rhs, as built) independently."""
    residual = sp.sympify(residual)
    if isinstance(residual, sp.MatrixBase):
        return _entrywise(residual, seed)
    if certificate is None and residual == 0:
        return SecondCheck(None, ("no second check: lhs - rhs is 0 as built (a construction "
                                  "by Mean's rules); an identity's explicit cross-checks, when "
                                  "it has them, are shown with it",))
    try:
        data = certificate_data(residual, certificate)
        result = checker.check(data, seed=seed)
    except (Malformed, Refused, Undefined) as why:
        return SecondCheck(None, (f"no second check: {why}",))
    if result.confirmed is None:  # it ran, and could neither confirm nor refute: say so
        first, *rest = result.lines or ("no reason given",)
        return SecondCheck(None, (f"not confirmed by the second check: {first}", *rest))
    return SecondCheck(result.confirmed, result.lines)


def _entrywise(residual: sp.MatrixBase, seed: int) -> SecondCheck:
    checks = [second_check(entry, seed=seed) for entry in residual]
    if any(c.confirmed is False for c in checks):
        confirmed: bool | None = False
    else:
        confirmed = True if all(c.confirmed for c in checks) else None
    lines = sorted({line for c in checks for line in c.evidence})
    return SecondCheck(confirmed, (f"entrywise over {len(checks)} entries:", *lines))


# --- the JSON form ------------------------------------------------------------------------


class _Printer(StrPrinter):
    """SymPy's str printer with every symbol printed under its certificate name, each
    subexpression printed once: a residual repeats its square roots many times, and the
    certificate prints it whole, frozen and inside its moments (the text of an expression
    does not depend on where it stands; its parent adds any parentheses)."""

    def __init__(self, names: dict[sp.Basic, str]) -> None:
        # terms in SymPy's own (canonical) order: sorting them for reading costs more than
        # the rest of the certificate, and the checker parses them in any order
        super().__init__({"order": "none"})
        self._names = names
        self._texts: dict[sp.Basic, str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs or not isinstance(expr, sp.Basic):
            text: str = super()._print(expr, **kwargs)
            return text
        if expr not in self._texts:
            self._texts[expr] = super()._print(expr)
        return self._texts[expr]

    def _print_Symbol(self, expr: sp.Basic) -> str:
        return self._names[expr]

    _print_Dummy = _print_Symbol


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text).strip("_") or "v"
    return name if name[0].isalpha() else "v_" + name


def _assumption_words(symbol: sp.Symbol) -> str:
    words = [w for w in ("positive", "nonnegative", "negative", "nonpositive", "integer")
             if symbol.assumptions0.get(w)]
    return f" ({', '.join(words)})" if words else ""


class _Names:
    """Unique identifiers for symbols, and what each stands for."""

    def __init__(self) -> None:
        self.names: dict[sp.Basic, str] = {}
        self.meanings: dict[str, str] = {}

    def add(self, symbol: sp.Basic, stem: str, meaning: str) -> str:
        if symbol in self.names:
            return self.names[symbol]
        taken = set(self.names.values())
        name, k = stem, 1
        while name in taken or name.startswith("__"):
            k += 1
            name = f"{stem}_{k}"
        self.names[symbol] = name
        self.meanings[name] = meaning
        return name

    def symbols(self, exprs: Iterable[object]) -> None:
        for expr in exprs:
            for s in sorted(sp.sympify(expr).free_symbols, key=sp.default_sort_key):
                if isinstance(s, sp.Dummy):
                    self.add(s, _identifier(s.name), f"an auxiliary variable {s.name}")
                else:
                    kind = "per-sample variable" if isinstance(s, SampleSymbol) else "symbol"
                    self.add(s, _identifier(s.name), f"{kind} {s.name}{_assumption_words(s)}")

    def printer(self) -> _Printer:
        return _Printer(self.names)


def certificate_data(residual: sp.Expr, certificate: Certificate | None = None, *,
                     claim: str = "") -> dict[str, Any]:
    """The JSON certificate that :mod:`symbn.certify` checks (kind "rationalized" for a
    :class:`Certificate`, "general" for the residual alone)."""
    residual = sp.sympify(residual)
    if certificate is None:
        return _general_data(residual, claim)
    names = _Names()
    for k, (s, _) in enumerate(certificate.radicals, 1):
        names.add(s, f"S_{k}", "")
    for k, d in enumerate(sorted(certificate.atoms, key=lambda d: str(certificate.atoms[d])), 1):
        names.add(d, f"E_{k}", "")
    names.symbols([certificate.residual, *(e for pair in certificate.substitutions for e in pair),
                   *(e for pair in certificate.radicals for e in pair), certificate.numerator,
                   certificate.denominator, *certificate.atoms.values(), residual])
    show = names.printer().doprint
    shown = show(residual)  # the longest text: printed once
    claim = _equation(claim, shown)
    for d, mean in certificate.atoms.items():
        names.meanings[names.names[d]] = f"the batch moment {show(mean)}"
    for s, base in certificate.radicals:
        names.meanings[names.names[s]] = f"sqrt({show(base)}) > 0"
    data = {
        "format": checker.FORMAT,
        "kind": "rationalized",
        "claim": claim,
        "strategy": certificate.strategy,
        "variables": {n: names.meanings[n] for n in sorted(names.meanings)},
        "claim_residual": shown,
        "samples": sorted(names.names[s] for s in residual.free_symbols
                          | set().union(*(m.free_symbols for m in certificate.atoms.values()))
                          if isinstance(s, SampleSymbol)),
        "atoms": {names.names[d]: show(m) for d, m in certificate.atoms.items()},
        "residual": show(certificate.residual),
        "positive": sorted(names.names[s] for s in names.names if s.is_positive),
        "negative": sorted(names.names[s] for s in names.names if s.is_negative),
        # a substitution of a power sqrt(B)**k by S**k (the reduction modulo S**2 = B) is
        # implied by the radical (S, B): only changes of variables are listed
        "substitutions": [[show(p), show(r)] for p, r in certificate.substitutions
                          if isinstance(p, sp.Symbol)],
        "radicals": [[show(s), show(b)] for s, b in certificate.radicals],
        "numerator": show(certificate.numerator),
        "denominator": show(certificate.denominator),
        "domain": list(certificate.domain),
    }
    data["degree"] = checker.formal_degree(data)
    return data


def _equation(claim: str, residual: str) -> str:
    """The claim as the checker reads it, ``[label: ]lhs == rhs``: a label alone (or
    nothing) gets the residual's equation ``lhs - rhs == 0``."""
    if "==" in claim:
        return claim
    return f"{claim}: {residual} == 0" if claim else f"{residual} == 0"


def _general_data(residual: sp.Expr, claim: str) -> dict[str, Any]:
    names = _Names()
    names.symbols([residual])
    free = residual.free_symbols
    signs: dict[str, str] = {}
    for s in free:
        for word in ("positive", "nonnegative", "negative", "nonpositive"):
            if s.assumptions0.get(word):
                signs[names.names[s]] = word
                break
    return {
        "format": checker.FORMAT,
        "kind": "general",
        "claim": _equation(claim, names.printer().doprint(residual)),
        "strategy": "",
        "variables": {n: names.meanings[n] for n in sorted(names.meanings)},
        "samples": sorted(names.names[s] for s in free if isinstance(s, SampleSymbol)),
        "signs": signs,
        "integer": sorted(names.names[s] for s in free if s.is_integer),
        "batch_symbol": names.names.get(N),
        "residual": names.printer().doprint(residual),
        "domain": [],
    }
