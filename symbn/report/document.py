"""The one document model: every output is a tree of blocks built here, once.

The builders below take computed results, take their facts from :mod:`symbn.report.data`
(each fact computed once) and word them (each sentence written once).  A :class:`Section`
carries the facts it words in ``data``, so ``--json`` renders the same tree's facts.
Renderers only lay the tree out: :mod:`symbn.report.terminal` (rich) and
:mod:`symbn.report.export` (Markdown, LaTeX, HTML, JSON).

The full report reads: every identity (statement, derivation steps, verdict, controls,
explicit cross-checks), the tables (the invariance matrix), the generated kernels, the
numeric checks, and the summary last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from symbn.report import data

if TYPE_CHECKING:  # types only: a list of identities needs neither SymPy nor the records
    import sympy as sp

    from symbn.bn import BatchNormDerivation
    from symbn.identities import CheckedIdentity, Identity
    from symbn.kernels import Kernel
    from symbn.prove import Verdict
    from symbn.verify.model import VerifyReport


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Items:
    """Short lines that belong together (a verdict's facts): a bullet list."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Math:
    label: str
    #: None when only the texts below were kept (a claim reported from its record in the
    #: cache, :mod:`symbn.report.recorded`)
    expr: sp.Basic | None
    #: its 2-D drawing (symbn.display.drawing), when computed already: a claim's is kept
    #: with the claim in the cache, so a warm run draws no formula
    drawn: str | None = None
    #: its one-line form, shown where the drawing is too wide (default: SymPy's ``sstr``)
    line: str | None = None


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """A titled part; ``data`` holds the facts it words (what ``--json`` prints), ``ok``
    whether it is as expected (None: not a judgement)."""

    title: str | None
    children: tuple[Block, ...]
    data: Any = None
    ok: bool | None = None


Block = Paragraph | Items | Math | Code | Table | Section


# -- wording: each sentence is written here once, from the facts --------------------------

def verdict_lines(v: dict[str, Any], expected: str | None) -> tuple[str, ...]:
    """A verdict's facts as lines: status and domain, method, time, cached flag, whether
    expected (when an expectation is given); then assumptions, the evidence (the second
    check of a PROVED), the counterexample and the strategies tried."""
    status = v["status"] + (" where " + " and ".join(v["domain"]) if v["domain"] else "")
    when = f"{v['seconds']:.2f} s" + (", cached" if v["cached"] else "")
    mark = "" if expected is None else ", as expected" if v["status"] == expected else \
        f", UNEXPECTED, expected {expected}"
    lines = [f"{status}{',' if v['domain'] else ''} by {v['method']} ({when}){mark}"]
    if v["assumptions"]:
        lines.append("assuming " + ", ".join(v["assumptions"]))
    lines += ["evidence: " + e for e in v["evidence"]]
    if v["counterexample"] is not None:
        lines.append("counterexample: " + v["counterexample"]["text"])
    if v["attempts"]:
        lines.append("tried: " + "; ".join(v["attempts"]))
    return tuple(lines)


def _seconds(value: float) -> str:
    return f"{value:.2f}"


def _error(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


# -- builders -----------------------------------------------------------------------------

def identity_list(facts: Sequence[dict[str, Any]]) -> Section:
    """``symbn list``: the catalogue as a table, from the identities' facts
    (:func:`symbn.identities.index.identity_facts`)."""
    facts = list(facts)
    rows = tuple((d["name"], ", ".join(d["tags"]), d["expected"], str(len(d["controls"])),
                  d["statement"]) for d in facts)
    return Section("symbn identities", (Table(
        ("name", "tags", "expected", "controls", "statement"), rows),), data=facts)


def _identity_paragraphs(facts: dict[str, Any]) -> list[Block]:
    """An identity's statement, source and tags."""
    return [Paragraph(facts["statement"], emphasis=True),
            Paragraph(f"Source: {facts['source']}. Tags: {', '.join(facts['tags']) or 'none'}.")]


def verdict_section(v: Verdict) -> Section:
    """One verdict on its own (no expectation to compare with): its first line is the title;
    the residual is shown when it is UNDECIDED."""
    facts = data.verdict_data(v)
    first, *rest = verdict_lines(facts, None)
    children: list[Block] = [Items(tuple(rest))] if rest else []
    if facts["status"] == "UNDECIDED":
        children.append(Math("residual", v.residual))
    return Section(first, tuple(children), data=facts)


def identity_section(i: Identity) -> Section:
    """An identity before it is checked: statement, source, tags, the verdict it should
    get, its controls and explicit cross-checks (nothing is built or proved)."""
    facts = data.identity_data(i)
    sizes = ", ".join(map(str, facts["explicit_sizes"]))
    children = [*_identity_paragraphs(facts), Items((
        f"expected: {facts['expected']}",
        "controls (must be REFUTED): " + (", ".join(facts["controls"]) or "none"),
        "explicit cross-checks at m = " + sizes if sizes else "no explicit cross-checks"))]
    return Section(f"{facts['name']}: {facts['title']}", tuple(children), data=facts)


def checked_section(c: CheckedIdentity, *, steps: bool = True) -> Section:
    """One identity: statement, source, derivation steps, verdict, controls, cross-checks."""
    facts = data.checked_data(c)
    formulas = [Math(label, expr) for label, expr in c.claim.steps] if steps else []
    if not c.claim.steps:  # the steps show what is claimed; without them, the formula does
        import sympy as sp  # not at import: `symbn list` renders without SymPy

        formulas.append(claim_math(facts, sp.Rel(c.claim.lhs, c.claim.rhs, c.claim.relation,
                                                 evaluate=False), c.claim.drawn()))
    residual = Math("residual", c.verdict.residual) \
        if facts["verdict"]["status"] == "UNDECIDED" else None
    return checked_facts_section(facts, formulas, residual)


def claim_math(facts: dict[str, Any], relation: sp.Basic | None, drawn: str) -> Math:
    """The claim of an identity (``facts``: :func:`symbn.report.data.checked_data`) as a
    formula: its drawing, and one line "lhs relation rhs" where that is too wide."""
    claim = facts["claim"]
    return Math("claim", relation, drawn=drawn,
                line=f"{claim['lhs']} {claim['relation']} {claim['rhs']}")


def checked_facts_section(facts: dict[str, Any], formulas: Sequence[Math] = (),
                          residual: Math | None = None) -> Section:
    """:func:`checked_section` from the identity's facts
    (:func:`symbn.report.data.checked_data`), the ``formulas`` that show its claim and the
    ``residual`` of an UNDECIDED verdict."""
    children: list[Block] = [*_identity_paragraphs(facts), *formulas,
                             Items(verdict_lines(facts["verdict"], facts["expected"]))]
    if residual is not None:
        children.append(residual)
    for kf in facts["controls"]:
        children.append(Paragraph(f"Control {kf['name']}: {kf['statement']}"))
        children.append(Items(verdict_lines(kf["verdict"], kf["expected"])))
    if facts["explicit"]:
        children.append(Table(
            ("explicit batch size m", "verdict", "method", "seconds", "cached"),
            tuple((str(e["m"]), e["status"], e["method"], _seconds(e["seconds"]),
                   "yes" if e["cached"] else "no") for e in facts["explicit"])))
    return Section(f"{facts['name']}: {facts['title']}", tuple(children), data=facts,
                   ok=facts["as_expected"])


def matrix_sections(checked: list[dict[str, Any]]) -> list[Section]:
    """Identities that are cells of a table (the invariance matrix), as that table; from
    their facts (:func:`symbn.report.data.checked_data`)."""
    sections = []
    for name, table in data.matrices_data(checked).items():
        notes: dict[str, None] = {}  # an assumption's explanation, once below the table

        def cell(row: str, column: str) -> str:
            f = table["cells"][row].get(column)
            if f is None:
                return ""
            short = [a.split(" (", 1)[0] for a in f["assumptions"]]
            notes.update((a, None) for a in f["assumptions"] if " (" in a)
            text = f["status"] + (f" ({', '.join(short)})" if short else "")
            return text if f["as_expected"] else text + " UNEXPECTED"
        rows = tuple((row, *(cell(row, c) for c in table["columns"])) for row in table["rows"])
        blocks: list[Block] = [Table(("", *table["columns"]), rows)]
        blocks += [Paragraph(f"Assuming {note}.") for note in notes]
        sections.append(Section(f"The {name} matrix", tuple(blocks), data=table))
    return sections


def summary_section(checked: list[dict[str, Any]], rows: tuple = ()) -> Section:
    """The counts of :func:`symbn.report.data.summary_data`, from the identities' facts."""
    facts = data.summary_data(checked, rows)
    return Section("Summary", (Table(("", "count"), tuple(
        (k, str(v)) for k, v in facts.items())),), data=facts,
        ok=facts["unexpected"] == 0 and not facts.get("numeric checks failed"))


def kernel_part(k: Kernel) -> Section:
    """One generated kernel: what it computes from what, how to call it, its source."""
    samples = [str(s) for s in k.samples]
    constants = [str(c) for c in k.constants]
    call = ", ".join(f"{a}=..." for a in samples + constants)
    return Section(f"Kernel {k.name}", (
        Paragraph(f"Computes {', '.join(k.outputs)} from the per-sample "
                  f"{', '.join(samples)} and the batch constants {', '.join(constants) or 'none'}"
                  f"; call it with arrays by name and the axes its batch means reduce over: "
                  f"{k.name}({call}, axes=AXES)."),
        Code(k.source)), data={"name": k.name, "outputs": list(k.outputs),
                               "arguments": samples + constants, "source": k.source})


def kernel_section(kernels: Sequence[Any]) -> Section:
    return Section("Generated NumPy kernels", tuple(kernel_part(k) for k in kernels),
                   data={k.name: k.source for k in kernels})


def derivation_section(d: BatchNormDerivation) -> Section:
    """BN's forward and its derived backward, for the generic sample."""
    import sympy as sp  # loaded with the derivation already

    parts = {"xhat": d.xhat, "y": d.y, "L": d.loss, "dL/dx": d.dx, "dL/dgamma": d.dgamma,
             "dL/dbeta": d.dbeta}
    return Section(f"Batch normalization, derived (eps = {sp.sstr(d.eps)})", (
        Paragraph(f"Training mode for the generic sample {d.x} with upstream gradient {d.g}: "
                  "biased batch variance, eps inside the square root; the backward is "
                  f"derived by differentiating L = sum_i {d.g}_i y_i through the batch mean "
                  "and variance."),
        *(Math(label, expr) for label, expr in parts.items())),
        data={"eps": sp.sstr(d.eps), **{label: sp.sstr(e) for label, e in parts.items()}})


def check_section(rows: Sequence[Any]) -> Section:
    """Numeric checks: backend x case x quantity x dtype -> errors, verdict, time."""
    facts = [data.check_row_data(r) for r in rows]
    table = Table(
        ("backend", "case", "quantity", "dtype", "max abs err", "max rel err", "tolerance",
         "verdict", "seconds"),
        tuple((r["backend"], r["case"], r["quantity"], r["dtype"],
               *(("", "", "", f"skipped: {r['skipped']}", "") if r["skipped"] else
                 (_error(r["max_abs"], ".2e"), _error(r["max_rel"], ".2e"),
                  _error(r["tolerance"], ".0e"),
                  "pass" if r["passed"] else f"FAIL {r['note']}".strip(),
                  f"{r['seconds']:.3f}"))) for r in facts))
    return Section("Numeric checks against reference frameworks", (table,), data=facts,
                   ok=all(r["passed"] or r["skipped"] for r in facts))


def prove_document(sections: Sequence[Section]) -> Section:
    """``symbn prove``: each identity (its :func:`checked_section`), the tables its cells
    form, the summary."""
    checked = [s.data for s in sections]
    return Section(None, (*sections, *matrix_sections(checked), summary_section(checked)),
                   data=checked)


def report_document(results: list[CheckedIdentity], kernels: Sequence[Any] = (),
                    rows: Sequence[Any] = (), derivations: Sequence[Section] = ()) -> Section:
    """``symbn report``: identities, tables, ``derivations`` (declared normalizations'),
    kernels, numeric checks, summary last."""
    sections = [checked_section(r) for r in results]
    checked = [s.data for s in sections]
    parts: list[Block] = [*sections, *matrix_sections(checked), *derivations]
    kernels_part = kernel_section(kernels) if kernels else None
    checks_part = check_section(rows) if rows else None
    parts += [p for p in (kernels_part, checks_part) if p is not None]
    summary = summary_section(checked, tuple(rows))
    parts.append(summary)
    return Section("symbn report: batch normalization, derived and verified", tuple(parts),
                   data={"identities": checked,
                         **({"derivations": [d.data for d in derivations]} if derivations
                            else {}),
                         "kernels": kernels_part.data if kernels_part else {},
                         "checks": checks_part.data if checks_part else [],
                         "summary": summary.data})


def check_document(rows: Sequence[Any]) -> Section:
    """``symbn check``."""
    section = check_section(rows)
    return Section(None, (section,), data=section.data)


def verify_document(report: VerifyReport) -> Section:
    """``symbn verify``: the worst error per output, the problems (each once, with the cases
    it affects), what was and was not checked, the diagnosis and the verdict."""
    facts = data.verify_data(report)
    children: list[Block] = [Table(
        ("output", "dtype", "worst case", "max abs err", "max rel err", "verdict"),
        tuple((w["output"], w["dtype"], w["case"], _error(w["max_abs"], ".2e"),
               _error(w["max_rel"], ".2e"), "pass" if w["passed"] else "FAIL")
              for w in facts["worst"]))]
    for p in facts["problems"]:
        n = len(p["cases"])
        cases = f" (in {n} case{'s' if n > 1 else ''}: {', '.join(p['cases'])})" if n else ""
        children.append(Paragraph(f"problem: {p['message']}{cases}"))
    if facts["checked"]:
        children.append(Paragraph("checked:"))
        children.append(Items(tuple(facts["checked"])))
    if facts["not_checked"]:
        children.append(Paragraph("not checked:"))
        children.append(Items(tuple(facts["not_checked"])))
    d = facts["diagnosis"]
    if d is not None:
        # the diagnosis states itself (symbn.verify.diagnosis.Diagnosis.message): the mistake
        # and where the outputs are wrong, or, when nothing fits, only what differs
        message = d["message"]
        if d["fits"] and d["mistake"] != "correct":
            message = f"{d['mistake']}: {message} (residual {d['residual']:.1e})"
        children.append(Paragraph("diagnosis: " + message))
    n = len(facts["problems"])  # the diagnosis fits the outputs; each problem is a fault
    children.append(Paragraph("verdict: " + ("correct" if facts["ok"] else "WRONG") + (
        f" ({n} problem{'s' if n > 1 else ''} above)" if n and not facts["ok"] else ""),
        emphasis=True))
    return Section(f"{facts['target']} ({facts['kind']}) against symbn's derivation",
                   tuple(children), data=facts, ok=facts["ok"])


def soundness_document(outcome: Any) -> Section:
    """``symbn selftest``: every wrong claim with its verdict, the rejection rate."""
    facts = data.soundness_data(outcome)
    table = Table(("wrong claim", "kind", "verdict", "method", "seconds", "cached"),
                  tuple((c["name"], c["kind"], c["status"], c["method"], f"{c['seconds']:.3f}",
                         "yes" if c["cached"] else "no") for c in facts["claims"]))
    return Section("Soundness suite: every claim here is wrong", (
        table,
        Paragraph(f"rejected {facts['rejected']} of {facts['total']} "
                  f"({facts['rejection_rate']:.0%})", emphasis=True),
        Paragraph(f"slowest refutation: {facts['slowest']['name']} in "
                  f"{facts['slowest']['seconds']:.3f} s")), data=facts, ok=facts["sound"])
