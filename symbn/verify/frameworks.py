"""The user's framework objects, constructed and run by symbn: one adapter per framework.

* a PyTorch ``nn.Module`` class (or instance), a ``torch.autograd.Function`` (called through
  ``.apply``) or a plain function on tensors: gradients by ``torch.autograd.grad``, the
  Hessian-vector product by double backward (``create_graph=True``);
* a JAX function ``f(x, gamma, beta, eps)``: gradients by ``jax.vjp``, the Hessian-vector
  product as forward-over-reverse (``jax.jvp`` of ``jax.grad``);
* a Flax linen module class: ``init``, then ``apply`` with ``mutable=["batch_stats"]``;
  gradients with respect to the input and the parameters by ``jax.vjp``.

Every adapter builds an :class:`Instance` for one eps and dtype, with gamma and beta set to
the case's random values (the initial ones, 1 and 0, would let a module that ignores them
pass), and answers: train-mode outputs and gradients of L = sum(dy * y) for a random dy; the
Hessian-vector product; one training step; its running statistics; eval mode.

JAX runs with float64 enabled (``jax_enable_x64``, a process-wide setting: the module kinds
run in their own worker from the command line).

Constructor arguments come from ``init`` (``--init 'momentum=0.2'``) and, for the required
ones it does not give, from their names: a channel count (``num_features``, ``features``,
...), ``normalized_shape``, ``num_groups``; eps (``eps``, ``epsilon``) is passed when the
constructor takes it, so each case's eps is used.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import sys
from abc import ABC, abstractmethod

import numpy as np

#: names a constructor gives its feature size (nanoGPT's LayerNorm takes ``ndim``)
CHANNEL_NAMES = ("num_features", "num_channels", "features", "channels", "dim", "hidden_size",
                 "d_model", "n_embd", "ndim", "n_features", "feature_size", "embed_dim",
                 "hidden_dim", "n_embed", "n_state", "in_channels", "c", "C")
EPS_NAMES = ("eps", "epsilon", "variance_epsilon")
SCALE_NAMES = ("weight", "gamma", "scale", "g", "w")
SHIFT_NAMES = ("bias", "beta", "offset", "shift", "b")
INPUT_NAMES = ("x", "input", "inp", "inputs", "X", "z", "h", "hidden_states")
MEAN_NAMES = ("running_mean", "moving_mean", "mean", "ra_mean", "run_mean")
VAR_NAMES = ("running_var", "moving_var", "moving_variance", "var", "ra_var", "run_var")
#: a Flax module's train switch, and whether it is the negation of "train"
FLAX_SWITCHES = {"train": False, "training": False, "is_training": False,
                 "use_running_average": True, "deterministic": True}


class TargetError(ValueError):
    """The object cannot be constructed or called as symbn needs (the message says how to fix)."""


#: an object without a momentum attribute
NO_MOMENTUM = object()


class CallError(RuntimeError):
    """The object ran but did not give what symbn needs (a tensor y, a gradient)."""


class SecondOrderUnavailable(RuntimeError):
    """The framework cannot differentiate the object twice (the message says why)."""


class Instance(ABC):
    """One constructed object for one eps and dtype, with known gamma and beta."""

    eps: float
    gamma: np.ndarray | None  # None: the object has no scale parameter (taken as 1)
    beta: np.ndarray | None
    #: running statistics kept as plain tensor attributes, not registered buffers
    plain_stats: tuple[str, ...] = ()
    #: the momentum attribute of the constructed object, NO_MOMENTUM when it has none
    momentum: object = None
    #: parameters of one value per channel that are neither the scale nor the shift by name
    unrecognized: tuple[str, ...] = ()

    @abstractmethod
    def train(self, x, dy) -> dict:
        """{"y", "dx", "dgamma", "dbeta"} in training mode (no dgamma/dbeta without params)."""

    @abstractmethod
    def hvp(self, x, dy, v) -> np.ndarray:
        """d/dt dL/dx(x + t v) at t = 0 for L = sum(dy * y), by the framework's autograd."""

    def step(self, x) -> None:
        """One training-mode forward pass, updating the running statistics."""
        raise NotImplementedError

    def running(self):
        """(running mean, running var) as float64 arrays, or None when it keeps none."""
        return None

    def evaluate(self, x) -> np.ndarray:
        raise NotImplementedError


