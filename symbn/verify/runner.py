"""Verify a user's normalization code against symbn's derivation, and say what was checked.

The pieces (each its own module):

* :mod:`~symbn.verify.kinds`: what can be verified -- NAME-forward, NAME-backward, NAME-pair
  for batchnorm, layernorm, rmsnorm, groupnorm, instancenorm, weightnorm (``bn-forward`` and
  ``bn-backward`` are aliases), each with its call signature, outputs and parameters;
* :mod:`~symbn.verify.layouts`: NC, NCL, NCHW, NLC, NHWC, BTC, OI, OIHW or any feature axis,
  and the move to and from the canonical view the family kernels compute on;
* :mod:`~symbn.verify.cases` and :mod:`~symbn.verify.precision`: the inputs, the stress
  cases, and the tolerance rule C u sqrt(n) (1 + r);
* :mod:`~symbn.verify.reference`: the expected outputs, from symbn.kernels.family;
* :mod:`~symbn.verify.worker`: the user's code in a worker process (imported by name; time
  limit per call; crashes seen at once) or, when it cannot be imported by name, in-process;
* :mod:`~symbn.verify.model`: the report (checks, problems each once with their cases,
  checked, not_checked, diagnosis, ok).

The diagnosis hook: when the report is not ok, ``symbn.verify.diagnosis.diagnose(kind,
observations, checks=...)`` gets the :class:`~symbn.verify.kinds.Kind`, the float64
:class:`~symbn.verify.model.Observation` list (every supported layout's grid cases and
its float64 mean-offset case, ``mode`` telling them apart) and the report's checks, and
returns a Diagnosis.

Layouts: with ``layout`` None every layout of the kind (at the feature axis given, or the
kind's default) is tried; one on which every float64 call raises before giving any output (a
shape error, ``N, D = x.shape``, ``assert x.ndim == 2``) is *not supported* -- listed once in
not_checked, not a fault -- unless the user named it or no layout is supported at all.

Arguments go by name when the function's parameters carry symbn's names (any order, a
keyword-only eps); a function that cannot take them at all is not verified (VerifyError).
A call that changes its arguments in place is a fault: the caller's arrays are corrupted.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import PurePath
from typing import Any, cast

import numpy as np

from symbn.backends.compare import compare
from symbn.verify.cases import HINTS, Case, grid, group_cases, parameters_note, stress_cases
from symbn.verify.kinds import DEFAULT_EPS, GROUPS, Kind, UnknownKind, get_kind
from symbn.verify.layouts import Layout, LayoutError, layouts_for
from symbn.verify.model import Observation, OutputCheck, VerifyReport
from symbn.verify.precision import centring_ratio, tolerance
from symbn.verify.reference import reference_outputs, statistics_view, warm_kernels
from symbn.verify.worker import (FRAMEWORKS, INSIDE_WORKER, InProcess, Job, Target, TargetError,
                                 Worker)

LOW_PRECISION = ("float16", "bfloat16")
ARRAYS = {"numpy": "NumPy arrays", "torch": "PyTorch tensors", "jax": "JAX arrays"}
STOPPED = {"timeout": "stopped after the time limit ran out",
           "crashed": "stopped after the worker crashed"}


class VerifyError(ValueError):
    """The code cannot be verified at all (unknown kind, bad layout, a module that does not
    import, a function that cannot take symbn's arguments): one line, exit status 2."""


class _Mismatch(Exception):
    """A function whose signature cannot take symbn's arguments: nothing of it ran."""


#: the dtypes symbn calls code with
DTYPE_NAMES = ("float64", "float32", "float16", "bfloat16")


def parse_dtypes(value) -> tuple[str, ...]:
    """``"float64,float32"`` or a list of names: known dtypes, each once (VerifyError)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    dtypes = tuple(dict.fromkeys(str(d).strip() for d in names if str(d).strip()))
    if not dtypes or any(d not in DTYPE_NAMES for d in dtypes):
        raise VerifyError(f"dtypes {value!r}: give dtypes among {', '.join(DTYPE_NAMES)}, "
                          "comma-separated (e.g. float64,float32)")
    return dtypes


def parse_target(spec: str) -> Target:
    """``module:function`` or, for a pair, ``module:forward,backward``."""
    module, _, names = spec.partition(":")
    functions = tuple(n.strip() for n in names.split(",") if n.strip())
    if not functions and (module.endswith(".py") or "/" in module):
        raise VerifyError(f"{spec!r} is a path: give the module's name and the function, "
                          f"{PurePath(module).stem}:FUNCTION, from the folder it is imported "
                          "from (run symbn there, or add that folder to PYTHONPATH)")
    if not module or not functions:
        raise VerifyError(f"{spec!r} is not module:function, e.g. mypkg.layers:batchnorm_backward"
                          " (a pair: mypkg.layers:forward,backward)")
    if module.endswith(".py") or "/" in module or "\\" in module:
        path = PurePath(module)
        name = ".".join((*path.parent.parts, path.stem)).lstrip(".") if not path.is_absolute() \
            else path.stem
        raise VerifyError(f"{module!r} is a path: give the module's name, as Python imports it "
                          f"({name}:{names}), from the folder it is imported from (run symbn "
                          "there, or add that folder to PYTHONPATH)")
    return Target(module, functions)


def _runner(target, kind: Kind):
    """A Worker for something importable by name, else an InProcess runner."""
    wanted = 2 if kind.role == "pair" else 1
    if isinstance(target, str):
        target = parse_target(target)
    if isinstance(target, Target):
        if len(target.names) != wanted:
            need = ("a forward and a backward: module:forward,backward" if wanted == 2
                    else "one function: module:function")
            raise VerifyError(f"{kind.name} needs {need}")
        return target.label, Worker(target)
    functions = tuple(target) if isinstance(target, (tuple, list)) else (target,)
    if len(functions) != wanted or not all(map(callable, functions)):
        raise VerifyError(f"{kind.name} needs {wanted} function{'s' if wanted > 1 else ''}")
    label = ",".join(getattr(f, "__qualname__", repr(f)) for f in functions)
    names = tuple(_importable_name(f) for f in functions)
    found = cast(tuple[tuple[str, str], ...], names)  # read only when all(names): none is None
    if all(names) and len({n[0] for n in found}) == 1:
        return f"{found[0][0]}:{label}", Worker(Target(found[0][0], tuple(n[1] for n in found)))
    return label, InProcess(functions)


def _importable_name(fn) -> tuple[str, str] | None:
    """(module, qualname) when a fresh interpreter finds ``fn`` by that name."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return None
    value = sys.modules.get(module)
    for part in qualname.split("."):
        value = getattr(value, part, None)
    return (module, qualname) if value is fn else None


def verify(target, kind: str, *, layout: str | None = None, feature_axis: int | None = None,
           framework: str | None = None, timeout: float = 10.0, dtypes=None,
           stress: bool = True, traceback: bool = False) -> VerifyReport:
    """Check ``target`` (``"module:function"``, ``"module:forward,backward"``, a function or a
    (forward, backward) tuple) as ``kind`` against symbn's derivation.

    ``framework``: numpy, torch or jax (default: the one the function's own code refers to;
    for code naming none, the frameworks its module imports, then NumPy); ``dtypes``: default
    float64 and float32, plus float16 and bfloat16 for PyTorch and JAX code; ``traceback``:
    problems carry the user's own frames.  A ``NAME-module`` kind is
    :func:`symbn.verify.modules.verify_module_spec` of a ``"module:Class"`` target, and
    :func:`~symbn.verify.modules.verify_module` of the class or function itself.
    """
    if os.environ.get(INSIDE_WORKER):
        raise VerifyError("symbn.verify was called while the module under verification was "
                          "being imported: put that call under if __name__ == \"__main__\":")
    dtypes = parse_dtypes(dtypes) if dtypes is not None else None
    if isinstance(kind, str) and kind.endswith("-module"):
        from symbn.verify import modules  # it builds on this module

        options: dict[str, Any] = {"layout": layout, "feature_axis": feature_axis,
                                   "framework": framework,
                                   **({"dtypes": tuple(dtypes)} if dtypes else {})}
        if isinstance(target, str):
            return modules.verify_module_spec(target, kind, timeout=timeout, **options)
        if kind not in modules.MODULE_KINDS:
            raise VerifyError(f"unknown module kind {kind!r}; use one of "
                              f"{', '.join(modules.MODULE_KINDS)}")
        return modules.verify_module(target, norm=kind.removesuffix("-module"), **options)
    try:
        spec = get_kind(kind)
        chosen = layouts_for(spec.norm, feature_axis, layout)
    except (UnknownKind, LayoutError) as error:
        raise VerifyError(str(error)) from None
    if framework is not None and framework not in FRAMEWORKS:
        raise VerifyError(f"unknown framework {framework!r}; use one of {', '.join(FRAMEWORKS)}")
    label, runner = _runner(target, spec)
    report = VerifyReport(label, spec.name)
    run = _Run(spec, report, runner, timeout, traceback, explicit=layout is not None)
    runner.launch()
    try:
        warm_kernels(spec)  # compiles symbn's kernel while the worker imports the user's module
        try:
            loaded = runner.start()
        except TargetError as error:
            where = f"\n{error.traceback.rstrip()}" if traceback and error.traceback else ""
            raise VerifyError(f"{error}{where}") from None
        run.candidates = (framework,) if framework else loaded.frameworks
        run.own_eps = (spec.role == "pair" and spec.has_eps
                       and loaded.positional[0] == len(_call_names(spec)))
        run.all_layouts(chosen, dtypes, stress)
    except _Mismatch as error:
        raise VerifyError(f"not verified: signature mismatch: {error}; symbn calls "
                          f"{spec.signature}") from None
    finally:
        runner.close()
    run.summarize()
    if not report.ok and run.observations:
        report.diagnosis = _diagnose(spec, run.observations, report.checks)
    return report


def _call_names(kind: Kind) -> tuple[str, ...]:
    """The arguments symbn passes (a pair's forward: without its param dict)."""
    if kind.role == "pair":
        n = kind.norm
        return (n.input, *n.leading, *n.params)
    return kind.norm.arguments(kind.role)


class _Run:
    """The state of one verification: the framework found, what ran, what to diagnose."""

    def __init__(self, kind: Kind, report: VerifyReport, runner, timeout, traceback, explicit):
        self.kind, self.report, self.runner = kind, report, runner
        self.timeout, self.traceback, self.explicit = timeout, traceback, explicit
        self.candidates: tuple[str, ...] = ("numpy",)
        self.framework: str | None = None
        self.own_eps = False
        self.requested = None  # the dtypes asked for (None: the defaults)
        self.stopped: str | None = None  # why the remaining cases did not run
        self.observations: list[Observation] = []
        self.supported: list[Layout] = []
        # layouts on which every float64 call raised: (layout, [(case, Outcome, inputs)])
        self.refused: list[tuple[Layout, list]] = []
        self.passed_by_groups: dict[int, bool] = {}  # groupnorm: did every check pass, per G
        self.returned = False  # some call returned (its outputs may still be unusable)

    # -- running ---------------------------------------------------------------------------

    def all_layouts(self, layouts, dtypes, stress) -> None:
        self.requested = dtypes
        for layout in layouts:
            if self.stopped:
                self.report.note_not_checked(f"layout {layout.name}: not run ({self.stopped})")
                continue
            cases = self.grid(layout)
            results = [self.case(layout, case, "float64") for case in cases]
            if not self.explicit and all(r is not None and r[0].status == "raised"
                                         for r in results):
                self.refused.append((layout, list(zip(cases, results))))
                continue
            for outcome, case in zip(results, cases):
                self.record(layout, case, "float64", outcome)
            self.supported.append(layout)
            for dtype in self.other_dtypes(dtypes):
                # half precision: one shape per layout (and the stress cases) -- the formula is
                # settled in float64, and each new shape costs JAX a compilation
                for case in cases[:1] if dtype in LOW_PRECISION else cases:
                    self.record(layout, case, dtype, self.case(layout, case, dtype))
            if stress:
                for case, dtype in stress_cases(self.kind, layout, self.dtypes(dtypes)):
                    if case.stress == "tiny eps" and self.own_eps:
                        continue
                    case = self.called(case)
                    self.record(layout, case, dtype, self.case(layout, case, dtype))

    def grid(self, layout: Layout) -> tuple[Case, ...]:
        """The grid as this kind is called: eps as the code gets it (none for weightnorm; its
        own, assumed ``DEFAULT_EPS``, for a pair forward without one), groupnorm's groups."""
        cases = grid(self.kind, layout)
        if self.kind.norm.name == "groupnorm":
            cases = (*(replace(c, groups=GROUPS) for c in cases), *group_cases(layout))
        return tuple(self.called(c) for c in cases)

    def called(self, case: Case) -> Case:
        if not self.kind.has_eps:
            return replace(case, eps=None)
        return replace(case, eps=DEFAULT_EPS) if self.own_eps else case

    def refused_layouts(self) -> None:
        """Layouts on which every call raised: not supported when another layout ran (the code
        is written for those) and every error refuses the input (:attr:`CallError.refusal`),
        else every error is the code's fault and is reported."""
        for layout, ran in self.refused:
            if self.supported and all(outcome.error.refusal for _, (outcome, _) in ran):
                first = ran[0][1][0].error
                self.report.note_not_checked(
                    f"layout {layout.name} ({layout.ndim}-D, feature axis {layout.feature_axis}):"
                    f" not supported by the code: every call raised ({first.line})")
            else:
                for case, outcome in ran:
                    self.record(layout, case, "float64", outcome)

    @property
    def limit(self) -> float:
        """Seconds per job: a pair's job is two calls."""
        return self.timeout * (2 if self.kind.role == "pair" else 1)

    def dtypes(self, requested=None) -> tuple[str, ...]:
        if requested:
            return tuple(requested)
        low = LOW_PRECISION if self.framework in ("torch", "jax") else ()
        return ("float64", "float32", *low)

    def other_dtypes(self, requested) -> tuple[str, ...]:
        return tuple(d for d in self.dtypes(requested) if d != "float64")

    def case(self, layout: Layout, case: Case, dtype: str):
        """Run one case: (Outcome, its inputs), or None when it was not run (stopped)."""
        if self.stopped:
            return None
        case = self.called(case)
        inputs = case.inputs(self.kind, layout, dtype)
        frameworks = (self.framework,) if self.framework else self.candidates
        first = None
        for framework in frameworks:
            if dtype in LOW_PRECISION and framework == "numpy":
                continue
            outcome = self.runner.run(self.job(framework, dtype, case, inputs), self.limit)
            if outcome.error is not None and outcome.error.type == "SignatureMismatch":
                raise _Mismatch(outcome.error.message)
            if outcome.status == "done" and self.framework is None:
                self.framework = framework
                self.other_frameworks(frameworks, dtype, case, inputs, outcome)
            if outcome.status in ("timeout", "crashed"):  # the remaining cases are not run
                self.stopped = STOPPED[outcome.status]
            if outcome.status != "raised" or self.framework:
                return outcome, inputs
            first = first or (outcome, inputs)
        return first

    def other_frameworks(self, frameworks, dtype, case, inputs, first) -> None:
        """Code that names no framework (only methods: x.mean, x.var) runs on several; when
        another framework also runs it and gives other values (x.var is unbiased on PyTorch
        tensors), say which one was checked and how to pick the other."""
        for other in frameworks[frameworks.index(self.framework) + 1:]:
            if self.stopped or (dtype in LOW_PRECISION and other == "numpy"):
                continue
            outcome = self.runner.run(self.job(other, dtype, case, inputs), self.limit)
            if outcome.status in ("timeout", "crashed"):
                self.stopped = STOPPED[outcome.status]
            if outcome.status == "done" and not _same_values(first.value, outcome.value):
                self.report.note_not_checked(
                    f"{ARRAYS[other]}: the code also runs on them and gives other values than "
                    f"on {ARRAYS[cast(str, self.framework)]} (checked); if it is written for "
                    f"{ARRAYS[other]}, verify with --framework {other}")

    def job(self, framework, dtype, case: Case, inputs) -> Job:
        values = {**inputs, "eps": case.eps, "groups": case.groups or GROUPS}
        names = _call_names(self.kind)
        args = tuple(values[name] for name in names)
        if self.kind.role != "pair":
            return Job(framework, dtype, args, names=names)
        param = {"mode": "train", "eps": case.eps} if self.kind.has_eps else None
        return Job(framework, dtype, args, upstream=inputs["d" + self.kind.norm.output],
                   param=param, names=names)

    # -- judging ---------------------------------------------------------------------------

    def record(self, layout: Layout, case: Case, dtype: str, ran) -> None:
        report, label = self.report, f"{layout.name} {case.label(layout)} {dtype}"
        if ran is None:
            return
        outcome, inputs = ran
        if outcome.status == "timeout":
            report.problem(f"did not return within {self.limit:g} s (the time limit per call, "
                           "counted after your module was imported; --timeout to change it)",
                           label, key="timeout")
            return
        if outcome.status == "crashed":
            report.problem(outcome.detail, label, key="crash")
            return
        if outcome.status == "raised":
            error = outcome.error
            if error.at_call:
                report.problem(f"the call itself failed ({error.line}); symbn calls "
                               f"{self.kind.signature}", label, key="signature")
            else:
                where = f"\n{error.traceback.rstrip()}" if self.traceback and error.traceback \
                    else ""
                # one problem per exception type and line of the user's code (not per message:
                # "eps=0.1 is not allowed" and "eps=0.001 ..." are the same fault)
                report.problem(f"raised {error.line}{where}", label,
                               key=f"raised {error.type} {error.origin or error.line}")
            return
        self.returned = True
        if outcome.modified:
            many = len(outcome.modified) > 1
            report.problem(f"modifies its argument{'s' if many else ''} "
                           f"{' and '.join(outcome.modified)} in place: the caller's array"
                           f"{'s are' if many else ' is'} changed (work on a copy, or out-of-place"
                           " operations)", label, key=f"modifies {outcome.modified}")
        got = self.outputs(outcome.value, label)
        if got is None:
            return
        eps, groups = case.eps, case.groups or GROUPS
        want = reference_outputs(self.kind, layout, inputs, eps=eps, groups=groups)
        stats = statistics_view(self.kind, layout, inputs[self.kind.norm.input], groups)
        # stats: a centring norm, and every centring norm has an eps
        tol = tolerance(dtype, _reduction_size(self.kind, layout, case),
                        0.0 if stats is None else centring_ratio(*stats, cast(float, eps)))
        values = {}
        for name, expected in want.items():
            leaf = got[name]
            if not self.valid(name, leaf, expected, dtype, case, label):
                continue
            values[name] = leaf.array
            max_abs, max_rel, passed, note = compare(leaf.array, expected, tol)
            if note:
                report.problem(f"{name}: {note}", label, key=f"note {name} {note}")
            report.checks.append(OutputCheck(case.label(layout), layout.name, dtype,
                                             case.stress or "train", name, max_abs, max_rel,
                                             tol, passed))
            if case.groups is not None:
                self.passed_by_groups[groups] = self.passed_by_groups.get(groups, True) and passed
        # the mean-offset case too: a one-pass variance shows only there
        if dtype == "float64" and case.stress in (None, "mean offset") \
                and len(values) == len(want):
            self.observations.append(Observation(case.label(layout), layout, inputs, values,
                                                 want, eps, groups, case.stress or "train"))

    def outputs(self, returned, label):
        """{output name: Leaf} from what the code returned, or None (a problem recorded)."""
        names = self.kind.outputs
        if self.kind.role == "pair":
            forward, backward = returned
            named = _named(backward, names[1:])
            if forward.form == "single" and named is not None:
                return {names[0]: forward.items[0], **named}
            who = "forward" if forward.form != "single" else "backward"
            returned = forward if who == "forward" else backward
        else:
            named, who = _named(returned, names), "function"
            if named is not None:
                return named
        self.report.problem(f"the {who} returned {_shape_of(returned)}; symbn expects "
                            f"{self.kind.signature}", label, key=f"returned by the {who}")
        return None

    def valid(self, name, leaf, expected, dtype, case, label) -> bool:
        report = self.report
        if leaf.array is None:
            report.problem(f"{name} is not an array ({leaf.type})", label, key=f"type {name}")
            return False
        if leaf.array.shape != expected.shape:
            report.problem(f"{name} has shape {leaf.array.shape}, expected {expected.shape}",
                           label, key=f"shape {name}")
            return False
        if leaf.dtype != dtype:
            report.problem(f"{name} has dtype {leaf.dtype} for {dtype} inputs (the output "
                           "dtype must be the input dtype)", label,
                           key=f"dtype {name} {leaf.dtype} {dtype}")
            return False
        if not np.all(np.isfinite(leaf.array)):
            why = f" in the {case.stress} case ({HINTS[case.stress]})" if case.stress else ""
            report.problem(f"{name} contains NaN or inf for finite inputs{why}", label,
                           key=f"finite {name} {case.stress}")
            return False
        return True

    # -- the statement of what ran ---------------------------------------------------------

    def layout_advice(self) -> None:
        """Code right on some layouts and wrong on others it accepted without an error (an
        (N, D) LayerNorm reducing axis 1 of a (B, T, C) input) is wrong as called; say which
        layouts, and how to verify only the ones it is meant for."""
        if self.explicit:
            return
        checked = dict.fromkeys(c.layout for c in self.report.checks)
        failed = {c.layout for c in self.report.checks if not c.passed} | {
            case.split()[0] for p in self.report.problems for case in p.cases}
        good = [name for name in checked if name not in failed]
        bad = [name for name in checked if name in failed]
        if good and bad:
            self.report.problem(
                f"right on {', '.join(good)} but wrong on {', '.join(bad)}, which it accepts "
                f"without an error: a bug if it is meant for {' and '.join(bad)} inputs; if it "
                f"is meant for {' and '.join(good)} inputs only, check just those with "
                f"--layout", key="layouts")

    def groups_advice(self) -> None:
        """GroupNorm right with ``GROUPS`` groups and wrong with another number: the code does
        not use its groups argument."""
        right = sorted(g for g, ok in self.passed_by_groups.items() if ok)
        wrong = sorted(g for g, ok in self.passed_by_groups.items() if not ok)
        if right and wrong:
            self.report.problem(
                f"right with {', '.join(map(str, right))} groups but wrong with "
                f"{', '.join(map(str, wrong))}: the code ignores its groups argument (a "
                f"hard-coded number of groups?)", key="groups")

    def summarize(self) -> None:
        report, kind = self.report, self.kind
        report.framework = self.framework
        if self.stopped:
            report.note_not_checked(f"the remaining cases: not run ({self.stopped})")
        self.refused_layouts()
        self.layout_advice()
        self.groups_advice()
        if not self.supported and not self.stopped and self.refused and all(
                outcome.error.shape for _, ran in self.refused for _, (outcome, _) in ran):
            report.problem(f"no layout could be checked: every call raised a shape error; "
                           f"symbn calls {kind.signature} (choose one with --layout or "
                           f"--feature-axis)", key="no layout")
        elif not report.checks and not self.stopped and not self.returned and not any(
                p.key == "signature" for p in report.problems):  # unless already shown
            report.problem(f"no call gave outputs to compare; symbn calls {kind.signature}",
                           key="no result")
        checks = report.checks
        if checks:  # every line below is read off the comparisons that ran
            report.note_checked(f"outputs {', '.join(dict.fromkeys(c.output for c in checks))} "
                                f"against symbn's derivation ({_convention(kind)})")
            shapes: dict[str, set[str]] = {}
            for c in checks:
                shapes.setdefault(c.layout, set()).add(c.case)
            report.note_checked("layouts: " + ", ".join(f"{name} ({len(cases)} cases)"
                                                        for name, cases in shapes.items()))
            ran = [d for d in ("float64", "float32", *LOW_PRECISION)
                   if any(c.dtype == d for c in checks)]
            report.note_checked(f"dtypes: {', '.join(ran)} (output dtype = input dtype), "
                                f"{ARRAYS[cast(str, self.framework)]}")
            left_out = [d for d in self.dtypes() if d not in ran
                        and self.requested and d not in self.requested]
            if left_out:
                report.note_not_checked(f"{', '.join(left_out)}: not among the dtypes asked for")
            report.note_checked(parameters_note(kind))
            if kind.norm.name == "batchnorm":
                report.note_checked("mode: training (batch statistics)")
            stressed: dict[str, set[str]] = {}
            for c in checks:
                if c.mode != "train":
                    stressed.setdefault(c.mode, set()).add(c.dtype)
            if stressed:
                report.note_checked("stress cases: " + "; ".join(
                    f"{name} ({', '.join(sorted(d))})" for name, d in stressed.items()))
        if self.framework == "numpy":
            report.note_not_checked("float16, bfloat16: checked for PyTorch and JAX code only")
        if kind.role == "forward":
            report.note_not_checked(f"gradients: a forward kind (use {kind.norm.name}-backward "
                                    f"or -pair)")
        if kind.norm.name == "batchnorm":
            report.note_not_checked("running statistics and eval mode: a function has none "
                                    "(verify a module for those: --kind batchnorm-module)")
        report.note_not_checked("second order: needs the framework's autograd (verify a module)")
        if self.own_eps:
            report.note_not_checked(f"eps: the forward takes none; its own is assumed to be "
                                    f"{DEFAULT_EPS:g}, and the tiny-eps stress case was skipped")
        if not self.runner.isolated:
            report.note_not_checked("time limit and crash protection: the code ran in this "
                                    "process (it cannot be imported by name: defined in "
                                    "__main__, a notebook or a script)")


def _leaves(value) -> list:
    if isinstance(value, tuple):  # a pair: (forward's, backward's)
        return [leaf for part in value for leaf in _leaves(part)]
    return [leaf.array for leaf in value.items]


def _same_values(a, b) -> bool:
    """Two frameworks' results of one call agree (to float64 rounding)."""
    left, right = _leaves(a), _leaves(b)
    return len(left) == len(right) and all(
        x is None and y is None or x is not None and y is not None and x.shape == y.shape
        and np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
        for x, y in zip(left, right))


def _named(returned, names) -> dict | None:
    """{name: Leaf} when what came back fits ``names`` (a dict by key, else by position)."""
    if returned.form == "mapping":
        found = dict(zip(returned.keys, returned.items))
        return {n: found[n] for n in names} if all(n in found for n in names) else None
    if returned.form == "single":
        return {names[0]: returned.items[0]} if len(names) == 1 else None
    return dict(zip(names, returned.items)) if len(returned.items) == len(names) else None


def _shape_of(returned) -> str:
    if returned.form == "mapping":
        return f"a dict with keys {', '.join(returned.keys) or '(none)'}"
    if returned.form == "sequence":
        return f"{len(returned.items)} values"
    return f"a {returned.items[0].type}"


def _convention(kind: Kind) -> str:
    if kind.norm.name == "weightnorm":
        return "w = g v / ||v||, the norm per slice along the feature axis"
    if kind.norm.name == "rmsnorm":
        return "y = weight x / sqrt(mean(x^2) + eps)"
    return "biased variance, eps inside the square root"


def _reduction_size(kind: Kind, layout: Layout, case: Case) -> int:
    """n in the tolerance rule: the longest sum, a statistic's or a parameter gradient's (over
    every value that shares the parameter)."""
    n, c, *spatial = case.shape
    s = int(np.prod(spatial)) if spatial else 1
    statistic = {"batchnorm": n * s, "instancenorm": s, "groupnorm": c // (case.groups or GROUPS) * s,
                 "layernorm": c, "rmsnorm": c, "weightnorm": n * s}[kind.norm.name]
    return max(statistic, n * s)


def _diagnose(kind: Kind, observations, checks):
    from symbn.verify.diagnosis import diagnose
    return diagnose(kind, observations, checks=tuple(checks))
