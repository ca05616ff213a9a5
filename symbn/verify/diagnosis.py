"""Diagnose a wrong normalization: fit the user's outputs against the mistake library.

Interface (for the runner)::

    diagnose(kind, observations, *, checks=(), scale_offset=0) -> Diagnosis

* ``kind``: a :class:`symbn.verify.kinds.Kind` or its name (``batchnorm-backward``, ...);
* ``observations``: :class:`symbn.verify.model.Observation` s, float64 cases as run: ``case``,
  ``layout`` (``.name``, ``.feature_axis``), ``inputs`` (x, dy, gamma, beta / weight; v, dw,
  g; as passed), ``outputs`` (the user's), ``expected`` (the derivation's), ``eps``,
  ``groups``.  Stress cases may be among them (a large mean offset is what exposes a
  one-pass variance); the fits are unchanged by them;
* ``checks``: the report's :class:`~symbn.verify.model.OutputCheck` s, all dtypes and modes,
  so the diagnosis can say on which layouts, dtypes and stress cases each output is wrong;
* ``scale_offset=1``: the reference is Gemma's RMSNorm, (1 + w) * x / rms.

How the fit goes (each step only when the one before found nothing):

1. the correct recipe, then up to two gradients off by a constant factor on top of it: the
   factor is fitted by least squares per case and named ("dx is N times too large" when it
   equals each case's N, the number of values per statistic; "dx is 0.5 times the correct
   one" for a constant);
2. every mistake of :mod:`symbn.verify.mistakes` that applies to the kind predicts the
   outputs (for a pair, a forward mistake also with the correct backward: a pair whose
   backward recomputes the right statistics from the cached input); one that reproduces
   every output of every case to ``FIT`` relative (max |got - predicted| / max
   |predicted|), alone or with one factor, is the diagnosis.  The mistakes
   whose outputs other than the input's gradient already agree with the user's (up to a
   factor) go first: deriving and compiling dx is the slow part;
3. pairs of mistakes: the recipes of two of the ``PAIRS`` best-ranked mistakes merged
   (when they change different things), compiled and fitted like one;
4. precision recipes (float32 compute, one-pass variance): they cannot be reproduced to
   rounding, so they fit when the user's deviation from the derivation is of the size the
   recipe's own deviation is (within a factor ``CONSISTENT``) in every case.

When nothing fits, the diagnosis says so and names the outputs that differ, where, and by how
much; it never offers the correct recipe as the "nearest" mistake.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from symbn.verify.kinds import get_kind
from symbn.verify.mistakes import (
    GEMMA_RMSNORM,
    HARD_CODED_EPS,
    REFERENCE,
    AnyRecipe,
    Mistake,
    Problem,
    mistakes,
    predict,
)

#: relative residual at which a prediction reproduces the user's outputs (float64 cases)
FIT = 1e-8
#: how many of the best single mistakes are paired
PAIRS = 6
#: a precision recipe fits when the user's and the recipe's deviations agree to this factor
CONSISTENT = 10.0


@dataclass(frozen=True)
class WrongOutput:
    """One output that differs from the derivation: where, and by how much (relative)."""

    output: str
    layouts: tuple[str, ...]
    dtypes: tuple[str, ...]
    max_rel: float
    modes: tuple[str, ...] = ()  # the checks' modes: "train" (the grid), stress cases, "eval"

    @property
    def text(self) -> str:
        where = f"{self.output} on {', '.join(self.layouts)}"
        where += f" ({', '.join(self.dtypes)})" if self.dtypes else ""
        if set(self.modes) - {"train"}:  # wrong beyond the plain grid: say in which cases
            cases = ["grid" if m == "train" else m for m in self.modes]
            where += f" in the {', '.join(cases)} case{'s' * (len(cases) > 1)}"
        return f"{where}, up to {self.max_rel:.1e} relative"


@dataclass(frozen=True)
class Diagnosis:
    """What reproduces the user's outputs.

    ``name``: "correct" (the values are right: the faults are elsewhere), a mistake's name,
    two joined by " + ", or "unknown" (``fits`` False: nothing in the library reproduces the
    outputs); ``residual``: the relative residual of that fit; ``wrong``: the outputs that
    differ from the derivation; ``ranking``: every candidate tried, best first.
    """

    name: str
    description: str
    residual: float
    fits: bool
    ranking: tuple[tuple[str, float], ...]
    mistakes: tuple[str, ...] = ()
    wrong: tuple[WrongOutput, ...] = ()
    references: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The diagnosis in one paragraph, for the report."""
        where = "; ".join(w.text for w in self.wrong)
        if self.fits and self.name == "correct":
            return ("the values agree with the derivation on every float64 case fitted; "
                    + (f"they differ only in: {where}." if where else
                       "the problems listed are the faults."))
        if self.fits:
            refs = f" [seen in {', '.join(self.references)}]" if self.references else ""
            return f"{self.description}{refs}." + (f" Wrong: {where}." if where else "")
        return (f"no known mistake (alone or in pairs) reproduces the outputs. They differ "
                f"from the derivation: {where}.")


