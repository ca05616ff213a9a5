"""The on-disk cache: hits, keys, and damaged entries rebuilt rather than trusted."""

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sympy as sp

from symbn.cache import Cache, environment, key_of
from symbn.identities import check, get

ROOT = Path(__file__).resolve().parents[1]


def test_second_lookup_is_a_hit(tmp_path):
    cache, calls = Cache(tmp_path), []
    compute = lambda: calls.append(1) or {"value": 42}  # noqa: E731
    assert cache.get_or_compute(("a", 1), compute) == ({"value": 42}, False)
    assert cache.get_or_compute(("a", 1), compute) == ({"value": 42}, True)
    assert len(calls) == 1 and cache.hits == 1 and cache.misses == 1


def test_keys_depend_on_the_exact_expression():
    x = sp.Symbol("x", real=True)
    assert key_of("verdict", x + 1) != key_of("verdict", x + 2)
    assert key_of("verdict", x) != key_of("verdict", sp.Symbol("x", positive=True))


def _entries(directory):
    return [p for p in Path(directory).rglob("*") if p.is_file()]


def test_corrupt_or_truncated_entries_are_rebuilt(tmp_path):
    cache = Cache(tmp_path)
    cache.get_or_compute(("k",), lambda: [1, 2, 3])
    (entry,) = _entries(tmp_path)
    for damage in (lambda b: b[:-3] + b"xyz", lambda b: b[:10], lambda b: b""):
        entry.write_bytes(damage(entry.read_bytes()) if entry.exists() else b"")
        fresh = Cache(tmp_path)
        assert fresh.get_or_compute(("k",), lambda: [1, 2, 3]) == ([1, 2, 3], False)
        assert fresh.rebuilt == 1
        assert fresh.get_or_compute(("k",), lambda: None) == ([1, 2, 3], True)


def test_cached_check_gives_the_same_verdicts_marked_cached(tmp_path):
    identity = get("backward-closed-form")
    first = check(identity, cache=Cache(tmp_path))
    second = check(identity, cache=Cache(tmp_path))
    assert not first.verdict.cached and second.verdict.cached
    assert second.verdict.status is first.verdict.status
    assert [c.verdict.status for c in second.controls] == [c.verdict.status for c in first.controls]
    assert all(v.cached for _, v in second.explicit)