class Target(ABC):
    """A user's object in one framework, able to build instances."""

    framework: str = ""
    what: str = ""
    stateful: bool = False  # constructed fresh, so it may keep running statistics
    default_feature_axis: int | None = None  # None: the kind's default

    def __init__(self, obj, init: dict):
        self.obj, self.init = obj, dict(init)
        self.name = getattr(obj, "__qualname__", None) or type(obj).__qualname__

    @abstractmethod
    def instance(self, x, gamma, beta, *, eps: float | None, dtype: str, groups: int | None,
                 seed: int) -> Instance:
        """Build one instance for inputs like ``x`` with scale ``gamma`` and shift ``beta``
        (each (C,)); ``eps=None`` keeps the constructor's default."""

    def eps_statement(self, default_eps: float) -> str:
        return f"eps: each case's, passed to {self.name}"

    def channels(self) -> int | None:
        """The channel count fixed before symbn's cases: by an object constructed before
        symbn saw it, or by the feature size given with ``--init`` (None: any)."""
        return init_channels(self.init)

    def takes_momentum(self) -> bool:
        """Whether ``--init 'momentum=...'`` reaches the object (a class symbn constructs
        with a momentum argument)."""
        try:
            return isinstance(self.obj, type) and \
                "momentum" in inspect.signature(self.obj).parameters
        except (TypeError, ValueError):
            return False

    def chosen(self) -> tuple[dict, str]:
        """The eps and momentum the user chose, and where: ``--init`` for a class symbn
        constructs, the object's own attributes for one already constructed."""
        if isinstance(self.obj, type) or not self.stateful:
            values = {"eps": next((self.init[n] for n in EPS_NAMES if n in self.init), None),
                      "momentum": self.init.get("momentum")}
            where = "from --init"
        else:
            values = {"eps": instance_eps(self.obj), "momentum": getattr(self.obj, "momentum", None)}
            where = "the object's"
        return {k: v for k, v in values.items() if v is not None or k in self.init}, where


# -- helpers shared by the adapters -------------------------------------------------------

def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1].rsplit("/", 1)[-1]


def per_channel(shape, channels: int) -> bool:
    """Whether an array of ``shape`` holds one value per channel along one axis: (C,), and
    the broadcastable (1, C, 1, 1), (1, C), (1, 1, C) of from-scratch code."""
    shape = tuple(shape)
    return shape.count(channels) == 1 and all(d in (1, channels) for d in shape)


def _pick(named: dict, names, channels: int):
    """The entry of ``named`` whose last name component is in ``names`` and which holds one
    value per channel (:func:`per_channel`)."""
    for candidate in names:
        for key, value in named.items():
            if _leaf(key) == candidate and per_channel(np.shape(value), channels):
                return key
    return None


