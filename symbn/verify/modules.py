"""Verify a framework object -- a PyTorch ``nn.Module`` class or ``torch.autograd.Function``,
a function on torch tensors or JAX arrays, a Flax linen module -- constructed by symbn.

What runs (each item lands in the report's ``checked`` list, or in ``not_checked`` with the
reason):

1. train mode on every layout the object supports, float64 and float32: y, and the
   gradients of L = sum(dy * y) (random dy) by the framework's own autograd -- dx, dgamma,
   dbeta -- against symbn's derivation (:func:`symbn.verify.reference.reference_outputs`);
2. second order, float64: the Hessian-vector product of L in x by double backward (torch)
   or ``jax.jvp`` of ``jax.grad``, against the derived one
   (:func:`symbn.verify.second_order.family_hvp`); a backward that cannot be differentiated
   again (``once_differentiable``) is said so in ``not_checked``;
3. for a BN module, on every layout and in float64 and float32 when train mode ran in them
   (a module may take another path for another rank or dtype; float16 and bfloat16 are
   named as not checked): several training steps on different batches, then eval mode -- the
   running mean and variance and the eval-mode output against a named convention
   (:mod:`symbn.verify.running`), the convention's real layer run on the same batches.

A layout on which every call fails is *not supported* (named once, not a fault).
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from typing import Any, cast
from dataclasses import dataclass

import numpy as np

from symbn.backends.compare import compare
from symbn.bn.conventions import Convention
from symbn.verify import conventions as oracles
from symbn.verify import running, second_order
from symbn.verify.cases import grid, parameters_note, stress_cases
from symbn.verify.frameworks import (NO_MOMENTUM, CallError, SecondOrderUnavailable, Target,
                                     TargetError, target_for)
from symbn.verify.kinds import DEFAULT_EPS, GROUPS, KINDS
from symbn.verify.layouts import Layout, LayoutError, from_canonical, layouts_for, to_canonical
from symbn.verify.model import Observation, OutputCheck, VerifyReport
from symbn.verify.precision import centring_ratio, round_to, tolerance
from symbn.verify.reference import reference_outputs, statistics_view
from symbn.verify.runner import (DTYPE_NAMES, LOW_PRECISION, VerifyError, _reduction_size,
                                 parse_dtypes, parse_target)
from symbn.verify.worker import INSIDE_WORKER, did_you_mean

DTYPES = DTYPE_NAMES
#: said when the object ran in the caller's process (replaced by the worker's statement)
IN_PROCESS = "time limit and crash protection: the object ran in this process"
#: the kinds ``symbn verify --kind`` routes here: NAME-module for every normalization of an
#: input (weight normalization reparametrizes a weight: verify it as a function)
MODULE_KINDS = tuple(f"{name}-module" for name in second_order.SUPPORTED)
#: framework code computes its statistics its own way (Flax: a one-pass variance; fused
#: kernels), so the precision rule's constant, measured on plain implementations, gets this
#: allowance; a wrong formula is off by 1e-6 or more, far outside it
FRAMEWORK_ALLOWANCE = 4.0
#: the convention a framework's BN module is checked against unless one is named
DEFAULT_CONVENTION = {"PyTorch": "pytorch", "Flax": "flax", "JAX": "flax"}


def parse_init(text: str | None) -> dict:
    """``'num_features=3, momentum=0.2'`` -> {"num_features": 3, "momentum": 0.2} (values are
    Python literals)."""
    import ast

    if not text:
        return {}
    try:
        call = cast(ast.Call, ast.parse(f"f({text})", mode="eval").body)  # f(...) parses as a call
        if call.args:
            raise ValueError("positional value")
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (SyntaxError, ValueError) as error:
        raise VerifyError(f"--init {text!r} is not NAME=VALUE, ... with Python literal values, "
                          f"e.g. --init 'num_features=3, momentum=0.2' ({error})") from None


def load_object(spec: str):
    """The class or function ``module:name`` names, imported in this process (a module that
    raises or exits while importing is a usage error, said in one line)."""
    import importlib
    import sys
    from pathlib import Path

    target = parse_target(spec)
    if len(target.names) != 1:
        raise VerifyError(f"{spec!r}: a module kind verifies one class or function, "
                          "module:name")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # a module beside the user imports, as with python -m
    try:
        module = importlib.import_module(target.module)
    except SystemExit as error:
        raise VerifyError(f"importing {target.module!r} called sys.exit({error.code!r}); put "
                          "the script's work under if __name__ == \"__main__\":") from None
    except ImportError as error:
        raise VerifyError(f"cannot import module {target.module!r}: {error}") from None
    except Exception as error:  # noqa: BLE001 -- the user's module failed while importing
        raise VerifyError(f"importing {target.module!r} raised {type(error).__name__}: "
                          f"{error}") from None
    obj: Any = module
    for part in target.names[0].split("."):
        obj = getattr(obj, part, None)
    if obj is None:
        raise VerifyError(f"module {target.module!r} has no {target.names[0]!r}"
                          f"{did_you_mean(module, target.names[0])}")
    return obj


def verify_module_spec(spec: str, kind: str, *, init: str | None = None,
                       convention: str | None = None, timeout: float = 10.0,
                       isolate: bool = True, **options) -> VerifyReport:
    """``symbn verify MODULE:NAME --kind NAME-module``: load the object, verify it; with
    ``isolate``, in a worker process (:mod:`symbn.verify.module_worker`; ``timeout`` per call
    sets its time limit)."""
    if isolate and not os.environ.get(INSIDE_WORKER):
        from symbn.verify.module_worker import run_isolated
        return run_isolated(spec, kind, timeout=timeout, init=init, convention=convention,
                            **options)
    if kind not in MODULE_KINDS:
        raise VerifyError(f"unknown module kind {kind!r}; use one of {', '.join(MODULE_KINDS)}")
    if options.get("framework") == "numpy":
        raise VerifyError("a NAME-module kind differentiates through a framework's autograd: "
                          "--framework torch or jax (a NumPy function: NAME-forward/-backward)")
    return verify_module(load_object(spec), norm=kind.removesuffix("-module"),
                         init=parse_init(init), convention=convention, name=spec, **options)


def _no_progress(phase: str, calls: int, report: VerifyReport) -> None:
    """The default ``progress``: nothing watches the phases in-process."""


def verify_module(obj, *, norm: str = "batchnorm", init: dict | None = None,
                  convention: str | None = None, feature_axis: int | None = None,
                  layout: str | None = None, dtypes=DTYPES, framework: str | None = None,
                  name: str | None = None, steps: int = running.STEPS,
                  progress=_no_progress) -> VerifyReport:
    """Verify ``obj`` as a ``norm`` (one of :data:`symbn.verify.second_order.SUPPORTED`).

    ``progress(phase, calls, report)`` is called as each phase starts (train mode on a
    layout, second order, the training steps, eval mode) with the number of calls it makes
    and the report so far: the worker keeps it, so a phase that hangs loses only itself.

    The frameworks' warnings about the user's object (PyTorch's on an unused num_features,
    JAX's on dtypes) are silenced: the report says what ran, nothing else prints.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _verify_module(obj, norm, init, convention, feature_axis, layout,
                              parse_dtypes(dtypes), framework, name, steps, progress)