@dataclass
class _Candidate:
    name: str
    description: str
    predictions: list  # per observation: {output: array}
    mistakes: tuple[Mistake, ...]
    recipe: AnyRecipe | None = None
    eps_value: float | None = None  # a hard-coded eps, when the candidate has one
    residual: float = math.inf
    per_output: dict | None = None
    precision: bool = False


def diagnose(kind, observations, *, checks=(), scale_offset=0) -> Diagnosis:
    """Fit ``observations`` of ``kind`` against the mistake library (see the module docstring)."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    names = kind.outputs
    wrong = _wrong_outputs(names, observations, checks)
    norm = kind.norm.name
    if norm not in REFERENCE or not observations:
        return _unknown(wrong, ())
    role = kind.role
    reference = GEMMA_RMSNORM if scale_offset else REFERENCE[norm]
    fit = _Fit(norm, role, reference, names, observations)

    correct = fit.candidate("correct", "the correct recipe", reference, ())
    if correct.residual <= FIT:
        return fit.diagnosis(correct, [correct], wrong)
    factored = fit.with_factors([correct])  # before compiling the library: often enough
    if factored:
        return fit.diagnosis(factored, [correct], wrong)
    singles = []
    for screened in (True, False):
        singles += [c for c in fit.singles(screened) if c is not None]
        ranked = sorted([correct, *singles], key=lambda c: c.residual)
        # among fits, one without a fitted constant first (no eps, not eps = 1e-12)
        exact = sorted((c for c in ranked if not c.precision and c.residual <= FIT),
                       key=lambda c: (any(m.fitted for m in c.mistakes), c.residual))
        if exact:
            return fit.diagnosis(exact[0], ranked, wrong)
        factored = fit.with_factors([correct, *singles])
        if factored:
            return fit.diagnosis(factored, ranked, wrong)
    informative = sorted((c for c in singles if not c.precision), key=fit.partial_score)
    pairs = fit.pairs(informative[:PAIRS])
    best_pair = min(pairs, key=lambda c: c.residual, default=None)
    if best_pair is not None and best_pair.residual <= FIT:
        return fit.diagnosis(best_pair, sorted([*ranked, *pairs], key=lambda c: c.residual),
                             wrong)
    consistent = [c for c in singles if c.precision and fit.consistent(c)]
    if consistent:
        return fit.diagnosis(consistent[0], ranked, wrong)
    ranking = sorted([*ranked, *pairs], key=lambda c: c.residual)
    return _unknown(wrong, tuple((c.name, c.residual) for c in ranking))


class _Fit:
    """The candidates' predictions for one diagnosis, and the fits between them."""

    def __init__(self, norm, role, reference, names, observations):
        self.norm, self.role, self.reference = norm, role, reference
        self.names, self.observations = names, observations
        self.problems = [Problem(norm, o.layout.feature_axis, o.groups) for o in observations]
        self.correct_predictions = [self._predict(reference, k) for k in
                                    range(len(observations))]

    def _predict(self, recipe, k, eps_value=None):
        o = self.observations[k]
        out = predict(recipe, self.role, self.problems[k], o.inputs,
                      o.eps if eps_value is None else eps_value)
        return None if out is None else {n: out[n] for n in self.names if n in out}

    def candidate(self, name, description, recipe, mistakes_, eps_value=None,
                  forward_only=False):
        """A candidate's predictions on every case (the correct ones where its wrong axes do
        not apply to a case's layout); None when it applies to no case.  ``forward_only``: a
        pair whose forward has the mistake and whose backward is the correct one's."""
        predictions, applied = [], False
        for k in range(len(self.observations)):
            if forward_only:
                o = self.observations[k]
                y = predict(recipe, "forward", self.problems[k], o.inputs,
                            o.eps if eps_value is None else eps_value)
                p = None if y is None else {**self.correct_predictions[k], "y": y["y"]}
            else:
                p = self._predict(recipe, k, eps_value)
            applied |= p is not None
            predictions.append(p if p is not None else self.correct_predictions[k])
        if not applied:
            return None
        c = _Candidate(name, description, predictions, mistakes_, recipe, eps_value,
                       precision=recipe.rounding_only)
        c.per_output = {n: max(_relative(o.outputs[n], p[n], where_defined=True)
                               for o, p in zip(self.observations, predictions))
                        for n in self.names}
        c.residual = max(c.per_output.values())
        return c

    def singles(self, screened: bool):
        """The library's candidates that pass the screen (``screened``), or the others."""
        for m in mistakes():
            if self.norm not in m.norms or m.fitted == "factor":
                continue
            recipe = m.recipe(self.reference)
            if recipe == self.reference or not _affects(recipe, self.reference, self.role):
                continue
            values = ([v for v in HARD_CODED_EPS
                       if not all(o.eps == v for o in self.observations)]
                      if m.fitted == "eps" else [None])
            for value in values:
                description = m.description + ("" if value is None else f" (eps = {value:g})")
                if self.role == "pair" and screened and _affects(recipe, self.reference,
                                                                 "forward"):
                    yield self.candidate(m.name, f"{description}, in the forward only (the "
                                         "backward is the correct one's)", recipe, (m,),
                                         eps_value=value, forward_only=True)
                if self.passes_screen(recipe, value) == screened:
                    yield self.candidate(m.name, description, recipe, (m,), eps_value=value)

    def passes_screen(self, recipe, eps_value) -> bool:
        """Whether the recipe's outputs other than dx agree with the user's, each up to a
        constant factor (a candidate for a fitted factor too); a forward always passes."""
        names = [n for n in self.names if _factor_key(n) != "dx"]
        if self.role == "forward" or not names:
            return True
        for k, o in enumerate(self.observations):
            p = predict(recipe, "screen", self.problems[k], o.inputs,
                        o.eps if eps_value is None else eps_value)
            p = self.correct_predictions[k] if p is None else p
            for n in names:
                got = np.asarray(o.outputs[n], dtype=np.float64).ravel()
                want = np.asarray(p[n], dtype=np.float64).ravel()
                c = float(got @ want) / float(want @ want) if want @ want > 0 else 1.0
                if _relative(got, c * want) > FIT:
                    return False
        return True

    def partial_score(self, c) -> float:
        """Mean log residual over the outputs: a mistake that explains some outputs ranks high."""
        return float(np.mean([math.log10(max(r, 1e-16)) for r in c.per_output.values()]))

    def with_factors(self, bases):
        """A base candidate with one gradient off by a fitted constant factor (or, for the
        correct base, up to two): the first that reproduces everything."""
        factors = {m.output: m for m in mistakes() if m.fitted == "factor"
                   and self.norm in m.norms}
        scalable = [n for n in self.names if factors.get(_factor_key(n)) is not None]
        for base in sorted(bases, key=lambda c: c.residual):
            off = [n for n in self.names if base.per_output[n] > FIT]
            limit = 2 if base.name == "correct" else 1
            if not off or len(off) > limit or any(n not in scalable for n in off):
                continue
            named = []
            for n in off:
                factor = _fit_factor(n, base, self.observations, self.problems)
                if factor is None:
                    break
                named.append(factor)
            else:
                mistakes_ = tuple(factors[_factor_key(n)] for n in off)
                parts = [] if base.name == "correct" else [base]
                names = [p.name for p in parts] + [m.name for m in mistakes_]
                text = "; ".join([p.description for p in parts] + named)
                return _Candidate(" + ".join(names), text, base.predictions,
                                  base.mistakes + mistakes_, base.recipe, residual=max(
                                      [base.per_output[n] for n in self.names
                                       if n not in off] + [0.0]))
        return None

    def pairs(self, singles):
        out = []
        for a, b in itertools.combinations(singles, 2):
            fields_a = dict(a.mistakes[0].changes)
            fields_b = dict(b.mistakes[0].changes)
            if set(fields_a) & set(fields_b):
                continue
            recipe = self.reference.changed(**fields_a, **fields_b)
            eps_value = a.eps_value if a.eps_value is not None else b.eps_value
            c = self.candidate(f"{a.name} + {b.name}", f"{a.description}; and "
                               f"{b.description}", recipe, (a.mistakes[0], b.mistakes[0]),
                               eps_value=eps_value)
            if c is not None:
                out.append(c)
        return out

    def consistent(self, c) -> bool:
        """The user's deviation has the size the precision recipe's own deviation has."""
        deviated = False
        for o, p in zip(self.observations, c.predictions):
            for n in self.names:
                user = _relative(o.outputs[n], o.expected[n])
                recipe = _relative(p[n], o.expected[n])
                if user <= FIT and recipe <= FIT:
                    continue
                deviated = True
                if not (recipe / CONSISTENT <= user <= recipe * CONSISTENT) or \
                        _relative(o.outputs[n], p[n]) > CONSISTENT * max(recipe, FIT):
                    return False
        return deviated

    def diagnosis(self, best, ranked, wrong) -> Diagnosis:
        refs = tuple(r for m in best.mistakes for r in m.references)
        return Diagnosis(best.name, best.description, best.residual, True,
                         tuple((c.name, c.residual) for c in ranked),
                         tuple(m.name for m in best.mistakes), wrong, refs)


