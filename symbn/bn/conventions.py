"""Framework conventions for BN's running statistics, as options rather than one hard-wired choice.

All three normalize with the biased batch variance and eps inside the square root; they
differ in eps's default, in how momentum is stated, and in the running variance:

=========  ==========  ==========================  =======================  ============
framework  default eps  momentum                    running variance         feature axis
=========  ==========  ==========================  =======================  ============
PyTorch    1e-5         0.1, weight of the new one  unbiased, n/(n-1),       1
                                                    n = N*H*W
Flax       1e-5         0.99, weight of the old one biased                   -1
Keras      1e-3         0.99, weight of the old one biased                   -1
=========  ==========  ==========================  =======================  ============

Every row is measured from the real layer (torch.nn.BatchNorm1d, flax.linen.BatchNorm,
keras.layers.BatchNormalization on Keras 3's JAX backend) by
:func:`symbn.verify.conventions.observe`, and the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbn.bn.batchnorm import running_mean, running_var, x
from symbn.core import batch_mean, batch_var


@dataclass(frozen=True)
class Convention:
    """How a framework updates BN's running statistics after a training step.

    ``new_weight`` is the weight of the batch statistic in the update (PyTorch's
    ``momentum``; Flax's and Keras' ``1 - momentum``).
    """

    name: str
    eps: float
    new_weight: float
    unbiased_running_var: bool
    feature_axis: int

    def running_update(self, x: sp.Expr = x, mean: sp.Expr = running_mean,
                       var: sp.Expr = running_var) -> tuple[sp.Expr, sp.Expr]:
        """(new running mean, new running var) as general-form batch scalars.

        mean' = (1 - w) * mean + w * Mean(x);  var' = (1 - w) * var + w * Var(x), with Var
        unbiased (N/(N - 1) times the biased one) when the convention says so.
        """
        w = sp.nsimplify(self.new_weight)
        return ((1 - w) * mean + w * batch_mean(x),
                (1 - w) * var + w * batch_var(x, unbiased=self.unbiased_running_var))


PYTORCH = Convention("pytorch", eps=1e-5, new_weight=0.1, unbiased_running_var=True,
                     feature_axis=1)
FLAX = Convention("flax", eps=1e-5, new_weight=0.01, unbiased_running_var=False, feature_axis=-1)
KERAS = Convention("keras", eps=1e-3, new_weight=0.01, unbiased_running_var=False, feature_axis=-1)
CONVENTIONS = {c.name: c for c in (PYTORCH, FLAX, KERAS)}
