"""The frameworks' own BN layers, run as the oracles of the running-statistics conventions.

Three real layers: ``torch.nn.BatchNorm1d/2d/3d`` (PyTorch 2.13), ``flax.linen.BatchNorm``
and ``keras.layers.BatchNormalization`` (Keras 3 on its JAX backend).  Two uses:

* :func:`observe` measures what a layer does with its defaults -- the weight of the new
  batch statistic in one running update, whether the running variance is unbiased
  (n/(n-1) times the biased one, n the values per channel), the default eps and the
  feature axis -- so symbn's table (:mod:`symbn.bn.conventions`) is checked against real
  code, not against the documentation;
* :func:`run_oracle` runs a layer configured like a user's module over the same training
  batches, then in eval mode, so the expected running statistics come from the framework.

What the layers were seen to do (PyTorch 2.13, Flax 0.12, Keras 3.15): running mean and
variance start at 0 and 1; the update is ``(1 - w) * old + w * batch`` with ``w`` PyTorch's
``momentum`` (0.1) and ``1 - momentum`` for Flax and Keras (momentum 0.99); the running
variance is unbiased in PyTorch only.  Flax keeps ``batch_stats`` in float32 whatever the
parameters' dtype and, by default (``use_fast_variance``), takes the variance in one pass,
Mean(x^2) - Mean(x)^2.  Keras 3 on JAX computes BN in float32 even for float64 inputs and
layers (its type promotion maps float64 to float32 on every backend but TensorFlow), so its
results agree with a float64 derivation only to float32 accuracy.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

#: What each framework's oracle layer is, for the report.
LAYERS = {"pytorch": "torch.nn.BatchNorm{1,2,3}d", "flax": "flax.linen.BatchNorm",
          "keras": "keras.layers.BatchNormalization (Keras 3, JAX backend)"}
#: The precision each oracle computes in: Keras 3 on JAX computes BN in float32.
ORACLE_DTYPE = {"pytorch": "float64", "flax": "float64", "keras": "float32"}


class OracleUnavailable(RuntimeError):
    """The framework of a convention's oracle cannot be imported (the message says how to fix)."""


@dataclass(frozen=True)
class Observed:
    """A convention as measured from the real layer with its defaults."""

    name: str
    eps: float
    new_weight: float          # weight of the batch statistic in the running update
    unbiased_running_var: bool
    feature_axis: int          # 1 or -1
    initial_mean: float
    initial_var: float


@dataclass(frozen=True)
class OracleRun:
    """The real layer's running statistics after the training batches, and its eval output."""

    layer: str
    running_mean: np.ndarray
    running_var: np.ndarray
    eval_y: np.ndarray
    dtype: str  # the precision the layer computed in


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


def _keras():
    """Keras 3 on the JAX backend (set before its first import; an already imported Keras on
    another backend is an error, since its results would not be the JAX backend's)."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
    _jax()
    try:
        import keras
    except ImportError as error:
        raise OracleUnavailable(f"the keras convention's oracle needs Keras 3 ({error}); "
                                "install it with: pip install 'symbn[test]'") from None
    if keras.backend.backend() != "jax":
        raise OracleUnavailable(f"keras was imported with the {keras.backend.backend()!r} "
                                "backend; symbn's keras oracle is Keras 3 on JAX: set "
                                "KERAS_BACKEND=jax")
    return keras


def _import(name):
    try:
        if name == "pytorch":
            import torch
            return torch
        if name == "flax":
            _jax()
            import flax.linen
            return flax.linen
        return _keras()
    except ImportError as error:
        raise OracleUnavailable(f"the {name} convention's oracle needs its framework ({error}); "
                                "install it with: pip install 'symbn[refs,test]'") from None


def _channels_first(x, feature_axis):
    return np.moveaxis(x, feature_axis, 1)


def run_oracle(name: str, batches, x_eval, *, feature_axis: int, new_weight: float | None,
               eps: float, initial_mean, initial_var, gamma, beta) -> OracleRun:
    """Train the real layer of convention ``name`` on ``batches`` (momentum, eps and initial
    running statistics as given, ``new_weight`` translated into the framework's momentum),
    then run it in eval mode on ``x_eval``; every array in float64.  ``new_weight`` None is
    PyTorch's momentum=None (a cumulative average), which only the pytorch layer has."""
    if name not in LAYERS:
        raise ValueError(f"no oracle for convention {name!r}; use one of {', '.join(LAYERS)}")
    module = _import(name)
    run = {"pytorch": _run_torch, "flax": _run_flax, "keras": _run_keras}[name]
    mean, var, y = run(module, batches, x_eval, feature_axis, new_weight, eps,
                       np.asarray(initial_mean, np.float64), np.asarray(initial_var, np.float64),
                       np.asarray(gamma, np.float64), np.asarray(beta, np.float64))
    return OracleRun(LAYERS[name], np.asarray(mean, np.float64), np.asarray(var, np.float64),
                     np.asarray(y, np.float64), ORACLE_DTYPE[name])


def _run_torch(torch, batches, x_eval, axis, new_weight, eps, mean, var, gamma, beta):
    ndim = np.ndim(x_eval)
    layer_class = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d,
                   5: torch.nn.BatchNorm3d}[ndim]
    layer = layer_class(len(gamma), eps=eps, momentum=new_weight, dtype=torch.float64)
    with torch.no_grad():
        for buffer, value in ((layer.running_mean, mean), (layer.running_var, var),
                              (layer.weight, gamma), (layer.bias, beta)):
            buffer.copy_(torch.from_numpy(value))
        layer.train()
        for x in batches:
            layer(torch.from_numpy(_channels_first(x, axis).copy()))
        layer.eval()
        y = layer(torch.from_numpy(_channels_first(x_eval, axis).copy())).numpy()
    return layer.running_mean.numpy(), layer.running_var.numpy(), np.moveaxis(y, 1, axis)


