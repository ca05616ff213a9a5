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
from symbn.display import Displayable
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


class CheckTable(Displayable, list[CheckRow], document="checks"):
    """The rows of a run of checks: a list, shown as the report's table (str(), Jupyter)."""


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


FAMILY_SHAPES = ((4, 6, 3, 3), (16, 6))


def run_family_checks(shapes=FAMILY_SHAPES, groups=2) -> CheckTable:
    """LayerNorm, InstanceNorm, GroupNorm, RMSNorm, BatchNorm and weight normalization against
    PyTorch's functionals, in float64 and float32 (groups of 3 or more values: with 2, dx is
    pure cancellation, as for BN with 2 values per channel)."""
    from symbn.kernels import family

    from symbn.backends.torch_backend import TorchBackend
    torch = BACKENDS["torch"]
    assert isinstance(torch, TorchBackend)  # the family is checked against PyTorch alone
    reason = torch.unavailable_reason()
    if reason is not None:
        return CheckTable([CheckRow("torch", "family", "all", "all", skipped=reason)])
    rows = CheckTable()
    for dtype in ("float64", "float32"):
        for shape in shapes:
            for name in family.FAMILY:
                if name == "instancenorm" and len(shape) < 3:
                    continue  # needs spatial positions
                a = _family_inputs(name, shape, dtype)
                start = time.perf_counter()
                reference = torch.family(name, a["x"], a["g"], a["gamma"], a["beta"], 1e-5, groups)
                seconds = time.perf_counter() - start
                ours = family.normalize(name, a["x"], a["g"], a["gamma"], a["beta"], 1e-5,
                                        groups=groups)
                rows += _rows("torch", f"{name} {'x'.join(map(str, shape))}", dtype, ours,
                              reference, seconds)
        rng = np.random.default_rng(1)
        v, dw = rng.normal(size=(5, 7)).astype(dtype), rng.normal(size=(5, 7)).astype(dtype)
        gain = rng.uniform(0.5, 2, 5).astype(dtype)
        start = time.perf_counter()
        weight_norm = torch.weight_norm(v, gain, dw) if dtype == "float64" else None
        if weight_norm is not None:
            rows += _rows("torch", "weight_norm 5x7", dtype, family.weight_norm(v, gain, dw),
                          weight_norm, time.perf_counter() - start)
    return rows


def _family_inputs(name, shape, dtype):
    rng = np.random.default_rng(0)
    params = shape[1:] if name in ("layernorm", "rmsnorm") else (shape[1],)
    arrays = dict(x=rng.normal(size=shape) * 2 + 0.5, g=rng.normal(size=shape),
                  gamma=rng.uniform(0.5, 2, params), beta=rng.normal(size=params))
    return {k: a.astype(dtype) for k, a in arrays.items()}


def _rows(backend, case, dtype, ours, reference, seconds):
    rows = []
    for quantity, ref in reference.items():
        max_abs, max_rel, passed, note = compare(ours[quantity], ref, TOLERANCE[dtype])
        rows.append(CheckRow(backend, case, quantity, dtype, max_abs, max_rel, TOLERANCE[dtype],
                             passed, seconds, note))
    return rows


def run_checks(backends=None, grid=GRID) -> CheckTable:
    """One row per backend x case x quantity x dtype; one skipped row per missing backend."""
    rows = CheckTable()
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
    ordered = {q: reference[q] for q in QUANTITIES if q in reference}
    return _rows(backend.name, case.label, dtype, ours, ordered, reference_seconds)
