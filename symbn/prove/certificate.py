"""Certificates of proofs, and the independent second check of every PROVED.

A strategy that proves ``lhs == rhs`` by rationalizing records *how*: which batch moments
it froze into plain symbols, which symbol it solved for to eliminate each square root
(``pivot -> (S**2 - rest)/c`` with ``S > 0`` standing for ``sqrt(B)``), and the resulting
numerator over a common denominator, before expansion.  :func:`second_check` re-checks that
record with an engine that shares no code with the strategy (exact polynomial arithmetic
in python-flint, and exact evaluation at random rational points), and ``symbn.certify``
re-checks a certificate written to disk without importing symbn's prover.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


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
    atoms: dict
    substitutions: tuple
    radicals: tuple
    numerator: sp.Expr
    denominator: sp.Expr
    domain: tuple[str, ...] = ()
