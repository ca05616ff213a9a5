"""The kernels the report shows: compiled from the same derivation the proofs use."""

from __future__ import annotations

import functools

from symbn.bn import batchnorm_eval, derive_batchnorm
from symbn.bn.batchnorm import x
from symbn.kernels import Kernel, compile_kernel


@functools.cache
def catalogue_kernels() -> tuple[Kernel, ...]:
    bn = derive_batchnorm()
    return (
        compile_kernel({"y": bn.y, "dx": bn.dx, "dgamma": bn.dgamma, "dbeta": bn.dbeta},
                       "batchnorm_train"),
        compile_kernel({"y": batchnorm_eval(x)}, "batchnorm_eval"),
    )
