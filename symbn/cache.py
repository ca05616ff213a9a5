"""On-disk cache of derivations (built claims) and verdicts.

Keys are SHA-256 digests of the environment (symbn's version and a digest of its source,
SymPy's version, Python's version) and of what was computed (an identity's name for a
derivation; the claim's exact expressions, assumptions and budget for a verdict), so a
new version of symbn or SymPy, another Python, or a changed expression never meets a
stale entry.  Each entry stores the SHA-256 of its payload: an entry that fails the check
or does not load is recomputed, never trusted (and deleted when the cache is writable).
Entries are pickles: the cache is a private directory, like Python's own ``__pycache__``;
SymPy expressions are read back as stored, not simplified again (:mod:`symbn.pickled`).

A directory that cannot be written (read-only, or not a directory) is used read-only:
entries found there are still read, nothing is stored, and :attr:`Cache.warning` says so
once (also passed to ``on_warning``, for the CLI to show; this module never prints).

Location: ``$SYMBN_CACHE_DIR``, else ``$XDG_CACHE_HOME/symbn``, else ``~/.cache/symbn``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import platform
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from symbn import __version__
from symbn.pickled import loads


def default_directory() -> Path:
    if os.environ.get("SYMBN_CACHE_DIR"):
        return Path(os.environ["SYMBN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "symbn"


@functools.cache
def code_fingerprint() -> str:
    """symbn's version and a digest of its source, so an edited checkout never reads stale entries."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def environment() -> tuple[str, ...]:
    """What a cached result depends on besides its inputs: symbn, SymPy, Python."""
    return (code_fingerprint(), f"sympy {_sympy_version()}",
            f"{platform.python_implementation()} {platform.python_version()}")


def _sympy_version() -> str:
    """The version of the SymPy that ``import sympy`` loads (or has loaded), read from its
    own ``release.py`` when it is not loaded yet: a report read back from the cache needs
    no SymPy (:mod:`symbn.report.recorded`).  Not the installed distribution's metadata,
    which a SymPy on the path may not have, or may not match."""
    spec = None if "sympy" in sys.modules else importlib.util.find_spec("sympy")
    if spec is not None and spec.origin is not None:
        with contextlib.suppress(OSError):
            release = Path(spec.origin).with_name("release.py").read_text(encoding="utf-8")
            found = re.search(r"""^__version__ = ['"]([^'"]+)['"]$""", release, re.MULTILINE)
            if found:
                return found.group(1)
    import sympy as sp

    return str(sp.__version__)


def key_of(*parts: object) -> str:
    """A digest of the :func:`environment` and ``parts``: SymPy objects by their exact
    srepr, wherever they are (in tuples, lists and dicts too): ``repr`` would print a
    symbol without its assumptions, so y positive and y real would share an entry."""
    return hashlib.sha256(repr(environment() + tuple(map(_exact, parts))).encode()).hexdigest()


def _exact(part: object) -> str:
    sp = sys.modules.get("sympy")  # not loaded: nothing here is SymPy's
    if sp is not None and isinstance(part, sp.Basic):
        return str(sp.srepr(part))
    if isinstance(part, (tuple, list)):
        return f"{type(part).__name__}({', '.join(map(_exact, part))})"
    if isinstance(part, dict):
        return "dict(" + ", ".join(sorted(f"{_exact(k)}: {_exact(v)}" for k, v in part.items())) + ")"
    return repr(part)


class Cache:
    """get_or_compute(parts, compute) -> (value, hit): the cached value, or compute and store it."""

    def __init__(self, directory: Path | None = None,
                 on_warning: Callable[[str], None] | None = None):
        self.directory = Path(directory) if directory else default_directory()
        self.hits = self.misses = self.rebuilt = 0
        self.on_warning = on_warning
        #: set (once) when the directory turned out not to be writable: used read-only
        self.warning: str | None = None
        self._probe()

    def _probe(self) -> None:
        """Find out now whether the directory can be written, so the warning comes first."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=self.directory).close()
        except OSError as error:
            self._unusable(error)

    @property
    def read_only(self) -> bool:
        return self.warning is not None

    def _unusable(self, error: OSError) -> None:
        if self.warning is None:
            reason = error.strerror or type(error).__name__
            self.warning = (f"the cache directory {self.directory} cannot be written ({reason}): "
                            "using it read-only: what it holds is read, new results are not kept; "
                            "set SYMBN_CACHE_DIR to a writable directory or pass --no-cache")
            if self.on_warning is not None:
                self.on_warning(self.warning)

    def read_all(self, parts: list[tuple[object, ...]]) -> list[tuple[bool, Any]]:
        """(found, value) for each entry of ``parts``, nothing computed."""
        found = [self._load(self._path(key_of(*p))) for p in parts]
        self.hits += sum(f for f, _ in found)
        return found

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get_or_compute(self, parts: tuple[object, ...], compute: Callable[[], Any],
                       keep: Callable[[Any], bool] = lambda value: True) -> tuple[Any, bool]:
        """(the value stored under ``parts``, True), or (``compute()``, False), stored
        when ``keep(value)``."""
        path = self._path(key_of(*parts))
        found, value = self._load(path)
        if found:
            self.hits += 1
            return value, True
        self.misses += 1
        value = compute()
        if keep(value):
            self._store(path, value)
        return value, False

    def store(self, parts: tuple[object, ...], value: object) -> None:
        """Keep ``value`` under ``parts`` (replacing what was there)."""
        self._store(self._path(key_of(*parts)), value)

    def _load(self, path: Path) -> tuple[bool, Any]:
        try:
            data = path.read_bytes()
        except OSError:
            return False, None
        digest, payload = data[:32], data[32:]
        try:
            if hashlib.sha256(payload).digest() != digest:
                raise ValueError("checksum mismatch")
            return True, loads(payload)
        except Exception:  # noqa: BLE001 -- any damage means: rebuild, never trust
            self.rebuilt += 1
            if not self.read_only:
                try:
                    path.unlink(missing_ok=True)
                except OSError as error:
                    self._unusable(error)
            return False, None

    def _store(self, path: Path, value: object) -> None:
        if self.read_only:
            return
        try:
            payload = pickle.dumps(value)
        except (pickle.PicklingError, TypeError, AttributeError):
            return  # a value that cannot be stored only costs time
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp.name, path)  # atomic: a reader never sees half an entry
        except OSError as error:
            self._unusable(error)
