"""examples/tour.ipynb runs top to bottom in a Jupyter kernel (nbclient), and each step shows
what it should: the claim proved, its control and a refutation with a counterexample, the
derivation's MathML, the kernel's source, a check table, a verify report naming the mistake,
and a plot."""

import base64
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.system  # starts a kernel process

NOTEBOOK = ROOT / "examples" / "tour.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" is the kernel ipykernel installs into the environment; jupyter_client starts
    # it with the running interpreter (sys.executable), which the first cell checks.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}}).execute()
    return notebook


def _outputs(notebook, marker):
    """The outputs of the one code cell whose source contains ``marker``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, marker
    return cells[0].outputs


def _shown(outputs, mime):
    """What the cell displayed as ``mime`` (its result), or printed for "stream"."""
    if mime == "stream":
        return "".join(o.text for o in outputs if o.output_type == "stream")
    shown = [o.data[mime] for o in outputs if o.output_type in ("execute_result", "display_data")
             and mime in o.data]
    assert len(shown) == 1, (mime, outputs)
    return shown[0]


def test_the_notebook_runs_in_this_environment(executed):
    printed = _shown(_outputs(executed, "sys.executable"), "stream").strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]


def test_the_claim_is_stated_then_proved_and_its_control_refuted(executed):
    stated = _shown(_outputs(executed, "backward = claim("), "text/html")
    assert "dx-closed-form" in stated and "expected: PROVED" in stated
    for mime in ("text/html", "text/plain", "text/markdown"):
        shown = _shown(_outputs(executed, "checked = check("), mime)
        assert "PROVED by " in shown and "as expected" in shown, mime
        assert "naive-dx-closed-form" in shown and "REFUTED by" in shown, mime
        assert "counterexample: N = " in shown and "evidence: " in shown, mime
    assert "UNEXPECTED" not in _shown(_outputs(executed, "checked = check("), "text/plain")


def test_a_refutation_shows_its_counterexample_printed_and_displayed(executed):
    outputs = _outputs(executed, "refuted = prove(")
    printed, html = _shown(outputs, "stream"), _shown(outputs, "text/html")
    assert printed.startswith("REFUTED by counterexample")
    assert "<h4>REFUTED by counterexample" in html
    counterexample = next(line for line in printed.splitlines() if "counterexample:" in line)
    assert counterexample.split("at sample")[0].strip() in html.replace("&#x27;", "'")


def test_derivation_kernel_and_check_table_display(executed):
    assert "<math" in _shown(_outputs(executed, "derive_batchnorm()"), "text/html")
    assert "def bn(g, x, beta, epsilon, gamma" in _shown(_outputs(executed, "compile_kernel("),
                                                        "text/html")
    table = _shown(_outputs(executed, "compare.run_checks("), "text/html")
    assert "<td>complex-step</td>" in table and "<td>pass</td>" in table
    assert "FAIL" not in table


def test_the_verify_report_names_the_mistake(executed):
    outputs = _outputs(executed, "report = verify(")
    for mime in ("text/html", "text/plain"):
        shown = _shown(outputs, mime)
        assert "diagnosis: ignores-mean" in shown and "verdict: WRONG" in shown, mime
        assert "not checked:" in shown, mime


def test_the_plot_is_an_image(executed):
    png = base64.b64decode(_shown(_outputs(executed, "figure("), "image/png"))
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
