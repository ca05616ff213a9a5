"""What a result shows as ``str()``, ``repr()`` and in Jupyter (:class:`symbn.display.Displayable`).

Each kind of result has one document builder in :mod:`symbn.report.document` (the same
builders the command's output is made of) and a one-line summary for ``repr()`` taken from
that document.  The forms are the report's renderers: plain text is the terminal layout
without colour, HTML, Markdown and LaTeX are :mod:`symbn.report.export`'s, as fragments
whose top heading is small enough for a notebook cell's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symbn.report import document, export, terminal
from symbn.report.document import Section

#: A notebook output's top heading: a cell's result, not a page title.
TOP_LEVEL = 4


def _counts(section: Section) -> str:
    rows = section.data
    passed = sum(bool(r["passed"]) for r in rows)
    skipped = sum(bool(r["skipped"]) for r in rows)
    return f"{passed} passed, {len(rows) - passed - skipped} failed, {skipped} skipped"


#: kind -> (its document builder, its repr line from that document)
BUILDERS: dict[str, tuple[Callable[[Any], Section], Callable[[Section], str]]] = {
    "verdict": (document.verdict_section, lambda s: str(s.title)),
    "identity": (document.identity_section,
                 lambda s: f"{s.title} (expected {s.data['expected']})"),
    "checked identity": (document.checked_section, lambda s: f"{s.data['name']}: "
                         + document.verdict_lines(s.data["verdict"], s.data["expected"])[0]),
    "derivation": (document.derivation_section, lambda s: str(s.title)),
    "kernel": (document.kernel_part,
               lambda s: f"{s.data['name']}: {', '.join(s.data['outputs'])} "
                         f"of {', '.join(s.data['arguments'])}"),
    "checks": (document.check_section, lambda s: f"{s.title}: {_counts(s)}"),
    "verify": (document.verify_document,
               lambda s: f"{s.data['target']} ({s.data['kind']}): "
                         + ("correct" if s.ok else "WRONG")),
}


def render(result: Any, form: str) -> str:
    """``result`` (a :class:`symbn.display.Displayable`) as "text", "repr", "html",
    "markdown" or "latex"."""
    if result._document_kind:
        build, summary = BUILDERS[result._document_kind]
        doc = build(result)
        line = summary(doc)
    else:  # a result above the report builds its own document (a titled Section)
        doc = result.document()
        line = str(doc.title)
    if form == "repr":
        return f"<{type(result).__name__} {line}>"
    if form == "text":
        return terminal.to_text(doc)
    if form == "html":
        return export.to_html(doc, standalone=False, top_level=TOP_LEVEL)
    if form == "markdown":
        return export.to_markdown(doc, top_level=TOP_LEVEL)
    if form == "latex":
        return export.to_latex(doc, standalone=False, top_level=TOP_LEVEL)
    raise ValueError(f"unknown display form {form!r}: text, repr, html, markdown or latex")
