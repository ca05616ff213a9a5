"""At inference BN is affine: it folds into the layer before it."""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import batchnorm_eval, eps
from symbn.bn.inference import fold_linear_bn
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ioffe & Szegedy 2015, section 3.1; torch.nn.utils.fusion.fuse_linear_bn_eval"
_W = sp.Matrix(2, 3, sp.symbols("w11 w12 w13 w21 w22 w23", real=True))
_z = sp.Matrix(sp.symbols("z1 z2 z3", real=True))
_b = sp.symbols("b1 b2", real=True)
_mu = sp.symbols("mu1 mu2", real=True)
_var = sp.symbols("var1 var2", positive=True)
_gamma = sp.symbols("gamma1 gamma2", real=True)
_beta = sp.symbols("beta1 beta2", real=True)


def _fold(affine=True, folded_eps=eps):
    pre = _W * _z + sp.Matrix(_b)
    gamma, beta = (_gamma, _beta) if affine else ((1, 1), (0, 0))
    bn = sp.Matrix([batchnorm_eval(pre[i], gamma[i], beta[i], eps, _mu[i], _var[i])
                    for i in range(2)])
    W2, b2 = fold_linear_bn(_W.tolist(), _b, _mu, _var, folded_eps,
                            gamma if affine else None, beta if affine else None)
    folded = sp.Matrix(W2) * _z + sp.Matrix(b2)
    return Claim(bn, folded, steps=(("eval-mode BN(W z + b)", bn), ("W' z + b'", folded)))


IDENTITIES = (
    Identity(
        name="fold-linear-bn", title="Eval-mode BN folds into the preceding Linear layer",
        statement="gamma (W z + b - mu)/sqrt(var + eps) + beta = W' z + b' with "
                  "W' = diag(gamma/sqrt(var + eps)) W, b' = gamma (b - mu)/sqrt(var + eps) + beta",
        source=SOURCE, tags=("inference", "family"), build=_fold,
        controls=(control("fold-linear-bn-without-eps", "the same folding with eps left out",
                          lambda: _fold(folded_eps=0)),),
    ),
    Identity(
        name="fold-linear-bn-no-affine", title="Folding without affine parameters",
        statement="with affine=False (gamma = 1, beta = 0): W' = diag(1/sqrt(var + eps)) W, "
                  "b' = (b - mu)/sqrt(var + eps)",
        source=SOURCE, tags=("inference",), build=lambda: _fold(affine=False),
        controls=(control("fold-no-affine-without-eps", "affine=False folding with eps left out",
                          lambda: _fold(affine=False, folded_eps=0)),),
    ),
)
