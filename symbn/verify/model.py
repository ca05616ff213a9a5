"""The result of ``symbn verify``: what ran, what it found, and what did not run.

``VerifyReport.ok`` is True only when no problem was found, at least one comparison ran and
every comparison passed; it covers exactly the ``checked`` list, and ``not_checked`` names
everything else, with the reason (a layout the code does not support, a dtype the framework
lacks, running statistics for a plain function...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symbn.display import Displayable


@dataclass(frozen=True)
class OutputCheck:
    """One output of one case against the float64 derivation."""

    case: str
    layout: str
    dtype: str
    mode: str  # "train", "eval", or a stress case's name
    output: str
    max_abs: float
    max_rel: float
    tolerance: float
    passed: bool


@dataclass
class Problem:
    """A fault found in the user's code, stated once, with every case it affects."""

    message: str
    cases: tuple[str, ...] = ()
    key: str = field(default="", repr=False, compare=False)  # what makes two problems one


@dataclass(frozen=True)
class Observation:
    """One float64 case as run, for the diagnosis: inputs and the user's outputs, both in the
    user's layout, as float64 arrays; ``expected`` is the derivation's values; ``mode`` is
    "train" for the grid, else the stress case's name ("mean offset")."""

    case: str
    layout: Any  # symbn.verify.layouts.Layout
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    eps: float | None
    groups: int | None
    mode: str = "train"


@dataclass(repr=False)  # str(), repr() and Jupyter's display: Displayable
class VerifyReport(Displayable, document="verify"):
    target: str
    kind: str
    checks: list[OutputCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    diagnosis: Any = None  # symbn.verify.diagnosis.Diagnosis, or None when nothing was wrong
    framework: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checks) and all(c.passed for c in self.checks)

    def problem(self, message: str, case: str | None = None, key: str | None = None) -> None:
        """Record ``message`` (or, when ``key`` names an earlier problem, add ``case`` to it)."""
        key = key or message
        for p in self.problems:
            if p.key == key:
                if case is not None and case not in p.cases:
                    p.cases += (case,)
                return
        self.problems.append(Problem(message, (case,) if case is not None else (), key))

    def note_checked(self, line: str) -> None:
        if line not in self.checked:
            self.checked.append(line)

    def note_not_checked(self, line: str) -> None:
        if line not in self.not_checked:
            self.not_checked.append(line)
