"""Three-valued verdicts: PROVED, REFUTED, UNDECIDED -- never a bool (:mod:`symbn.status`).

Like SymPy's ``Expr.equals`` and fuzzy logic (``sympy/core/logic.py``), a verdict that
could not be reached says so; ``if verdict:`` is an error, compare ``verdict.status``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import sympy as sp

from symbn.display import Displayable
from symbn.status import Status as Status  # re-exported: where verdicts are

if TYPE_CHECKING:  # the record strategies fill; imported for the type only
    from symbn.core import SampleSymbol
    from symbn.prove.certificate import Certificate
    from symbn.prove.inequality import InequalityCertificate

#: one side of a claim, or its residual lhs - rhs: a SymPy expression, or a matrix (its
#: entries are compared one by one)
Side: TypeAlias = sp.Expr | sp.MatrixBase


@dataclass(frozen=True)
class Counterexample:
    """A point where the two sides differ.

    For a general-form claim the point is a concrete batch of ``batch_size`` samples
    (``samples`` maps each per-sample variable to its m values) observed at sample
    ``sample``; ``constants`` gives every other symbol.  Values are exact where possible.
    """

    constants: dict[sp.Symbol, sp.Expr]
    lhs: sp.Expr
    rhs: sp.Expr
    samples: dict[SampleSymbol, list[sp.Expr]] = field(default_factory=dict)
    batch_size: int | None = None
    sample: int = 0
    #: undefined functions instantiated for this point: {f: Lambda(t, polynomial)}
    functions: dict[Any, sp.Lambda] = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        if self.batch_size is not None:
            parts.append(f"N = {self.batch_size}")
        parts += [f"{k} = {list(map(str, v))}" for k, v in self.samples.items()]
        # symbols of one name with different declarations are told apart by them
        names = Counter(str(k) for k in self.constants)
        parts += [f"{sp.srepr(k) if names[str(k)] > 1 else k} = {v}"
                  for k, v in self.constants.items()]
        parts += [f"{f}({', '.join(map(str, body.variables))}) = {body.expr}"
                  for f, body in self.functions.items()]
        where = f" at sample {self.sample}" if self.samples else ""
        point = ", ".join(parts) + where if parts else "the claim has no symbols"
        # 8 digits, or as many as it takes to show the two sides differ
        for digits in (8, 16, 32, 60):
            left, right = str(sp.N(self.lhs, digits)), str(sp.N(self.rhs, digits))
            if left != right:
                break
        return f"{point}: lhs = {left}, rhs = {right}"


def printed(residual: Side, counterexample: Counterexample | None) -> dict[str, Any]:
    """A verdict's residual (SymPy's ``sstr``) and counterexample (its one-line
    description, exact values, and both sides to 15 digits), as text."""
    cx = counterexample
    return {"residual": sp.sstr(residual), "counterexample": None if cx is None else {
        "text": cx.describe(), "batch_size": cx.batch_size, "sample": cx.sample,
        "samples": {str(k): [str(x) for x in xs] for k, xs in cx.samples.items()},
        "constants": {str(k): str(x) for k, x in cx.constants.items()},
        "lhs": str(sp.N(cx.lhs, 15)), "rhs": str(sp.N(cx.rhs, 15))}}


#: what a verdict's attempts or evidence say when a stage ran out of its time budget
OUT_OF_TIME = "the time budget ran out"
BUDGET_SPENT = "not run, the budget was spent"


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class Verdict(Displayable, document="verdict"):
    """The outcome of one proof attempt.

    ``residual`` is lhs - rhs after the last reduction tried (0 when PROVED);
    ``method`` names the strategy that decided, or why none did.
    """

    status: Status
    method: str
    assumptions: tuple[str, ...]
    residual: Side
    seconds: float
    counterexample: Counterexample | None = None
    attempts: tuple[str, ...] = ()
    cached: bool = False  # read from symbn's cache; ``seconds`` is the original time
    #: conditions the proof needs (e.g. "Mean((x - Mean(x))**2) > 0"); () = everywhere the
    #: assumptions allow.  A PROVED with a domain reads "PROVED where ...".
    domain: tuple[str, ...] = ()
    #: what backs the verdict beyond the strategy itself: the independent second check of a
    #: PROVED (engine and outcome), the high-precision re-evaluation of a counterexample.
    evidence: tuple[str, ...] = ()
    #: the data an independent checker needs to re-check a PROVED (symbn.prove.certificate).
    certificate: Certificate | InequalityCertificate | None = None
    #: :meth:`printed`, once computed (kept by ``dataclasses.replace`` and in the cache:
    #: printing a refuted claim's residual costs more than reading the verdict back)
    _printed: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def printed(self) -> dict[str, Any]:
        """:func:`printed` of the residual and the counterexample: computed once."""
        if self._printed is None:
            object.__setattr__(self, "_printed", printed(self.residual, self.counterexample))
        return cast(dict[str, Any], self._printed)

    def __bool__(self) -> bool:
        raise TypeError("a Verdict is three-valued: compare verdict.status with Status.PROVED")

    @property
    def timed_out(self) -> bool:
        """A stage ran out of time: the verdict (an UNDECIDED, or a PROVED whose second
        check did not run) depends on the machine's load, so symbn never caches it."""
        return any(OUT_OF_TIME in line or BUDGET_SPENT in line
                   for line in self.attempts + self.evidence)

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    @property
    def refuted(self) -> bool:
        return self.status is Status.REFUTED

    @property
    def undecided(self) -> bool:
        return self.status is Status.UNDECIDED
