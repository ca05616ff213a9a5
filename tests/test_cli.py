"""The symbn command through its real entry points: exit codes, JSON, errors, proof scripts."""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.cli import main
from symbn.identities import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]


def run(*args, check_exit=None):
    done = subprocess.run([sys.executable, "-m", "symbn.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    if check_exit is not None:
        assert done.returncode == check_exit, done.stdout + done.stderr
    return done


def test_list_json_names_every_identity():
    names = [d["name"] for d in json.loads(run("list", "--json", check_exit=0).stdout)]
    assert names == [i.name for i in CATALOGUE]


def test_prove_by_tag_json_has_verdicts_and_counterexamples():
    out = json.loads(run("prove", "relu", "--json", check_exit=0).stdout)
    assert {d["name"] for d in out} == {"relu-positive-homogeneity", "relu-gamma-redundant"}
    for d in out:
        assert d["verdict"]["status"] == "PROVED" and d["as_expected"]
        for c in d["controls"]:
            assert c["verdict"]["status"] == "REFUTED"
            assert c["verdict"]["counterexample"]["constants"]


def test_unknown_name_exits_2_with_close_matches():
    done = run("prove", "backward-closed", check_exit=2)
    assert "backward-closed-form" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_error_exits_2():
    assert run("no-such-command").returncode == 2


def test_plain_output_when_piped():
    done = run("prove", "bias-gradient-zero", check_exit=0)
    assert "\x1b[" not in done.stdout
    assert "PROVED" in done.stdout and "REFUTED" in done.stdout


def test_main_returns_1_on_an_unexpected_verdict(monkeypatch, capsys):
    import symbn.identities.record as record
    from symbn.prove import Status
    identity = CATALOGUE[0]
    wrong = record.Identity(**{**identity.__dict__, "expected": Status.REFUTED, "controls": ()})
    monkeypatch.setattr("symbn.identities.CATALOGUE", (wrong,))
    assert main(["prove", "--no-explicit", "--json"]) == 1


@pytest.mark.parametrize("script", sorted((ROOT / "proofs").glob("*.py")), ids=lambda p: p.stem)
def test_proof_script_exits_0(script):
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "as expected" in done.stdout


def test_every_identity_has_a_proof_script():
    """One script per identity; a table (the invariance matrix) has one script for all its cells."""
    selectors = set()
    for script in (ROOT / "proofs").glob("*.py"):
        selectors |= set(re.findall(r'main\(\["prove", "([^"]+)"', script.read_text()))
    for identity in CATALOGUE:
        assert identity.name in selectors or set(identity.tags) & selectors, identity.name


def test_check_json_rows_pass_and_name_every_quantity():
    rows = json.loads(run("check", "--quick", "--backend", "complex-step", "--json",
                          check_exit=0).stdout)
    assert {r["quantity"] for r in rows} == {"y", "dx", "dgamma", "dbeta", "hvp", "eval y"}
    assert all(r["passed"] and r["max_rel"] <= 1e-12 for r in rows)


def test_check_unknown_backend_exits_2():
    done = run("check", "--backend", "tensorflow", check_exit=2)
    assert "torch, jax, autograd, complex-step" in done.stderr


def test_nonpositive_budget_is_a_usage_error():
    done = run("prove", "bias", "--budget", "-1", check_exit=2)
    assert "expected a positive number of seconds" in done.stderr
