"""Run the soundness suite: every wrong claim must come out REFUTED."""

from __future__ import annotations

from dataclasses import dataclass

from symbn.identities.mutations import WrongClaim, wrong_claims
from symbn.identities.record import prove_claim
from symbn.prove import Status, Verdict
from symbn.prove.pool import map_ordered


@dataclass(frozen=True)
class SoundnessResult:
    results: tuple[tuple[WrongClaim, Verdict], ...]

    @property
    def rejected(self) -> int:
        return sum(v.status is Status.REFUTED for _, v in self.results)

    @property
    def rejection_rate(self) -> float:
        return self.rejected / len(self.results)

    @property
    def slowest(self) -> tuple[WrongClaim, Verdict]:
        return max(self.results, key=lambda r: r[1].seconds)

    @property
    def sound(self) -> bool:
        return self.rejected == len(self.results)


def run_soundness(budget: float = 5.0, progress=lambda name: None, cache=None,
                  jobs: int | None = None) -> SoundnessResult:
    """Every wrong claim proved, ``jobs`` at a time (default: every core), in suite order."""
    suite = wrong_claims(cache)
    verdicts = map_ordered(lambda wrong: prove_claim(wrong.build(), budget, cache), suite,
                           jobs=jobs, done=lambda wrong: progress(wrong.name))
    return SoundnessResult(tuple(zip(suite, verdicts)))
