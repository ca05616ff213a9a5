"""Assertions for pytest: a claim must be PROVED (or REFUTED), and a failure says why.

::

    from symbn import batchnorm, sample_symbols
    from symbn.testing import assert_proved, assert_refuted

    def test_a_bias_before_bn_is_redundant():
        u, = sample_symbols("u")
        b = sympy.Symbol("b", real=True)
        assert_proved(batchnorm(u + b), batchnorm(u))

On failure the message shows the claim, the verdict (status, method, domain), its
counterexample or the residual the prover was left with, the strategies tried and, for an
:class:`~symbn.identities.record.Identity`, its derivation steps and its controls' verdicts;
pytest shows it at the test's line, without symbn's own frames (``__tracebackhide__``).
Each assertion returns what it checked, for further assertions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from symbn.identities.record import CheckedIdentity, Identity, check
from symbn.prove import Status, Verdict, prove

__all__ = ["BUDGET", "assert_as_expected", "assert_proved", "assert_refuted", "assert_verdict"]

#: seconds each claim may take by default: a generous budget, so that a test's outcome does
#: not depend on how loaded the machine is (a claim decided at once still returns at once)
BUDGET = 60.0


def _claim_text(lhs: Any, rhs: Any) -> str:
    def side(value: Any) -> str:
        return sp.sstr(sp.Matrix(value) if isinstance(value, (list, tuple)) else value)
    if isinstance(lhs, Relational) and isinstance(rhs, int) and rhs == 0:  # the claim alone
        return side(lhs)
    return f"{side(lhs)} == {side(rhs)}"


def _failure(wanted: Status, verdict: Verdict, claim: str,
             steps: Iterable[tuple[str, Any]]) -> str:
    lines = [f"expected {wanted}, got {verdict.status}", f"claim: {claim}"]
    lines += [f"step {label}: {sp.sstr(expr)}" for label, expr in steps]
    lines.append(f"verdict: {verdict}")
    if verdict.status is Status.UNDECIDED:  # what the prover was left with
        lines.append(f"residual (lhs - rhs after the last reduction): {sp.sstr(verdict.residual)}")
    return "\n".join(lines)


def _status(expected: Status | str) -> Status:
    """``expected`` as a Status ("proved" works); one clear ValueError for anything else."""
    try:
        return Status.named(expected)
    except ValueError as error:
        raise ValueError(f"assert_verdict: expected={error} (or symbn.Status.PROVED, ...)") \
            from None


def assert_verdict(expected: Status | str, lhs: Any, rhs: Any = 0, *,
                   steps: Iterable[tuple[str, Any]] = (), **prove_kwargs: Any) -> Verdict:
    """``prove(lhs, rhs, **prove_kwargs)`` must come out ``expected``; returns the verdict.

    ``prove_kwargs`` are :func:`symbn.prove`'s (``where``, ``assume``, ``budget``, ...),
    ``budget`` :data:`BUDGET` unless given; ``steps``, (label, expression) pairs, are shown
    in the failure message as the derivation.  ``lhs`` may be an unevaluated
    ``sp.Eq(lhs, rhs)`` or an inequality alone, as for :func:`symbn.prove`; a Python bool
    (``expr1 == expr2``, decided by Python) is prove's TypeError."""
    __tracebackhide__ = True
    wanted = _status(expected)
    verdict = prove(lhs, rhs, **{"budget": BUDGET, **prove_kwargs})
    if verdict.status is not wanted:
        raise AssertionError(_failure(wanted, verdict, _claim_text(lhs, rhs), steps))
    return verdict


def assert_proved(lhs: Any, rhs: Any = 0, *, steps: Iterable[tuple[str, Any]] = (),
                  **prove_kwargs: Any) -> Verdict:
    """``lhs == rhs`` must be PROVED (see :func:`assert_verdict`); returns the verdict,
    whose ``domain`` says where the proof holds."""
    __tracebackhide__ = True
    return assert_verdict(Status.PROVED, lhs, rhs, steps=steps, **prove_kwargs)


def assert_refuted(lhs: Any, rhs: Any = 0, *, steps: Iterable[tuple[str, Any]] = (),
                   **prove_kwargs: Any) -> Verdict:
    """``lhs == rhs`` must be REFUTED, with a counterexample (see :func:`assert_verdict`);
    returns the verdict."""
    __tracebackhide__ = True
    return assert_verdict(Status.REFUTED, lhs, rhs, steps=steps, **prove_kwargs)


def assert_as_expected(identity: Identity, *, budget: float = BUDGET,
                       explicit: bool = True) -> CheckedIdentity:
    """``check(identity)``: the claim gets its expected verdict, every control is REFUTED
    and every explicit cross-check agrees; returns the checked identity.  The failure
    message is the report of it, derivation steps, controls and cross-checks included."""
    __tracebackhide__ = True
    checked = check(identity, budget=budget, explicit=explicit)
    if not checked.as_expected:
        wrong = [f"{identity.name} is {checked.verdict.status}"] \
            if checked.verdict.status is not identity.expected else []
        wrong += [f"control {c.identity.name} is {c.verdict.status}"
                  for c in checked.controls if not c.as_expected]
        wrong += [f"at m = {m} it is {v.status}" for m, v in checked.explicit
                  if v.status is not identity.expected]
        raise AssertionError(f"{identity.name} not as expected ({'; '.join(wrong)}):\n"
                             f"{checked}")
    return checked
