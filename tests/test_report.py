"""``symbn report`` through its entry point: exports hold every identity, the HTML renders."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.identities import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(
        [sys.executable, "-m", "symbn.cli", "report", "--json", "--markdown", str(out / "r.md"),
         "--latex", str(out / "r.tex"), "--html", str(out / "r.html"), "--plots",
         str(out / "plots")], capture_output=True, text=True, cwd=ROOT, timeout=900)
    return out, done


def test_report_exits_0_with_json_of_everything(report):
    _, done = report
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [d["name"] for d in data["identities"]] == [i.name for i in CATALOGUE]
    assert all(d["as_expected"] for d in data["identities"])
    assert {"batchnorm_train", "batchnorm_hvp"} <= set(data["kernels"])
    assert data["checks"] and all(r["passed"] for r in data["checks"])


@pytest.mark.parametrize("suffix", ["md", "tex", "html"])
def test_every_export_names_every_identity_and_control(report, suffix):
    text = (report[0] / f"r.{suffix}").read_text()
    for identity in CATALOGUE:
        name = identity.name if suffix != "tex" else identity.name.replace("_", r"\_")
        assert name in text
        for control in identity.controls:
            assert control.name in text
    assert "PROVED" in text and "REFUTED" in text


def test_markdown_math_is_latex_and_latex_is_a_document(report):
    md = (report[0] / "r.md").read_text()
    assert "$$" in md and r"\operatorname{E}_B" in md
    tex = (report[0] / "r.tex").read_text()
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")


def test_html_is_standalone_mathml(report):
    page = (report[0] / "r.html").read_text()
    assert "<math" in page and "<mfrac>" in page
    assert "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/1998/Math/MathML", "")


def test_plots_are_written(report):
    names = sorted(p.name for p in (report[0] / "plots").glob("*.png"))
    assert names == ["batch_noise.png", "bias_drift.png", "eps_residual.png", "homogeneity.png",
                     "mock_transforms.png"]


def test_html_renders_in_headless_chromium(report, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required (the README's test command installs it)"
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1200,1800", f"--screenshot={shot}",
                    (report[0] / "r.html").as_uri()], capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_unwritable_export_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = subprocess.run([sys.executable, "-m", "symbn.cli", "report", "--no-explicit",
                           "--markdown", str(blocker / "r.md")], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)
    assert done.returncode == 2 and "cannot write the markdown report" in done.stderr
    assert "Traceback" not in done.stderr


def test_latex_report_compiles_with_pdflatex(report, tmp_path):
    pdflatex = shutil.which("pdflatex")
    assert pdflatex, "pdflatex is required (the README's test command installs texlive)"
    source = tmp_path / "r.tex"
    source.write_text((report[0] / "r.tex").read_text())
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
