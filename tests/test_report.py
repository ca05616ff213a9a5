"""The report: one document tree, rendered as terminal text, Markdown, LaTeX, HTML and JSON
with the same facts; ``symbn report``'s exports through its entry point."""

import dataclasses
import html
import io
import json
import math
import re
import shutil
import subprocess

import pytest
import sympy as sp
from rich.console import Console

from symbn import identities
from symbn.identities import CATALOGUE, check
from symbn.prove import Status
from symbn.report import document, export, terminal
from symbn.report.data import checked_data

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]

# The facts every format must carry.  The domain and the evidence are set on a real result
# (H1's prover and H2's second check fill them; what is tested here is that they are shown).
DOMAIN = "Mean(x**2) - Mean(x)**2 + epsilon > 0"
EVIDENCE = "numerator expands to 0 in python-flint (exact integers)"
ATTEMPT = "simplify: timed out after 5 s"


@pytest.fixture(scope="module")
def result():
    """bias-gradient-zero: PROVED, controls REFUTED with counterexamples, explicit m."""
    checked = check(identities.get("bias-gradient-zero"), budget=120)
    assert checked.verdict.status is Status.PROVED and checked.controls and checked.explicit
    verdict = dataclasses.replace(checked.verdict, domain=(DOMAIN,), evidence=(EVIDENCE,),
                                  attempts=(ATTEMPT,), cached=True, seconds=1.234)
    return dataclasses.replace(checked, verdict=verdict)


def _terminal(doc):
    console = Console(record=True, width=2000, no_color=True, file=io.StringIO())
    terminal.render(console, doc)
    return console.export_text()


def _latex_text(tex):
    """The LaTeX source with its text escapes undone, to compare words."""
    for escaped, plain in (("$<$", "<"), ("$>$", ">"), ("$|$", "|"), (r"\_", "_"),
                           (r"\&", "&"), (r"\%", "%"), (r"\#", "#"), (r"\{", "{"), (r"\}", "}"),
                           (r"\textasciicircum{}", "^"), (r"\$", "$")):
        tex = tex.replace(escaped, plain)
    return tex


def _markdown_text(markdown: str) -> str:
    """The text a Markdown renderer shows: each backslash escape is its character."""
    return re.sub(r"\\(.)", r"\1", markdown)


RENDERERS = {
    "terminal": _terminal,
    "markdown": lambda doc: _markdown_text(export.to_markdown(doc)),
    "latex": lambda doc: _latex_text(export.to_latex(doc)),
    "html": lambda doc: html.unescape(export.to_html(doc)),
}


def _facts(result):
    v = result.verdict
    control = result.controls[0].verdict
    m, explicit = result.explicit[0]
    return [f"PROVED where {DOMAIN}, by {v.method} (1.23 s, cached), as expected",
            f"evidence: {EVIDENCE}", f"tried: {ATTEMPT}",
            "counterexample: " + control.counterexample.describe(),
            f"{control.status} by {control.method}", result.identity.statement,
            result.controls[0].identity.name, f"{explicit.seconds:.2f}", str(m)]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_carries_the_same_facts(result, fmt):
    text = RENDERERS[fmt](document.report_document([result]))
    for fact in _facts(result):
        assert fact in text, (fmt, fact)


def test_json_carries_the_same_facts(result):
    data = json.loads(export.to_json(document.report_document([result])))
    verdict = data["identities"][0]["verdict"]
    assert verdict["status"] == "PROVED" and verdict["domain"] == [DOMAIN]
    assert verdict["evidence"] == [EVIDENCE] and verdict["attempts"] == [ATTEMPT]
    assert verdict["cached"] is True and verdict["seconds"] == 1.234
    control = data["identities"][0]["controls"][0]["verdict"]
    assert control["counterexample"]["text"] == result.controls[0].verdict.counterexample.describe()
    assert data["summary"]["PROVED"] == 1 + len(result.explicit)
    assert data["summary"]["cached"] == 1