def test_cli_second_run_reads_the_cache_and_no_cache_recomputes(tmp_path):
    def run(*extra):
        done = subprocess.run([sys.executable, "-m", "symbn.cli", "prove", "bias", "--json",
                               *extra], capture_output=True, text=True, cwd=ROOT, timeout=600,
                              env={**__import__("os").environ, "SYMBN_CACHE_DIR": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        return [d["verdict"]["cached"] for d in json.loads(done.stdout)]
    assert run() == [False, False, False]
    assert run() == [True, True, True]
    assert run("--no-cache") == [False, False, False]


@pytest.fixture
def environment_read_again():
    """environment() is computed once per process: read it again, and after the test."""
    environment.cache_clear()
    yield environment.cache_clear
    environment.cache_clear()


def test_keys_depend_on_sympy_and_python_versions(monkeypatch, tmp_path, environment_read_again):
    cache = Cache(tmp_path)
    cache.get_or_compute(("claim", 1), lambda: "computed under this SymPy")
    before = key_of("claim", 1)
    monkeypatch.setattr(sp, "__version__", "0.0.0-other")
    environment_read_again()
    assert key_of("claim", 1) != before
    assert cache.get_or_compute(("claim", 1), lambda: "recomputed") == ("recomputed", False)
    monkeypatch.undo()
    monkeypatch.setattr(platform, "python_version", lambda: "2.7.18")
    environment_read_again()
    assert key_of("claim", 1) != before


def test_the_sympy_version_is_that_of_the_sympy_import_would_load(tmp_path):
    """Read without importing SymPy (a rerun reports from the cache without it): from the
    release file of the SymPy first on the path, not from installed metadata."""
    probe = ("import sys\nfrom symbn.cache import environment\n"
             "print(environment()[1], 'sympy' in sys.modules)")

    def run(path=None):
        env = {**os.environ, **({"PYTHONPATH": f"{path}{os.pathsep}{ROOT}"} if path else {})}
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=600, check=True).stdout.split()
    assert run() == ["sympy", sp.__version__, "False"]
    shadow = tmp_path / "shadow" / "sympy"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not to be imported')\n")
    (shadow / "release.py").write_text('__version__ = "9.9.9"\n')
    assert run(shadow.parent) == ["sympy", "9.9.9", "False"]


def _refuse_writes(monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    monkeypatch.setattr(Path, "unlink", refuse)
    monkeypatch.setattr(Path, "mkdir", refuse)


def test_read_only_cache_serves_hits_and_warns_once(tmp_path, monkeypatch):
    Cache(tmp_path).get_or_compute(("stored",), lambda: "old")
    _refuse_writes(monkeypatch)
    warnings = []
    cache = Cache(tmp_path, on_warning=warnings.append)
    assert cache.get_or_compute(("stored",), lambda: "new") == ("old", True)
    assert cache.get_or_compute(("a",), lambda: 1) == (1, False)
    assert cache.get_or_compute(("b",), lambda: 2) == (2, False)
    assert len(warnings) == 1 and cache.warning == warnings[0]
    assert "read-only" in cache.warning and str(tmp_path) in cache.warning


def test_corrupted_entry_in_a_read_only_cache_is_recomputed_without_a_crash(tmp_path, monkeypatch):
    Cache(tmp_path).get_or_compute(("k",), lambda: [1, 2, 3])
    (entry,) = _entries(tmp_path)
    entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    _refuse_writes(monkeypatch)
    cache = Cache(tmp_path)
    assert cache.get_or_compute(("k",), lambda: [1, 2, 3]) == ([1, 2, 3], False)
    assert cache.rebuilt == 1 and cache.read_only


def test_a_cache_path_through_a_file_is_unusable_but_harmless(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    warnings = []
    cache = Cache(blocker / "cache", on_warning=warnings.append)
    for _ in range(3):
        assert cache.get_or_compute(("x",), lambda: 7) == (7, False)
    assert len(warnings) == 1 and "cannot be written" in warnings[0]


def test_an_unusable_directory_is_reported_when_the_cache_is_made(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert Cache(blocker / "cache").warning is not None
    assert Cache(tmp_path / "fresh").warning is None


def test_cached_expressions_come_back_as_stored_though_read_without_evaluation(tmp_path):
    """Entries unpickle with SymPy's evaluation off (fast): every kind of node the prover
    stores must come back equal to what was stored, the same structure and hash."""
    from symbn.core import Mean, SampleSymbol

    x, g = SampleSymbol("x"), SampleSymbol("g")
    a, eps = sp.Symbol("a", real=True), sp.Symbol("epsilon", positive=True)
    f = sp.Function("f")
    variance = Mean(x**2) - Mean(x) ** 2
    values = [
        (x - Mean(x)) / sp.sqrt(variance + eps) * g - sp.Rational(3, 7) * a,
        sp.Piecewise((a, a > 0), (-a, True)) + sp.Max(a, 0) + sp.Abs(a) * sp.sign(a),
        sp.Derivative(f(a), a) + sp.exp(-a**2) + sp.log(eps) + f(a, 2 * a),
        sp.Matrix([[a, sp.sqrt(2) * a], [sp.I * a, sp.Float("0.1", 30)]]),
        {"relation": sp.Ne(a, 0), "tuple": (sp.S.Half, sp.zoo, -sp.oo, sp.nan)},
    ]
    cache = Cache(tmp_path)
    for k, value in enumerate(values):
        cache.get_or_compute(("value", k), lambda value=value: value)
    for k, value in enumerate(values):
        read, hit = Cache(tmp_path).get_or_compute(("value", k), lambda: None)
        assert hit and read == value and sp.srepr(read) == sp.srepr(value)
        if isinstance(value, sp.Expr):
            assert hash(read) == hash(value) and sp.simplify(read - value) == 0


def test_a_verdict_that_ran_out_of_time_is_not_cached(tmp_path, monkeypatch):
    from symbn.identities.record import Claim, prove_claim
    from symbn.prove.verdict import OUT_OF_TIME, Status, Verdict

    x = sp.Symbol("x", real=True)
    outcomes = iter([(Status.UNDECIDED, f"rationalize: {OUT_OF_TIME}"), (Status.PROVED, None)])

    def prove(self, budget):  # a machine loaded on the first call, idle on the second
        status, note = next(outcomes)
        return Verdict(status, "test", (), x - x, budget, attempts=(note,) if note else ())

    monkeypatch.setattr(Claim, "prove", prove)
    cache, claim = Cache(tmp_path), Claim(x + 1, 1 + x)
    first = prove_claim(claim, 5.0, cache)
    assert first.undecided and first.timed_out and not _entries(tmp_path)
    second = prove_claim(claim, 5.0, cache)
    assert second.proved and not second.cached and not second.timed_out
    third = prove_claim(claim, 5.0, cache)
    assert third.proved and third.cached and cache.misses == 2


def test_a_key_tells_symbols_apart_by_their_assumptions_wherever_they_are():
    """A where= value sits in a tuple of pairs: repr() printed y positive and y real alike,
    and a claim read the verdict of another (|x| = x at x = y real came back PROVED)."""
    import sympy as sp

    from symbn.cache import key_of

    positive, real = sp.Symbol("y", positive=True), sp.Symbol("y", real=True)
    x = sp.Symbol("x", real=True)
    assert key_of(((x, positive),)) != key_of(((x, real),))
    assert key_of([positive]) != key_of([real])
    assert key_of({"y": positive}) != key_of({"y": real})
    assert key_of(((x, positive),)) == key_of(((x, sp.Symbol("y", positive=True)),))


def test_a_claim_never_reads_the_verdict_of_one_with_other_assumptions(tmp_path):
    import sympy as sp

    from symbn import claim
    from symbn.cache import Cache
    from symbn.identities.record import check_all

    x = sp.Symbol("x", real=True)
    claims = [claim("abs-positive", sp.Abs(x), x, where={x: sp.Symbol("y", positive=True)}),
              claim("abs-real", sp.Abs(x), x, where={x: sp.Symbol("y", real=True)},
                    expected="REFUTED")]
    cache = Cache(tmp_path)
    for run in range(2):
        results = check_all(claims, cache=cache, jobs=1)
        assert [r.verdict.status.value for r in results] == ["PROVED", "REFUTED"], run
