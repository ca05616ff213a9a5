"""A checked catalogue identity's report, kept in the cache: a rerun of ``symbn prove
--brief`` (or ``--json``) words it again without building a claim or loading SymPy.

What ``symbn prove`` says of an identity is its facts (:func:`symbn.report.data.checked_data`:
the claim as text and every verdict's facts) and, in brief, the drawing of a claim that has
no derivation steps to show it.  A run that reached them stores both under the identity's
name, the budget and whether the explicit cross-checks ran, in the cache that holds the
verdicts (every key includes symbn's code and SymPy's and Python's versions).  Not stored:
an identity with a verdict that ran out of time (it depends on the machine's load, and is
not cached either) or an UNDECIDED one (its residual is shown as a formula).  Read back,
every verdict is marked cached, as a verdict read from the cache is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from symbn.report import data, document

if TYPE_CHECKING:  # the results are loaded with SymPy already; reading needs neither
    from symbn.cache import Cache
    from symbn.identities import CheckedIdentity
    from symbn.prove import Verdict


def store(cache: Cache, results: Sequence[CheckedIdentity], *, budget: float,
          explicit: bool) -> None:
    """Keep the report of each catalogue identity among ``results`` that can be kept, and
    the catalogue's index (:mod:`symbn.identities.index`), by which a rerun selects them."""
    from symbn.identities.index import catalogue_facts
    from symbn.identities.record import is_catalogued  # loaded with the results already

    catalogue_facts()  # written once, if it is not there yet
    for checked in results:
        if not is_catalogued(checked.identity) or any(
                v.timed_out or v.undecided for v in _verdicts(checked)):
            continue
        drawn = None if checked.claim.steps else checked.claim.drawn()
        cache.store(_key(checked.identity.name, budget, explicit),
                    {"facts": data.checked_data(checked), "drawn": drawn})


def sections(cache: Cache, names: Sequence[str], *, budget: float,
             explicit: bool) -> list[document.Section] | None:
    """The brief :func:`symbn.report.document.checked_section` of each of ``names``, from
    their stored reports; None unless every one is stored."""
    found = cache.read_all([_key(name, budget, explicit) for name in names])
    if not all(has for has, _ in found):
        return None
    out = []
    for _, kept in found:
        facts = _cached(kept["facts"])
        formulas = [] if kept["drawn"] is None else \
            [document.claim_math(facts, None, kept["drawn"])]
        out.append(document.checked_facts_section(facts, formulas))
    return out


def _key(name: str, budget: float, explicit: bool) -> tuple:
    return ("report of", name, budget, explicit)


def _verdicts(checked: CheckedIdentity) -> Iterator[Verdict]:
    yield checked.verdict
    for control in checked.controls:
        yield from _verdicts(control)
    for _, verdict in checked.explicit:
        yield verdict


def _cached(facts: dict[str, Any]) -> dict[str, Any]:
    """``facts`` with every verdict in them marked as read from the cache."""
    return {**facts, "verdict": {**facts["verdict"], "cached": True},
            "controls": [_cached(k) for k in facts["controls"]],
            "explicit": [{**e, "cached": True} for e in facts["explicit"]]}