def _run_flax(nn, batches, x_eval, axis, new_weight, eps, mean, var, gamma, beta):
    import jax
    import jax.numpy as jnp
    layer = nn.BatchNorm(axis=axis, momentum=1 - new_weight, epsilon=eps,
                         param_dtype=jnp.float64)
    # Flax creates batch_stats in float32; given float64 ones it updates them in float64
    variables = {"params": {"scale": jnp.asarray(gamma), "bias": jnp.asarray(beta)},
                 "batch_stats": {"mean": jnp.asarray(mean), "var": jnp.asarray(var)}}
    train = jax.jit(lambda v, x: layer.apply(v, x, use_running_average=False,
                                             mutable=["batch_stats"])[1])
    for x in batches:
        variables = {"params": variables["params"],
                     "batch_stats": train(variables, jnp.asarray(x))["batch_stats"]}
    y = jax.jit(lambda v, x: layer.apply(v, x, use_running_average=True))(variables,
                                                                          jnp.asarray(x_eval))
    stats = variables["batch_stats"]
    return np.asarray(stats["mean"]), np.asarray(stats["var"]), np.asarray(y)


def _run_keras(keras, batches, x_eval, axis, new_weight, eps, mean, var, gamma, beta):
    layer = keras.layers.BatchNormalization(axis=axis, momentum=1 - new_weight, epsilon=eps,
                                            dtype="float64")
    layer.build(np.shape(x_eval))
    for variable, value in ((layer.moving_mean, mean), (layer.moving_variance, var),
                            (layer.gamma, gamma), (layer.beta, beta)):
        variable.assign(value)
    for x in batches:
        layer(x, training=True)
    y = layer(x_eval, training=False)
    return np.asarray(layer.moving_mean), np.asarray(layer.moving_variance), np.asarray(y)


def observe(name: str, seed: int = 0) -> Observed:
    """Measure convention ``name`` from its real layer built with the framework's defaults.

    One training step on a (4, 3, 5) batch (all sizes distinct, so the running mean's length
    shows the feature axis): the running mean's move gives the new value's weight w, the
    running variance's move, divided by w and the biased batch variance, gives 1 (biased) or
    n/(n-1) (unbiased), n = 4 * 5 values per channel.
    """
    module = _import(name)
    x = np.random.default_rng(seed).normal(size=(4, 3, 5)) * 2.5 + 0.7
    eps, stats = {"pytorch": _defaults_torch, "flax": _defaults_flax,
                  "keras": _defaults_keras}[name](module, x)
    (mean0, var0), (mean1, var1) = stats
    feature_axis = 1 if np.size(mean1) == x.shape[1] else -1
    axes = tuple(i for i in range(x.ndim) if i != feature_axis % x.ndim)
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes)
    new_weight = float(np.mean((mean1 - mean0) / (batch_mean - mean0)))
    ratio = float(np.mean((var1 - (1 - new_weight) * var0) / (new_weight * batch_var)))
    n = x.size // x.shape[feature_axis]
    return Observed(name, float(eps), new_weight,
                    abs(ratio - n / (n - 1)) < abs(ratio - 1), feature_axis,
                    float(np.mean(mean0)), float(np.mean(var0)))


def _defaults_torch(torch, x):
    layer = torch.nn.BatchNorm1d(x.shape[1], dtype=torch.float64)
    before = (layer.running_mean.numpy().copy(), layer.running_var.numpy().copy())
    with torch.no_grad():
        layer.train()(torch.from_numpy(x))
    return layer.eps, (before, (layer.running_mean.numpy(), layer.running_var.numpy()))


def _defaults_flax(nn, x):
    import jax
    layer = nn.BatchNorm(use_running_average=False)
    variables = layer.init(jax.random.PRNGKey(0), x)
    _, updates = layer.apply(variables, x, mutable=["batch_stats"])
    stats = [(np.asarray(v["batch_stats"]["mean"], np.float64),
              np.asarray(v["batch_stats"]["var"], np.float64)) for v in (variables, updates)]
    return layer.epsilon, stats


def _defaults_keras(keras, x):
    layer = keras.layers.BatchNormalization()
    layer.build(x.shape)
    before = (np.asarray(layer.moving_mean, np.float64), np.asarray(layer.moving_variance,
                                                                     np.float64))
    layer(x, training=True)
    return layer.epsilon, (before, (np.asarray(layer.moving_mean, np.float64),
                                    np.asarray(layer.moving_variance, np.float64)))
