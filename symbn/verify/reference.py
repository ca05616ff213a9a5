"""The outputs a correct implementation returns for one case, from symbn's derivation.

Every value comes from the compiled family kernels (symbn.kernels.family.normalize and
weight_norm: derived with SymPy, eps inside the square root, biased batch variance), on the
canonical view of the input (symbn.verify.layouts), moved back to the user's layout.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from symbn.kernels import family
from symbn.verify.kinds import Kind
from symbn.verify.layouts import Layout, from_canonical, to_canonical


def reference_outputs(kind: Kind, layout: Layout, inputs: dict, *, eps: float | None = None,
                      groups: int | None = None) -> dict[str, np.ndarray]:
    """``kind``'s outputs for float64 ``inputs`` (the user's layout; keys as in the kind's
    signature: x, dy, gamma, beta / weight / v, dw, g)."""
    norm = kind.norm
    x = inputs[norm.input]
    upstream = inputs.get("d" + norm.output)
    if upstream is None:  # a forward: the gradients are not compared, any dy will do
        upstream = np.zeros_like(x)
    canon = lambda a: to_canonical(a, layout, norm)  # noqa: E731
    back = lambda a: from_canonical(a, layout, norm, x.shape)  # noqa: E731
    if norm.name == "weightnorm":
        out = family.weight_norm(canon(x), inputs["g"], canon(upstream))
        values = {"w": back(out["w"]), "dv": back(out["dv"]), "dg": out["dgain"]}
    else:
        member = "layernorm" if norm.name == "layernorm" else norm.name
        params = [inputs[p] for p in norm.params]
        gamma, beta = params[0], (params[1] if len(params) > 1 else None)
        # beta is None only for rmsnorm, which normalize does not read; eps: every norm but weightnorm has one
        out = family.normalize(member, canon(x), canon(upstream), gamma, cast(np.ndarray, beta), cast(float, eps),
                               groups=groups)
        values = {"y": back(out["y"]), "dx": back(out["dx"])}
        for p, derived in zip(norm.params, ("dgamma", "dbeta")):
            values["d" + p] = out[derived]
    return {name: values[name] for name in kind.outputs}


def warm_kernels(kind: Kind) -> None:
    """Build (or load) the family kernel ``kind`` needs, ahead of the first case."""
    {"weightnorm": family.weight_norm_kernel, "rmsnorm": family.rms_kernel}.get(
        kind.norm.name, family.standardize_kernel)()


def statistics_view(kind: Kind, layout: Layout, x: np.ndarray,
                    groups: int | None = None) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """(view of x, the axes each statistic reduces) as the family kernels see them, or None
    for the members that do not centre (rmsnorm, weightnorm)."""
    if kind.norm.name in ("rmsnorm", "weightnorm"):
        return None
    canonical = to_canonical(x, layout, kind.norm)
    lay = family.layout(kind.norm.name, canonical.shape, groups)
    return np.reshape(canonical, lay.view), lay.axes
