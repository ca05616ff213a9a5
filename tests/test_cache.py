"""The on-disk cache: hits, keys, and damaged entries rebuilt rather than trusted."""

import json
import subprocess
import sys
from pathlib import Path

import sympy as sp

from symbn.cache import Cache, key_of
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