def _verify_module(obj, norm, init, convention, feature_axis, layout, dtypes, framework, name,
                   steps, progress) -> VerifyReport:
    if norm not in second_order.SUPPORTED:
        raise VerifyError(f"a module of {norm!r} cannot be verified; use one of "
                          f"{', '.join(second_order.SUPPORTED)}")
    try:
        target = target_for(obj, init, framework)
    except TargetError as error:
        raise VerifyError(str(error)) from None
    kind = KINDS[f"{norm}-pair"]
    if feature_axis is None and layout is None:
        feature_axis = target.default_feature_axis
    try:
        layouts = layouts_for(kind.norm, feature_axis, layout)
    except LayoutError as error:
        raise VerifyError(str(error)) from None
    conv = _convention(norm, convention, target)
    report = VerifyReport(target=name or target.name, kind=f"{norm}-module",
                          framework=target.framework)
    default_eps = conv.eps if conv else DEFAULT_EPS
    supported, float64_runs = [], []
    for lay in layouts:
        runs = _train_checks(target, kind, lay, dtypes, default_eps, report, progress)
        if runs is not None:
            supported.append(lay)
            float64_runs += runs
    if not supported:
        report.problem("no layout could be run: every call failed (" + "; ".join(
            line for line in report.not_checked if line.startswith("layout")) + ")",
            key="no layout")
        return report
    names = ", ".join(lay.name for lay in supported)
    outputs = ", ".join(dict.fromkeys(c.output for c in report.checks if c.mode == "train"))
    report.note_checked(f"train mode: {outputs} on {names}, {' and '.join(dtypes)}, against "
                        f"symbn's derivation; gradients by {target.framework}'s autograd "
                        f"({target.what} {target.name})")
    report.note_checked(parameters_note(kind))
    left_out = [d for d in DTYPES if d not in dtypes]
    if left_out:
        report.note_not_checked(f"{', '.join(left_out)}: not among the dtypes asked for")
    stressed: dict = {}
    for c in report.checks:
        if c.mode != "train":
            stressed.setdefault(c.mode, set()).add(c.dtype)
    if stressed:
        report.note_checked("stress cases, train mode: " + "; ".join(
            f"{name} ({', '.join(sorted(d))})" for name, d in stressed.items()))
    report.note_checked(target.eps_statement(default_eps))
    # what the float64 runs found (second order and the diagnosis run on them too)
    missing = [p for p, present in zip(kind.norm.params, _present(float64_runs))
               if not present] if float64_runs else []
    if missing:
        report.note_not_checked(f"{', '.join('d' + p for p in missing)}: {target.name} has no "
                                f"{' or '.join(missing)} parameter (taken as "
                                f"{' and '.join('1' if p != 'beta' else '0' for p in missing)})")
    unrecognized = float64_runs[0].instance.unrecognized if float64_runs else ()
    if unrecognized:
        report.note_not_checked(f"parameter {', '.join(unrecognized)} (one value per channel): "
                                "neither the scale nor the shift by its name (weight, gamma, "
                                "scale; bias, beta, shift), so kept at its initial value")
    failed = [c for c in report.checks if not c.passed]
    if float64_runs:
        progress("second order", len(float64_runs), report)
        _second_order(kind, float64_runs, report)
        if failed:
            report.diagnosis = _diagnose(kind, float64_runs, failed)
    else:
        report.note_not_checked("second order and the diagnosis: they run in float64, which "
                                "was not among the dtypes asked for")
    report.note_not_checked(IN_PROCESS)
    if norm == "batchnorm":
        if target.stateful and conv is not None:
            _running_checks(target, kind, supported, conv, report, steps, progress)
        else:
            report.note_not_checked(f"running statistics, eval mode: not applicable (a "
                                    f"{target.what} keeps no state)")
    return report


