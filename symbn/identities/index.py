"""The catalogue's index: names, tags and each identity's facts, without SymPy.

``symbn list`` shows the catalogue without building it: the facts of every identity
(name, title, statement, source, tags, expected verdict, controls, explicit sizes, the
table cell it fills) are taken from the catalogue itself the first time and kept as JSON
in the cache directory, under a digest of symbn's source, so an edited checkout rebuilds
them.  Selection by
name or tag (:func:`choose`) is the same for the index and for the catalogue.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the records import SymPy
    from symbn.identities.record import Identity


class UnknownIdentity(KeyError):
    """A name or tag that matches nothing; ``suggestions`` holds close names."""

    def __init__(self, name: str, suggestions: list[str]):
        super().__init__(name)
        self.name, self.suggestions = name, suggestions

    def __str__(self):
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no identity or tag named {self.name!r}{hint} (symbn list shows them all)"


def choose(selectors: Sequence[str], entries: Sequence[tuple[str, Sequence[str]]]) -> list[int]:
    """The positions of the ``(name, tags)`` entries that a selector names or tags, in
    entry order; every position for no selector.  UnknownIdentity for a selector that
    matches nothing, with close names and tags as suggestions."""
    if not selectors:
        return list(range(len(entries)))
    chosen: set[int] = set()
    for selector in selectors:
        matches = {k for k, (name, tags) in enumerate(entries) if selector in (name, *tags)}
        if not matches:
            known = [name for name, _ in entries] + sorted({t for _, tags in entries for t in tags})
            raise UnknownIdentity(selector, difflib.get_close_matches(selector, known, n=3))
        chosen |= matches
    return sorted(chosen)


def identity_facts(i: Identity) -> dict[str, Any]:
    """What the index holds of one identity (plain JSON data)."""
    return {"name": i.name, "title": i.title, "statement": i.statement, "source": i.source,
            "tags": list(i.tags), "expected": str(i.expected),
            "controls": [c.name for c in i.controls], "explicit_sizes": list(i.explicit_sizes),
            "table": None if i.table is None else list(i.table)}


def catalogue_facts() -> list[dict[str, Any]]:
    """Every identity's facts, in catalogue order: from the index when it is there."""
    from symbn.cache import code_fingerprint, default_directory

    path = default_directory() / "index" / f"{code_fingerprint()}.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    from symbn.identities import CATALOGUE

    facts = [identity_facts(i) for i in CATALOGUE]
    with contextlib.suppress(OSError):  # an unwritable cache: built again next time
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False,
                                         encoding="utf-8") as tmp:
            json.dump(facts, tmp)
        os.replace(tmp.name, path)  # atomic: a reader never sees half an index
    return facts


def select_facts(selectors: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The facts of the identities ``selectors`` name or tag (all for none), in order."""
    facts = catalogue_facts()
    return [facts[k] for k in choose(selectors, [(f["name"], f["tags"]) for f in facts])]