def test_summary_counts_every_verdict_once(result):
    summary = document.summary_section([checked_data(result)]).data
    total = 1 + len(result.controls) + len(result.explicit)
    assert summary["verdicts"] == total
    assert sum(summary[str(s)] for s in Status) == total
    assert summary["as expected"] == total and summary["unexpected"] == 0


def test_proof_seconds_are_this_runs():
    """A verdict read from the cache took no proving in this run: the summary's proof
    seconds leave its first run's seconds out (a warm run proves nothing)."""
    checked = check(identities.get("bias-gradient-zero"), budget=120)
    proved = dataclasses.replace(checked, verdict=dataclasses.replace(checked.verdict,
                                                                     seconds=3.0))
    fresh = document.summary_section([checked_data(proved)]).data["proof seconds"]
    assert fresh == pytest.approx(proved.seconds, abs=0.01) and fresh >= 3.0
    cached = dataclasses.replace(proved, verdict=dataclasses.replace(proved.verdict, cached=True))
    assert document.summary_section([checked_data(cached)]).data["proof seconds"] == pytest.approx(
        fresh - 3.0, abs=0.01)


def test_json_states_every_claim(result):
    """Each identity's claim is in the JSON as text, also when its derivation steps show it
    on the terminal."""
    assert result.claim.steps
    data = json.loads(export.to_json(document.report_document([result])))
    claim = data["identities"][0]["claim"]
    assert claim == {"lhs": sp.sstr(result.claim.lhs), "relation": "==",
                     "rhs": sp.sstr(result.claim.rhs)}


def test_an_unexpected_verdict_is_flagged_in_every_format(result):
    wrong = dataclasses.replace(result, identity=dataclasses.replace(
        result.identity, expected=Status.REFUTED))
    doc = document.report_document([wrong])
    for fmt, render in RENDERERS.items():
        assert "UNEXPECTED, expected REFUTED" in render(doc), fmt
    assert json.loads(export.to_json(doc))["summary"]["unexpected"] == 1 + len(result.explicit)


def test_summary_comes_last(result):
    doc = document.report_document([result])
    assert doc.children[-1].title == "Summary"


def test_undecided_shows_its_residual(result):
    undecided = dataclasses.replace(result, verdict=dataclasses.replace(
        result.verdict, status=Status.UNDECIDED, residual=result.claim.lhs))
    section = document.checked_section(undecided)
    assert document.Math("residual", result.claim.lhs) in section.children


@pytest.mark.integration  # runs the verify worker
def test_verify_document_names_what_was_and_was_not_checked():
    from symbn.verify import verify
    report = verify("tests.fixtures.user_bn:backward_ignores_mean", "bn-backward")
    doc = document.verify_document(report)
    facts = doc.data
    assert facts["ok"] is False and doc.ok is False
    text = _markdown_text(export.to_markdown(doc))
    for problem in facts["problems"]:
        assert problem["message"] in text
    for line in facts["checked"] + facts["not_checked"]:
        assert line in text
    assert "verdict: WRONG" in _terminal(doc)
    assert facts["diagnosis"]["message"] in text and facts["target"] in text


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """``symbn report`` with every export, run once for the system tests below."""
    import os
    import sys
    from pathlib import Path
    out = tmp_path_factory.mktemp("report")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "symbn.cli", "report", "--budget", "120", "--json",
         "--markdown", str(out / "r.md"),
         "--latex", str(out / "r.tex"), "--html", str(out / "r.html"), "--plots",
         str(out / "plots")], capture_output=True, text=True, cwd=root, timeout=1800,
        env={**os.environ, "SYMBN_CACHE_DIR": str(out / "cache")})
    return out, done


@pytest.mark.system
def test_report_exits_0_with_json_of_everything(report):
    _, done = report
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [d["name"] for d in data["identities"]] == [i.name for i in CATALOGUE]
    assert all(d["as_expected"] for d in data["identities"])
    assert {"batchnorm_train", "batchnorm_hvp"} <= set(data["kernels"])
    assert data["checks"] and all(r["passed"] for r in data["checks"])
    assert data["summary"]["unexpected"] == 0


