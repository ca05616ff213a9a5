"""JAX (float64 enabled): BN written in ``jax.numpy``, gradients by ``jax.vjp``.

The running update follows Flax's ``nn.BatchNorm`` (momentum 0.99 on the old value, biased
variance), written out here so that checking it needs no Flax install.
"""

from __future__ import annotations

import numpy as np

from symbn.backends.base import Backend, bn_eval, bn_forward, reduction_axes
from symbn.bn.conventions import FLAX


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


class JaxBackend(Backend):
    name = "jax"
    modules = ("jax",)
    requirement = "jax"
    convention = FLAX

    @staticmethod
    def _forward(x, gamma, beta, eps):
        import jax.numpy as jnp
        return bn_forward(jnp, x, gamma, beta, eps)

    def train(self, x, g, gamma, beta, eps):
        jax = _jax()
        y, vjp = jax.vjp(lambda a, b, c: self._forward(a, b, c, eps), x, gamma, beta)
        dx, dgamma, dbeta = vjp(g)
        return {k: np.asarray(a) for k, a in
                {"y": y, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}.items()}

    def hvp(self, x, g, v, gamma, beta, eps):
        jax = _jax()
        grad = jax.grad(lambda a: (g * self._forward(a, gamma, beta, eps)).sum())
        return np.asarray(jax.jvp(grad, (x,), (v,))[1])  # forward-over-reverse

    def evaluate(self, x, gamma, beta, eps, running_mean, running_var):
        import jax.numpy as jnp
        _jax()
        return np.asarray(bn_eval(jnp, x, gamma, beta, eps, running_mean, running_var))

    def running_update(self, x, running_mean, running_var, eps):
        import jax.numpy as jnp
        _jax()
        axes = reduction_axes(x)
        momentum = 1 - self.convention.new_weight  # Flax states the weight of the old value
        mean, var = jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        return (np.asarray(momentum * running_mean + (1 - momentum) * mean),
                np.asarray(momentum * running_var + (1 - momentum) * var))
