"""The README's "Verifying your own code" section is true: its worked examples run as shown,
and its tables name the kinds, the precision constant and the stress cases the code has."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.verify.cases import STRESS
from symbn.verify.kinds import NORMS, get_kind
from symbn.verify.precision import C

ROOT = Path(__file__).resolve().parent.parent
SECTION = re.search(r"## Verifying your own code\n(.*?)\n## ",
                    (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)


def _examples():
    """(command, the output lines the README shows for it) from the console block."""
    block = re.search(r"```console\n(.*?)```", SECTION, re.S).group(1)
    examples, cwd = [], ROOT
    for line in block.splitlines():
        if line.startswith("$ cd "):
            cwd = ROOT / line[5:].strip()
        elif line.startswith("$ "):
            examples.append((cwd, line[2:], []))
        elif line.strip():
            examples[-1][2].append(line)
    return examples


def _words(text):
    return " ".join(text.split())


@pytest.mark.parametrize("cwd,command,shown", _examples(), ids=lambda v: str(v)[:60])
def test_each_worked_example_runs_as_shown(cwd, command, shown):
    args = shlex.split(command)
    assert args[:2] == ["symbn", "verify"]
    done = subprocess.run([sys.executable, "-m", "symbn.cli", "--no-color", *args[1:]],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout + done.stderr
    for line in shown:
        assert _words(line) in _words(done.stdout), line


def test_there_are_the_three_worked_examples():
    kinds = [shlex.split(command)[4] for _, command, _ in _examples()]
    assert kinds == ["batchnorm-pair", "batchnorm-module", "rmsnorm-forward"]


def test_the_kinds_table_shows_each_signature_the_runner_calls():
    for name in NORMS:
        assert f"`{get_kind(f'{name}-forward').signature}`" in SECTION, name
    for name in ("batchnorm", "groupnorm", "rmsnorm", "weightnorm"):
        assert f"`{get_kind(f'{name}-backward').signature}`" in SECTION, name


def test_the_precision_rule_and_the_stress_cases_are_the_codes():
    assert f"C * u * sqrt(n) * (1 + r),   C = {C:g}" in SECTION
    rows = re.findall(r"^\| (mean offset|large values|tiny eps|constant channel) \| ([^|]+) \|",
                      SECTION, re.M)
    assert {name: tuple(d.strip() for d in dtypes.split(",")) for name, dtypes in rows} == STRESS
