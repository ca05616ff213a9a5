"""Diagnose a wrong normalization: fit the user's outputs against the mistake library.

Interface offered to the runner (H3): ``diagnose(kind, observed, feature_axis) ->
Diagnosis``, with ``observed`` a list of ``(case, float64 inputs, outputs)`` as the runner
collects them today.  This module is being extended to the whole family and to
observations that name their layout and dtype; the new signature is documented here
when it lands, and the old one keeps working.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from symbn.backends.compare import compare
from symbn.verify.mistakes import OUTPUTS, correct, mistakes


@dataclass(frozen=True)
class Diagnosis:
    """The known mistake that best reproduces the outputs, and how well (relative residual)."""

    name: str
    description: str
    residual: float
    fits: bool
    ranking: tuple[tuple[str, float], ...]


def diagnose(kind, observed, feature_axis) -> Diagnosis:
    """Fit the observed outputs against every known mistake; the best fit wins.

    Mistakes that leave this kind's outputs unchanged (a wrong dx, for a forward) are
    not candidates: they could not be told from the correct BN.
    """
    from symbn.verify.runner import expected_outputs  # the runner's layouts, until they move

    names = OUTPUTS[kind]
    reference = correct()
    candidates = [m for m in mistakes() if m.axes != reference.axes
                  or any(m.outputs[n] != reference.outputs[n] for n in names)]
    scores = []
    for mistake in (reference, *candidates):
        worst = 0.0
        for case, a, got in observed:
            want = expected_outputs(mistake, kind, a, case.eps, feature_axis)
            for name in want:
                _, rel, _, note = compare(got[name], want[name], math.inf)
                worst = max(worst, rel if not note else math.inf)
        scores.append((mistake, worst))
    scores.sort(key=lambda s: s[1])
    best, residual = scores[0]
    return Diagnosis(best.name, best.description, residual, residual <= 1e-8,
                     tuple((m.name, r) for m, r in scores))