def _get(obj, path: str):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def constructor_arguments(cls, init: dict, *, channels, eps, groups, param_shape,
                          skip=("self", "parent", "name", "args", "kwargs")) -> dict:
    """``init`` plus the required arguments it lacks (channels, shape), and eps and the number
    of groups when they are given (``None``: the constructor's default)."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return dict(init)
    kwargs = dict(init)
    for name, p in params.items():
        if name in kwargs or name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if name in EPS_NAMES and eps is not None:
            kwargs[name] = eps
        elif name in ("num_groups", "groups") and groups:
            kwargs[name] = groups  # the cases' groups, whatever the default (Flax's is 32)
        elif p.default is not inspect.Parameter.empty:
            continue
        elif name in CHANNEL_NAMES:
            kwargs[name] = channels
        elif name == "normalized_shape":
            kwargs[name] = tuple(param_shape)
        else:
            raise TargetError(f"cannot construct {cls.__qualname__}: its argument {name!r} has no "
                              f"default; pass it with --init '{name}=...'")
    return kwargs


def init_channels(init: dict) -> int | None:
    """The feature size ``--init`` gives, under any of :data:`CHANNEL_NAMES` or as a
    one-axis ``normalized_shape``."""
    for name in (*CHANNEL_NAMES, "normalized_shape"):
        value = init.get(name)
        if isinstance(value, (tuple, list)) and len(value) == 1:
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def takes_eps(cls) -> bool:
    try:
        return any(n in EPS_NAMES for n in inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return False


def instance_eps(obj):
    for name in EPS_NAMES:
        value = getattr(obj, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def call_arguments(fn, skip_first: bool = False):
    """Map a function's positional parameters onto x, gamma, beta, eps by their names (in
    order when a name is not recognized); the list of what each position receives."""
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    params = params[1:] if skip_first else params
    roles, order = [], ["x", "gamma", "beta", "eps"]
    for p in params:
        role = ("x" if p.name in INPUT_NAMES else "gamma" if p.name in SCALE_NAMES
                else "beta" if p.name in SHIFT_NAMES else "eps" if p.name in EPS_NAMES else None)
        if role is None:
            if p.default is not inspect.Parameter.empty:
                break
            role = next((r for r in order if r not in roles), None)
        if role is None:
            raise TargetError(f"{getattr(fn, '__qualname__', fn)}: cannot tell what parameter "
                              f"{p.name!r} is; symbn calls f(x, gamma, beta, eps)")
        roles.append(role)
    if "x" not in roles:
        raise TargetError(f"{getattr(fn, '__qualname__', fn)} takes no input; symbn calls "
                          "f(x, gamma, beta, eps)")
    return roles


class _FunctionTarget(Target):
    """A function called with x, gamma, beta, eps in the order of its ``roles``
    (:func:`call_arguments`, set by the subclass)."""

    roles: list[str]

    def eps_statement(self, default_eps):
        if "eps" in self.roles:
            return f"eps: each case's, passed to {self.name}"
        return f"eps: {self.name} takes none; its own is assumed to be {default_eps:g}"


class _CalledByRoles:
    """The instance side of a :class:`_FunctionTarget`, mixed into a framework's instance:
    the function, its roles and eps, and gamma and beta only where it takes them."""

    gamma: np.ndarray | None
    beta: np.ndarray | None

    def bind(self, fn, roles: list[str], eps, gamma, beta) -> None:
        self.fn, self.roles, self.eps = fn, roles, eps
        self.gamma = gamma if "gamma" in roles else None
        self.beta = beta if "beta" in roles else None

    def given(self) -> dict:
        """{"dgamma": gamma, "dbeta": beta} for the parameters the function takes."""
        return {f"d{n}": v for n, v in (("gamma", self.gamma), ("beta", self.beta))
                if v is not None}

    def call(self, x, params: dict):
        """The function at ``x`` with the parameters ``params`` ({"dgamma": ..., "dbeta":
        ...}, framework arrays) and eps, each passed where its role says."""
        values = {"x": x, "gamma": params.get("dgamma"), "beta": params.get("dbeta"),
                  "eps": self.eps}
        return self.fn(*(values[r] for r in self.roles))


# -- PyTorch ------------------------------------------------------------------------------

def _torch():
    import torch
    return torch


class _TorchInstance(Instance):
    """Shared by modules and functions: ``forward(x, gamma, beta)`` is the differentiable call."""

    def __init__(self, dtype):
        self.torch = _torch()
        self.dtype = getattr(self.torch, dtype)

    def tensor(self, a, grad=False):
        return self.torch.tensor(np.asarray(a), dtype=self.dtype, requires_grad=grad)

    @abstractmethod
    def forward(self, xt):
        """y for input tensor ``xt`` with this instance's gamma and beta tensors."""

    @abstractmethod
    def parameters(self) -> dict:
        """{"dgamma": tensor, "dbeta": tensor} for the parameters that exist."""

    def _y(self, xt):
        y = self.forward(xt)
        if not isinstance(y, self.torch.Tensor):
            raise CallError(f"returned {type(y).__name__}, not a tensor y")
        return y

    def train(self, x, dy) -> dict:
        torch = self.torch
        xt = self.tensor(x, grad=True)
        y = self._y(xt)
        params = self.parameters()
        wrt = [xt, *params.values()]
        grads = torch.autograd.grad(y, wrt, self.tensor(dy), allow_unused=True)
        out = {"y": _float64(y), "dtype": str(y.dtype).removeprefix("torch.")}
        for name, grad, wrt_tensor in zip(("dx", *params), grads, wrt):
            if grad is None and name == "dx":
                raise CallError("x receives no gradient: the output does not depend on it "
                                "through autograd")
            if grad is None:  # the output does not use the parameter: its gradient is 0
                grad = self.torch.zeros_like(wrt_tensor)
            out[name] = _float64(grad) if name == "dx" else _float64(grad).reshape(-1)
        return out

    def hvp(self, x, dy, v) -> np.ndarray:
        torch = self.torch
        xt = self.tensor(x, grad=True)
        loss = (self._y(xt) * self.tensor(dy)).sum()
        dx, = torch.autograd.grad(loss, xt, create_graph=True)
        if not dx.requires_grad:
            raise SecondOrderUnavailable("its backward is not differentiable (dx does not "
                                         "require grad)")
        try:
            hv, = torch.autograd.grad((dx * self.tensor(v)).sum(), xt, allow_unused=True)
        except RuntimeError as error:
            raise SecondOrderUnavailable(str(error).splitlines()[0]) from None
        if hv is None:
            raise SecondOrderUnavailable("its backward does not depend on x through autograd")
        return _float64(hv)


