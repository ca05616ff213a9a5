"""The catalogue of claims: one declarative record each (see :mod:`symbn.identities.record`).

The catalogue and the records import SymPy, so they are loaded on first use (PEP 562):
``symbn list`` needs only :mod:`symbn.identities.index`.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

from symbn.identities.index import UnknownIdentity, choose

if TYPE_CHECKING:
    from symbn.identities.record import (CheckedIdentity, Claim, Identity, check,  # noqa: F401
                                         control)

#: The modules whose IDENTITIES make the catalogue: the three core claims and the
#: backward pass first, then the wider family.
_MODULES = ("bias", "relu", "zscore", "backward", "scale", "structure", "invariance",
            "inference", "noise", "mock", "whitening", "inequalities")
_RECORD_NAMES = ("CheckedIdentity", "Claim", "Identity", "check", "control")


def __getattr__(name: str):
    if name == "CATALOGUE":
        value: object = tuple(identity for module in _MODULES for identity in
                              importlib.import_module(f"symbn.identities.{module}").IDENTITIES)
    elif name in _RECORD_NAMES:
        value = getattr(importlib.import_module("symbn.identities.record"), name)
    else:
        raise AttributeError(f"module 'symbn.identities' has no attribute {name!r}")
    globals()[name] = value
    return value


def _catalogue() -> tuple[Identity, ...]:
    """CATALOGUE, built on first use (and as a test may have replaced it)."""
    return globals()["CATALOGUE"] if "CATALOGUE" in globals() else __getattr__("CATALOGUE")


def names() -> list[str]:
    return [i.name for i in _catalogue()]


def tags() -> list[str]:
    return sorted({t for i in _catalogue() for t in i.tags})


def get(name: str) -> Identity:
    for identity in _catalogue():
        if identity.name == name:
            return identity
    raise UnknownIdentity(name, difflib.get_close_matches(name, names() + tags(), n=3))


def select(selectors=()) -> list[Identity]:
    """Identities by name or tag, in catalogue order; all of them for no selector."""
    catalogue = _catalogue()
    return [catalogue[k] for k in choose(selectors, [(i.name, i.tags) for i in catalogue])]


__all__ = ["CATALOGUE", "CheckedIdentity", "Claim", "Identity", "UnknownIdentity", "check",
           "control", "get", "names", "select", "tags"]
