"""Notation: per-sample variables, batch means, and the general and explicit batch forms."""

from symbn.core import rewrite

from symbn.core.batch import (
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
    freeze_moments_signed,
    large_batch_limit,
    moment_atoms,
    moment_form,
    sample_symbols,
    sample_variables,
)
from symbn.core.explicit import (
    evaluate_at_batch,
    explicit_symbol,
    explicit_symbols,
    instantiate,
    instantiate_all,
)

__all__ = [
    "Mean", "N", "SampleSymbol", "batch_mean", "batch_sum", "batch_var", "centred_form",
    "centred_terms", "depends_on_sample", "derivative", "directional_derivative",
    "evaluate_at_batch", "explicit_symbol", "explicit_symbols", "freeze_means", "freeze_moments",
    "freeze_moments_signed", "instantiate", "instantiate_all", "large_batch_limit",
    "moment_atoms", "moment_form", "rewrite", "sample_symbols", "sample_variables",
]