class _TorchModuleInstance(_TorchInstance):
    def __init__(self, module, dtype, gamma, beta):
        super().__init__(dtype)
        self.module = module.to(self.dtype)
        named = dict(module.named_parameters())
        channels = len(gamma)
        self.scale = _pick(named, SCALE_NAMES, channels)
        self.shift = _pick(named, SHIFT_NAMES, channels)
        with self.torch.no_grad():
            for key, value in ((self.scale, gamma), (self.shift, beta)):
                if key is not None and value is not None:
                    named[key].copy_(self.tensor(value).reshape(named[key].shape))
        self.named = named
        self.unrecognized = tuple(k for k, v in named.items() if k not in (self.scale, self.shift)
                                  and per_channel(v.shape, channels))
        self.gamma = gamma if self.scale else None
        self.beta = beta if self.shift else None
        self.momentum = getattr(module, "momentum", NO_MOMENTUM)
        stats = dict(module.named_buffers())
        plain = self._plain_tensors(module)
        self.stats = (_pick(stats, MEAN_NAMES, channels) or _pick(plain, MEAN_NAMES, channels),
                      _pick(stats, VAR_NAMES, channels) or _pick(plain, VAR_NAMES, channels))
        self.plain_stats = tuple(k for k in self.stats if k in plain)
        with self.torch.no_grad():  # converted as module.to() converts a buffer
            for key in self.plain_stats:
                owner, _, leaf = key.rpartition(".")
                sub = _get(module, owner) if owner else module
                setattr(sub, leaf, plain[key].to(self.dtype))

    def _plain_tensors(self, module) -> dict:
        """Tensor attributes that are neither parameters nor buffers, by qualified name."""
        found = {}
        for prefix, sub in module.named_modules():
            for name, value in vars(sub).items():
                if isinstance(value, self.torch.Tensor) and \
                        not isinstance(value, self.torch.nn.Parameter):
                    found[f"{prefix}.{name}" if prefix else name] = value
        return found

    def forward(self, xt):
        self.module.train()
        return self.module(xt)

    def parameters(self):
        return {n: self.named[k] for n, k in (("dgamma", self.scale), ("dbeta", self.shift)) if k}

    def step(self, x):
        with self.torch.no_grad():
            self.module.train()
            self.module(self.tensor(x))

    def running(self):
        if None in self.stats:
            return None
        # a copy: the module updates its statistics in place
        return tuple(np.array(_get(self.module, k).detach().double().numpy().reshape(-1))
                     for k in self.stats)

    def evaluate(self, x):
        with self.torch.no_grad():
            self.module.eval()
            return _float64(self.module(self.tensor(x)))


class _ModuleTarget(Target):
    """A module: a class symbn constructs for each case, or an object already constructed."""

    def __init__(self, obj, init):
        super().__init__(obj, init)
        self.is_class = isinstance(obj, type)

    def construct(self, kwargs: dict):
        """The user's class called with ``kwargs``; what it raises is one TargetError."""
        try:
            return self.obj(**kwargs)
        except Exception as error:  # noqa: BLE001 -- the user's constructor, reported
            raise TargetError(f"{self.name}({_kwargs_text(kwargs)}) raised "
                              f"{type(error).__name__}: {error}") from None

    def passes_eps(self) -> bool:
        """Whether each case's eps reaches the module: a class whose constructor takes eps,
        with no eps fixed by ``--init``."""
        return self.is_class and takes_eps(self.obj) and not any(n in self.init for n in EPS_NAMES)

    def module_eps(self, eps, module):
        """The eps ``module`` runs with: the case's when passed, else its own attribute."""
        return eps if eps is not None and self.passes_eps() else instance_eps(module)


