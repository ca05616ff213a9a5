"""The kernels the report shows: compiled from the same derivation the proofs use."""

from __future__ import annotations

from symbn.bn.conventions import PYTORCH
from symbn.kernels import batchnorm


def catalogue_kernels():
    return (batchnorm.train_kernel(), batchnorm.hvp_kernel(), batchnorm.eval_kernel(),
            batchnorm.running_kernel(PYTORCH))
