"""Results as plain data (for ``--json``): built from the same objects the report shows."""

from __future__ import annotations

import sympy as sp

from symbn.identities import CheckedIdentity, Identity
from symbn.prove import Verdict


def _value(v):
    return str(v)


def verdict_data(v: Verdict) -> dict:
    data = {
        "status": str(v.status), "method": v.method, "assumptions": list(v.assumptions),
        "seconds": round(v.seconds, 4), "residual": sp.sstr(v.residual),
        "attempts": list(v.attempts), "counterexample": None, "cached": v.cached,
    }
    if v.counterexample is not None:
        cx = v.counterexample
        data["counterexample"] = {
            "batch_size": cx.batch_size, "sample": cx.sample,
            "samples": {str(k): [_value(x) for x in xs] for k, xs in cx.samples.items()},
            "constants": {str(k): _value(x) for k, x in cx.constants.items()},
            "lhs": str(sp.N(cx.lhs, 15)), "rhs": str(sp.N(cx.rhs, 15)),
        }
    return data


def identity_data(i: Identity) -> dict:
    return {"name": i.name, "title": i.title, "statement": i.statement, "source": i.source,
            "tags": list(i.tags), "expected": str(i.expected),
            "controls": [c.name for c in i.controls], "explicit_sizes": list(i.explicit_sizes)}


def checked_data(c: CheckedIdentity) -> dict:
    return {
        **identity_data(c.identity),
        "verdict": verdict_data(c.verdict),
        "as_expected": c.as_expected,
        "controls": [checked_data(k) for k in c.controls],
        "explicit": [{"m": m, **verdict_data(v)} for m, v in c.explicit],
    }


def check_row_data(row) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in row.__dict__.items()}


def verify_data(report) -> dict:
    d = report.diagnosis
    return {
        "kind": report.kind, "ok": report.ok, "problems": report.problems,
        "checks": [check_row_data(c) for c in report.checks],
        "diagnosis": None if d is None else {
            "mistake": d.name, "description": d.description, "residual": d.residual,
            "fits": d.fits, "ranking": [{"mistake": n, "residual": r} for n, r in d.ranking]},
    }


def soundness_data(outcome) -> dict:
    wrong, slowest = outcome.slowest
    return {
        "claims": [{"name": w.name, "kind": w.kind, "origin": w.origin, **verdict_data(v)}
                   for w, v in outcome.results],
        "rejected": outcome.rejected, "total": len(outcome.results),
        "rejection_rate": outcome.rejection_rate, "sound": outcome.sound,
        "slowest": {"name": wrong.name, "seconds": slowest.seconds},
    }
