"""The inputs ``symbn verify`` calls the user's code on: a grid per rank, and stress cases.

Shapes are canonical (N, C, *S) and are moved into each layout (symbn.verify.layouts).  Every
C differs from the other axes' sizes, so code written for another layout fails with a shape
error instead of silently normalizing the wrong axis; every C is even (groupnorm uses
``GROUPS`` = 2 groups of 3 or more values: with 2 values per group dx is pure cancellation;
``group_cases`` adds a 12-channel case in 3 groups, for code that ignores its groups).
The upstream gradient dy is random, never constant (dx would be 0).  A scale (gamma,
weight, g) takes both signs and magnitudes in ``SCALES``, so code that uses |gamma|, or
clips it, is caught; a shift (beta) is N(0, 1).

Stress cases (each named in the report), on the first shape of the rank:

* ``mean offset`` (float64, float32): x = 1e4 + z, z ~ N(0, 1): the one-pass variance
  E[x^2] - E[x]^2 loses 8 digits; a two-pass or Welford variance loses 4 (see precision.py);
* ``large values`` (float16): x = 300 z: x^2 overflows float16 (max 65504) in code that
  squares in the input dtype, and the variance 9e4 itself does not fit;
* ``tiny eps`` (float16): eps = 1e-8, which rounds to 0 in float16, with a constant channel:
  code that adds eps in float16 divides 0 by 0;
* ``constant channel`` (float64, float32): one channel (a group, a row for the last-axis norms;
  a zero row for RMSNorm) constant: the variance is 0 and only eps keeps y and dx finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from symbn.verify.kinds import GROUPS, Kind
from symbn.verify.layouts import Layout
from symbn.verify.precision import round_to

SHAPES = {
    2: (((3, 6), 1e-5), ((16, 8), 1e-3), ((256, 6), 1e-5)),
    3: (((4, 6, 5), 1e-5), ((2, 8, 7), 0.1)),
    4: (((2, 6, 4, 5), 1e-5), ((4, 8, 3, 3), 0.1)),
}
STRESS = {"mean offset": ("float64", "float32"), "large values": ("float16",),
          "tiny eps": ("float16",), "constant channel": ("float64", "float32")}
TINY_EPS = 1e-8
#: the magnitudes a scale parameter is drawn from; its signs alternate in a random order
SCALES = (0.25, 2.0)
#: what each stress case exposes, for the report
HINTS = {"mean offset": "x = 1e4 + N(0, 1): a one-pass variance E[x^2] - E[x]^2 cancels",
         "large values": "x = 300 N(0, 1): x^2 overflows float16; take statistics in float32",
         "tiny eps": "eps = 1e-8 is 0 in float16 and a channel is constant: add eps in float32",
         "constant channel": "a constant channel has variance 0: only eps keeps y and dx finite"}


@dataclass(frozen=True)
class Case:
    """One call: a canonical shape, eps (None for a kind without one), a seed, the stress
    case's name (or None) and, for groupnorm, the number of groups (None: ``GROUPS``)."""

    shape: tuple[int, ...]
    eps: float | None
    seed: int = 0
    stress: str | None = None
    groups: int | None = None

    def label(self, layout: Layout) -> str:
        text = "x".join(map(str, layout.shape(self.shape)))
        if self.eps is not None:
            text += f" eps={self.eps:g}"
        if self.groups is not None:
            text += f" groups={self.groups}"
        return f"{text} [{self.stress}]" if self.stress else text

    def inputs(self, kind: Kind, layout: Layout, dtype: str) -> dict[str, np.ndarray]:
        """float64 arrays in the user's layout, every value exactly representable in ``dtype``
        (so the derivation sees exactly what the user's code gets)."""
        norm = kind.norm
        rng = np.random.default_rng(self.seed)
        shape = layout.shape(self.shape)
        channels = shape[layout.feature_axis]
        z = rng.normal(size=shape)
        stressed = cast(dict[str | None, np.ndarray], {"mean offset": 1e4 + z, "large values": 300.0 * z})
        x = stressed.get(self.stress, 2.5 * z + 0.7)
        if self.stress in ("constant channel", "tiny eps"):
            _make_constant(x, kind, layout)
        arrays = {norm.input: x, "d" + norm.output: rng.normal(size=shape)}
        for p in norm.params:
            arrays[p] = rng.normal(size=channels) if p == "beta" else \
                rng.permutation(np.resize([-1.0, 1.0], channels)) * rng.uniform(*SCALES, channels)
        return {k: round_to(a, dtype) for k, a in arrays.items()}


def parameters_note(kind: Kind) -> str:
    """How the parameters were drawn, for the report's list of what was checked."""
    scales = [p for p in kind.norm.params if p != "beta"]
    shifts = [p for p in kind.norm.params if p == "beta"]
    return (f"parameters: {', '.join(scales)} of both signs, |{scales[0]}| in "
            f"[{SCALES[0]:g}, {SCALES[1]:g}]" + "".join(f"; {p} from N(0, 1)" for p in shifts))


def _make_constant(x, kind: Kind, layout: Layout) -> None:
    """Make one channel (group, row) of ``x`` constant, in place."""
    moved = np.moveaxis(x, layout.feature_axis, -1)
    if kind.norm.statistics == "last":
        moved[(0,) * (moved.ndim - 1)] = 0.0 if kind.norm.name == "rmsnorm" else 1.5
    elif kind.norm.name == "groupnorm":
        moved[..., : moved.shape[-1] // GROUPS] = 1.5
    else:
        moved[..., 0] = 1.5


def grid(kind: Kind, layout: Layout) -> tuple[Case, ...]:
    return tuple(Case(shape, eps) for shape, eps in SHAPES[layout.ndim])


def group_cases(layout: Layout) -> tuple[Case, ...]:
    """For a groupnorm function: the first shape with C = 12 split into 3 groups (4 channels
    each), so code that ignores its ``groups`` argument (hard-codes 2) is caught."""
    (n, _, *spatial), eps = SHAPES[layout.ndim][0]
    return (Case((n, 12, *spatial), eps, groups=3),)


def stress_cases(kind: Kind, layout: Layout, dtypes) -> tuple[tuple[Case, str], ...]:
    """(case, dtype) for every stress case that applies to ``kind`` and one of ``dtypes``."""
    shape, eps = SHAPES[layout.ndim][0]
    found = []
    for name, wanted in STRESS.items():
        if not kind.has_eps and name in ("tiny eps", "constant channel"):
            continue  # weight normalization: no eps, a zero row has no defined direction
        if name == "mean offset" and kind.norm.name == "rmsnorm":
            continue  # no centring: nothing cancels
        for dtype in wanted:
            if dtype in dtypes:
                found.append((Case(shape, TINY_EPS if name == "tiny eps" else eps,
                                   stress=name), dtype))
    return tuple(found)
