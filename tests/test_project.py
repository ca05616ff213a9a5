"""The project's promises about itself: CI runs the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    return re.findall(r"```bash\n# \d\. [^\n]*\n([^\n]+)\n```", (ROOT / "README.md").read_text())


def test_readme_starts_with_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("symbn report")
    assert "pytest" in commands[1]
    assert all("python3 -m venv .venv" in c for c in commands)


def test_ci_runs_the_readme_test_command():
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_torch_is_pinned_exactly():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"torch==2.13.0"' in text
    assert not re.search(r'"torch(?!==2\.13\.0")', text)
