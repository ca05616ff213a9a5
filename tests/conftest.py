"""Test-wide settings: a private cache per test, tiers, hypothesis profiles.

Tiers (``pytest -m "not system"`` is the fast loop; CI runs everything):

- ``unit``: in-process, no prover run over the catalogue (the default);
- ``integration``: in-process, but proves catalogue identities or runs real frameworks
  (a module says so with ``pytestmark = pytest.mark.integration``);
- ``system``: other processes, Chromium or pdflatex: every test that uses the ``symbn_process``
  fixture or calls ``subprocess`` itself, or says so.
"""

import inspect
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("unit", "integration", "system")

# Module-scoped fixtures run before the per-test cache below is set: they get this one.
os.environ["SYMBN_CACHE_DIR"] = tempfile.mkdtemp(prefix="symbn-test-cache-")

# Reproducible by default (a fixed seed, like every other random input here);
# HYPOTHESIS_PROFILE=explore searches new examples on each run.
settings.register_profile("reproducible", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test its own empty cache directory, so no test depends on another's entries."""
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SYMBN_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def symbn_process():
    """Run ``python -m symbn.cli ARGS`` (or a script) in a child process; returns the
    CompletedProcess.  Marks the test ``system``."""
    def run(*args, script=None, check_exit=None, timeout=900):
        command = [sys.executable, str(script)] if script else [sys.executable, "-m", "symbn.cli"]
        done = subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT,
                              timeout=timeout, env={**os.environ, "NO_COLOR": "1"})
        if check_exit is not None:
            assert done.returncode == check_exit, done.stdout + done.stderr
        return done
    return run


def _starts_processes(item) -> bool:
    if "symbn_process" in getattr(item, "fixturenames", ()):
        return True
    try:
        return "subprocess." in inspect.getsource(item.function)
    except (AttributeError, OSError, TypeError):
        return False


def pytest_collection_modifyitems(items):
    """One tier per test: ``system`` when it starts processes, else what its module
    declares, else ``unit``."""
    for item in items:
        marked = {m.name for m in item.iter_markers() if m.name in TIERS}
        if _starts_processes(item):
            marked.add("system")
        if "system" in marked:
            marked = {"system"}
        elif "integration" in marked:
            marked = {"integration"}
        for tier in marked or {"unit"}:
            item.add_marker(tier)
