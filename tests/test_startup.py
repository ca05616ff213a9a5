"""A fast start: the help, the list, a brief rerun and the certificate checker never import
SymPy or the prover; the public API still imports by name."""

import json
import os
import subprocess
import sys

import pytest

from symbn.identities import CATALOGUE
from symbn.identities.index import identity_facts


def _modules_after(code: str, env=None) -> set[str]:
    """The modules a fresh interpreter holds after ``code`` (which may exit, with 0)."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
             + code)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


HEAVY = {"sympy", "numpy", "symbn.prove.prover", "symbn.identities.record"}


def test_help_imports_neither_sympy_nor_the_prover():
    loaded = _modules_after("from symbn.cli import main\nmain(['--help'])")
    assert "symbn.cli" in loaded and not HEAVY & loaded


def test_list_reads_the_index_and_builds_no_claim(tmp_path):
    env = {**os.environ, "SYMBN_CACHE_DIR": str(tmp_path)}
    first = _modules_after("from symbn.cli import main\nmain(['list', '--json'])", env)
    assert "symbn.identities.record" in first  # the index is taken from the catalogue once
    again = _modules_after("from symbn.cli import main\nmain(['list', 'bias'])", env)
    assert "symbn.identities.index" in again and not HEAVY & again


@pytest.mark.parametrize("first", ["prove", "report"])
def test_a_brief_rerun_reports_from_the_records_without_sympy(first, tmp_path):
    """Whichever command proved the identities kept their records and the index."""
    env = {**os.environ, "SYMBN_CACHE_DIR": str(tmp_path)}
    run = "from symbn.cli import main\nassert main([{!r}, 'bias', '--json']) == 0"
    assert "sympy" in _modules_after(run.format(first), env)  # proved, and the records kept
    again = _modules_after(run.format("prove").replace("'--json'", "'--brief'"), env)
    assert "symbn.report.recorded" in again and not HEAVY & again


def test_the_index_holds_the_catalogues_own_facts(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMBN_CACHE_DIR", str(tmp_path))
    from symbn.identities.index import catalogue_facts, select_facts
    built = catalogue_facts()  # from the catalogue, then written
    assert built == catalogue_facts() == [identity_facts(i) for i in CATALOGUE]
    assert [f["name"] for f in select_facts(["bias"])] == \
        [i.name for i in CATALOGUE if "bias" in i.tags]


def test_the_certificate_checker_imports_no_prover():
    loaded = _modules_after("import symbn.certify.__main__")
    assert "symbn.certify.checker" in loaded
    assert not {"sympy", "symbn.prove", "symbn.prove.prover"} & loaded


def test_prove_is_the_function_whatever_was_imported_first():
    loaded = _modules_after(
        "import symbn.prove.budget\nimport symbn\nfrom symbn import prove, Verdict\n"
        "assert callable(prove) and not isinstance(prove, type(symbn))\n"
        "assert symbn.prove is prove and prove.__module__ == 'symbn.prove.prover'\n"
        "assert Verdict.__name__ == 'Verdict'\n")
    assert "symbn.prove.budget" in loaded


def test_an_unknown_public_name_is_an_attribute_error():
    import symbn
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        symbn.nonexistent  # noqa: B018
