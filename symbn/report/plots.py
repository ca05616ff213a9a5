"""Plots for the report (needs the ``plots`` extra: matplotlib).  Rendering only."""

from __future__ import annotations

from pathlib import Path

from symbn.identities import illustrations


def write_plots(directory: Path) -> list[Path]:
    """Write the three figures as PNG files into ``directory``; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    paths = []

    drift = illustrations.bias_drift()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(drift["step"], drift["b_naive"], label="naive step (E[x] held)")
    left.plot(drift["step"], drift["b_true"], label="gradient through E[x]")
    left.set(xlabel="step", ylabel="bias b", title="The bias drifts under the naive step")
    left.legend()
    right.plot(drift["step"], drift["loss"])
    right.set(xlabel="step", ylabel="loss", title="...while the loss does not change")
    paths.append(_save(fig, directory / "bias_drift.png"))

    residual = illustrations.eps_residual()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(residual["ratio"], residual["exact"], label="exact: r / (1 + r)")
    ax.semilogx(residual["ratio"], residual["measured"], "o", ms=3, label="kernel")
    ax.set(xlabel="r = eps / Var(x)", ylabel="<dx, xhat> / (N gamma E[g xhat] / s)",
           title="The eps-residual of <dx, xhat>")
    ax.legend()
    paths.append(_save(fig, directory / "eps_residual.png"))

    h = illustrations.homogeneity()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, name in zip(axes, ("relu", "tanh")):
        scaled_input, scaled_output = h[name]
        ax.plot(h["z"], scaled_input, label=f"{name}({h['gamma']:g} z)")
        ax.plot(h["z"], scaled_output, "--", label=f"{h['gamma']:g} {name}(z)")
        ax.set(xlabel="z", title=f"{name} under positive scaling")
        ax.legend()
    paths.append(_save(fig, directory / "homogeneity.png"))

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
    paths.append(_save(fig, directory / "batch_noise.png"))

    curves = illustrations.mock_transforms()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name in ("log-shift", "sqrt-shift", "tanh"):
        ax.plot(curves["x"], curves[name], label=name)
    ax.set(xlabel="x", title="Mock-BN transforms (p = q = 0): odd, increasing, C^1")
    ax.legend()
    paths.append(_save(fig, directory / "mock_transforms.png"))
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path
