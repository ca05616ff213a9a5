"""Unpickling SymPy expressions as they were stored: ``loads(payload)``.

A SymPy object unpickles by calling its class on its arguments, which simplifies every node
again: ``Max`` compares its arguments pairwise, ``Mul`` distributes a number over a sum
(``Mul(2, x + y, evaluate=False)`` comes back as ``2*x + 2*y``).  For the classes where that
costs (sums, products, powers, Max, Min) :func:`loads` calls the class with
``evaluate=False`` instead: each node is rebuilt exactly as stored, the same object (equal,
same hash, same ``srepr``) when it was stored evaluated, at about a third of the cost.

The switch is the constructor's own keyword, not SymPy's global ``evaluate(False)``: that
one is per thread while SymPy's cache is shared (an unevaluated node built in one thread
would be the cached answer to an evaluated call in another), and toggling it clears the
cache.  Used for everything that crosses a process boundary or comes from the disk cache:
the prover's tasks and replies (:mod:`symbn.prove.budget`, :mod:`symbn.prove.worker`) and
:mod:`symbn.cache`.
"""

from __future__ import annotations

import io
import pickle
from typing import Any


def _unevaluated(cls: type) -> type:
    """A stand-in for ``cls`` in a pickle: building it builds ``cls(*args, evaluate=False)``
    (pickle creates objects with ``cls.__new__(cls, *args)``, so the stand-in is a type)."""
    return type(f"Unevaluated{cls.__name__}", (),
                {"__new__": staticmethod(lambda _, *args: cls(*args, evaluate=False))})


_STAND_INS: dict[tuple[str, str], type] | None = None


def _stand_ins() -> dict[tuple[str, str], type]:
    global _STAND_INS
    if _STAND_INS is None:  # SymPy is imported once there is something of it to read
        import sympy as sp

        _STAND_INS = {(c.__module__, c.__qualname__): _unevaluated(c)
                      for c in (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Min)}
    return _STAND_INS


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("sympy."):
            stand_in = _stand_ins().get((module, name))
            if stand_in is not None:
                return stand_in
        return super().find_class(module, name)


def loads(payload: bytes) -> Any:
    """``pickle.loads(payload)``, with SymPy's sums, products, powers, Max and Min rebuilt
    as stored (see the module's docstring)."""
    return _Unpickler(io.BytesIO(payload)).load()
