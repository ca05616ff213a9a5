"""The "mock BN" transforms proposed as learnable replacements for BN: monotone, C^1, not C^2.

Each family is an odd extension of a concave h with h(0) = 0, with learnable scales kept
positive through exp:  f(x) = e^p h(e^q x) for x >= 0 and -e^p h(-e^q x) for x < 0.
"""

from __future__ import annotations

import sympy as sp

from symbn.identities.record import Claim, Identity, control

SOURCE = "odd extensions of log(1 + x) and sqrt(x + 1/4) - 1/2 as BN replacements"
p, q = sp.symbols("p q", real=True)
t = sp.Symbol("t", positive=True)  # |x| on either side of the junction
gamma = sp.Symbol("gamma", positive=True)
z = sp.Symbol("z", real=True)

FAMILIES = {
    "log-shift": lambda u: sp.log(1 + u),
    "sqrt-shift": lambda u: sp.sqrt(u + sp.Rational(1, 4)) - sp.Rational(1, 2),
}


def branches(h):
    """(f on x = t > 0, f on x = -t < 0), as functions of t."""
    return sp.exp(p) * h(sp.exp(q) * t), -sp.exp(p) * h(sp.exp(q) * t)


def _derivative_on_side(h, side, order=1):
    """d^k f/dx^k at x = side * t, written in t (x = -t flips the sign of d/dx)."""
    right, left = branches(h)
    branch, sign = (right, 1) if side > 0 else (left, -1)
    return sp.diff(branch, t, order) * sign**order


def _junction(h, order):
    right = sp.limit(_derivative_on_side(h, 1, order), t, 0)
    left = sp.limit(_derivative_on_side(h, -1, order), t, 0)
    return Claim(right, left, steps=((f"f^({order})(0+)", right), (f"f^({order})(0-)", left)))


def mock(h, x):
    return sp.Piecewise((sp.exp(p) * h(sp.exp(q) * x), x >= 0),
                        (-sp.exp(p) * h(-sp.exp(q) * x), True))


def _homogeneous(h):
    return Claim(mock(h, gamma * z), gamma * mock(h, z))


def _identities(name, h):
    return (
        Identity(
            name=f"{name}-monotone", title=f"The {name} transform is increasing",
            statement="f'(x) > 0 on both sides of 0 for every p, q (f'(x) = |f'(x)|)",
            source=SOURCE, tags=("mock",),
            build=lambda: Claim(_derivative_on_side(h, 1) + _derivative_on_side(h, -1),
                                sp.Abs(_derivative_on_side(h, 1))
                                + sp.Abs(_derivative_on_side(h, -1))),
            controls=(control(f"{name}-second-derivative-positive",
                              "f''(x) > 0 for x > 0 (f is convex there)",
                              lambda: Claim(_derivative_on_side(h, 1, 2),
                                            sp.Abs(_derivative_on_side(h, 1, 2)))),),
        ),
        Identity(
            name=f"{name}-c1", title=f"The {name} transform is C^1 at the junction",
            statement="f'(0+) = f'(0-): the odd mirror keeps the first derivative continuous",
            source=SOURCE, tags=("mock",), build=lambda: _junction(h, 1),
            controls=(control(f"{name}-c2", "f''(0+) = f''(0-): f is C^2 too",
                              lambda: _junction(h, 2)),),
        ),
        control(f"{name}-positively-homogeneous",
                "f(gamma z) = gamma f(z) for gamma > 0 (as ReLU is)", lambda: _homogeneous(h)),
    )


IDENTITIES = tuple(i for name, h in FAMILIES.items() for i in _identities(name, h))