def _present(runs) -> tuple[bool, bool]:
    """Whether the object has a scale and a shift parameter (as its first run found)."""
    inst = runs[0].instance if runs else None
    return (inst is not None and inst.gamma is not None, inst is not None and inst.beta is not None)


def _convention(norm, name, target: Target) -> Convention | None:
    if norm != "batchnorm":
        if name:
            raise VerifyError("--convention applies to batchnorm modules (running statistics)")
        return None
    name = name or DEFAULT_CONVENTION.get(target.framework, "pytorch")
    try:
        return running.convention_named(name)
    except ValueError as error:
        raise VerifyError(str(error)) from None


def _params(kind, a):
    """(gamma, beta) of a case's inputs; beta None for a norm without a shift (RMSNorm)."""
    params = kind.norm.params
    return a[params[0]], (a[params[1]] if len(params) > 1 else None)


def _train_checks(target, kind, layout, dtypes, default_eps, report, progress=_no_progress):
    """Train-mode checks on ``layout``: the float64 runs for the second order, or None when
    every call failed there (the layout is then reported as not supported, once)."""
    failures, rows, runs = [], [], []
    cases = _cases(target, kind, layout)
    # half precision on one shape per layout (and the stress cases), as the runner does: the
    # formula is settled in float64, and each new shape costs JAX a compilation
    calls = [(case, dtype) for dtype in dtypes
             for case in (cases[:1] if dtype in LOW_PRECISION else cases)]
    fixed_eps = target.chosen()[0].get("eps") is not None  # then "tiny eps" cannot be run
    stress = [(_sized(target, case), dtype) for case, dtype in stress_cases(kind, layout, dtypes)
              if not (fixed_eps and case.stress == "tiny eps")]
    progress(f"train mode on {layout.name}", len(calls + stress), report)
    for case, dtype in calls + stress:
        a = case.inputs(kind, layout, dtype)
        label = case.label(layout)
        try:
            inst, got = _run_train(target, a, kind, case, dtype)
        except (CallError, Exception) as error:  # noqa: BLE001 -- the user's code, reported
            if isinstance(error, TargetError):
                raise VerifyError(str(error)) from None
            failures.append((label, dtype, f"{type(error).__name__}: {error}"))
            continue
        eps = inst.eps if inst.eps is not None else default_eps
        rows += _compare_train(kind, layout, case, a, inst, got, eps, label, dtype)
        if dtype == "float64":
            runs.append(Run(inst, a, eps, label, layout, got, _reduction_size(kind, layout, case),
                            case.stress))
    if not any(check.mode == "train" for check, _ in rows):
        reason = failures[0][2].splitlines()[0] if failures else "no case ran"
        report.note_not_checked(f"layout {layout.name}: not supported ({reason})")
        return None
    for label, dtype, message in failures:
        report.problem(f"raised {message.splitlines()[0]}", f"{label} {dtype}", key=message)
    for check, problem in rows:
        report.checks.append(check)
        if problem:
            report.problem(problem, f"{check.case} {check.dtype}", key=problem)
    return runs


