"""Input layouts: where the feature (channel) axis is, and the one move to and from the view
that symbn.kernels.family computes on.

A layout is a rank and a feature axis; its name spells the axes: NC, NCL, NCHW (channel on
axis 1, PyTorch), NLC, NHWC (channels last), BTC (a sequence model's (batch, time, channel)),
and for weight normalization OI, OIHW (norm per output row, axis 0).  Any valid feature axis,
negative included, gives a layout (``layouts_for``); names only label them.

The canonical view is (N, C, *S) with the feature axis at 1 for the per-channel norms
(batchnorm, instancenorm, groupnorm), (M, C) with every other axis flattened into rows for the
last-axis norms (layernorm, rmsnorm: statistics over the feature axis), and (O, *rest) with the
feature axis first for weight normalization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbn.verify.kinds import Norm

#: each statistics' axis letters in canonical order, and where the feature axis sits in them
_BASE = {"channel": ({2: "NC", 3: "NCL", 4: "NCHW"}, 1), "last": ({2: "NC", 3: "BTC"}, -1),
         "rows": ({2: "OI", 4: "OIHW"}, 0)}


class LayoutError(ValueError):
    """A layout or feature axis that does not fit the kind."""


@dataclass(frozen=True)
class Layout:
    name: str
    ndim: int
    feature_axis: int  # normalized to 0 <= axis < ndim

    def shape(self, canonical_shape) -> tuple[int, ...]:
        """The user's shape for a canonical (N, C, *S) shape: C moved to the feature axis."""
        dims = list(canonical_shape)
        dims.insert(self.feature_axis, dims.pop(1))
        return tuple(dims)


def make_layout(norm: Norm, ndim: int, feature_axis: int) -> Layout:
    letters, at = _BASE[norm.statistics]
    spelled = list(letters[ndim])
    spelled.insert(feature_axis % ndim, spelled.pop(at))
    return Layout("".join(spelled), ndim, feature_axis % ndim)


#: the names --layout accepts (BTC: a (batch, time, channel) input, channel last)
NAMED = {"NC": (2, 1), "NCL": (3, 1), "NLC": (3, 2), "BTC": (3, 2), "NCHW": (4, 1),
         "NHWC": (4, 3), "OI": (2, 0), "OIHW": (4, 0)}
#: weight normalization's layouts (a norm per output row): no input of another norm has them
WEIGHT_LAYOUTS = ("OI", "OIHW")


def layouts_for(norm: Norm, feature_axis: int | None = None, name: str | None = None) \
        -> tuple[Layout, ...]:
    """The layouts to try for ``norm``: the named one, or every rank the norm accepts with the
    feature axis given (the norm's default otherwise); a rank the axis does not fit is skipped,
    an axis that fits none is an error."""
    if name is not None:
        key = name.upper()
        if key not in NAMED:
            raise LayoutError(f"unknown layout {name!r}; use one of {', '.join(NAMED)}")
        ndim, axis = NAMED[key]
        if (key in WEIGHT_LAYOUTS) != (norm.statistics == "rows"):
            named = ("OI, OIHW (weight layouts)" if norm.statistics == "rows"
                     else ", ".join(n for n in NAMED if n not in WEIGHT_LAYOUTS))
            raise LayoutError(f"layout {key} is not a {norm.name} layout; use one of {named} "
                              "(or --feature-axis)")
        if ndim not in norm.ndims:
            raise LayoutError(f"{norm.name} takes {'-D, '.join(map(str, norm.ndims))}-D inputs, "
                              f"not the {ndim}-D layout {key}")
        if feature_axis is not None and feature_axis % ndim != axis:
            raise LayoutError(f"--feature-axis {feature_axis} contradicts layout {key} "
                              f"(feature axis {axis})")
        return (make_layout(norm, ndim, axis),)
    axis = norm.feature_axis if feature_axis is None else feature_axis
    found = tuple(make_layout(norm, d, axis) for d in norm.ndims if -d <= axis < d)
    if not found:
        raise LayoutError(f"feature axis {axis} fits no {norm.name} input "
                          f"({'-D, '.join(map(str, norm.ndims))}-D): use an axis from "
                          f"{-max(norm.ndims)} to {max(norm.ndims) - 1}")
    return found


def to_canonical(a: np.ndarray, layout: Layout, norm: Norm) -> np.ndarray:
    """The family kernels' view of an input in ``layout`` (see the module docstring)."""
    if norm.statistics == "last":
        moved = np.moveaxis(a, layout.feature_axis, -1)
        return moved.reshape(-1, moved.shape[-1])
    return np.moveaxis(a, layout.feature_axis, 0 if norm.statistics == "rows" else 1)


def from_canonical(a: np.ndarray, layout: Layout, norm: Norm, shape) -> np.ndarray:
    """The inverse of :func:`to_canonical` for an array of the input's ``shape``."""
    if norm.statistics == "last":
        moved = np.moveaxis(np.empty(shape, dtype=bool), layout.feature_axis, -1).shape
        return np.moveaxis(a.reshape(moved), -1, layout.feature_axis)
    return np.moveaxis(a, 0 if norm.statistics == "rows" else 1, layout.feature_axis)
