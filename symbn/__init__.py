"""symbn: symbolic verification of batch normalization.

Derive BN forward and backward for any batch size, prove or refute identities with
honest three-valued verdicts, compile the derivations to NumPy kernels, and check
those against real autograd.  The public API is re-exported here.
"""

from symbn.bn import (
    BatchNormDerivation,
    batchnorm,
    batchnorm_explicit,
    batchnorm_eval,
    derive_batchnorm,
    dx_closed_form,
    standardize,
)
from symbn.core import (
    Mean,
    N,
    SampleSymbol,
    batch_mean,
    batch_sum,
    batch_var,
    centred_form,
    centred_terms,
    depends_on_sample,
    derivative,
    directional_derivative,
    freeze_means,
    freeze_moments,
    large_batch_limit,
    evaluate_at_batch,
    explicit_symbols,
    instantiate,
    instantiate_all,
    moment_form,
    sample_symbols,
)
from symbn.kernels import Kernel, KernelInputError, compile_kernel
from symbn.prove import Counterexample, Status, Verdict, prove

__version__ = "0.1.0"
__all__ = [
    "BatchNormDerivation", "batchnorm", "batchnorm_eval", "batchnorm_explicit", "derive_batchnorm", "dx_closed_form",
    "standardize", "Mean", "N", "SampleSymbol", "batch_mean", "batch_sum", "batch_var", "centred_form", "centred_terms",
    "depends_on_sample", "derivative", "directional_derivative", "freeze_means", "freeze_moments", "large_batch_limit", "evaluate_at_batch", "explicit_symbols", "instantiate",
    "instantiate_all", "moment_form", "sample_symbols", "Kernel", "KernelInputError",
    "compile_kernel", "Counterexample", "Status", "Verdict", "prove",
]