def _cases(target, kind, layout):
    return tuple(_sized(target, case) for case in grid(kind, layout))


def _sized(target, case):
    """``case`` with the channel count of an object constructed before symbn saw it, and the
    eps the user fixed (so the labels say what ran)."""
    channels, eps = target.channels(), target.chosen()[0].get("eps")
    if channels is not None:
        case = dataclasses.replace(case, shape=(case.shape[0], channels, *case.shape[2:]))
    return case if eps is None else dataclasses.replace(case, eps=float(eps))


@dataclass(frozen=True)
class Run:
    """One float64 train-mode call that ran: for the second order (grid cases) and the
    diagnosis (grid and stress cases)."""

    instance: object
    inputs: dict
    eps: float
    label: str
    layout: Layout
    outputs: dict
    n: int  # the longest sum behind an output: the tolerance rule's n
    stress: str | None  # the stress case's name, None for the grid


def _run_train(target, a, kind, case, dtype):
    gamma, beta = _params(kind, a)
    groups = GROUPS if kind.norm.name == "groupnorm" else None
    inst = target.instance(a["x"], gamma, beta, eps=case.eps, dtype=dtype, groups=groups,
                           seed=case.seed)
    return inst, inst.train(a["x"], a["dy"])


def _compare_train(kind, layout, case, a, inst, got, eps, label, dtype):
    """(OutputCheck, problem text or None) per output."""
    gamma, beta = _params(kind, a)
    params = kind.norm.params
    inputs = {"x": a["x"], "dy": a["dy"],
              params[0]: gamma if inst.gamma is not None else np.ones_like(gamma)}
    if beta is not None:
        inputs[params[1]] = beta if inst.beta is not None else np.zeros_like(beta)
    want = reference_outputs(kind, layout, inputs, eps=eps,
                             groups=GROUPS if kind.norm.name == "groupnorm" else None)
    renamed = {"y": got["y"], "dx": got["dx"]}
    for ours, theirs in zip(("dgamma", "dbeta"), params):
        if ours in got:
            renamed["d" + theirs] = got[ours]
    stats = statistics_view(kind, layout, a["x"], GROUPS)
    tol = tolerance(dtype, _reduction_size(kind, layout, case),
                    0.0 if stats is None else centring_ratio(*stats, eps)) * FRAMEWORK_ALLOWANCE
    rows = []
    for output, reference in want.items():
        if output not in renamed:
            continue  # a parameter the object does not have: said in not_checked
        value = np.asarray(renamed[output])
        max_abs, max_rel, passed, note = compare(value, reference, tol)
        problem = None
        if output == "y" and got.get("dtype") != dtype:
            passed, problem = False, f"y has dtype {got.get('dtype')} for {dtype} inputs"
        elif note:
            problem = f"{output}: {note}"
        elif not passed:
            problem = f"{output} differs from the derivation in train mode" + (
                f" ({case.stress} inputs)" if case.stress else "")
        rows.append((OutputCheck(label, layout.name, dtype, case.stress or "train", output,
                                 max_abs, max_rel, tol, passed), problem))
    return rows


