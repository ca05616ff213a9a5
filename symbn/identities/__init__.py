"""The catalogue of claims: one declarative record each (see :mod:`symbn.identities.record`)."""

from __future__ import annotations

import difflib

from symbn.identities import (backward, bias, inference, invariance, mock, noise, relu, scale,
                              structure, whitening, zscore)
from symbn.identities.record import CheckedIdentity, Claim, Identity, check, control

#: The three core claims and the backward pass first, then the wider family.
CATALOGUE: tuple[Identity, ...] = (
    bias.IDENTITIES + relu.IDENTITIES + zscore.IDENTITIES + backward.IDENTITIES
    + scale.IDENTITIES + structure.IDENTITIES + invariance.IDENTITIES + inference.IDENTITIES
    + noise.IDENTITIES + mock.IDENTITIES + whitening.IDENTITIES
)


class UnknownIdentity(KeyError):
    """A name or tag that matches nothing; ``suggestions`` holds close names."""

    def __init__(self, name: str, suggestions: list[str]):
        super().__init__(name)
        self.name, self.suggestions = name, suggestions

    def __str__(self):
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no identity or tag named {self.name!r}{hint} (symbn list shows them all)"


def names() -> list[str]:
    return [i.name for i in CATALOGUE]


def tags() -> list[str]:
    return sorted({t for i in CATALOGUE for t in i.tags})


def get(name: str) -> Identity:
    for identity in CATALOGUE:
        if identity.name == name:
            return identity
    raise UnknownIdentity(name, difflib.get_close_matches(name, names() + tags(), n=3))


def select(selectors=()) -> list[Identity]:
    """Identities by name or tag, in catalogue order; all of them for no selector."""
    if not selectors:
        return list(CATALOGUE)
    chosen = set()
    for s in selectors:
        matches = {i.name for i in CATALOGUE if i.name == s or s in i.tags}
        if not matches:
            raise UnknownIdentity(s, difflib.get_close_matches(s, names() + tags(), n=3))
        chosen |= matches
    return [i for i in CATALOGUE if i.name in chosen]


__all__ = ["CATALOGUE", "CheckedIdentity", "Claim", "Identity", "UnknownIdentity", "check",
           "control", "get", "names", "select", "tags"]
