"""``symbn verify`` and the soundness suite, through the real entry point and the API."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.verify import mistakes, verify

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import user_bn  # noqa: E402


def run(*args):
    return subprocess.run([sys.executable, "-m", "symbn.cli", *args], capture_output=True,
                          text=True, cwd=FIXTURES, timeout=600)


def test_correct_code_passes():
    for fn, kind in ((user_bn.forward, "bn-forward"), (user_bn.backward, "bn-backward")):
        report = verify(fn, kind)
        assert report.ok and report.diagnosis is None
        assert {c.dtype for c in report.checks} == {"float64", "float32"}
        assert {c.layout for c in report.checks} == {"NC", "NCL", "NCHW"}


@pytest.mark.parametrize("function,kind,mistake", [
    ("forward_unbiased", "bn-forward", "unbiased-variance"),
    ("forward_eps_outside", "bn-forward", "eps-outside-sqrt"),
    ("forward_axis0_only", "bn-forward", "per-position-statistics"),
    ("backward_ignores_mean", "bn-backward", "ignores-mean"),
    ("backward_missing_1_over_n", "bn-backward", "missing-1/N"),
    ("backward_dgamma_with_x", "bn-backward", "dgamma-uses-x"),
])
def test_each_mistake_is_diagnosed_by_fitting(function, kind, mistake):
    report = verify(getattr(user_bn, function), kind)
    assert not report.ok
    d = report.diagnosis
    assert d.name == mistake and d.fits and d.residual < 1e-12
    runner_up = d.ranking[1][1]
    assert runner_up > 1e-4, "the diagnosis must separate the mistake from the next candidate"


@pytest.mark.parametrize("function", ["forward_abs_gamma", "forward_clipped_gamma"])
def test_code_right_only_for_some_gammas_is_wrong(function):
    # gamma was drawn in [0.5, 2] alone, where both are right
    report = verify(getattr(user_bn, function), "bn-forward")
    assert not report.ok
    assert "parameters: gamma of both signs, |gamma| in [0.25, 2]; beta from N(0, 1)" \
        in report.checked


def test_a_type_error_about_the_rank_is_a_refusal():
    from symbn.verify.worker import call_error
    assert call_error(TypeError("expected a 2-D input")).refusal
    assert call_error(RuntimeError("Expected 2D or 3D input (got 4D input)")).refusal
    assert not call_error(TypeError("unsupported operand type(s) for +")).refusal
    assert not call_error(NameError("name 'varr' is not defined")).refusal


def test_a_layout_the_code_refuses_is_not_supported_and_a_bug_in_one_is_a_fault():
    refused = verify(user_bn.forward_2d_only, "bn-forward")
    assert refused.ok and {c.layout for c in refused.checks} == {"NC"}
    assert any(line.startswith("layout NCHW (4-D, feature axis 1): not supported by the code")
               for line in refused.not_checked)
    buggy = verify(user_bn.forward_typo_in_4d, "bn-forward")
    assert not buggy.ok
    assert any("NameError: name 'varr' is not defined" in p.message for p in buggy.problems)


def test_every_mistake_in_the_library_differs_from_the_correct_bn():
    """Each batchnorm mistake, run on real inputs, gives outputs the runner tells apart from
    the derivation: beyond the float64 tolerance it applies, on a plain or a mean-offset input
    (the one-pass variance only shows there).  A hard-coded eps is checked at 1e-3 against the
    1e-5 passed; the scaled-gradient entries are a fitted factor times the correct output, not
    a fixed kernel, and are left out."""
    import dataclasses

    import numpy as np

    from symbn.verify.kinds import get_kind
    from symbn.verify.layouts import layouts_for
    from symbn.verify.mistakes import REFERENCE, Problem, predict
    from symbn.verify.precision import centring_ratio, tolerance
    from symbn.verify.reference import reference_outputs, statistics_view

    kind = get_kind("batchnorm-pair")
    nchw = layouts_for(kind.norm, 1, "NCHW")[0]
    rng = np.random.default_rng(3)
    inputs = []
    for offset in (0.7, 1e4):
        shape = (4, 6, 3, 5)
        inputs.append({"x": rng.normal(size=shape) + offset, "dy": rng.normal(size=shape),
                       "gamma": rng.uniform(0.5, 2, 6), "beta": rng.normal(size=6)})
    checked = 0
    for m in mistakes():
        if "batchnorm" not in m.norms or m.fitted == "factor":
            continue
        recipe = m.recipe(REFERENCE["batchnorm"])
        if m.fitted == "eps":
            recipe = dataclasses.replace(recipe, eps="inside")
        detected = 0.0
        for a in inputs:
            eps = 1e-3 if m.fitted == "eps" else 1e-5
            got = predict(recipe, "pair", Problem("batchnorm", 1), a, eps)
            want = reference_outputs(kind, nchw, a, eps=1e-5)
            tol = tolerance("float64", 4 * 15, centring_ratio(*statistics_view(
                kind, nchw, a["x"]), 1e-5))
            for name, value in want.items():
                scale = np.max(np.abs(value))
                assert scale > 1e-3, "a trivially zero reference proves nothing"
                detected = max(detected, np.max(np.abs(got[name] - value)) / scale / tol)
        assert detected > 10, f"{m.name} is within the tolerance of the correct BN"
        checked += 1
    assert checked >= 15


def test_cli_verify_json_names_the_mistake_and_exits_1():
    done = run("verify", "user_bn:backward_ignores_mean", "--kind", "bn-backward", "--json")
    assert done.returncode == 1, done.stderr
    out = json.loads(done.stdout)
    assert out["diagnosis"]["mistake"] == "ignores-mean" and not out["ok"]


def test_cli_verify_correct_code_exits_0():
    assert run("verify", "user_bn:forward", "--kind", "bn-forward").returncode == 0


@pytest.mark.parametrize("function,message", [
    ("raises", "raised RuntimeError: my kernel is broken"),
    ("wrong_shape", "has shape (1, 6), expected (3, 6)"),
    ("wrong_dtype", "has dtype float64 for float32 inputs"),
    ("returns_nan", "contains NaN or inf"),
])
def test_bad_user_output_is_named_not_a_traceback(function, message):
    done = run("verify", f"user_bn:{function}", "--kind", "bn-forward")
    assert done.returncode == 1
    assert message in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_slow_user_code_is_stopped():
    report = verify(user_bn.sleeps, "bn-forward", timeout=0.5, layout="NC", dtypes=("float64",))
    [problem] = report.problems
    assert problem.message.startswith("did not return within 0.5 s")
    assert problem.cases == ("NC 3x6 eps=1e-05 float64",)


@pytest.mark.parametrize("spec,message", [
    ("no_such_module:f", "cannot import module 'no_such_module'"),
    ("user_bn:missing", "has no function 'missing'"),
    ("user_bn:forwrd", "has no function 'forwrd' (did you mean 'forward'?)"),
    ("user_bn:not_callable", "non-callable 'not_callable'"),
    ("user_bn", "is not module:function"),
    ("./user_bn.py:forward", "'./user_bn.py' is a path: give the module's name, as Python "
     "imports it (user_bn:forward)"),
])
def test_missing_module_or_function_exits_2(spec, message):
    done = run("verify", spec, "--kind", "bn-forward")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_selftest_rejects_every_wrong_claim():
    done = run("selftest", "--json")
    assert done.returncode == 0, done.stdout[-2000:]
    out = json.loads(done.stdout)
    assert out["total"] >= 30 and out["rejected"] == out["total"] and out["sound"]
    kinds = {c["kind"] for c in out["claims"]}
    assert {"changed coefficient", "dropped term", "flipped sign", "missing assumption",
            "wrong batch size", "known mistake"} <= kinds
    assert all(c["status"] == "REFUTED" and c["counterexample"] for c in out["claims"])