def _second_order(kind, runs, report):
    if kind.norm.name not in second_order.SUPPORTED:
        report.note_not_checked(f"second order: not run (no input to differentiate twice in "
                                f"for {kind.norm.name})")
        return
    runs = [run for run in runs if run.stress is None]
    for run in runs:
        a, layout = run.inputs, run.layout
        v = np.random.default_rng(7).normal(size=a["x"].shape)
        gamma = _params(kind, a)[0] if run.instance.gamma is not None else \
            np.ones(np.shape(a[kind.norm.params[0]]))
        try:
            got = run.instance.hvp(a["x"], a["dy"], v)
        except SecondOrderUnavailable as error:
            report.note_not_checked(f"second order: not run ({error})")
            return
        except Exception as error:  # noqa: BLE001 -- the user's code, reported
            report.problem(f"second order raised {type(error).__name__}: {error}",
                           f"{run.label} float64", key=f"hvp {type(error).__name__}")
            continue
        canon = lambda t: to_canonical(t, layout, kind.norm)  # noqa: E731
        want = from_canonical(second_order.family_hvp(
            kind.norm.name, canon(a["x"]), canon(a["dy"]), canon(v), gamma, run.eps,
            groups=GROUPS if kind.norm.name == "groupnorm" else None), layout, kind.norm,
            a["x"].shape)
        # a second derivative sums twice as many rounded terms: ten times the train rule
        stats = statistics_view(kind, layout, a["x"], GROUPS)
        tol = tolerance("float64", run.n, 0.0 if stats is None else
                        centring_ratio(*stats, run.eps)) * FRAMEWORK_ALLOWANCE * 10
        max_abs, max_rel, passed, note = compare(got, want, tol)
        report.checks.append(OutputCheck(run.label, layout.name, "float64", "train", "hvp",
                                         max_abs, max_rel, tol, passed))
        if not passed:
            report.problem(f"hvp: {note}" if note else "the Hessian-vector product (second "
                           "order) differs from the derivation", f"{run.label} float64",
                           key="hvp differs")
    names = ", ".join(dict.fromkeys(run.layout.name for run in runs))
    report.note_checked(f"second order on {names}: the Hessian-vector product of "
                        "L = sum(dy * y) in x through the framework's autograd, float64")


def _diagnose(kind, runs, failed):
    """H4's diagnosis of the train-mode outputs (float64 runs), for the wrong outputs."""
    from symbn.verify.diagnosis import diagnose

    observations = []
    for run in runs:
        a, eps, label, layout, got = run.inputs, run.eps, run.label, run.layout, run.outputs
        inputs = {k: a[k] for k in ("x", "dy", *kind.norm.params)}
        outputs = {"y": got["y"], "dx": got["dx"]}
        for ours, theirs in zip(("dgamma", "dbeta"), kind.norm.params):
            outputs["d" + theirs] = got.get(ours, np.zeros_like(a[theirs]))
        expected = reference_outputs(kind, layout, inputs, eps=eps,
                                     groups=GROUPS if kind.norm.name == "groupnorm" else None)
        observations.append(Observation(label, layout, inputs, outputs, expected, eps,
                                        GROUPS if kind.norm.name == "groupnorm" else None,
                                        run.stress or "train"))
    return diagnose(kind, observations, checks=failed)


def _new_weight(conv: Convention, chosen: dict, where: str,
                own=NO_MOMENTUM) -> tuple[float | None, str, bool]:
    """The expected weight of the new batch statistic (None: PyTorch's cumulative average,
    weight 1/k at step k), how it was set, and whether it is the convention's default taken
    for want of any other.  The constructed object's own ``momentum`` attribute (what its
    update reads) comes first, then ``--init``'s, then the convention's default."""
    default = conv.new_weight if conv.name == "pytorch" else 1 - conv.new_weight
    if own is not NO_MOMENTUM and (own is None or isinstance(own, (int, float))):
        momentum = own
        source = where if chosen.get("momentum", NO_MOMENTUM) == own else "its momentum attribute"
    elif "momentum" in chosen:
        momentum, source = chosen["momentum"], where
    else:
        return conv.new_weight, f"momentum {default:g} (the {conv.name} default)", True
    if momentum is None:
        if conv.name != "pytorch":
            raise VerifyError(f"momentum=None ({source}) is PyTorch's cumulative average; the "
                              f"{conv.name} convention has none: use --convention pytorch")
        return None, f"momentum None ({source}): a cumulative average, weight 1/k at step k", \
            False
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
            or not 0 < momentum <= 1:
        raise VerifyError(f"momentum={momentum!r} ({source}): symbn checks running statistics "
                          "updated with a momentum in (0, 1], or None (PyTorch's cumulative "
                          "average)")
    weight = momentum if conv.name == "pytorch" else 1 - momentum
    differs = (f", the {conv.name} default" if momentum == default else
               f"; the {conv.name} default is {default:g}")
    return weight, f"momentum {momentum:g} ({source}{differs})", False


