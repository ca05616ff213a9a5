"""symbn: symbolic verification of batch normalization.

Derive BN forward and backward for any batch size, prove or refute identities with
honest three-valued verdicts, compile the derivations to NumPy kernels, and check
those against real autograd.

What a user needs is here: the batch form (:mod:`symbn.core`), BN and its symbols
``x, g, gamma, beta, eps`` (:mod:`symbn.bn`), the prover (:mod:`symbn.prove`) and the
kernel compiler (:mod:`symbn.kernels`), and claims of your own: ``claim`` and the records
the catalogue uses (:mod:`symbn.claims`, :mod:`symbn.identities.record`), ``run_claims`` for a
script.  Everything else stays in its module.

``from symbn import *`` never shadows a SymPy name: ``gamma`` and ``beta`` (SymPy's gamma
and beta functions) are imported by name only, ``from symbn import gamma, beta``, and the
symbolic batch size stays ``symbn.core.N`` (``sympy.N`` evaluates numerically); so is
``Identity``, symbn's claim record (``sympy.Identity`` is the identity matrix):
``from symbn import Identity``.
"""

# The one version source: pyproject.toml reads it (dynamic version), the cache keys on it.
__version__ = "0.1.0"

import sys as _sys
from types import ModuleType as _ModuleType

#: Where each public name lives: imported on first use (PEP 562), so that ``import symbn``
#: and the ``symbn`` command start without SymPy, which the CLI's help and list never need.
_PUBLIC = {
    "symbn.bn": ("BatchNormDerivation", "batchnorm", "batchnorm_eval", "batchnorm_explicit",
                 "derive_batchnorm", "dx_closed_form", "standardize"),
    "symbn.bn.batchnorm": ("beta", "eps", "g", "gamma", "x"),
    "symbn.claims": ("ClaimError", "ClaimFileError", "claim"),
    "symbn.cli": ("run_claims",),
    "symbn.core": ("Mean", "batch_mean", "batch_sum", "batch_var", "derivative",
                   "evaluate_at_batch", "explicit_symbols", "instantiate", "moment_form",
                   "sample_symbols"),
    "symbn.kernels": ("Kernel", "KernelInputError", "compile_kernel"),
    "symbn.identities.record": ("CheckedIdentity", "Claim", "Identity", "check", "control"),
    "symbn.normalization": ("DeclarationError", "Normalization"),
    "symbn.prove": ("AssumptionError", "Counterexample", "InexactNumber", "ShapeMismatch",
                    "Status", "Verdict", "prove"),
}
_HOME = {name: module for module, names in _PUBLIC.items() for name in names}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'symbn' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOME))


class _Package(_ModuleType):
    """symbn's module: ``symbn.prove`` is the function, as ``from symbn import prove`` wants.

    Importing the subpackage symbn.prove (which any prover import does) would otherwise
    bind it as the attribute ``prove`` of this module; it stays in sys.modules."""

    def __setattr__(self, name, value):
        if name == "prove" and isinstance(value, _ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package

__all__ = [
    "AssumptionError",
    "BatchNormDerivation",
    "CheckedIdentity",
    "Claim",
    "ClaimError",
    "ClaimFileError",
    "Counterexample",
    "DeclarationError",
    "Kernel",
    "KernelInputError",
    "Mean",
    "Normalization",
    "ShapeMismatch",
    "Status",
    "Verdict",
    "batch_mean",
    "batch_sum",
    "batch_var",
    "batchnorm",
    "batchnorm_eval",
    "batchnorm_explicit",
    "check",
    "claim",
    "compile_kernel",
    "control",
    "derivative",
    "derive_batchnorm",
    "dx_closed_form",
    "eps",
    "evaluate_at_batch",
    "explicit_symbols",
    "g",
    "instantiate",
    "moment_form",
    "prove",
    "run_claims",
    "sample_symbols",
    "standardize",
    "x",
]
