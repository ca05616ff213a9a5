"""Plots for the report (needs the ``plots`` extra: matplotlib).  Rendering only.

:data:`FIGURES` names every figure :func:`write_plots` writes, one PNG file each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symbn.identities import illustrations


def write_plots(directory: Path) -> list[Path]:
    """Write every figure of :data:`FIGURES` into ``directory``; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in _DRAW.items():
        fig = draw(plt)
        fig.tight_layout()
        fig.savefig(directory / name, dpi=110)
        plt.close(fig)
        paths.append(directory / name)
    return paths


def figure(name: str) -> Any:
    """One figure of :data:`FIGURES` as a matplotlib Figure, e.g. to show in a notebook
    (Jupyter draws a returned Figure; it is closed in pyplot, so it is not drawn twice)."""
    import matplotlib.pyplot as plt

    if name not in _DRAW:
        raise ValueError(f"no figure named {name!r}; the figures are {', '.join(_DRAW)}")
    fig = _DRAW[name](plt)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _bias_drift(plt):
    drift = illustrations.bias_drift()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(drift["step"], drift["b_naive"], label="naive step (E[x] held)")
    left.plot(drift["step"], drift["b_true"], label="gradient through E[x]")
    left.set(xlabel="step", ylabel="bias b", title="The bias drifts under the naive step")
    left.legend()
    right.plot(drift["step"], drift["loss"])
    right.set(xlabel="step", ylabel="loss", title="...while the loss does not change")
    return fig


def _eps_residual(plt):
    residual = illustrations.eps_residual()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(residual["ratio"], residual["exact"], label="exact: r / (1 + r)")
    ax.semilogx(residual["ratio"], residual["measured"], "o", ms=3, label="kernel")
    ax.set(xlabel="r = eps / Var(x)", ylabel="<dx, xhat> / (N gamma E[g xhat] / s)",
           title="The eps-residual of <dx, xhat>")
    ax.legend()
    return fig


def _homogeneity(plt):
    h = illustrations.homogeneity()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, name in zip(axes, ("relu", "tanh")):
        scaled_input, scaled_output = h[name]
        ax.plot(h["z"], scaled_input, label=f"{name}({h['gamma']:g} z)")
        ax.plot(h["z"], scaled_output, "--", label=f"{h['gamma']:g} {name}(z)")
        ax.set(xlabel="z", title=f"{name} under positive scaling")
        ax.legend()
    return fig


def _batch_noise(plt):
    noise = illustrations.batch_noise()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.loglog(noise["m"], noise["std_mean"], "o", label="simulated")
    left.loglog(noise["m"], noise["law_std_mean"], label="sigma / sqrt(m)")
    left.set(xlabel="batch size m", ylabel="std of the batch mean",
             title="The batch mean's noise shrinks as 1/sqrt(m)")
    left.legend()
    right.semilogx(noise["m"], noise["mean_var"], "o", label="simulated")
    right.semilogx(noise["m"], noise["law_mean_var"], label="(m - 1)/m sigma^2")
    right.set(xlabel="batch size m", ylabel="mean batch variance",
              title="The batch variance is biased by (m - 1)/m")
    right.legend()
    return fig


def _mock_transforms(plt):
    curves = illustrations.mock_transforms()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name in ("log-shift", "sqrt-shift", "tanh"):
        ax.plot(curves["x"], curves[name], label=name)
    ax.set(xlabel="x", title="Mock-BN transforms (p = q = 0): odd, increasing, C^1")
    ax.legend()
    return fig


_DRAW = {"bias_drift.png": _bias_drift, "eps_residual.png": _eps_residual,
         "homogeneity.png": _homogeneity, "batch_noise.png": _batch_noise,
         "mock_transforms.png": _mock_transforms}

#: The PNG files :func:`write_plots` writes: the bias drift, the eps-residual of
#: <dx, xhat>, ReLU vs tanh under positive scaling, the batch statistics' noise, the
#: mock-BN transforms.
FIGURES = tuple(_DRAW)
