"""Every result shows itself: ``str()`` as plain text, ``repr()`` as one line (never the
dataclass dump), and Jupyter's HTML, Markdown and LaTeX, all with the same facts (rendered
from one document); the modules below the report do not import it when they load."""

import ast
import dataclasses
import html
import re

import pytest
from IPython.lib.pretty import pretty

from symbn import claim, compile_kernel, derivative, derive_batchnorm, prove
from symbn.backends import BACKENDS, compare
from symbn.bn import dx_closed_form
from symbn.identities import check
from symbn.prove import Status
from symbn.verify.model import OutputCheck, VerifyReport
from tests.conftest import ROOT
from tests.test_report import _latex_text, _markdown_text

BN = derive_batchnorm()
NAIVE_DX = derivative(BN.loss, BN.x, through_stats=False)  # batch statistics held: wrong


def _flat(text):
    """Whitespace as one space: the plain text wraps long lines."""
    return " ".join(text.split())


FORMS = {
    "str": lambda obj: _flat(str(obj)),
    "html": lambda obj: _flat(html.unescape(obj._repr_html_())),
    "markdown": lambda obj: _flat(_markdown_text(obj._repr_markdown_())),
    "latex": lambda obj: _flat(_latex_text(obj._repr_latex_())),
    "ipython": lambda obj: _flat(pretty(obj)),
}


@pytest.fixture(scope="module")
def refuted():
    verdict = prove(NAIVE_DX, BN.dx_closed_form, budget=60)
    assert verdict.status is Status.REFUTED and verdict.counterexample is not None
    return verdict


@pytest.fixture(scope="module")
def stated():
    return claim("dx-closed-form", BN.dx, dx_closed_form(), statement="dx is the closed form",
                 explicit_sizes=[2], controls=[claim(
                     "naive-dx", NAIVE_DX, dx_closed_form(), expected="REFUTED",
                     statement="dx without the batch statistics is the closed form")])


@pytest.fixture(scope="module")
def kernel():
    return compile_kernel({"y": BN.y, "dx": BN.dx}, "bn")


def _verify_report():
    report = VerifyReport("mine:backward", "batchnorm-backward", framework="numpy")
    report.checks += [OutputCheck("3x6", "NC", "float64", "train", "dx", 4.2, 0.64, 1e-12, False),
                      OutputCheck("3x6", "NC", "float64", "train", "dbeta", 0.0, 0.0, 1e-12, True)]
    report.problem("dx is wrong", "3x6")
    report.note_checked("layouts: NC (1 case)")
    report.note_not_checked("running statistics: a function has none")
    return report


def _facts(name, request):
    """(the object, the facts each of its forms must show)."""
    if name == "refuted verdict":
        v = request.getfixturevalue("refuted")
        return v, [f"REFUTED by {v.method}", "counterexample: " + v.counterexample.describe()]
    if name == "undecided verdict":
        v = dataclasses.replace(request.getfixturevalue("refuted"), status=Status.UNDECIDED,
                                method="timed out", counterexample=None)
        return v, ["UNDECIDED by timed out", "residual"]
    if name == "proved verdict":
        v = prove(BN.dx, dx_closed_form(), budget=60)
        assert v.status is Status.PROVED
        return v, [f"PROVED by {v.method}", *("evidence: " + e for e in v.evidence)]
    if name == "identity":
        i = request.getfixturevalue("stated")
        return i, ["dx-closed-form", "dx is the closed form", "expected: PROVED", "naive-dx",
                   "explicit cross-checks at m = 2"]
    if name == "checked identity":
        c = check(request.getfixturevalue("stated"), budget=60)
        control = c.controls[0].verdict
        return c, [f"PROVED by {c.verdict.method}", "as expected", "naive-dx",
                   f"REFUTED by {control.method}",
                   "counterexample: " + control.counterexample.describe()]
    if name == "derivation":
        return BN, ["Batch normalization, derived (eps = epsilon)", "eps inside the square root",
                    "dL/dx:", "dL/dgamma:", "dL/dbeta:"]
    if name == "kernel":
        k = request.getfixturevalue("kernel")
        return k, ["Kernel bn", "Computes y, dx", *k.source.splitlines()[:3]]
    if name == "check table":
        rows = compare.run_checks([BACKENDS["complex-step"]], grid=compare.QUICK_GRID[:1])
        assert rows and all(r.passed for r in rows)
        return rows, ["complex-step", "3x5 eps=1e-05", "dgamma", "pass"]
    if name == "verify report":
        return _verify_report(), [
            "mine:backward (batchnorm-backward)", "problem: dx is wrong (in 1 case: 3x6)",
            "layouts: NC (1 case)", "running statistics: a function has none", "verdict: WRONG"]
    raise KeyError(name)


KINDS = ("refuted verdict", "undecided verdict", "proved verdict", "identity",
         "checked identity", "derivation", "kernel", "check table", "verify report")


@pytest.mark.parametrize("kind", KINDS)
def test_every_form_shows_the_same_facts(kind, request):
    obj, facts = _facts(kind, request)
    for form, render in FORMS.items():
        shown = render(obj)
        for fact in facts:
            assert _flat(fact) in shown, (kind, form, fact)


@pytest.mark.parametrize("kind", KINDS)
def test_repr_is_one_short_line_not_a_dataclass_dump(kind, request):
    obj, _ = _facts(kind, request)
    line = repr(obj)
    assert line.startswith(f"<{type(obj).__name__} ") and line.endswith(">")
    assert "\n" not in line and not re.search(r"\b[a-z_]+=", line), line


def test_repr_names_the_judgement(request):
    assert "REFUTED" in repr(_facts("refuted verdict", request)[0])
    assert repr(_verify_report()).endswith(": WRONG>")
    assert "6 passed, 0 failed, 0 skipped" in repr(_facts("check table", request)[0])


def test_a_verdict_reads_its_status_first(refuted):
    assert str(refuted).startswith(f"REFUTED by {refuted.method}")


def test_the_kernel_shows_its_whole_source(kernel):
    for form in ("str", "markdown", "latex"):
        shown = {"str": str, "markdown": type(kernel)._repr_markdown_,
                 "latex": type(kernel)._repr_latex_}[form](kernel)
        for line in kernel.source.splitlines():
            assert line.rstrip() in shown, (form, line)


def test_html_is_a_fragment_that_leaves_the_notebook_style_alone(refuted):
    fragment = refuted._repr_html_()
    assert fragment.startswith('<div class="symbn">')
    assert "<style" not in fragment and "<body" not in fragment and "<h1" not in fragment


BELOW_THE_REPORT = ("core", "bn", "prove", "kernels", "identities", "verify", "backends",
                    "certify", "display.py")


def test_no_module_below_the_report_imports_it_when_loaded():
    """The data flows one way: a result reaches the report through symbn.display's late
    import, never a module-level one (``if TYPE_CHECKING:`` blocks are for types only)."""
    for part in BELOW_THE_REPORT:
        path = ROOT / "symbn" / part
        for source in ([path] if path.suffix else sorted(path.rglob("*.py"))):
            for node in ast.parse(source.read_text()).body:
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                assert not any(n.startswith("symbn.report") for n in names), source


def test_a_result_above_the_report_can_build_its_own_document():
    from symbn.display import Displayable
    from symbn.report.document import Paragraph, Section

    class Shown(Displayable):
        def document(self):
            return Section("a title", (Paragraph("a fact"),))

    assert repr(Shown()) == "<Shown a title>"
    for form, render in FORMS.items():
        assert "a fact" in render(Shown()), form
