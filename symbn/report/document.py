"""The report as a list of blocks, built from the computed objects (never from copied text).

The exporters (:mod:`symbn.report.export`) render the same blocks as Markdown, LaTeX or
HTML+MathML, so the three formats cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbn.identities import CheckedIdentity
from symbn.prove import Status, Verdict


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Math:
    label: str
    expr: sp.Basic


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _verdict_text(v: Verdict, expected: Status) -> str:
    mark = "as expected" if v.status is expected else f"UNEXPECTED, expected {expected}"
    text = f"{v.status} by {v.method} in {v.seconds:.2f} s ({mark})."
    if v.assumptions:
        text += " Assuming " + ", ".join(v.assumptions) + "."
    if v.counterexample is not None:
        text += " Counterexample: " + v.counterexample.describe() + "."
    return text


def _identity_blocks(c: CheckedIdentity) -> list:
    i = c.identity
    blocks = [Heading(2, f"{i.name}: {i.title}"), Paragraph(i.statement, emphasis=True),
              Paragraph(f"Source: {i.source}. Tags: {', '.join(i.tags)}.")]
    blocks += [Math(label, expr) for label, expr in c.claim.steps]
    blocks.append(Paragraph("Verdict: " + _verdict_text(c.verdict, i.expected)))
    if c.verdict.status is Status.UNDECIDED:
        blocks.append(Math("residual", c.verdict.residual))
    for k in c.controls:
        blocks.append(Paragraph(f"Control ({k.identity.name}): {k.identity.statement}. "
                                + _verdict_text(k.verdict, k.identity.expected)))
    if c.explicit:
        blocks.append(Table(("explicit batch size m", "verdict", "method", "seconds"),
                            tuple((str(m), str(v.status), v.method, f"{v.seconds:.2f}")
                                  for m, v in c.explicit)))
    return blocks


def summary_counts(results: list[CheckedIdentity]) -> dict[str, int]:
    pairs = [(r.verdict, r.identity.expected) for r in results]
    pairs += [(k.verdict, k.identity.expected) for r in results for k in r.controls]
    pairs += [(v, r.identity.expected) for r in results for _, v in r.explicit]
    counts = {str(s): sum(v.status is s for v, _ in pairs) for s in Status}
    counts["as expected"] = sum(v.status is e for v, e in pairs)
    counts["unexpected"] = len(pairs) - counts["as expected"]
    return counts


def matrices(results: list[CheckedIdentity]) -> dict:
    """{table name: (row labels, column labels, {(row, column): cell text})} from the
    identities that declare a table cell (e.g. the invariance matrix)."""
    tables: dict = {}
    for r in results:
        if r.identity.table is None:
            continue
        name, row, column = r.identity.table
        rows, columns, cells = tables.setdefault(name, ([], [], {}))
        rows.append(row) if row not in rows else None
        columns.append(column) if column not in columns else None
        v = r.verdict
        text = str(v.status) + (f" ({', '.join(v.assumptions)})" if v.assumptions else "")
        cells[(row, column)] = text if v.status is r.identity.expected else f"{text} UNEXPECTED"
    return tables


def build_document(results: list[CheckedIdentity], kernels=(), rows=()) -> list:
    """Every identity, then the generated kernels, the numeric checks and the summary."""
    blocks: list = [Heading(1, "symbn report: batch normalization, derived and verified")]
    counts = summary_counts(results)
    blocks.append(Table(("verdicts", "count"), tuple((k, str(v)) for k, v in counts.items())))
    for name, (row_labels, column_labels, cells) in matrices(results).items():
        blocks.append(Heading(2, f"The {name} matrix"))
        blocks.append(Table(("", *column_labels), tuple(
            (row, *(cells.get((row, c), "") for c in column_labels)) for row in row_labels)))
    for c in results:
        blocks += _identity_blocks(c)
    if kernels:
        blocks.append(Heading(2, "Generated NumPy kernels"))
        for k in kernels:
            blocks += [Paragraph(k.name, emphasis=True), Code(k.source)]
    if rows:
        blocks.append(Heading(2, "Numeric checks against reference frameworks"))
        blocks.append(Table(
            ("backend", "case", "quantity", "dtype", "max abs err", "max rel err", "tolerance",
             "verdict"),
            tuple((r.backend, r.case, r.quantity, r.dtype,
                   *(("", "", "", f"skipped: {r.skipped}") if r.skipped else
                     (f"{r.max_abs:.2e}", f"{r.max_rel:.2e}", f"{r.tolerance:.0e}",
                      "pass" if r.passed else f"FAIL {r.note}"))) for r in rows)))
    return blocks