def _running_checks(target, kind, layouts, conv: Convention, report, steps,
                    progress=_no_progress):
    """Training steps, then eval mode, on every layout and in every dtype train mode ran on:
    a module may take another path for another rank (eval mode on (N, C) only) or dtype (the
    biased variance for float32 input only), so none is left out; each gets a fresh
    instance.  Half precision is named as not checked (its tolerance, C u sqrt(n) per update,
    can exceed the difference a known mistake makes: the biased variance is n/(n-1) off)."""
    ran: dict[str, list[str]] = {}  # a checked line without its layouts -> the layouts
    confirmed: list[tuple[str, str, float]] = []  # (oracle layer, precision, max rel)
    for layout in layouts:
        trained = dict.fromkeys(c.dtype for c in report.checks
                                if c.mode == "train" and c.layout == layout.name)
        for dtype in trained:
            if dtype in RUNNING_DTYPES:
                _running_on(target, kind, layout, conv, report, steps, progress, ran,
                            confirmed, dtype)
            else:
                report.note_not_checked(
                    f"running statistics and eval mode in {dtype}: not checked (symbn checks "
                    f"them in {' and '.join(RUNNING_DTYPES)} only: an update that differs "
                    f"for {dtype} input alone would not be found)")
    for line, names in ran.items():
        report.note_checked(line.replace(LAYOUTS, ", ".join(names)))
    if confirmed:
        layer, precision, _ = confirmed[0]
        worst = max(error for _, _, error in confirmed)
        report.note_checked(f"the {conv.name} convention confirmed by {layer} on the same "
                            f"batches (max rel {_fmt(worst)}{precision})")


#: the dtypes the running statistics and eval mode are checked in, when train mode ran in them
RUNNING_DTYPES = ("float64", "float32")
#: stands for the layouts in a checked line until every layout has run
LAYOUTS = "\x00"