class TorchModule(_ModuleTarget):
    framework, what, stateful = "PyTorch", "nn.Module", True

    def instance(self, x, gamma, beta, *, eps, dtype, groups, seed):
        if self.is_class:
            module = self.construct(constructor_arguments(
                self.obj, self.init, channels=len(gamma), eps=eps, groups=groups,
                param_shape=np.shape(gamma)))
        else:
            module = copy.deepcopy(self.obj)
        inst = _TorchModuleInstance(module, dtype, gamma, beta)
        inst.eps = self.module_eps(eps, module)
        return inst

    def channels(self):
        if not self.is_class:
            return _module_channels(self.obj)
        if not hasattr(self, "_channels"):
            self._channels = init_channels(self.init)
            if self._channels is None and self.init and not _names_channels(self.obj):
                # --init gave the feature size under a name symbn does not know: the
                # constructed module's scale says it
                try:
                    self._channels = _module_channels(self.obj(**self.init))
                except Exception:  # noqa: BLE001 -- reported when symbn constructs it
                    self._channels = None
        return self._channels

    def eps_statement(self, default_eps):
        if self.passes_eps():
            return f"eps: each case's, passed to {self.name}()"
        return "eps: the module's own (its eps attribute), else " \
               f"{default_eps:g} (the convention's default)"


