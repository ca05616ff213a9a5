"""Render a document tree (:mod:`symbn.report.document`) as Markdown (with LaTeX math),
LaTeX, HTML with MathML, or JSON (the facts the tree's sections carry).

Math is printed by SymPy's own printers (``sympy.latex``, ``sympy.mathml``); the HTML page
is standalone: MathML renders in the browser with no network at view time.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from symbn.report.document import Block, Code, Items, Math, Paragraph, Section, Table


def _latex(expr) -> str:
    from sympy import latex  # only for a Math block, whose expression loaded SymPy already

    return latex(expr)


def _walk(block: Block, level: int = 1) -> Iterator[tuple[Block | str, int]]:
    """The blocks in reading order; a section yields its title (a str) at its level.  A
    formula of which only texts were kept (no expression for SymPy's printers) is its
    drawing, as code."""
    if isinstance(block, Section):
        if block.title:
            yield block.title, level
        for child in block.children:
            yield from _walk(child, level + 1 if block.title else level)
    elif isinstance(block, Math) and block.expr is None:
        yield Code(f"{block.label}:\n{block.drawn or block.line}"), level
    else:
        yield block, level


def to_json(document: Section) -> str:
    """The facts the document words, as JSON (strict: no NaN or Infinity, which JSON lacks
    and many parsers refuse: a measurement not taken, NaN, is null; an infinite one is the
    string "inf" or "-inf")."""
    return json.dumps(_finite(document.data), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value

_LATEX_ESCAPES = str.maketrans({c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": "$<$", ">": "$>$", "|": "$|$"})  # no < > | glyphs in the default OT1 text font


#: what Markdown (and MathJax in it) would read as markup in a line of text: escaped, so that
#: a statement with E[x], x_i, |a|, $5 or <b> reads as written
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|$#~"})


def _md(text: str) -> str:
    return text.translate(_MARKDOWN_ESCAPES)


def to_markdown(document: Section, *, top_level: int = 1) -> str:
    """The document as Markdown; its top heading at ``top_level`` (a notebook output: 3)."""
    out = []
    for b, level in _walk(document, top_level):
        if isinstance(b, str):
            out.append("#" * min(level, 6) + " " + _md(b))
        elif isinstance(b, Items):
            out.append("\n".join("- " + _md(line) for line in b.lines))
        elif isinstance(b, Paragraph):
            out.append(f"*{_md(b.text)}*" if b.emphasis else _md(b.text))
        elif isinstance(b, Math):
            out.append(f"{_md(b.label)}:\n\n$$\n{_latex(b.expr)}\n$$")
        elif isinstance(b, Code):
            out.append(f"```python\n{b.text.rstrip()}\n```")
        elif isinstance(b, Table):
            out.append("\n".join(["| " + " | ".join(map(_md, b.header)) + " |",
                                  "|" + "---|" * len(b.header)]
                                 + ["| " + " | ".join(map(_md, r)) + " |" for r in b.rows]))
    return "\n\n".join(out) + "\n"


def _tex(text: str) -> str:
    return text.translate(_LATEX_ESCAPES)


def to_latex(document: Section, *, standalone: bool = True, top_level: int = 1) -> str:
    """A LaTeX document; or, not ``standalone``, its body alone, for a notebook output
    (nbconvert's PDF export), with plain display math and its top heading at ``top_level``."""
    body = []
    for b, level in _walk(document, top_level):
        if isinstance(b, str):
            command = {1: "section*", 2: "subsection*", 3: "subsubsection*"}.get(level,
                                                                                "paragraph")
            body.append(f"\\{command}{{{_tex(b)}}}")
        elif isinstance(b, Items):
            body.append("\\begin{itemize}\n" + "\n".join("\\item " + _tex(line) for line in b.lines)
                        + "\n\\end{itemize}")
        elif isinstance(b, Paragraph):
            body.append(f"\\emph{{{_tex(b.text)}}}" if b.emphasis else _tex(b.text))
        elif isinstance(b, Math) and not standalone:
            body.append(f"{_tex(b.label)}:\n\\[{_latex(b.expr)}\\]")
        elif isinstance(b, Math):
            body.append(f"{_tex(b.label)}:\n\\begin{{center}}\\fiteq{{{_latex(b.expr)}}}"
                        "\\end{center}")
        elif isinstance(b, Code):
            body.append(f"\\begin{{verbatim}}\n{b.text.rstrip()}\n\\end{{verbatim}}")
        elif isinstance(b, Table):
            rows = [" & ".join(map(_tex, b.header)) + r" \\ \hline"]
            rows += [" & ".join(map(_tex, r)) + r" \\" for r in b.rows]
            body.append(f"\\begin{{longtable}}{{{'l' * len(b.header)}}}\n"
                        + "\n".join(rows) + "\n\\end{longtable}")
    if not standalone:
        return "\n\n".join(body) + "\n"
    return ("\\documentclass[10pt]{article}\n"
            "\\usepackage[margin=2cm,landscape]{geometry}\n"
            "\\usepackage{amsmath,graphicx,longtable}\n" + _FIT_EQUATION +
            "\\begin{document}\n" + "\n\n".join(body) + "\n\\end{document}\n")


# Display math that is wider than the page is scaled down to fit, the rest left alone.
_FIT_EQUATION = r"""\newsavebox{\eqbox}
\newcommand{\fiteq}[1]{\sbox{\eqbox}{$\displaystyle #1$}%
  \ifdim\wd\eqbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\eqbox}}\else\usebox{\eqbox}\fi}
"""


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
pre { background: #f5f5f5; padding: 0.8em; overflow-x: auto; }
.math { overflow-x: auto; overflow-y: hidden; margin: 0.5em 0 1em 1em; }
math { font-size: 1.15em; }
"""


def to_html(document: Section, *, standalone: bool = True, top_level: int = 1) -> str:
    """A standalone HTML page; or, not ``standalone``, a fragment for a notebook output (no
    page style: it would restyle the whole notebook), its top heading at ``top_level``."""
    body = []
    for b, level in _walk(document, top_level):
        if isinstance(b, str):
            n = min(level, 6)
            body.append(f"<h{n}>{html.escape(b)}</h{n}>")
        elif isinstance(b, Items):
            body.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in b.lines)
                        + "</ul>")
        elif isinstance(b, Paragraph):
            text = html.escape(b.text)
            body.append(f"<p><em>{text}</em></p>" if b.emphasis else f"<p>{text}</p>")
        elif isinstance(b, Math):
            from sympy import mathml  # a Math block's expression: SymPy is loaded

            mathml = mathml(b.expr, printer="presentation")
            body.append(f"<p>{html.escape(b.label)}:</p><div class=\"math\"><math "
                        f"xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\">"
                        f"{mathml}</math></div>")
        elif isinstance(b, Code):
            body.append(f"<pre><code>{html.escape(b.text)}</code></pre>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                           for r in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    if not standalone:
        return "<div class=\"symbn\">\n" + "\n".join(body) + "\n</div>\n"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>symbn report</title><style>" + _CSS + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


#: The file formats of ``symbn report --markdown/--latex/--html``.
EXPORTERS: dict[str, Callable[[Section], str]] = {
    "markdown": to_markdown, "latex": to_latex, "html": to_html}
