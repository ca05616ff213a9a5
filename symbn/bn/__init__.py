"""Batch normalization: forward in training and eval mode, backward by differentiation."""

from symbn.bn.batchnorm import (
    BatchNormDerivation,
    batchnorm,
    batchnorm_explicit,
    batchnorm_eval,
    derive_batchnorm,
    dx_closed_form,
    standardize,
)

__all__ = ["BatchNormDerivation", "batchnorm", "batchnorm_eval", "batchnorm_explicit", "derive_batchnorm",
           "dx_closed_form", "standardize"]
