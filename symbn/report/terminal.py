"""All of symbn's terminal output: rich panels and tables, or plain text when piped.

Rendering only: every function here takes computed results and prints them.
"""

from __future__ import annotations

import contextlib
from typing import Iterable

import sympy as sp
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from symbn.identities import CheckedIdentity, Identity
from symbn.prove import Status, Verdict

_STYLE = {Status.PROVED: "bold green", Status.REFUTED: "bold red", Status.UNDECIDED: "bold yellow"}


def make_console(color: bool = True, stderr: bool = False) -> Console:
    """A console; plain (no colour, no markup effects) when ``color`` is False or not a tty."""
    console = Console(no_color=not color, stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 120  # piped output: wide enough for 2-D formulas
    return console


def _status(status: Status) -> Text:
    return Text(str(status), style=_STYLE[status])


def pretty(expr) -> str:
    """SymPy's own 2-D pretty printer, with moment atoms kept readable."""
    return sp.pretty(expr, use_unicode=True, wrap_line=False)


@contextlib.contextmanager
def progress(console: Console, total: int, label: str):
    """A progress bar while proofs run; yields a callback ``advance(name)``."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=console, transient=True,
                   disable=not console.is_terminal)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda name: bar.update(task, advance=1, description=f"{label}: {name}")


def print_identity_list(console: Console, identities: Iterable[Identity]) -> None:
    table = Table(title="symbn identities", show_lines=False)
    for column in ("name", "tags", "expected", "controls", "statement"):
        table.add_column(column, overflow="fold")
    for i in identities:
        table.add_row(i.name, ", ".join(i.tags), _status(i.expected), str(len(i.controls)),
                      i.statement)
    console.print(table)


def _verdict_lines(v: Verdict, expected: Status) -> list:
    mark = "as expected" if v.status is expected else f"UNEXPECTED (expected {expected})"
    when = f"{v.seconds:.2f} s, cached" if v.cached else f"{v.seconds:.2f} s"
    lines = [Text.assemble(_status(v.status), f"  by {v.method}  ({when})  {mark}")]
    if v.assumptions:
        lines.append(Text("assuming " + ", ".join(v.assumptions)))
    if v.counterexample is not None:
        lines.append(Text("counterexample: " + v.counterexample.describe()))
    if v.status is Status.UNDECIDED:
        lines.append(Text("residual:\n" + pretty(v.residual)))
        lines += [Text("  tried " + a) for a in v.attempts]
    return lines


def print_checked(console: Console, checked: CheckedIdentity, *, steps: bool = True,
                  kernel_source: str | None = None) -> None:
    """One identity: statement, source, derivation steps, verdict, controls, cross-checks."""
    i = checked.identity
    body: list = [Text(i.statement, style="italic"), Text(f"source: {i.source}", style="dim")]
    if steps:
        for label, expr in checked.claim.steps:
            body += [Text(label + ":", style="bold"), Text(pretty(expr))]
    body += _verdict_lines(checked.verdict, i.expected)
    for c in checked.controls:
        body.append(Text(f"control: {c.identity.statement}", style="bold"))
        body += _verdict_lines(c.verdict, c.identity.expected)
    if checked.explicit:
        table = Table("explicit batch size m", "verdict", "method", "seconds",
                      title="explicit-form cross-check", title_justify="left")
        for m, v in checked.explicit:
            table.add_row(str(m), _status(v.status), v.method, f"{v.seconds:.2f}")
        body.append(table)
    if kernel_source:
        body.append(Syntax(kernel_source, "python", theme="ansi_dark", word_wrap=True))
    style = "green" if checked.as_expected else "red"
    console.print(Panel(Group(*body), title=f"{i.name}: {i.title}", border_style=style,
                        title_align="left"))


def print_matrices(console: Console, results: list[CheckedIdentity]) -> None:
    """Identities that are cells of a table (the invariance matrix), as that table."""
    from symbn.report.document import matrices
    for name, (row_labels, column_labels, cells) in matrices(results).items():
        table = Table(title=f"{name} matrix", show_lines=True)
        table.add_column("")
        for column in column_labels:
            table.add_column(column, overflow="fold")
        for row in row_labels:
            texts = [cells.get((row, c), "") for c in column_labels]
            table.add_row(row, *[Text(t, style="green" if t.startswith("PROVED") else "red")
                                 for t in texts])
        console.print(table)


def print_summary(console: Console, results: list[CheckedIdentity], rows=()) -> None:
    verdicts = [(r.verdict, r.identity.expected) for r in results]
    verdicts += [(c.verdict, c.identity.expected) for r in results for c in r.controls]
    verdicts += [(v, r.identity.expected) for r in results for _, v in r.explicit]
    table = Table(title="summary", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    for status in Status:
        table.add_row(_status(status), str(sum(v.status is status for v, _ in verdicts)))
    expected = sum(v.status is e for v, e in verdicts)
    table.add_row("as expected", str(expected))
    table.add_row(Text("unexpected", style="bold red" if expected < len(verdicts) else ""),
                  str(len(verdicts) - expected))
    table.add_row("proof seconds", f"{sum(r.seconds for r in results):.2f}")
    if rows:
        failed = sum(not (r.passed or r.skipped) for r in rows)
        table.add_row("numeric checks passed", str(sum(r.passed for r in rows)))
        table.add_row(Text("numeric checks failed", style="bold red" if failed else ""),
                      str(failed))
        table.add_row("backends skipped", str(sum(bool(r.skipped) for r in rows)))
    console.print(table)


def print_kernel(console: Console, name: str, source: str) -> None:
    console.print(Panel(Syntax(source, "python", theme="ansi_dark", word_wrap=True),
                        title=f"generated kernel: {name}", title_align="left"))


def print_check_table(console: Console, rows) -> None:
    """Numeric checks: backend x quantity x dtype -> errors, verdict, time."""
    table = Table(title="numeric checks against reference frameworks")
    for column in ("backend", "case", "quantity", "dtype", "max abs err", "max rel err",
                   "tolerance", "verdict", "seconds"):
        table.add_column(column, justify="right" if "err" in column or column in (
            "tolerance", "seconds") else "left")
    for r in rows:
        if r.skipped:
            table.add_row(r.backend, r.case, r.quantity, r.dtype, "", "", "",
                          Text(f"skipped: {r.skipped}", style="yellow"), "")
            continue
        table.add_row(r.backend, r.case, r.quantity, r.dtype, f"{r.max_abs:.2e}",
                      f"{r.max_rel:.2e}", f"{r.tolerance:.0e}",
                      Text("pass" if r.passed else "FAIL", style="green" if r.passed else "bold red"),
                      f"{r.seconds:.3f}")
    console.print(table)


def print_error(console: Console, message: str) -> None:
    console.print(Text("error: ", style="bold red") + Text(message))


def print_written(console: Console, fmt: str, path) -> None:
    console.print(f"wrote the {fmt} report to {path}")


def print_verify_report(console: Console, name: str, report) -> None:
    """Per-output errors, the problems found, and the diagnosis of a user's BN."""
    worst: dict = {}
    for c in report.checks:
        key = (c.output, c.dtype)
        if key not in worst or c.max_rel > worst[key].max_rel:
            worst[key] = c
    table = Table(title=f"{name} ({report.kind}) against symbn's derivation")
    for column in ("output", "dtype", "worst case", "max abs err", "max rel err", "verdict"):
        table.add_column(column)
    for (output, dtype), c in sorted(worst.items()):
        table.add_row(output, dtype, c.case, f"{c.max_abs:.2e}", f"{c.max_rel:.2e}",
                      Text("pass", style="green") if all(
                          k.passed for k in report.checks if (k.output, k.dtype) == (output, dtype))
                      else Text("FAIL", style="bold red"))
    console.print(table)
    for problem in report.problems:
        console.print(Text("problem: ", style="bold red") + Text(problem))
    d = report.diagnosis
    if d is not None:
        if d.fits and d.name == "correct":
            message = "the values are right; the problems above are the only faults"
        elif d.fits:
            message = f"most likely mistake: {d.name}: {d.description} (residual {d.residual:.1e})"
        else:
            message = (f"no known mistake fits; nearest: {d.name}: {d.description} "
                       f"(residual {d.residual:.1e})")
        console.print(Panel(Text(message), title="diagnosis", title_align="left",
                            border_style="yellow"))
    console.print(Text("verdict: ") + (Text("correct", style="bold green") if report.ok
                                       else Text("WRONG", style="bold red")))


def print_soundness(console: Console, outcome) -> None:
    table = Table(title="soundness suite: every claim here is wrong")
    for column in ("wrong claim", "kind", "verdict", "method", "seconds"):
        table.add_column(column)
    for wrong, v in outcome.results:
        table.add_row(wrong.name, wrong.kind, _status(v.status), v.method, f"{v.seconds:.3f}")
    console.print(table)
    wrong, slowest = outcome.slowest
    style = "bold green" if outcome.sound else "bold red"
    console.print(Text(f"rejected {outcome.rejected} of {len(outcome.results)} "
                       f"({outcome.rejection_rate:.0%})", style=style))
    console.print(f"slowest refutation: {wrong.name} in {slowest.seconds:.3f} s")
