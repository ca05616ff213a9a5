"""What ``symbn verify`` can check: one kind per normalization and role, with its call signature.

A kind is NAME-ROLE: NAME in batchnorm, layernorm, rmsnorm, groupnorm, instancenorm,
weightnorm; ROLE in

* ``forward``:  ``f(x, <params>, <extras>) -> y``
* ``backward``: ``f(x, dy, <params>, <extras>) -> (dx, d<param>...)`` for L = sum(dy * y)
* ``pair``:     a forward ``f(x, <params>, param) -> (y, cache)`` and a backward
  ``b(dy, cache) -> (dx, d<param>...)`` verified together (CS231n's ``bn_param`` dict
  {"mode": "train", "eps": eps}; a forward taking only ``(x, <params>)``, as llm.c's, keeps its
  own eps, assumed to be 1e-5 and said so in the report).

``bn-forward`` and ``bn-backward`` stay as aliases of ``batchnorm-forward``/``-backward``.
Parameters are sized from the feature axis: (C,) with C = x.shape[feature_axis].
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("forward", "backward", "pair")
#: how many groups a groupnorm case uses (every case's C is even)
GROUPS = 2
#: the eps a pair forward without a param argument is assumed to use (llm.c, PyTorch)
DEFAULT_EPS = 1e-5


@dataclass(frozen=True)
class Norm:
    """One member of the family, as a user's function sees it.

    ``params``: the learnable arguments, each of shape (C,); ``extras``: the arguments after
    them (``eps``; groupnorm's ``groups`` comes before the params, as in F.group_norm);
    ``statistics``: "channel" (statistics per channel or per sample and channel, the feature
    axis kept: batchnorm, instancenorm, groupnorm) or "last" (over the feature axis, per row:
    layernorm, rmsnorm) or "rows" (weight norm: the norm of each slice along the feature axis);
    ``ndims``: the input ranks the kind accepts; ``feature_axis``: the default.
    """

    name: str
    params: tuple[str, ...]
    extras: tuple[str, ...]
    statistics: str
    ndims: tuple[int, ...]
    feature_axis: int
    input: str = "x"
    output: str = "y"
    leading: tuple[str, ...] = ()  # arguments between the input and the params (groups)

    def arguments(self, role: str) -> tuple[str, ...]:
        upstream = ("d" + self.output,) if role == "backward" else ()
        return (self.input, *upstream, *self.leading, *self.params, *self.extras)

    def gradients(self) -> tuple[str, ...]:
        return ("d" + self.input, *("d" + p for p in self.params))


NORMS = {n.name: n for n in (
    Norm("batchnorm", ("gamma", "beta"), ("eps",), "channel", (2, 3, 4), 1),
    Norm("instancenorm", ("gamma", "beta"), ("eps",), "channel", (3, 4), 1),
    Norm("groupnorm", ("gamma", "beta"), ("eps",), "channel", (2, 3, 4), 1, leading=("groups",)),
    Norm("layernorm", ("gamma", "beta"), ("eps",), "last", (2, 3), -1),
    Norm("rmsnorm", ("weight",), ("eps",), "last", (2, 3), -1),
    Norm("weightnorm", ("g",), (), "rows", (2, 4), 0, input="v", output="w"),
)}


@dataclass(frozen=True)
class Kind:
    name: str
    norm: Norm
    role: str

    @property
    def outputs(self) -> tuple[str, ...]:
        """The outputs compared; a pair yields the forward's and the backward's."""
        if self.role == "forward":
            return (self.norm.output,)
        if self.role == "backward":
            return self.norm.gradients()
        return (self.norm.output, *self.norm.gradients())

    @property
    def signature(self) -> str:
        """The call(s) symbn makes, shown when a call fails."""
        n = self.norm
        if self.role == "pair":
            args = ", ".join((n.input, *n.leading, *n.params))
            grads = ", ".join(n.gradients())
            return (f"forward({args}, param) -> ({n.output}, cache) with param = "
                    f"{{'mode': 'train', 'eps': eps}} (or forward({args}) -> ({n.output}, "
                    f"cache)), backward(d{n.output}, cache) -> ({grads})")
        outs = self.outputs
        result = outs[0] if len(outs) == 1 else f"({', '.join(outs)})"
        return f"f({', '.join(n.arguments(self.role))}) -> {result}"

    @property
    def has_eps(self) -> bool:
        return "eps" in self.norm.extras


ALIASES = {"bn-forward": "batchnorm-forward", "bn-backward": "batchnorm-backward"}
KINDS = {f"{n}-{r}": Kind(f"{n}-{r}", norm, r) for n, norm in NORMS.items() for r in ROLES}
KIND_NAMES = (*KINDS, *ALIASES)


class UnknownKind(ValueError):
    pass


def get_kind(name: str) -> Kind:
    """The kind called ``name`` (an alias resolves to its kind)."""
    kind = KINDS.get(ALIASES.get(name, name))
    if kind is None:
        raise UnknownKind(f"unknown kind {name!r}; use NAME-forward, NAME-backward or NAME-pair "
                          f"with NAME one of {', '.join(NORMS)}")
    return kind
