"""Verify a user's BN function against symbn's derivation, and diagnose its mistake.

Kinds (channel on ``feature_axis``, 1 by default, as in PyTorch):

* ``bn-forward``:  ``fn(x, gamma, beta, eps) -> y``
* ``bn-backward``: ``fn(x, g, gamma, beta, eps) -> (dx, dgamma, dbeta)`` for L = sum(g * y)

The function is called on a grid of shapes, batch sizes, eps and dtypes, in a spawned
worker process under a time limit per call, so code that hangs is reported, not waited
on (and the worker is replaced).  Spawned, not forked: user code may use JAX or PyTorch,
whose threads make a forked child unsafe.  As with any spawning code, a script that calls
:func:`verify` directly needs the ``if __name__ == "__main__":`` guard; the ``symbn verify``
command has it.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field

import numpy as np

from symbn.backends.compare import TOLERANCE, Case, compare
from symbn.prove.budget import Outcome
from symbn.verify.diagnosis import Diagnosis, diagnose  # noqa: F401 -- moved; re-exported
from symbn.verify.mistakes import OUTPUTS, Mistake, correct

GRID = (Case((3, 4), 1e-5), Case((16, 3), 1e-3), Case((256, 2), 1e-5),
        Case((2, 3, 4, 4), 1e-5), Case((4, 2, 3, 3), 0.1))
DTYPES = ("float64", "float32")


class VerifyError(ValueError):
    """The user's function cannot be verified at all (unknown kind, bad layout)."""


@dataclass(frozen=True)
class OutputCheck:
    case: str
    dtype: str
    output: str
    max_abs: float
    max_rel: float
    passed: bool


@dataclass
class VerifyReport:
    kind: str
    checks: list[OutputCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    diagnosis: Diagnosis | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checks) and all(c.passed for c in self.checks)


class _Worker:
    """One spawned interpreter that runs the user's function; replaced after a timeout."""

    def __init__(self):
        self._pool = None

    def call(self, fn, args, timeout) -> Outcome:
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(1)
        pending = self._pool.apply_async(fn, args)
        try:
            return Outcome(True, pending.get(timeout))
        except multiprocessing.TimeoutError:
            self.close()
            return Outcome(False)
        except Exception as error:  # noqa: BLE001 -- the user's exception, reported by name
            return Outcome(True, error=f"{type(error).__name__}: {error}")

    def close(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _arguments(kind, a, eps):
    if kind == "bn-forward":
        return (a["x"], a["gamma"], a["beta"], eps)
    return (a["x"], a["g"], a["gamma"], a["beta"], eps)


def _axes(shape, feature_axis, which="all"):
    axes = tuple(i for i in range(len(shape)) if i != feature_axis % len(shape))
    return axes[:1] if which == "first" else axes


def expected_outputs(mistake: Mistake, kind, a, eps, feature_axis) -> dict:
    values = mistake.kernel(x=a["x"], g=a["g"], gamma=_per_channel(a["gamma"], a["x"], feature_axis),
                            beta=_per_channel(a["beta"], a["x"], feature_axis), epsilon=eps,
                            axes=_axes(a["x"].shape, feature_axis, mistake.axes))
    if mistake.axes == "first":
        kept = a["x"].shape[feature_axis]
        for name in ("dgamma", "dbeta"):  # per (C, H, W) position: sum them to per channel
            values[name] = values[name].reshape(kept, -1).sum(axis=1)
    return {name: values[name] for name in OUTPUTS[kind]}


def _per_channel(param, x, feature_axis):
    shape = [1] * x.ndim
    shape[feature_axis % x.ndim] = param.size
    return param.reshape(shape)


def _as_outputs(kind, result):
    names = OUTPUTS[kind]
    if kind == "bn-forward":
        return {"y": result}
    if isinstance(result, dict):
        return {n: result.get(n) for n in names}
    if isinstance(result, (tuple, list)) and len(result) == len(names):
        return dict(zip(names, result))
    raise TypeError(f"returned {type(result).__name__}; a bn-backward function returns "
                    "(dx, dgamma, dbeta)")


def _validate(name, value, want, dtype, label) -> str | None:
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 -- anything unconvertible is the user's bug, reported
        return f"{label}: {name} is not an array ({type(value).__name__})"
    if array.shape != want.shape:
        return f"{label}: {name} has shape {array.shape}, expected {want.shape}"
    if array.dtype != np.dtype(dtype):
        return f"{label}: {name} has dtype {array.dtype} for {dtype} inputs"
    if not np.all(np.isfinite(array)):
        return f"{label}: {name} contains NaN or inf for finite inputs"
    return None


def verify(fn, kind: str, *, feature_axis: int = 1, timeout: float = 10.0,
           grid=GRID, dtypes=DTYPES) -> VerifyReport:
    """Check ``fn`` against symbn's derivation over ``grid``; diagnose it when it is wrong."""
    if kind not in OUTPUTS:
        raise VerifyError(f"unknown kind {kind!r}; use one of {', '.join(OUTPUTS)}")
    report = VerifyReport(kind)
    worker = _Worker()
    try:
        observed = _run_grid(fn, kind, feature_axis, timeout, grid, dtypes, report, worker)
    finally:
        worker.close()
    if observed and not report.ok:
        report.diagnosis = diagnose(kind, observed, feature_axis)
    return report


def _run_grid(fn, kind, feature_axis, timeout, grid, dtypes, report, worker) -> list:
    observed = []  # (case, float64 inputs, the user's outputs) for the diagnosis
    for dtype in dtypes:
        for case in grid:
            a = case.inputs(dtype)
            if not -a["x"].ndim <= feature_axis < a["x"].ndim:
                raise VerifyError(f"feature_axis={feature_axis} does not fit shape {case.shape}")
            label = f"{case.label} {dtype}"
            outcome = worker.call(fn, _arguments(kind, a, case.eps), timeout)
            if not outcome.finished:
                report.problems.append(f"{label}: did not return within {timeout:g} s")
                continue
            if outcome.error:
                report.problems.append(f"{label}: raised {outcome.error.strip().splitlines()[-1]}")
                continue
            want = expected_outputs(correct(), kind, a, case.eps, feature_axis)
            try:
                got = _as_outputs(kind, outcome.value)
            except TypeError as error:
                report.problems.append(f"{label}: {error}")
                continue
            bad = [p for n in want if (p := _validate(n, got[n], want[n], dtype, label))]
            if bad:
                report.problems += bad
                continue
            for name in want:
                max_abs, max_rel, passed, _ = compare(got[name], want[name], TOLERANCE[dtype])
                report.checks.append(OutputCheck(case.label, dtype, name, max_abs, max_rel, passed))
            if dtype == "float64":
                observed.append((case, a, got))
    return observed
