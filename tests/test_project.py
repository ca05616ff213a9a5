"""The project's promises about itself: CI runs the README's test command, the dependency
pins the README states, the public API, one version, a license, no references outside the
repository, and a clean lint and type check."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import symbn

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
README = (ROOT / "README.md").read_text()


def _readme_commands():
    return re.findall(r"```bash\n# \d\. [^\n]*\n([^\n]+)\n```", README)


def _requirements():
    extras = PYPROJECT["project"]["optional-dependencies"]
    return PYPROJECT["project"]["dependencies"] + [r for rs in extras.values() for r in rs]


def test_readme_starts_with_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("symbn report")
    assert "pytest" in commands[1]
    assert all("python3 -m venv .venv" in c for c in commands)


def test_ci_runs_the_readme_test_command():
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_torch_is_installed_at_the_version_the_readme_states():
    """One exact torch requirement, and the README names that version (a looser one pulls a
    CUDA build of several GB); the installed torch is that version."""
    from packaging.requirements import Requirement
    torch = [Requirement(r) for r in _requirements() if Requirement(r).name == "torch"]
    assert len(torch) == 1
    (spec,) = torch[0].specifier
    assert spec.operator == "==", "torch must be pinned exactly"
    assert f"torch=={spec.version}" in README
    assert importlib.metadata.version("torch").split("+")[0] == spec.version


def test_the_public_api_is_short_sorted_and_importable():
    assert symbn.__all__ == sorted(symbn.__all__)
    assert all(hasattr(symbn, name) for name in symbn.__all__)
    # the BN symbols every example uses, and no internals or SymPy names
    assert {"x", "g", "eps", "prove", "derive_batchnorm"} <= set(symbn.__all__)
    from symbn import beta, gamma  # by name: star-importing them would shadow SymPy's
    from symbn.bn.batchnorm import beta as bn_beta, gamma as bn_gamma
    assert (gamma, beta) == (bn_gamma, bn_beta)
    assert not {"N", "freeze_means", "centred_terms", "large_batch_limit"} & set(symbn.__all__)


def test_star_import_does_not_shadow_sympy():
    import sympy
    namespace: dict = {}
    exec("from sympy import *\nfrom symbn import *", namespace)
    assert namespace["N"] is sympy.N and namespace["gamma"] is sympy.gamma
    assert not set(symbn.__all__) & set(sympy.__all__)


def test_one_version():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "symbn.__version__"}
    assert importlib.metadata.version("symbn") == symbn.__version__


def test_license_file_is_the_declared_mit_license():
    assert "MIT" in PYPROJECT["project"]["license"]["text"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_nothing_refers_to_files_outside_the_repository():
    paths = [p for p in ROOT.rglob("*") if p.suffix in (".py", ".md", ".toml", ".txt")
             and ".venv" not in p.parts and ".git" not in p.parts]
    for path in paths:
        if path == Path(__file__):
            continue
        text = path.read_text(errors="replace")
        assert "../shared" not in text and "DESIGN.md" not in text, path


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    done = subprocess.run([ruff, "check", "symbn", "tests", "bench", "proofs"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr


def test_the_family_tests_do_not_import_torch_when_collected():
    """test_family.py compares with PyTorch inside its tests: collecting it (as every
    ``pytest`` run does) does not pay for importing torch."""
    import ast
    for node in ast.parse((ROOT / "tests" / "test_family.py").read_text()).body:
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        assert not [n for n in names if n.split(".")[0] == "torch"], names


def test_the_readme_benchmark_tables_are_the_recorded_results():
    """The README's tables are written by bench/tables.py from bench/results.json, never
    typed: a run of the bench (or `python bench/tables.py`) rewrites them."""
    import json

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import tables
    finally:
        sys.path.remove(str(ROOT / "bench"))
    readme = (ROOT / "README.md").read_text()
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    assert tables.BEGIN in readme and tables.END in readme
    assert readme == tables.with_tables(readme, results)
    written = readme[readme.index(tables.BEGIN):readme.index(tables.END)]
    # every target the results record is in the README, met or not
    for name in results["targets"]:
        assert tables.TARGET_WORDS[name][0] in written
