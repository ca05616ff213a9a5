"""ReLU is positively homogeneous, so gamma is redundant before a ReLU and a linear layer."""

from __future__ import annotations

import sympy as sp

from symbn.identities.record import Claim, Identity, control

SOURCE = "positive homogeneity of ReLU; e.g. Neyshabur et al. 2015 (Path-SGD), section 2"
z = sp.Symbol("z", real=True)
gamma = sp.Symbol("gamma", real=True)


def relu(t):
    return sp.Max(0, t)


def elu(t):
    return sp.Piecewise((t, t > 0), (sp.exp(t) - 1, True))


def sigmoid(t):
    return 1 / (1 + sp.exp(-t))


def _homogeneity(f, sign=1):
    return Claim(f(gamma * z), gamma * f(z), assume=(gamma > 0 if sign > 0 else gamma < 0,),
                 steps=((f"{f.__name__}(gamma*z)", f(gamma * z)), (f"gamma*{f.__name__}(z)", gamma * f(z))))


# A 2-unit layer: W @ act(gamma o z + beta) against (W diag(gamma)) @ act(z + beta / gamma).
_W = sp.Matrix(2, 2, sp.symbols("w11 w12 w21 w22", real=True))
_z = sp.Matrix(sp.symbols("z1 z2", real=True))
_gamma = sp.Matrix(sp.symbols("gamma1 gamma2", real=True))
_beta = sp.Matrix(sp.symbols("beta1 beta2", real=True))


def _redundant_gamma(f, sign=1):
    before = _W * (_gamma.multiply_elementwise(_z) + _beta).applyfunc(f)
    folded = (_W * sp.diag(*_gamma)) * (_z + sp.Matrix([b / c for b, c in zip(_beta, _gamma)])
                                        ).applyfunc(f)
    return Claim(before, folded, assume=(_gamma[0] > 0 if sign > 0 else _gamma[0] < 0,
                                         _gamma[1] > 0),
                 steps=(("W act(gamma*z + beta)", before),
                        ("(W diag(gamma)) act(z + beta/gamma)", folded)))


IDENTITIES = (
    Identity(
        name="relu-positive-homogeneity",
        title="ReLU is positively homogeneous",
        statement="max(0, gamma*z) = gamma*max(0, z) for gamma > 0 (proved by a sign case split)",
        source=SOURCE, tags=("relu", "core"), build=lambda: _homogeneity(relu),
        controls=(
            control("relu-negative-gamma", "max(0, gamma*z) = gamma*max(0, z) for gamma < 0",
                    lambda: _homogeneity(relu, -1)),
            control("tanh-positive-homogeneity", "tanh(gamma*z) = gamma*tanh(z) for gamma > 0",
                    lambda: _homogeneity(sp.tanh)),
            control("sigmoid-positive-homogeneity",
                    "sigmoid(gamma*z) = gamma*sigmoid(z) for gamma > 0",
                    lambda: _homogeneity(sigmoid)),
            control("elu-positive-homogeneity", "elu(gamma*z) = gamma*elu(z) for gamma > 0",
                    lambda: _homogeneity(elu)),
        ),
    ),
    Identity(
        name="relu-gamma-redundant",
        title="gamma is redundant before a ReLU followed by a linear layer",
        statement="W relu(gamma*z + beta) = (W diag(gamma)) relu(z + beta/gamma) for gamma > 0: "
                  "the next layer's weights absorb gamma",
        source=SOURCE, tags=("relu", "core"), build=lambda: _redundant_gamma(relu),
        controls=(
            control("tanh-gamma-redundant", "the same folding through tanh",
                    lambda: _redundant_gamma(sp.tanh)),
            control("relu-gamma-redundant-negative", "the same folding with gamma1 < 0",
                    lambda: _redundant_gamma(relu, -1)),
        ),
    ),
)
