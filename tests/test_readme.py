"""The README's code cannot drift: every ```python block runs, and every ``symbn`` command
line in a ```bash block is one the command-line parser accepts."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from symbn.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)


def _symbn_commands():
    """Lines that run the symbn command (as ``symbn ...`` or ``.venv/bin/symbn ...``), each
    cut at a pipe, ``&&`` or comment, with the arguments after ``symbn``."""
    commands = []
    for block in BASH_BLOCKS:
        for line in block.splitlines():
            for part in re.split(r"&&|\|", line.split(" #")[0]):
                words = shlex.split(part)
                if words and words[0].endswith("symbn") and "/" not in words[0].replace(
                        ".venv/bin/", ""):
                    commands.append(words[1:])
    return commands


def test_the_readme_has_code_to_run():
    assert PYTHON_BLOCKS and _symbn_commands()


#: a block that runs PyTorch or JAX (a normalization's numeric check, 2-5 s each) or proves
#: catalogue identities is an ``integration`` test (tests/conftest.py): the fast loop skips it
_INTEGRATION = re.compile(r'\.check\("(?:torch|jax)"|^\s*(?:import|from) (?:torch|jax)\b|'
                          r"\bIDENTITIES\b", re.M)


def _block_params():
    return [pytest.param(index, marks=pytest.mark.integration) if _INTEGRATION.search(block)
            else index for index, block in enumerate(PYTHON_BLOCKS)]


@pytest.mark.parametrize("index", _block_params())
def test_python_block_runs(index, monkeypatch):
    """Each block runs as a module would (from the repository's root, paths as the README
    writes them), and the pytest tests a block defines run too."""
    monkeypatch.chdir(ROOT)
    namespace = {"__name__": f"readme_block_{index + 1}"}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(PYTHON_BLOCKS[index], f"README.md python block {index + 1}", "exec"),
             namespace)
        for name, test in list(namespace.items()):
            if name.startswith("test_") and callable(test):
                test()
    lines = printed.getvalue().splitlines()
    # the printed results the block's comments promise: "# 0: ..." and "# PROVED"
    for expected in re.findall(r"print\(.*\)\s+#\s*(\S+?):?\s", PYTHON_BLOCKS[index] + "\n"):
        assert expected in lines, (expected, lines)


@pytest.mark.parametrize("words", _symbn_commands(), ids=" ".join)
def test_symbn_command_line_parses(words):
    build_parser().parse_args(words)