def _factor_key(name: str) -> str | None:
    """Which fitted-factor entry an output's scaling is: the input's gradient ("dx"), the
    shift's ("dbeta"), the scale parameter's ("dparam"), or none (a forward output)."""
    if name in ("y", "w"):
        return None
    return {"dx": "dx", "dv": "dx", "dbeta": "dbeta"}.get(name, "dparam")


def _affects(recipe: AnyRecipe, reference: AnyRecipe, role: str) -> bool:
    """Whether the recipe changes any output of ``role`` (a wrong dx rule leaves y alone)."""
    forward_fields = [f for f in type(recipe).__dataclass_fields__ if f not in ("dx", "dgamma")]
    changes_forward = any(getattr(recipe, f) != getattr(reference, f) for f in forward_fields)
    return changes_forward or role != "forward"


def _relative(got, want, *, where_defined: bool = False) -> float:
    """max |got - want| / max |want| over the finite values of ``want``; inf when the shapes
    or the non-finite values differ.  ``where_defined``: values where ``want`` is not finite
    (a wrong formula undefined there, as sqrt(var) + eps differentiated at var = 0) are not
    compared: whatever the user's code gives there, the formula says nothing about it."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return math.inf
    finite, got_finite = np.isfinite(want), np.isfinite(got)
    if not (got_finite[finite].all() if where_defined else np.array_equal(got_finite, finite)):
        return math.inf
    if not finite.any():
        return 0.0
    scale = float(np.max(np.abs(want[finite])))
    diff = float(np.max(np.abs(got[finite] - want[finite])))
    return diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)


def _values_per_statistic(problem: Problem, shape) -> int:
    """N: how many values one statistic reduces over, for the correct recipe."""
    fa, ndim = problem.feature_axis, len(shape)
    c = shape[fa]
    rest = math.prod(shape) // c
    if problem.norm in ("batchnorm", "weightnorm"):
        return rest
    if problem.norm in ("layernorm", "rmsnorm"):
        return c
    spatial = rest // shape[0] if fa != 0 else math.prod(shape[1:]) // c
    if problem.norm == "instancenorm":
        return spatial
    return spatial * c // (problem.groups or 1) if ndim else 0


def _fit_factor(name, base, observations, problems) -> str | None:
    """The factor the user's ``name`` output is off by, named, or None when no constant
    factor reproduces it: the same number in every case, or each case's N (values per
    statistic) or M (values summed into one parameter's gradient), or their inverses."""
    factors, sizes, summed = [], [], []
    for o, p, problem in zip(observations, base.predictions, problems):
        got = np.asarray(o.outputs[name], dtype=np.float64).ravel()
        want = np.asarray(p[name], dtype=np.float64).ravel()
        denominator = float(want @ want)
        if denominator == 0 or not np.all(np.isfinite(got)):
            return None
        c = float(got @ want) / denominator
        if _relative(got, c * want) > FIT:
            return None
        factors.append(c)
        shape = np.shape(o.inputs["x"] if "x" in o.inputs else o.inputs["v"])
        sizes.append(_values_per_statistic(problem, shape))
        summed.append(math.prod(shape) // shape[problem.feature_axis])
    close = lambda a, b: abs(a - b) <= 1e-6 * max(abs(a), abs(b))  # noqa: E731
    if all(close(c, 1.0) for c in factors) or any(abs(c) < 1e-6 for c in factors):
        return None  # no factor, or an output that is (almost) zero: not a scaling
    if len(set(sizes)) > 1 or len(factors) == 1:
        if all(close(c, n) for c, n in zip(factors, sizes)):
            return f"{name} is N times too large (N = the number of values per statistic)"
        if all(close(c, 1 / n) for c, n in zip(factors, sizes)):
            return f"{name} is N times too small (N = the number of values per statistic)"
    if len(set(summed)) > 1 or len(factors) == 1:
        what = "(M = the number of values summed into each parameter's gradient)"
        if all(close(c, m) for c, m in zip(factors, summed)):
            return f"{name} is M times too large {what}"
        if all(close(c, 1 / m) for c, m in zip(factors, summed)):
            return f"{name} is M times too small {what}"
    if all(close(c, factors[0]) for c in factors):
        c = factors[0]
        if close(c, round(c)) and round(c) >= 2:
            return f"{name} is {round(c)} times too large"
        if close(c, -1.0):
            return f"{name} has the wrong sign"
        return f"{name} is {c:.4g} times the correct one"
    return None


def _wrong_outputs(names, observations, checks) -> tuple[WrongOutput, ...]:
    """The outputs that differ from the derivation: from the report's checks when given (every
    dtype), else from the float64 observations."""
    found: dict = {}  # output -> (layouts, dtypes, modes, worst relative error)

    def add(output, layout, dtype, mode, rel):
        layouts, dtypes, modes, worst = found.get(output, (set(), set(), set(), 0.0))
        found[output] = (layouts | {layout}, dtypes | {dtype}, modes | {mode},
                         max(worst, rel) if rel == rel else math.inf)
    for c in checks:
        if not c.passed and c.output in names:
            add(c.output, c.layout, c.dtype, c.mode, c.max_rel)
    if not checks:
        for o in observations:
            for n in names:
                r = _relative(o.outputs[n], o.expected[n])
                if r > FIT:
                    add(n, o.layout.name, "float64", "train", r)
    return tuple(WrongOutput(n, tuple(sorted(layouts)), tuple(sorted(dtypes)), worst,
                             tuple(sorted(modes, key=lambda m: (m != "train", m))))
                 for n in names if n in found for layouts, dtypes, modes, worst in [found[n]])


def _unknown(wrong, ranking) -> Diagnosis:
    return Diagnosis("unknown", "no known mistake reproduces the outputs",
                     min((r for _, r in ranking), default=math.inf), False, ranking, (), wrong)
