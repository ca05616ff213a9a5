"""Folding eval-mode batch normalization into the linear layer before it.

At inference BN uses fixed statistics (a running mean mu and variance v), so
BN(w t + c) is again linear in t: the same as a linear layer with weight
w' = gamma w / sqrt(v + eps) and bias c' = gamma (c - mu) / sqrt(v + eps) + beta. Folding
without the layer's own bias c is wrong (the control).

Source: Ioffe & Szegedy 2015, section 3.1; torch.nn.utils.fusion.fuse_linear_bn_eval.
Run: python proofs/inference.py  (or: symbn prove proofs/inference.py)
"""

import sys

import sympy as sp

from symbn import batchnorm_eval, beta, claim, eps, gamma, run_claims

t, w, c, mu = sp.symbols("t w c mu", real=True)  # input, the layer's weight and bias, mean
v = sp.Symbol("v", positive=True)  # the running variance
scale = gamma / sp.sqrt(v + eps)

folded = claim(
    "fold-linear-into-bn", batchnorm_eval(w * t + c, mean=mu, var=v),
    (scale * w) * t + (scale * (c - mu) + beta),
    statement="BN_eval(w t + c) = w' t + c', w' = gamma w/sqrt(v + eps), "
              "c' = gamma (c - mu)/sqrt(v + eps) + beta",
    source="Ioffe & Szegedy 2015, section 3.1",
    controls=[claim("fold-forgetting-the-bias", batchnorm_eval(w * t + c, mean=mu, var=v),
                    (scale * w) * t + (-scale * mu + beta), expected="REFUTED",
                    statement="c' = -gamma mu/sqrt(v + eps) + beta")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
