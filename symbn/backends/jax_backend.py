"""JAX (float64 enabled): BN written in ``jax.numpy``, gradients by ``jax.vjp``.

The running update follows Flax's ``nn.BatchNorm`` (momentum 0.99 on the old value, biased
variance), written out here so that checking it needs no Flax install.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from symbn.backends.base import Backend, bn_eval, bn_forward, reduction_axes
from symbn.bn.conventions import FLAX


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


def _jitted() -> dict[str, Callable[..., Any]]:
    """The backend's computations, each traced by ``jax.jit`` once per shape and dtype
    (float64 enabled again on every call: something else in the process may have turned it
    off, and JAX's cache of traces tells the two apart).  Run op by op, JAX compiles every
    primitive for every shape apart: hundreds of XLA compilations for a grid of checks, most
    of the time ``symbn check`` took."""
    _jax()
    return _traced()


@functools.cache
def _traced() -> dict[str, Callable[..., Any]]:
    jax = _jax()
    import jax.numpy as jnp

    def train(x, g, gamma, beta, eps):
        y, vjp = jax.vjp(lambda a, b, c: bn_forward(jnp, a, b, c, eps), x, gamma, beta)
        return (y, *vjp(g))

    def hvp(x, g, v, gamma, beta, eps):
        grad = jax.grad(lambda a: (g * bn_forward(jnp, a, gamma, beta, eps)).sum())
        return jax.jvp(grad, (x,), (v,))[1]  # forward-over-reverse

    def evaluate(x, gamma, beta, eps, running_mean, running_var):
        return bn_eval(jnp, x, gamma, beta, eps, running_mean, running_var)

    def running_update(x, running_mean, running_var, old_weight):
        axes = reduction_axes(x)
        mean, var = jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        return (old_weight * running_mean + (1 - old_weight) * mean,
                old_weight * running_var + (1 - old_weight) * var)

    return {f.__name__: jax.jit(f) for f in (train, hvp, evaluate, running_update)}


class JaxBackend(Backend):
    name = "jax"
    modules = ("jax",)
    requirement = "jax"
    convention = FLAX

    def train(self, x, g, gamma, beta, eps):
        y, dx, dgamma, dbeta = _jitted()["train"](x, g, gamma, beta, eps)
        return {k: np.asarray(a) for k, a in
                {"y": y, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}.items()}

    def hvp(self, x, g, v, gamma, beta, eps):
        return np.asarray(_jitted()["hvp"](x, g, v, gamma, beta, eps))

    def evaluate(self, x, gamma, beta, eps, running_mean, running_var):
        return np.asarray(_jitted()["evaluate"](x, gamma, beta, eps, running_mean, running_var))

    def running_update(self, x, running_mean, running_var, eps):
        old_weight = 1 - self.convention.new_weight  # Flax states the weight of the old value
        mean, var = _jitted()["running_update"](x, running_mean, running_var, old_weight)
        return np.asarray(mean), np.asarray(var)
