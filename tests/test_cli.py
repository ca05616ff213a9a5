"""The symbn command: exit codes, JSON, errors, outputs checked before any work (claims
files and proofs/: test_claims.py).  In-process through ``symbn.cli.main``; a few smoke
tests through real processes."""

import json
from pathlib import Path

import pytest

import symbn
from symbn import cli
from symbn.cli import main
from symbn.identities import CATALOGUE

#: a budget no strategy needs on a loaded machine: verdicts must not depend on timing
BUDGET = ("--budget", "120")


def run(capsys, *args):
    """(exit status, stdout, stderr) of ``symbn ARGS``."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command starts proving."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command started work before checking its outputs")
    monkeypatch.setattr(cli, "_run_identities", refuse)


def test_list_json_names_every_identity(capsys):
    status, out, _ = run(capsys, "list", "--json")
    assert status == 0
    assert [d["name"] for d in json.loads(out)] == [i.name for i in CATALOGUE]


def test_prove_by_tag_json_has_verdicts_and_counterexamples(capsys):
    status, out, _ = run(capsys, "prove", "relu", "--json", *BUDGET)
    assert status == 0
    data = json.loads(out)
    assert {d["name"] for d in data} == {"relu-positive-homogeneity", "relu-gamma-redundant"}
    for d in data:
        assert d["verdict"]["status"] == "PROVED" and d["as_expected"]
        for c in d["controls"]:
            assert c["verdict"]["status"] == "REFUTED"
            assert c["verdict"]["counterexample"]["constants"]


def test_a_second_run_reads_the_cache(capsys):
    run(capsys, "prove", "bias-gradient-zero", "--json", *BUDGET)
    status, out, _ = run(capsys, "prove", "bias-gradient-zero", "--json", *BUDGET)
    assert status == 0 and json.loads(out)[0]["verdict"]["cached"] is True


def test_unknown_name_exits_2_with_close_matches(capsys):
    status, _, err = run(capsys, "prove", "backward-closed")
    assert status == 2 and "backward-closed-form" in err and "Traceback" not in err
    status, out, _ = run(capsys, "prove", "backward-closed", "--json")  # a JSON reader too
    assert status == 2 and json.loads(out)["exit_status"] == 2
    assert "backward-closed-form" in json.loads(out)["error"]


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["no-such-command"])
    assert stop.value.code == 2


@pytest.mark.parametrize("argv, unknown", [(["prove", "--brieff", "bias"], "--brieff"),
                                           (["check", "--jobs", "1"], "--jobs 1")])
def test_an_unknown_option_gets_its_commands_usage(capsys, argv, unknown):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    usage = f"symbn {argv[0]}"
    assert stop.value.code == 2 and err.startswith(f"usage: {usage} ")
    assert err.endswith(f"{usage}: error: unrecognized arguments: {unknown}\n")


def test_nonpositive_budget_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["prove", "bias", "--budget", "-1"])
    assert stop.value.code == 2
    assert "expected a positive number of seconds" in capsys.readouterr().err


def test_main_returns_1_on_an_unexpected_verdict(monkeypatch, capsys):
    import dataclasses

    from symbn.prove import Status
    wrong = dataclasses.replace(CATALOGUE[0], expected=Status.REFUTED, controls=())
    monkeypatch.setattr("symbn.identities.CATALOGUE", (wrong,))
    status, out, _ = run(capsys, "prove", "--no-explicit", *BUDGET)
    # the verdict's line (a construction's long domain) may wrap inside the box
    assert status == 1 and "UNEXPECTED, expected REFUTED" in " ".join(out.replace("│", " ").split())


def test_internal_error_exits_3_with_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(cli, "_run_identities", broken)
    status, _, err = run(capsys, "prove", "bias")
    assert status == 3
    assert err.strip().splitlines() == [
        "error: internal error: RuntimeError: a bug (run with --traceback for details)"]
    for argv in (["--traceback", "prove", "bias"], ["prove", "bias", "--traceback"]):
        status, _, err = run(capsys, *argv)
        assert status == 3 and "Traceback (most recent call last)" in err and "a bug" in err


@pytest.mark.parametrize("option", ["--markdown", "--latex", "--html"])
def test_export_under_a_file_is_refused_before_any_work(tmp_path, capsys, no_work, option):
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = run(capsys, "report", option, str(blocker / "sub" / "r.out"))
    assert status == 2
    assert f"{blocker} is a file, not a directory" in err and "Traceback" not in err


def test_export_onto_a_directory_is_refused_before_any_work(tmp_path, capsys, no_work):
    status, _, err = run(capsys, "report", "--html", str(tmp_path))
    assert status == 2 and "exists and is not a file" in err


def test_export_into_a_read_only_directory_is_refused_before_any_work(tmp_path, capsys,
                                                                       no_work, monkeypatch):
    # the suite may run as root, who may write anywhere: the permission answer is simulated
    import os
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False if Path(path) == locked
                        else real(path, mode))
    status, _, err = run(capsys, "report", "--markdown", str(locked / "r.md"))
    assert status == 2 and f"no permission to create it in {locked}" in err


def test_export_where_no_file_can_be_created_is_refused_before_any_work(tmp_path, capsys,
                                                                       no_work):
    # /proc refuses new files even to root, whom os.access lets through: only a real
    # attempt tells, and it happens before any proving
    status, _, err = run(capsys, "report", "--markdown", "/proc/symbn-report.md")
    assert status == 2 and "/proc/symbn-report.md: cannot be written" in err


def test_export_creates_missing_parent_directories_before_any_work(tmp_path, capsys, no_work):
    target = tmp_path / "new" / "deeper" / "r.md"
    status, _, err = run(capsys, "report", "--markdown", str(target))
    assert status == 3 and "started work before checking" in err  # no_work stopped it
    assert target.parent.is_dir() and not target.exists()


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"symbn {symbn.__version__}"


def test_plots_without_matplotlib_is_refused_before_any_work(monkeypatch, tmp_path, capsys,
                                                             no_work):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    status, _, err = run(capsys, "report", "--plots", str(tmp_path / "plots"))
    assert status == 2 and "pip install 'symbn[plots]'" in err


def test_plots_onto_a_file_is_refused_before_any_work(tmp_path, capsys, no_work):
    blocker = tmp_path / "plots"
    blocker.write_text("")
    status, _, err = run(capsys, "report", "--plots", str(blocker))
    assert status == 2 and "exists and is not a directory" in err


def test_check_json_rows_pass_and_name_every_quantity(capsys):
    status, out, _ = run(capsys, "check", "--quick", "--backend", "complex-step", "--json")
    rows = json.loads(out)
    assert status == 0
    assert {r["quantity"] for r in rows} == {"y", "dx", "dgamma", "dbeta", "hvp", "eval y"}
    assert all(r["passed"] and r["max_rel"] <= 1e-12 for r in rows)


def test_check_unknown_backend_exits_2(capsys):
    status, _, err = run(capsys, "check", "--backend", "tensorflow")
    assert status == 2 and "torch, jax, autograd, complex-step" in err


def test_the_command_runs_as_a_process_with_plain_output(symbn_process):
    done = symbn_process("prove", "bias-gradient-zero", *BUDGET, check_exit=0)
    assert "\x1b[" not in done.stdout
    assert "PROVED" in done.stdout and "REFUTED" in done.stdout
    bad = symbn_process("prove", "backward-closed", check_exit=2)
    assert "Traceback" not in bad.stderr


def test_a_read_only_cache_is_used_with_one_warning(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMBN_CACHE_DIR", str(cache))
    run(capsys, "prove", "bias-gradient-zero", "--json", *BUDGET)  # fills the cache
    monkeypatch.setattr("symbn.cache.tempfile.TemporaryFile", _refuse_to_write)
    monkeypatch.setattr("symbn.cache.tempfile.NamedTemporaryFile", _refuse_to_write)
    status, out, err = run(capsys, "prove", "bias-gradient-zero", "bias-shift-invariance",
                           "--json", *BUDGET)
    assert status == 0
    assert err.count("warning:") == 1 and "read-only" in err
    verdicts = {d["name"]: d["verdict"]["cached"] for d in json.loads(out)}
    assert verdicts == {"bias-gradient-zero": True, "bias-shift-invariance": False}


def _refuse_to_write(*args, **kwargs):
    raise PermissionError(13, "Permission denied")
