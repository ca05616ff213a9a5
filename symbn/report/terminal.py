"""All of symbn's terminal output: a document tree (:mod:`symbn.report.document`) laid out
with rich -- panels, tables, 2-D formulas, syntax-highlighted kernels -- or plain text when
piped.  Rendering only: the words and numbers come from the tree.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from symbn.display import drawing
from symbn.report.document import Block, Code, Items, Math, Paragraph, Section, Table
from symbn.report.export import to_json

#: Words that carry a judgement, and their colour wherever they appear.
_STYLES = {"PROVED": "bold green", "REFUTED": "bold red", "UNDECIDED": "bold yellow",
           "UNEXPECTED": "bold red", "FAIL": "bold red", "WRONG": "bold red",
           "pass": "green", "correct": "bold green"}
_JUDGEMENT = re.compile(r"\b(" + "|".join(_STYLES) + r")\b")


def make_console(color: bool = True, stderr: bool = False) -> Console:
    """A console; plain text (no colour, bold or italics) when ``color`` is False or not a tty."""
    # markup=False: user text (E[x], a[i], a claim's statement) prints as written
    console = Console(color_system="auto" if color else None, stderr=stderr, highlight=False,
                      markup=False)
    if not console.is_terminal:
        console.width = 120  # piped output: wide enough for 2-D formulas
    return console


def _styled(text: str, style: str = "") -> Text:
    styled = Text(text, style=style)
    for match in _JUDGEMENT.finditer(text):
        styled.stylize(_STYLES[match.group(1)], match.start(), match.end())
    return styled


def _table(table: Table, title: str | None = None) -> RichTable:
    # titles and headings as Text: rich reads a string there as markup, whatever the console
    out = RichTable(title=Text(title) if title else None, title_justify="left")
    for heading in table.header:
        out.add_column(Text(heading), overflow="fold")  # a narrow column wraps, never hides a fact
    for row in table.rows:
        out.add_row(*(_styled(cell) for cell in row))
    return out


def _formula(block: Math, width: int) -> Text:
    """The 2-D layout (the block's own drawing, when it carries one) when it fits
    ``width``; else the one-line form, which wraps between terms instead of cutting a
    fraction or a root in half."""
    drawn = block.drawn if block.drawn is not None else drawing(block.expr)
    if max(map(len, drawn.splitlines() or [""])) <= width:
        return Text(drawn)
    if block.line is not None:
        return Text(block.line)
    from sympy import sstr

    return Text(sstr(block.expr))


def _renderables(block: Block, top: bool = False, width: int = 120) -> list[RenderableType]:
    if isinstance(block, Section):
        only_table = len(block.children) == 1 and isinstance(block.children[0], Table)
        if only_table:
            return [_table(block.children[0], block.title)]  # type: ignore[arg-type]
        inner = [r for child in block.children for r in _renderables(child, width=width - 4)]
        if block.ok is not None and not top:
            return [Panel(Group(*inner), title=Text(block.title) if block.title else None,
                          title_align="left",
                          border_style="green" if block.ok else "red")]
        heading = [Text(block.title, style="bold underline")] if block.title else []
        return heading + inner
    if isinstance(block, Paragraph):
        return [_styled(block.text, "italic" if block.emphasis else "")]
    if isinstance(block, Items):
        return [_styled("  " + line) for line in block.lines]
    if isinstance(block, Math):
        return [Text(block.label + ":", style="bold"), _formula(block, width)]
    if isinstance(block, Code):
        from rich.syntax import Syntax  # Pygments: only for code

        return [Syntax(block.text, "python", theme="ansi_dark", word_wrap=True)]
    if isinstance(block, Table):
        return [_table(block)]
    raise TypeError(f"not a document block: {block!r}")


def render(console: Console, document: Section, *, as_json: bool = False) -> None:
    """Print a document: laid out with rich, or its facts as JSON."""
    if as_json:
        console.print_json(to_json(document))
        return
    for top in ([document] if document.title else list(document.children)):
        for renderable in _renderables(top, top=top is document, width=console.width):
            console.print(renderable)


def to_text(document: Section, width: int = 120) -> str:
    """The document as plain text, laid out as on a terminal without colour (``str()`` of a
    result).  Never Jupyter's display: that shows the result's own HTML."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      force_jupyter=False, highlight=False, emoji=False, markup=False)
    render(console, document)
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in text.splitlines())


@contextlib.contextmanager
def progress(console: Console, total: int | None, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar while proofs run (hidden when piped); yields ``advance(name)``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   console=console, transient=True, disable=not console.is_terminal)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda name: bar.update(task, advance=1, description=f"{label}: {name}")


def print_error(console: Console, message: str) -> None:
    """One line, never wrapped (a script may grep it)."""
    console.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)


def print_warning(console: Console, message: str) -> None:
    console.print(Text("warning: ", style="bold yellow") + Text(message), soft_wrap=True)


def print_written(console: Console, what: str, path: Any) -> None:
    console.print(Text(f"wrote the {what} to {path}"))
