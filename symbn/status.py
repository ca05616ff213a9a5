"""A verdict's three values: PROVED, REFUTED, UNDECIDED -- never a bool.

Apart from :mod:`symbn.prove.verdict` (which re-exports it) because it needs no SymPy: a
report read back from the cache counts verdicts by status without loading SymPy.
"""

from __future__ import annotations

import enum


class Status(enum.Enum):
    PROVED = "PROVED"        # the residual reduced exactly to 0
    REFUTED = "REFUTED"      # a concrete counterexample, re-evaluated to confirm
    UNDECIDED = "UNDECIDED"  # neither: the residual is kept

    @classmethod
    def named(cls, value: Status | str) -> Status:
        """``value`` as a Status (a Status, or its name in any case: "proved"); a
        ValueError whose message lists the three for anything else."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            raise ValueError(f"{value!r} is not a verdict; give one of "
                             f"{', '.join(s.value for s in cls)}") from None

    def __str__(self) -> str:
        return self.value
