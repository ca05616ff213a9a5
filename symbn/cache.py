"""On-disk cache of derivations (built claims) and verdicts.

Keys are SHA-256 digests of symbn's version and source code and of what was computed (an identity's name for
a derivation; the claim's exact expressions, assumptions and budget for a verdict), so a
new version or a changed expression never meets a stale entry.  Each entry stores the
SHA-256 of its payload: an entry that fails the check or does not load is deleted and
recomputed, never trusted.  Entries are pickles: the cache is a private directory, like
Python's own ``__pycache__``.

Location: ``$SYMBN_CACHE_DIR``, else ``$XDG_CACHE_HOME/symbn``, else ``~/.cache/symbn``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

import sympy as sp

from symbn import __version__


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


def key_of(*parts) -> str:
    """A digest of symbn's code and ``parts`` (SymPy objects by their exact srepr)."""
    text = repr((code_fingerprint(),) + tuple(sp.srepr(p) if isinstance(p, sp.Basic) else repr(p)
                                       for p in parts))
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """get_or_compute(parts, compute) -> (value, hit): the cached value, or compute and store it."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else default_directory()
        self.hits = self.misses = self.rebuilt = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get_or_compute(self, parts: tuple, compute: Callable[[], Any]) -> Any:
        path = self._path(key_of(*parts))
        found, value = self._load(path)
        if found:
            self.hits += 1
            return value, True
        self.misses += 1
        value = compute()
        self._store(path, value)
        return value, False

    def _load(self, path: Path):
        try:
            data = path.read_bytes()
        except OSError:
            return False, None
        digest, payload = data[:32], data[32:]
        try:
            if hashlib.sha256(payload).digest() != digest:
                raise ValueError("checksum mismatch")
            return True, pickle.loads(payload)
        except Exception:  # noqa: BLE001 -- any damage means: rebuild, never trust
            self.rebuilt += 1
            path.unlink(missing_ok=True)
            return False, None

    def _store(self, path: Path, value) -> None:
        try:
            payload = pickle.dumps(value)
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp.name, path)  # atomic: a reader never sees half an entry
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            pass  # a cache that cannot be written only costs time
