"""The facts of every result, as plain JSON-ready data, computed once.

:mod:`symbn.report.document` words these facts for people and carries them in its
sections, so ``--json`` and every other format show the same numbers.  Nothing here
formats text for reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from symbn.identities.index import identity_facts
from symbn.status import Status

if TYPE_CHECKING:  # types only: a list of identities needs neither SymPy nor the prover
    from symbn.identities import CheckedIdentity, Identity
    from symbn.prove import Verdict
    from symbn.verify.model import VerifyReport


def verdict_data(v: Verdict) -> dict[str, Any]:
    """status, method, seconds, cached, domain, assumptions, evidence, attempts,
    the residual (as SymPy's ``sstr``) and the counterexample (exact values and its
    one-line description)."""
    return {"status": str(v.status), "method": v.method, "seconds": round(v.seconds, 4),
            "cached": v.cached, "domain": list(v.domain), "assumptions": list(v.assumptions),
            "evidence": list(v.evidence), "attempts": list(v.attempts), **v.printed()}


def identity_data(i: Identity) -> dict[str, Any]:
    return identity_facts(i)


def checked_data(c: CheckedIdentity) -> dict[str, Any]:
    return {
        **identity_data(c.identity),
        "claim": c.claim.formula(),
        "verdict": verdict_data(c.verdict),
        "as_expected": c.as_expected,
        "seconds": round(c.seconds, 4),
        "controls": [checked_data(k) for k in c.controls],
        "explicit": [{"m": m, **verdict_data(v)} for m, v in c.explicit],
    }


def check_row_data(row: Any) -> dict[str, Any]:
    """One numeric check (a backend comparison, or one case of a verify run)."""
    return dict(vars(row))


def summary_data(checked: list[dict[str, Any]], rows: tuple = ()) -> dict[str, Any]:
    """How many verdicts of each status (identities, controls and explicit cross-checks),
    how many as expected, the proof time, and the numeric checks' outcome; from the
    identities' :func:`checked_data`."""
    pairs = [(c["verdict"], c["expected"]) for c in checked]
    pairs += [(k["verdict"], k["expected"]) for c in checked for k in c["controls"]]
    pairs += [(e, c["expected"]) for c in checked for e in c["explicit"]]
    # every verdict: a claim's, each control's, each explicit cross-check's
    counts: dict[str, Any] = {"verdicts": len(pairs)}
    counts.update({str(s): sum(v["status"] == str(s) for v, _ in pairs) for s in Status})
    counts["as expected"] = sum(v["status"] == e for v, e in pairs)
    counts["unexpected"] = len(pairs) - counts["as expected"]
    counts["cached"] = sum(v["cached"] for v, _ in pairs)
    # this run's: a verdict read from the cache took no proving (its seconds are its first run's)
    counts["proof seconds"] = round(sum(v["seconds"] for v, _ in pairs if not v["cached"]), 2)
    if rows:
        counts["numeric checks passed"] = sum(r.passed for r in rows)
        counts["numeric checks failed"] = sum(not (r.passed or r.skipped) for r in rows)
        counts["backends skipped"] = sum(bool(r.skipped) for r in rows)
    return counts


def matrices_data(checked: list[dict[str, Any]]) -> dict[str, Any]:
    """{table: {"rows": [...], "columns": [...], "cells": {row: {column: facts}}}} for the
    identities (their :func:`checked_data`) that declare a table cell (e.g. the
    invariance matrix)."""
    tables: dict[str, Any] = {}
    for c in checked:
        if c["table"] is None:
            continue
        name, row, column = c["table"]
        table = tables.setdefault(name, {"rows": [], "columns": [], "cells": {}})
        if row not in table["rows"]:
            table["rows"].append(row)
        if column not in table["columns"]:
            table["columns"].append(column)
        verdict = c["verdict"]
        table["cells"].setdefault(row, {})[column] = {
            "identity": c["name"], "status": verdict["status"],
            "assumptions": verdict["assumptions"], "domain": verdict["domain"],
            "as_expected": verdict["status"] == c["expected"]}
    return tables


def verify_data(report: VerifyReport) -> dict[str, Any]:
    """A verify run: what ran, what did not, each distinct problem once with its cases,
    the checks, the worst case per (output, dtype) and the diagnosis."""
    d = report.diagnosis
    checks = [check_row_data(c) for c in report.checks]
    worst: dict[tuple[str, str], dict[str, Any]] = {}
    rank: dict[tuple[str, str], tuple[bool, float]] = {}
    for c in checks:
        # a failing case before any passing one (its numbers are the ones over tolerance)
        key, this = (c["output"], c["dtype"]), (not c["passed"], c["max_rel"] or 0)
        if key not in rank or this > rank[key]:
            rank[key] = this
            worst[key] = {"output": key[0], "dtype": key[1], "case": c["case"],
                          "max_abs": c["max_abs"], "max_rel": c["max_rel"],
                          "passed": c["passed"] and worst.get(key, {}).get("passed", True)}
        worst[key]["passed"] = worst[key]["passed"] and c["passed"]
    return {
        "target": report.target, "kind": report.kind, "framework": report.framework,
        "ok": report.ok, "checked": list(report.checked), "not_checked": list(report.not_checked),
        "problems": [{"message": p.message, "cases": list(p.cases)} for p in report.problems],
        "worst": [worst[k] for k in sorted(worst)],
        "checks": checks,
        "diagnosis": None if d is None else {
            "mistake": d.name, "description": d.description, "residual": d.residual,
            "fits": d.fits, "message": d.message, "mistakes": list(d.mistakes),
            "references": list(d.references),
            "wrong": [{"output": w.output, "layouts": list(w.layouts), "dtypes": list(w.dtypes),
                       "max_rel": w.max_rel} for w in d.wrong],
            "ranking": [{"mistake": n, "residual": r} for n, r in d.ranking]},
    }


def soundness_data(outcome: Any) -> dict[str, Any]:
    wrong, slowest = outcome.slowest
    return {
        "claims": [{"name": w.name, "kind": w.kind, "origin": w.origin, **verdict_data(v)}
                   for w, v in outcome.results],
        "rejected": outcome.rejected, "total": len(outcome.results),
        "rejection_rate": outcome.rejection_rate, "sound": outcome.sound,
        "slowest": {"name": wrong.name, "seconds": slowest.seconds},
    }