@pytest.mark.system
@pytest.mark.parametrize("suffix", ["md", "tex", "html"])
def test_every_export_names_every_identity_and_control(report, suffix):
    text = (report[0] / f"r.{suffix}").read_text()
    if suffix == "tex":
        text = _latex_text(text)
    for identity in CATALOGUE:
        assert identity.name in text
        for control in identity.controls:
            assert control.name in text
    assert "PROVED" in text and "REFUTED" in text


@pytest.mark.system
def test_markdown_math_is_latex_and_latex_is_a_document(report):
    md = (report[0] / "r.md").read_text()
    assert "$$" in md and r"\operatorname{E}_B" in md
    tex = (report[0] / "r.tex").read_text()
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")


@pytest.mark.system
def test_html_is_standalone_mathml(report):
    page = (report[0] / "r.html").read_text()
    assert "<math" in page and "<mfrac>" in page
    assert "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/1998/Math/MathML", "")


@pytest.mark.system
def test_plots_are_written(report):
    from symbn.report import plots
    names = sorted(p.name for p in (report[0] / "plots").glob("*.png"))
    assert names == sorted(plots.FIGURES)


@pytest.mark.system
def test_html_renders_in_headless_chromium(report, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required (the README's test command installs it)"
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1200,1800", f"--screenshot={shot}",
                    (report[0] / "r.html").as_uri()], capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@pytest.mark.system
def test_latex_report_compiles_with_pdflatex(report, tmp_path):
    pdflatex = shutil.which("pdflatex")
    assert pdflatex, "pdflatex is required (the README's test command installs texlive)"
    source = tmp_path / "r.tex"
    source.write_text((report[0] / "r.tex").read_text())
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_formula_wider_than_the_console_is_printed_on_lines_not_cut():
    import sympy as sp

    terms = sp.Add(*[sp.Symbol(f"a{k}") / sp.sqrt(sp.Symbol(f"b{k}") + 1) for k in range(12)])
    section = document.Section("wide", (document.Math("sum", terms),))
    buffer = io.StringIO()
    terminal.render(Console(file=buffer, width=60, no_color=True), section)
    text = buffer.getvalue()
    assert "a11/sqrt(b11 + 1)" in text.replace("\n", "")  # whole, as one-line math
    assert "─" not in text.split("sum:")[1]  # no 2-D fraction bar cut at the margin
    narrow = io.StringIO()
    terminal.render(Console(file=narrow, width=60, no_color=True),
                    document.Section("small", (document.Math("f", sp.Symbol("a") / 2),)))
    assert "─" in narrow.getvalue()  # a formula that fits keeps its 2-D layout


def test_no_color_is_plain_text_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich takes any output for a terminal
    section = document.Section(None, (document.Paragraph("PROVED", emphasis=True),))
    for color in (True, False):
        console = terminal.make_console(color=color)
        console.file = io.StringIO()
        terminal.render(console, section)
        assert ("\x1b[" in console.file.getvalue()) is color


def test_json_is_strict_a_nan_is_null_and_an_infinity_a_string():
    # Python's json wrote NaN and Infinity, which JSON lacks and strict parsers refuse
    facts = {"max_rel": math.inf, "low": -math.inf, "not_taken": math.nan,
             "rows": [{"residual": math.inf}, (1.5, math.nan)]}
    text = export.to_json(document.Section("t", (), data=facts))
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON")) == {
        "max_rel": "inf", "low": "-inf", "not_taken": None,
        "rows": [{"residual": "inf"}, [1.5, None]]}


def test_markdown_escapes_user_text_so_that_it_reads_as_written():
    text = "E[x] is $5 for x_i, |a| and <b>html</b>, *not emphasis*, `no code`"
    doc = document.Section("t", (document.Paragraph(text),
                                 document.Table(("a|b",), (("x_i",),))))
    markdown = export.to_markdown(doc)
    assert r"E\[x\] is \$5 for x\_i, \|a\| and \<b\>html\</b\>, \*not emphasis\*" in markdown
    assert _markdown_text(markdown).count(text) == 1 and r"| a\|b |" in markdown
