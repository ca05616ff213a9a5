"""symbn: symbolic verification of batch normalization.

Derive BN forward and backward for any batch size, prove or refute identities with
honest three-valued verdicts, compile the derivations to NumPy kernels, and check
those against real autograd.

What a user needs is here: the batch form (:mod:`symbn.core`), BN and its symbols
``x, g, gamma, beta, eps`` (:mod:`symbn.bn`), the prover (:mod:`symbn.prove`) and the
kernel compiler (:mod:`symbn.kernels`).  Everything else stays in its module.

``from symbn import *`` never shadows a SymPy name: ``gamma`` and ``beta`` (SymPy's gamma
and beta functions) are imported by name only, ``from symbn import gamma, beta``, and the
symbolic batch size stays ``symbn.core.N`` (``sympy.N`` evaluates numerically).
"""

# The one version source: pyproject.toml reads it (dynamic version), the cache keys on it.
__version__ = "0.1.0"

from symbn.bn import (  # noqa: E402 -- after the version, which the cache imports
    BatchNormDerivation,
    batchnorm,
    batchnorm_eval,
    batchnorm_explicit,
    derive_batchnorm,
    dx_closed_form,
    standardize,
)
from symbn.bn.batchnorm import (  # noqa: E402 -- beta and gamma by name only (not in __all__)
    beta as beta,
    eps,
    g,
    gamma as gamma,
    x,
)
from symbn.core import (  # noqa: E402
    Mean,
    batch_mean,
    batch_sum,
    batch_var,
    derivative,
    evaluate_at_batch,
    explicit_symbols,
    instantiate,
    moment_form,
    sample_symbols,
)
from symbn.kernels import Kernel, KernelInputError, compile_kernel  # noqa: E402
from symbn.prove import AssumptionError, Counterexample, Status, Verdict, prove  # noqa: E402

__all__ = [
    "AssumptionError",
    "BatchNormDerivation",
    "Counterexample",
    "Kernel",
    "KernelInputError",
    "Mean",
    "Status",
    "Verdict",
    "batch_mean",
    "batch_sum",
    "batch_var",
    "batchnorm",
    "batchnorm_eval",
    "batchnorm_explicit",
    "compile_kernel",
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
    "sample_symbols",
    "standardize",
    "x",
]
