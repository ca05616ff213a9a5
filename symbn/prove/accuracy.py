"""A number to the digits asked for, or no number at all.

SymPy's ``N(expr, 60)`` returns whatever its working precision gave: cosh(A)**2 - sinh(A)**2
at A = 77585 evaluates to 5.e+67203, and sign(sin(a)**2 + cos(a)**2 - 1) to the sign of
rounding noise, -1.  ``evalf(strict=True)`` raises PrecisionExhausted for the first; the
second needs the argument of each discontinuous function checked too, since the function
of a noisy argument is a clean-looking wrong value.  The counterexample searches and the
definedness conditions evaluate with :func:`accurate`: a value that cannot be had tells
nothing, and refutes nothing.
"""

from __future__ import annotations

from typing import cast

import sympy as sp
from sympy.core.evalf import PrecisionExhausted

__all__ = ["PrecisionExhausted", "accurate"]

#: functions whose value jumps where their argument crosses 0: that argument must be known
_JUMPS = (sp.sign, sp.Heaviside, sp.floor, sp.ceiling, sp.frac)


def accurate(value: object, digits: int) -> sp.Expr:
    """``value`` to ``digits`` correct digits; PrecisionExhausted when SymPy cannot reach
    them, or cannot tell the sign of the argument of a function that jumps at 0 (or of a
    Piecewise's condition)."""
    expr = cast(sp.Expr, sp.sympify(value))
    for jump in expr.atoms(*_JUMPS, sp.Piecewise):
        arguments = jump.args[:1] if not isinstance(jump, sp.Piecewise) else [
            r.lhs - r.rhs for _, c in jump.args for r in c.atoms(sp.core.relational.Relational)]
        for argument in arguments:
            sp.sympify(argument).evalf(digits, strict=True)
    return expr.evalf(digits, strict=True)
