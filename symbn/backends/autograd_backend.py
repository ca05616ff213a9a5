"""HIPS autograd: BN written in ``autograd.numpy``, reverse mode by ``make_vjp``."""

from __future__ import annotations

import numpy as np

from symbn.backends.base import Backend, bn_forward


class AutogradBackend(Backend):
    name = "autograd"
    modules = ("autograd",)
    requirement = "autograd"

    @staticmethod
    def _forward(x, gamma, beta, eps):
        import autograd.numpy as anp
        return bn_forward(anp, x, gamma, beta, eps)

    def train(self, x, g, gamma, beta, eps):
        from autograd import make_vjp
        out = {}
        for name, argnum in (("dx", 0), ("dgamma", 1), ("dbeta", 2)):
            vjp, y = make_vjp(lambda a, b, c: self._forward(a, b, c, eps), argnum)(x, gamma, beta)
            out[name] = np.asarray(vjp(g))
        out["y"] = np.asarray(y)
        return out

    def hvp(self, x, g, v, gamma, beta, eps):
        from autograd import grad
        dx = grad(lambda a: (g * self._forward(a, gamma, beta, eps)).sum())
        return np.asarray(grad(lambda a: (dx(a) * v).sum())(x))
