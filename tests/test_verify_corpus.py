"""The corpus (tests/fixtures/corpus): every implementation gets its verdict and diagnosis.

Each fixture module lists ``EXPECTED``: name -> kind, ok, the mistakes the diagnosis must
name (a set: a pair of mistakes is two), optionally a phrase the diagnosis must say, the
running-statistics problems a module check must report (``problems``, by key), the layouts
the report must name as not supported (``unsupported``), options for
verify (feature_axis, layout, dtypes, framework...) and ``missing``: a feature of
``symbn verify`` the entry needs that has not landed (the test is then a strict xfail).
Kinds NAME-module go through verify_module (classes constructed by symbn).
Functions are wrapped in functools.partial so verify runs them in this process (no worker
start-up per entry): the corpus checks verdicts and diagnoses, not process isolation.
"""

import functools
import importlib
import sys
from pathlib import Path

import pytest

from symbn.verify import verify
from symbn.verify.modules import verify_module

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
MODULES = ("numpy_batchnorm", "numpy_family", "numpy_weightnorm", "pairs", "torch_functions",
           "jax_functions", "torch_modules", "flax_modules")
CONTROL = ("kind", "ok", "mistakes", "says", "missing", "problems", "unsupported")


def entries():
    for module_name in MODULES:
        module = importlib.import_module(f"corpus.{module_name}")
        for name, expected in module.EXPECTED.items():
            marks = ([pytest.mark.xfail(strict=True, reason=f"needs: {expected['missing']}")]
                     if "missing" in expected else [])
            yield pytest.param(module, name, expected, id=f"{module_name}:{name}", marks=marks)


def target(module, name):
    if hasattr(module, "PAIRS"):
        return tuple(functools.partial(getattr(module, f)) for f in module.PAIRS[name])
    return functools.partial(getattr(module, name))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong code divides by zero
@pytest.mark.parametrize("module,name,expected", list(entries()))
def test_corpus_entry_gets_its_verdict_and_diagnosis(module, name, expected):
    options = {**getattr(module, "OPTIONS", {}),
               **{k: v for k, v in expected.items() if k not in CONTROL}}
    if expected["kind"].endswith("-module"):
        report = verify_module(getattr(module, name), norm=expected["kind"].split("-")[0],
                               **options)
    else:
        report = verify(target(module, name), expected["kind"], **options)
    assert report.checks, "nothing was compared"
    for layout in expected.get("unsupported", ()):
        assert any(line.startswith(f"layout {layout} ") and "not supported" in line
                   for line in report.not_checked), report.not_checked
    if expected["ok"]:
        assert report.ok, [p.message for p in report.problems]
        assert report.diagnosis is None
        return
    assert not report.ok
    assert expected.get("problems", set()) <= {p.key for p in report.problems}
    if "mistakes" not in expected:  # a module's running statistics: no train-mode diagnosis
        assert report.diagnosis is None
        return
    d = report.diagnosis
    assert d is not None and d.fits, d and d.message
    assert set(d.mistakes) == expected["mistakes"], d.message
    assert d.wrong and "correct recipe" not in d.message
    if "says" in expected:
        assert expected["says"] in d.message


def test_the_corpus_covers_the_family_and_the_frameworks():
    found = [(m, n, e) for m in MODULES for n, e in
             importlib.import_module(f"corpus.{m}").EXPECTED.items()]
    assert len(found) >= 40
    assert {e["kind"].split("-")[0] for _, _, e in found} >= {
        "batchnorm", "layernorm", "rmsnorm", "groupnorm", "instancenorm", "weightnorm"}
    assert sum(e["ok"] for _, _, e in found) >= 10 and sum(not e["ok"] for _, _, e in found) >= 25
