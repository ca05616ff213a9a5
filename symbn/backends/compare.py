"""Compare symbn's generated kernels with the reference backends over a grid.

Every comparison is guarded against passing vacuously: the upstream gradient g and the
direction v are random (a constant g makes dx identically 0), and a reference that is
identically zero or constant fails the row instead of passing it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from symbn.backends import BACKENDS, Backend
from symbn.kernels import batchnorm as kernels

#: max |actual - reference| / max |reference|.  float32 gets its own, looser bound.
TOLERANCE = {"float64": 1e-12, "float32": 2e-5}
QUANTITIES = ("y", "dx", "dgamma", "dbeta", "hvp", "eval y", "running mean", "running var")


@dataclass(frozen=True)
class Case:
    """One input: shape (channel on axis 1), eps, seed.

    With 2 values per channel dx is O(eps/var) -- pure cancellation for a tiny eps -- so
    those cases use a larger eps to stay well conditioned.
    """

    shape: tuple[int, ...]
    eps: float
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{'x'.join(map(str, self.shape))} eps={self.eps:g}"

    def inputs(self, dtype) -> dict:
        rng = np.random.default_rng(self.seed)
        channels = self.shape[1]
        arrays = dict(
            x=rng.normal(size=self.shape) * 2.5 + 0.7,
            g=rng.normal(size=self.shape),
            v=rng.normal(size=self.shape),
            gamma=rng.uniform(0.5, 2.0, channels),
            beta=rng.normal(size=channels),
            running_mean=rng.normal(size=channels),
            running_var=rng.uniform(0.5, 2.0, channels),
        )
        return {k: a.astype(dtype) for k, a in arrays.items()}


GRID = (
    Case((2, 4), 0.1), Case((3, 5), 1e-5), Case((64, 8), 1e-3), Case((1024, 4), 1e-5),
    Case((2, 3, 1, 1), 0.5), Case((2, 3, 4, 4), 1e-5), Case((4, 3, 5, 5), 0.1),
    Case((1024, 2, 2, 2), 1e-5),
)
QUICK_GRID = (Case((3, 5), 1e-5), Case((2, 3, 4, 4), 1e-3), Case((1024, 4), 1e-5))


@dataclass(frozen=True)
class CheckRow:
    backend: str
    case: str
    quantity: str
    dtype: str
    max_abs: float = float("nan")
    max_rel: float = float("nan")
    tolerance: float = float("nan")
    passed: bool = False
    seconds: float = 0.0
    note: str = ""
    skipped: str | None = None


def compare(actual, reference, tolerance) -> tuple[float, float, bool, str]:
    """(max abs error, max relative error, passed, note); a trivial reference never passes."""
    actual = np.asarray(actual, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if actual.shape != reference.shape:
        return float("nan"), float("nan"), False, f"shape {actual.shape} != {reference.shape}"
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(reference))):
        return float("nan"), float("nan"), False, "non-finite values"
    scale = float(np.max(np.abs(reference)))
    # The grid's inputs are O(1), so a reference below 1e-8 is numerically zero (as dx is
    # for a constant upstream gradient): comparing against it would prove nothing.
    if scale < 1e-8 or (reference.size > 1 and np.ptp(reference) == 0):
        return float("nan"), float("nan"), False, "vacuous: reference is zero or constant"
    max_abs = float(np.max(np.abs(actual - reference)))
    max_rel = max_abs / scale
    return max_abs, max_rel, max_rel <= tolerance, ""


def symbn_values(a: dict, eps: float, convention=None) -> dict:
    """What symbn's kernels compute for one input."""
    out = dict(kernels.train(a["x"], a["g"], a["gamma"], a["beta"], eps))
    out["hvp"] = kernels.hvp(a["x"], a["g"], a["v"], a["gamma"], eps)
    out["eval y"] = kernels.evaluate(a["x"], a["gamma"], a["beta"], eps,
                                     a["running_mean"], a["running_var"])
    if convention is not None:
        out["running mean"], out["running var"] = kernels.running_update(
            a["x"], a["running_mean"], a["running_var"], convention)
    return out


def reference_values(backend: Backend, a: dict, eps: float) -> dict:
    """What ``backend`` computes for the same input."""
    out = dict(backend.train(a["x"], a["g"], a["gamma"], a["beta"], eps))
    out["hvp"] = backend.hvp(a["x"], a["g"], a["v"], a["gamma"], a["beta"], eps)
    out["eval y"] = backend.evaluate(a["x"], a["gamma"], a["beta"], eps,
                                     a["running_mean"], a["running_var"])
    running = backend.running_update(a["x"], a["running_mean"], a["running_var"], eps)
    if running is not None:
        out["running mean"], out["running var"] = running
    return out


def dtypes_for(backend: Backend) -> tuple[str, ...]:
    # the complex-step method needs complex128 to be exact; the frameworks run both
    return ("float64",) if backend.name == "complex-step" else ("float64", "float32")


def run_checks(backends=None, grid=GRID) -> list[CheckRow]:
    """One row per backend x case x quantity x dtype; one skipped row per missing backend."""
    rows = []
    for backend in (backends or BACKENDS.values()):
        reason = backend.unavailable_reason()
        if reason is not None:
            rows.append(CheckRow(backend.name, "all", "all", "all", skipped=reason))
            continue
        for dtype in dtypes_for(backend):
            for case in grid:
                rows += _check_case(backend, case, dtype)
    return rows


def _check_case(backend, case, dtype) -> list[CheckRow]:
    a = case.inputs(dtype)
    start = time.perf_counter()
    reference = reference_values(backend, a, case.eps)
    reference_seconds = time.perf_counter() - start
    ours = symbn_values(a, case.eps, backend.convention)
    rows = []
    for quantity in QUANTITIES:
        if quantity not in reference:
            continue
        max_abs, max_rel, passed, note = compare(ours[quantity], reference[quantity],
                                                 TOLERANCE[dtype])
        rows.append(CheckRow(backend.name, case.label, quantity, dtype, max_abs, max_rel,
                             TOLERANCE[dtype], passed, reference_seconds, note))
    return rows