def _names_channels(cls) -> bool:
    try:
        return any(n in CHANNEL_NAMES or n == "normalized_shape"
                   for n in inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return False


def _module_channels(module) -> int | None:
    count = getattr(module, "num_features", None) or getattr(module, "num_channels", None)
    if count is None:
        count = next((max(p.shape) for n, p in module.named_parameters()
                      if _leaf(n) in SCALE_NAMES and p.dim() >= 1
                      and per_channel(p.shape, max(p.shape))), None)
    return int(count) if count else None


class _TorchCallInstance(_CalledByRoles, _TorchInstance):
    """A torch.autograd.Function (through .apply) or a plain function on tensors."""

    def __init__(self, call, roles, eps, dtype, gamma, beta):
        super().__init__(dtype)
        self.bind(call, roles, eps, gamma, beta)
        self.params = {k: self.tensor(v, grad=True) for k, v in self.given().items()}

    def forward(self, xt):
        return self.call(xt, self.params)

    def parameters(self):
        return self.params


class TorchFunction(_FunctionTarget):
    """A ``torch.autograd.Function`` subclass (called as ``.apply``) or a plain function."""

    framework = "PyTorch"

    def __init__(self, obj, init):
        super().__init__(obj, init)
        torch = _torch()
        self.is_autograd = isinstance(obj, type) and issubclass(obj, torch.autograd.Function)
        self.what = "torch.autograd.Function" if self.is_autograd else "function on tensors"
        self.call = obj.apply if self.is_autograd else obj
        self.roles = call_arguments(obj.forward if self.is_autograd else obj,
                                    skip_first=self.is_autograd)

    def instance(self, x, gamma, beta, *, eps, dtype, groups, seed):
        return _TorchCallInstance(self.call, self.roles, eps, dtype, gamma, beta)


# -- JAX and Flax -------------------------------------------------------------------------

def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


class _JaxInstance(Instance):
    """``forward(x, params)`` is the differentiable call; params a dict of arrays."""

    def __init__(self, dtype):
        self.jax = _jax()
        self.dtype = dtype

    @abstractmethod
    def forward(self, x, params):
        ...

    def differentiable(self) -> dict:
        """{"dgamma": array, "dbeta": array} for the parameters that exist."""
        return {}

    def _array(self, a):
        return self.jax.numpy.asarray(a, dtype=getattr(self.jax.numpy, self.dtype))

    def traced(self, fn, *args, key=None):
        """``fn(*args)`` compiled as one program (one XLA compilation instead of one per
        operation, which dominates the time; ``key`` keeps the compiled program for the next
        call); eagerly when the user's code cannot be traced (Python control flow on values)."""
        errors = self.jax.errors
        compiled = getattr(self, "_compiled", {})
        self._compiled = compiled
        try:
            if key is None:
                return self.jax.jit(fn)(*args)
            if key not in compiled:
                compiled[key] = self.jax.jit(fn)
            return compiled[key](*args)
        except (errors.ConcretizationTypeError, errors.TracerArrayConversionError,
                errors.TracerBoolConversionError, errors.TracerIntegerConversionError):
            return fn(*args)

    def train(self, x, dy):
        jax = self.jax

        def run(x, params, dy):
            y, vjp = jax.vjp(self.forward, x, params)
            return y, *vjp(dy.astype(y.dtype))

        y, dx, dparams = self.traced(run, self._array(x), self.differentiable(), self._array(dy))
        return {"y": _float64(y), "dtype": np.asarray(y).dtype.name, "dx": _float64(dx),
                **{k: _float64(g).reshape(-1) for k, g in dparams.items()}}

    def hvp(self, x, dy, v):
        jax, params = self.jax, self.differentiable()

        def run(x, dy, v):
            grad = jax.grad(lambda a: (dy * self.forward(a, params)).sum())
            return jax.jvp(grad, (x,), (v,))[1]

        try:
            return np.asarray(self.traced(run, *(self._array(a) for a in (x, dy, v))))
        except Exception as error:  # noqa: BLE001 -- JAX's reason, reported as not run
            raise SecondOrderUnavailable(f"{type(error).__name__}: {error}") from None


class _JaxFunctionInstance(_CalledByRoles, _JaxInstance):
    def __init__(self, fn, roles, eps, dtype, gamma, beta):
        super().__init__(dtype)
        self.bind(fn, roles, eps, gamma, beta)

    def differentiable(self):
        return {k: self._array(v) for k, v in self.given().items()}

    def forward(self, x, params):
        return self.call(x, params)


class JaxFunction(_FunctionTarget):
    framework, what = "JAX", "function on JAX arrays"

    def __init__(self, obj, init):
        super().__init__(obj, init)
        self.roles = call_arguments(obj)

    def instance(self, x, gamma, beta, *, eps, dtype, groups, seed):
        return _JaxFunctionInstance(self.obj, self.roles, eps, dtype, gamma, beta)


class _FlaxInstance(_JaxInstance):
    """The train switch is a call argument (``switch``) or a field (``field_switch``: eval mode
    is then a clone with it flipped)."""

    def __init__(self, module, switch, field_switch, x, dtype, gamma, beta, seed):
        super().__init__(dtype)
        from flax import traverse_util
        self.flatten, self.unflatten = traverse_util.flatten_dict, traverse_util.unflatten_dict
        self.module, self.switch, self.field_switch = module, switch, field_switch
        variables = self.traced(lambda x: module.init(self.jax.random.PRNGKey(seed), x,
                                                      **self._flag(True)), self._array(x))
        variables = {k: self._cast(v) for k, v in variables.items()}
        params = {"/".join(k): v for k, v in self.flatten(variables.get("params", {})).items()}
        channels = len(gamma)
        self.scale = _pick(params, SCALE_NAMES, channels)
        self.shift = _pick(params, SHIFT_NAMES, channels)
        self.gamma = gamma if self.scale else None
        self.beta = beta if self.shift else None
        for key, value in ((self.scale, gamma), (self.shift, beta)):
            if key is not None and value is not None:
                params[key] = self._array(value).reshape(np.shape(params[key]))
        self.params = params
        self.unrecognized = tuple(k for k, v in params.items() if k not in (self.scale, self.shift)
                                  and per_channel(np.shape(v), channels))
        self.momentum = getattr(module, "momentum", NO_MOMENTUM)
        self.state = {k: v for k, v in variables.items() if k != "params"}
        stats = {"/".join(k): v for k, v in self.flatten(self.state.get("batch_stats", {})).items()}
        self.stats = (_pick(stats, MEAN_NAMES, channels), _pick(stats, VAR_NAMES, channels))

    def _cast(self, tree):
        # Flax keeps batch_stats in float32 whatever the dtype; cast to the inputs' dtype so a
        # float64 comparison is not limited by float32 state
        return self.jax.tree_util.tree_map(lambda a: self._array(a), tree)

    def _flag(self, train: bool) -> dict:
        if self.switch is None:
            return {}
        return {self.switch: (not train) if FLAX_SWITCHES[self.switch] else train}

    def _variables(self, params, state=None):
        nested = self.unflatten({tuple(k.split("/")): v for k, v in params.items()})
        return {"params": nested, **(self.state if state is None else state)}

    def _apply(self, x, params, train, state=None):
        module = self.module
        if self.field_switch:
            value = (not train) if FLAX_SWITCHES[self.field_switch] else train
            module = module.clone(**{self.field_switch: value})
        return module.apply(self._variables(params, state), x, mutable=["batch_stats"],
                            **self._flag(train))

    def differentiable(self):
        return {n: self.params[k] for n, k in (("dgamma", self.scale), ("dbeta", self.shift)) if k}

    def forward(self, x, params):
        return self._apply(x, {**self.params, **{self._key(n): v for n, v in params.items()}},
                           True)[0]

    def _key(self, name):
        return self.scale if name == "dgamma" else self.shift

    def step(self, x):
        _, updates = self.traced(lambda x, p, state: self._apply(x, p, True, state),
                                 self._array(x), self.params, self.state, key="step")
        self.state = {**self.state, **updates}

    def running(self):
        if None in self.stats:
            return None
        stats = {"/".join(k): v for k, v in self.flatten(self.state["batch_stats"]).items()}
        return tuple(np.asarray(stats[k], dtype=np.float64).reshape(-1) for k in self.stats)

    def evaluate(self, x):
        return np.asarray(self.traced(lambda x, p: self._apply(x, p, False)[0],
                                      self._array(x), self.params))


class FlaxModule(_ModuleTarget):
    framework, what, stateful, default_feature_axis = "Flax", "flax.linen module", True, -1

    def __init__(self, obj, init):
        super().__init__(obj, init)
        cls = obj if isinstance(obj, type) else type(obj)
        call = inspect.signature(cls.__call__).parameters
        fields = {f.name for f in dataclasses.fields(cls)}
        self.switch = next((s for s in FLAX_SWITCHES if s in call), None)
        self.field_switch = None if self.switch else next(
            (s for s in FLAX_SWITCHES if s in fields and s not in self.init), None)

    def instance(self, x, gamma, beta, *, eps, dtype, groups, seed):
        if self.is_class:
            kwargs = constructor_arguments(self.obj, self.init, channels=len(gamma), eps=eps,
                                           groups=groups, param_shape=np.shape(gamma))
            if self.field_switch:  # constructed in train mode
                kwargs[self.field_switch] = not FLAX_SWITCHES[self.field_switch]
            module = self.construct(kwargs)
        else:
            module = self.obj
        inst = _FlaxInstance(module, self.switch, self.field_switch, x, dtype, gamma, beta, seed)
        inst.eps = self.module_eps(eps, module)
        return inst

    def eps_statement(self, default_eps):
        if self.passes_eps():
            return f"eps: each case's, passed to {self.name}()"
        return f"eps: the module's own, else {default_eps:g} (the convention's default)"


def _float64(array) -> np.ndarray:
    """A torch tensor or JAX array as float64 NumPy (bfloat16 has no NumPy type: widen)."""
    if hasattr(array, "detach"):
        return array.detach().double().numpy()
    return np.asarray(array).astype(np.float64)


def _kwargs_text(kwargs) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


# -- detection ----------------------------------------------------------------------------

def _uses(obj, prefix) -> bool:
    """Whether ``obj``'s module namespace holds a module from package ``prefix``."""
    namespace = getattr(obj, "__globals__", None) or vars(sys.modules.get(
        getattr(obj, "__module__", ""), object)) or {}
    return any(getattr(v, "__name__", "").split(".")[0] == prefix
               for v in list(namespace.values()) if inspect.ismodule(v))


def target_for(obj, init: dict | None = None, framework: str | None = None) -> Target:
    """The adapter for ``obj``: by its type when it is a framework class or instance, else by
    ``framework`` ("torch", "jax") or by which framework its module imports."""
    init = init or {}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        if isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
            return TorchFunction(obj, init)
        if (isinstance(obj, type) and issubclass(obj, torch.nn.Module)) or \
                isinstance(obj, torch.nn.Module):
            return TorchModule(obj, init)
    if "flax" in sys.modules:
        linen = sys.modules.get("flax.linen")
        if linen is not None and ((isinstance(obj, type) and issubclass(obj, linen.Module))
                                  or isinstance(obj, linen.Module)):
            return FlaxModule(obj, init)
    if not callable(obj):
        raise TargetError(f"{obj!r} is not callable")
    if framework is None:
        framework = "torch" if _uses(obj, "torch") else "jax" if _uses(obj, "jax") else None
    if init:
        raise TargetError("--init applies to a class symbn constructs; "
                          f"{getattr(obj, '__qualname__', obj)} is a function")
    if framework == "torch":
        return TorchFunction(obj, init)
    if framework == "jax":
        return JaxFunction(obj, init)
    raise TargetError(f"{getattr(obj, '__qualname__', obj)} is neither a PyTorch nor a Flax "
                      "module nor a function of torch or jax: verify a NumPy function with "
                      "--kind NAME-forward or NAME-backward")