def _running_on(target, kind, layout, conv: Convention, report, steps, progress, ran,
                confirmed, dtype) -> None:
    case = _cases(target, kind, layout)[0]
    a = case.inputs(kind, layout, dtype)
    gamma, beta = _params(kind, a)
    chosen, where = target.chosen()
    given_eps = chosen.get("eps")
    try:
        inst = target.instance(a["x"], gamma, beta, eps=None, dtype=dtype, groups=None,
                               seed=case.seed)
    except Exception as error:  # noqa: BLE001 -- the user's constructor, reported
        report.problem(f"constructing with its defaults raised {type(error).__name__}: {error}",
                       _where(layout, dtype), key="constructing raised")
        return
    new_weight, momentum_text, assumed = _new_weight(conv, chosen, where, inst.momentum)
    if new_weight == 0.5:  # m old + (1 - m) new is (1 - m) old + m new
        report.note_not_checked("the momentum convention: at momentum 0.5 the old and the new "
                                "statistic weigh the same, so the PyTorch way and the Keras way "
                                "give one update (verify with another momentum, e.g. --init "
                                "'momentum=0.2', to tell them apart)")
    if inst.plain_stats:
        report.problem(f"{' and '.join(inst.plain_stats)}: plain tensor attributes, not "
                       "registered buffers: module.to(), .double() and .cuda() leave them as "
                       "they were and state_dict() does not save them (register them with "
                       f"self.register_buffer(name, tensor)); symbn converted them to {dtype} "
                       "itself to check the update", key="plain-tensor-stats")
    eps = given_eps if given_eps is not None else conv.eps
    if given_eps is None and inst.eps is not None and inst.eps != conv.eps:
        report.problem(f"default eps is {inst.eps:g}; the {conv.name} convention's is "
                       f"{conv.eps:g}", key="eps-default")
    initial = inst.running()
    if initial is None:
        report.problem("keeps no running statistics (no running_mean/running_var buffer or "
                       "batch_stats mean/var of one value per channel)", key="no-running-stats")
    else:
        for output, value, start in (("mean", initial[0], 0.0), ("var", initial[1], 1.0)):
            if not np.all(value == start):
                report.problem(f"running {output} starts at {value}, not {start:g} as in the "
                               f"{conv.name} convention", key=f"running-{output}-init")
    # rounded to the dtype: the derivation runs in float64 on exactly the values the module sees
    batches = [round_to(b, dtype) for b in
               running.training_batches(a["x"].shape, layout.feature_axis, steps)]
    tol = running.running_tolerance(a["x"].size // a["x"].shape[layout.feature_axis], steps,
                                    dtype)
    x_eval = batches.pop()
    effective_gamma = gamma if inst.gamma is not None else np.ones_like(gamma)
    effective_beta = beta if inst.beta is not None else np.zeros_like(beta)
    try:
        result = running.check_running(inst, conv, new_weight=new_weight, eps=eps,
                                       batches=batches, x_eval=x_eval,
                                       feature_axis=layout.feature_axis,
                                       gamma=effective_gamma, beta=effective_beta,
                                       own_eps=inst.eps,
                                       progress=lambda phase, calls: progress(phase, calls,
                                                                              report),
                                       fit=running.FIT if dtype == "float64" else tol)
    except oracles.OracleUnavailable as error:
        report.note_not_checked(f"running statistics and eval mode on {layout.name}, {dtype}: "
                                f"not run ({error})")
        return
    except Exception as error:  # noqa: BLE001 -- the user's code, reported
        report.problem(f"training steps or eval mode raised {type(error).__name__}: {error}",
                       f"{layout.name} {dtype}", key="running raised")
        return
    label = f"{steps} steps of {'x'.join(map(str, a['x'].shape))}, then eval"
    for output, mode in (("running mean", "running"), ("running var", "running"),
                         ("eval y", "eval")):
        if output not in result.observed:
            continue
        max_abs, max_rel, passed, _ = compare(result.observed[output], result.expected[output],
                                              tol)
        report.checks.append(OutputCheck(label, layout.name, dtype, mode,
                                         "y" if mode == "eval" else output, max_abs, max_rel,
                                         tol, passed))
    for mistake, description in result.mistakes:
        if (mistake, description) == running.EVAL_UPDATES:
            description += " (" + ", ".join(f"{n} moved by {c:.2g} relative"
                                            for n, c in result.changed.items() if c > 0) + ")"
        report.problem(f"{mistake}: {description}", _where(layout, dtype), key=mistake)
    hint = ""
    if assumed:
        takes = target.takes_momentum()
        hint = (f": symbn assumed {momentum_text}, as {target.name} has no momentum attribute; "
                "if it uses another, " + ("pass it with --init 'momentum=...'" if takes else
                                          "give the module a momentum attribute"))
    for output, rel in result.unexplained:
        report.problem(f"{output} differs from the {conv.name} convention (max rel {rel:.2g}) "
                       "and from every known running-statistics mistake"
                       + (hint if output.startswith("running") else ""),
                       _where(layout, dtype), key=f"{output} differs")
    unbiased = "unbiased n/(n-1)" if conv.unbiased_running_var else "biased"
    if "running mean" in result.observed:
        ran.setdefault(f"running statistics: running mean and variance after {steps} "
                       f"training steps on {LAYOUTS}, {dtype}, {conv.name} convention: "
                       f"{momentum_text}, eps {eps:g}, {unbiased} running variance",
                       []).append(layout.name)
    else:
        report.note_not_checked(f"running statistics: not compared ({target.name} keeps none)")
    ran.setdefault(f"eval mode: y with the running statistics on {LAYOUTS}, {dtype}; that it "
                   "leaves them as they were, and gives the same y on a second call",
                   []).append(layout.name)
    oracle = result.oracle
    oracle_tol = (tolerance(oracle.dtype, a["x"].size, 0.0) * (steps + 1) * 10
                  if oracle.dtype != "float64" else tol)
    if not result.oracle_error <= oracle_tol:
        report.problem(f"symbn's {conv.name} convention disagrees with {oracle.layer} on the "
                       f"same batches (max rel {result.oracle_error:.2g}): the expected running "
                       "statistics cannot be trusted", _where(layout, dtype), key="oracle")
    else:
        precision = "" if oracle.dtype == "float64" else f", {oracle.dtype}: the layer " \
                    f"computes in {oracle.dtype}"
        confirmed.append((oracle.layer, precision, result.oracle_error))


def _where(layout, dtype: str) -> str:
    """A problem's case: the layout, and the dtype when it is not float64 (the default)."""
    return layout.name if dtype == "float64" else f"{layout.name} {dtype}"


def _fmt(value: float) -> str:
    return "0" if value == 0 else f"{value:.1g}" if math.isfinite(value) else str(value)
