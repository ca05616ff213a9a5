"""The library of known normalization mistakes, each generated from a wrong derivation or recipe.

Every entry is a change to a :class:`Recipe`, the description of how a normalization is
computed: which statistic (biased, unbiased or one-pass variance; centred or not), where eps
goes, how gamma and beta enter, over which axes the statistics run, in which precision, and
how each gradient is derived.  :func:`forward_expression` turns a recipe into a SymPy
formula, :func:`outputs` derives its gradients with :func:`symbn.core.derivative` (or applies
the recipe's wrong derivation rule) and :func:`kernel` compiles them with
:func:`symbn.kernels.compile_kernel`; :func:`predict` runs that kernel on a user's inputs in
the user's layout.  No expected value anywhere is typed in: a wrong BN's outputs are computed
exactly as the correct one's are, from its (wrong) formula.

Weight normalization has its own recipe (:class:`WeightNormRecipe`, w = g v / ||v||) with
the same field names, so its mistakes are fitted by the same diagnosis.

Two mistakes combine by merging their recipe changes (when they change different fields), so
pairs come from the same machinery; two dx rules that each hold a statistic constant combine
into one that holds both (:func:`merge`).  Five entries are *fitted* rather than fixed: a gradient
off by a constant factor (``dx-scaled``, ``dgamma-scaled``, ``dbeta-scaled``; the factor is
fitted by least squares and named, see :mod:`symbn.verify.diagnosis`) and a hard-coded eps
(the constant is picked from the defaults of real frameworks: :data:`HARD_CODED_EPS`), and
the computation in the input's half precision (``no-float32-upcast``: the correct recipe run
in float16, fitted to the float16 cases only, where it differs).

The mistakes of a module's running statistics and eval mode (running variance updated with
the biased variance, pytorch/pytorch#3122 and #60528; momentum used the Keras way in a
PyTorch-convention module, pytorch/examples#289 and huggingface/transformers#19454;
statistics never updated, pytorch/pytorch#4348; eval mode with batch statistics) are
generated from a wrong :class:`symbn.bn.conventions.Convention` in
:mod:`symbn.verify.running`, next to the check that fits them.

Names follow symbn.verify.kinds (NAME-ROLE, NAME one of batchnorm, layernorm, rmsnorm,
groupnorm, instancenorm, weightnorm; parameters gamma, beta, rmsnorm's weight or weight
norm's g; upstream gradient dy, or dw).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import sympy as sp

from symbn.bn.batchnorm import eps, x
from symbn.cache import Cache
from symbn.core import Mean, N, batch_mean, batch_sum, batch_var, derivative
from symbn.kernels import Kernel, compile_kernel
from symbn.kernels.family import beta_w, dw, g, gain, gamma_w, v

#: eps constants found hard-coded in real code: PyTorch and Flax 1e-5, Keras 1e-3, LLM
#: RMSNorms 1e-6, BERT's LayerNorm 1e-12, and 1e-8 (common in hand-written code)
HARD_CODED_EPS = (1e-5, 1e-3, 1e-6, 1e-8, 1e-12)
FAMILY = ("batchnorm", "layernorm", "rmsnorm", "groupnorm", "instancenorm")


@dataclass(frozen=True)
class _Recipe:
    """What the standardizing and the weight-norm recipes both name (each says which values
    it takes), so that one diagnosis serves both: the reduction ``axes``, the ``root``, the
    ``scale``, and the rules that give ``dx`` and ``dgamma``."""

    axes: str = "correct"
    root: str = "sqrt"
    scale: str = "gamma"
    dx: str = "derived"
    dgamma: str = "derived"

    def changed(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Recipe(_Recipe):
    """How a normalization is computed; each family member's correct one is in :data:`REFERENCE`.

    y = scale * c / denominator (+ beta_w), c = x - Mean(x) (``centre``) or x, with

    * ``variance``: "biased" Mean((x - Mean(x))^2) | "unbiased" N/(N-1) times it |
      "one-pass" Mean(x^2) - Mean(x)^2 (evaluated in the input's precision, as written);
      an uncentred recipe (RMSNorm) uses Mean(x^2) for both biased and one-pass;
    * ``eps``: "inside" sqrt(var + eps) | "outside" sqrt(var) + eps | "none" |
      "hard-coded" (inside, at a constant value);
    * ``root``: "sqrt" | "squared" ((var + eps)^2 where the root belongs) |
      "rsqrt-divide" (divides by 1/sqrt(var + eps));
    * ``scale``: "gamma" | "none" | "one-plus-gamma" (Gemma's (1 + w));
    * ``axes``: "correct" or a wrong reduction (:func:`_plan`): "per-sample" (every axis but
      the batch axis), "per-position" (the batch axis only), "over-batch" (a last-axis norm's
      statistics per feature, over the rows), "axis-1" (a last-axis norm reducing axis 1 of
      the input, as written for (N, D): over T of a (B, T, C) input), "with-batch"
      (InstanceNorm with the batch axis too), "nhwc-reshape" (GroupNorm's (N, H, W, C)
      reshaped to (N, G, -1) without moving C next to N: a group mixes channels and positions);
    * ``compute``: the precision it runs in ("input", "float32", or "float16": the no-upcast
      mistake, applied to the float16 cases only; NumPy has no bfloat16 to run it in);
    * ``dx``, ``dgamma``: "derived" or a wrong derivation rule (:func:`outputs`; dgamma
      "swapped": the parameters' gradients returned in each other's place; dx "closed-form":
      the textbook closed form with the recipe's denominator as std, :func:`_closed_form_dx`);
      dx rules
      that hold statistics constant combine ("ignores-mean+ignores-variance", :func:`merge`).
    """

    centre: bool = True
    variance: str = "biased"
    eps: str = "inside"
    shift: bool = True
    compute: str = "input"

    @property
    def rounding_only(self) -> bool:
        """Whether the recipe's formula is the exact one and only its rounding differs (float32
        compute, a one-pass variance): it can be fitted only to the size of that rounding."""
        return self.compute != "input" or self.variance == "one-pass"


REFERENCE: dict[str, Recipe | WeightNormRecipe] = {
    name: Recipe() for name in ("batchnorm", "layernorm", "groupnorm", "instancenorm")}
REFERENCE["rmsnorm"] = Recipe(centre=False, shift=False)
#: Gemma-style RMSNorm, y = (1 + w) * x / rms: the reference when diagnose(scale_offset=1)
GEMMA_RMSNORM = Recipe(centre=False, shift=False, scale="one-plus-gamma")

@dataclass(frozen=True)
class WeightNormRecipe(_Recipe):
    """How weight normalization is computed: w = gain * v / ||v||, the norm of each output row
    (every axis but the feature axis 0, as PyTorch's weight_norm with dim=0), with

    * ``axes``: "correct" or "dim-1" (the norm over axis 1 only, per (o, h, w) of a conv
      weight: PyTorch's dim=1 confusion);
    * ``root``: "sqrt" or "none" (divides by ||v||^2);
    * ``scale``: "gamma" (the gain) or "none" (the gain ignored);
    * ``dx``: the rule for dv ("derived", "ignores-variance": ||v|| held constant, "no-gamma":
      the gain's factor forgotten); ``dgamma``: for dg ("derived", or "uses-x": sum(dw * v)).

    Field names are the standardizing recipe's, so one diagnosis serves both.
    """

    rounding_only = False  # every weight-norm mistake is a formula


REFERENCE["weightnorm"] = WeightNormRecipe()
AnyRecipe = Recipe | WeightNormRecipe


@dataclass(frozen=True)
class Mistake:
    """A named wrong recipe: ``changes`` to the family member's reference recipe.

    ``norms``: the members it applies to; ``fitted``: "factor" (an output off by a fitted
    constant: ``output`` names it), "eps" (a hard-coded eps) or "half" (the precision is the
    float16 case's: the recipe is fitted to the float16 checks only) when a parameter is
    fitted;
    ``references``: public issues and pull requests of real projects that made it.
    """

    name: str
    description: str
    changes: tuple[tuple[str, object], ...] = ()
    norms: tuple[str, ...] = FAMILY
    references: tuple[str, ...] = ()
    fitted: str | None = None
    output: str | None = None  # for a fitted factor: "dx", "dparam" (gamma/weight), "dbeta"

    def recipe(self, reference: AnyRecipe) -> AnyRecipe:
        return reference.changed(**dict(self.changes))

    def describe(self, norm: str) -> str:
        """The description worded for the family member it is applied to: its {c}, {var},
        {gamma}, ... are RMSNorm's x, Mean(x^2), weight (:data:`TERMS`) for an RMSNorm."""
        return self.description.format_map(TERMS["rmsnorm" if norm == "rmsnorm" else "other"])

    @property
    def outputs(self) -> dict:
        """BatchNorm's y, dx and per-value parameter gradients under this mistake, as
        general-form expressions (for the soundness suite: each differing one is a wrong claim);
        {} when no single expression states it (wrong axes, a precision recipe, a fitted one).
        An output the mistake leaves unchanged (dx when only beta is wrong) is left out: the
        two kernels are compared on a random batch."""
        reference = REFERENCE["batchnorm"]
        recipe = self.recipe(reference)
        if ("batchnorm" not in self.norms or self.fitted or recipe.axes != "correct"
                or recipe.rounding_only):
            return {}
        if recipe == reference:  # correct(): every derived output
            return outputs(reference, "pair")
        rng = np.random.default_rng(0)
        batch = {k: rng.normal(size=(5, 1)) for k in ("x", "g", "gamma_w", "beta_w")}
        wrong, right = (kernel(r, "pair")(axes=(0,), epsilon=0.1, **batch)
                        for r in (recipe, reference))
        return {name: e for name, e in outputs(recipe, "pair").items()
                if not np.allclose(wrong[name], right[name], rtol=1e-12, atol=0)}


#: the words of a description, per family member: RMSNorm's statistic is Mean(x^2), it has a
#: weight and no mean; the standardizing members centre on mu and divide by the variance's root
TERMS = {
    "other": {"c": "(x - mu)", "var": "var", "gamma": "gamma", "stat": "the variance",
              "xhat": "xhat", "dy_mean": "Mean(dy) - "},
    "rmsnorm": {"c": "x", "var": "Mean(x^2)", "gamma": "weight", "stat": "Mean(x^2)",
                "xhat": "x/sqrt(Mean(x^2) + eps)", "dy_mean": ""},
}


def correct() -> Mistake:
    """No mistake: BatchNorm's own recipe (``correct().outputs`` are the derived outputs)."""
    return Mistake("correct", "the correct BatchNorm")


def _m(name, description, norms=FAMILY, references=(), **changes) -> Mistake:
    return Mistake(name, description, tuple(sorted(changes.items())), norms, references)


STANDARDIZING = ("batchnorm", "layernorm", "groupnorm", "instancenorm")
WEIGHTNORM = ("weightnorm",)


@functools.cache
def mistakes() -> tuple[Mistake, ...]:
    """The library: every entry a wrong recipe (see each description and reference)."""
    return (
        # -- the forward formula (each gradient then derived from the wrong formula) --
        _m("eps-outside-sqrt", "eps outside the square root: {c}/(sqrt({var}) + eps)",
           references=("tracel-ai/burn#2185", "allenai/OLMo#281", "codertimo/BERT-pytorch#30"),
           eps="outside"),
        _m("eps-outside-sqrt-in-closed-form", "eps outside the square root, std = "
           "sqrt({var}) + eps, in the forward and in the closed-form backward dx = {gamma}/std"
           " * (dy - {dy_mean}xhat * Mean(dy * xhat)) (which is not the derivative of that "
           "forward)", references=("tracel-ai/burn#2185",), eps="outside", dx="closed-form"),
        _m("unbiased-variance", "normalizes with the unbiased variance N/(N-1) Var(x) "
           "(torch.std / var without unbiased=False)", STANDARDIZING,
           ("harvardnlp/annotated-transformer#119", "harvardnlp/annotated-transformer#122",
            "allenai/allennlp#953"), variance="unbiased"),
        _m("one-pass-variance", "variance in one pass, Mean(x^2) - Mean(x)^2, in the input's "
           "precision: it cancels when |mean| >> std", STANDARDIZING,
           ("pytorch/pytorch#51102", "pytorch/pytorch#55044", "microsoft/onnxruntime#21935"),
           variance="one-pass"),
        _m("no-eps", "no eps: {c}/sqrt({var}), which divides by 0 on a constant channel",
           references=("pytorch/pytorch#41527",), eps="none"),
        Mistake("eps-hard-coded", "eps hard-coded, the eps argument ignored",
                (("eps", "hard-coded"),), FAMILY, ("huggingface/transformers#19454",),
                fitted="eps"),
        _m("squared-std", "({var} + eps)^2 where sqrt({var} + eps) belongs",
           references=("131250208/TPlinker-joint-extraction#37",), root="squared"),
        _m("divides-by-rsqrt", "divides by rsqrt({var} + eps), i.e. multiplies by "
           "sqrt({var} + eps)",
           references=("mosaicml/llm-foundry#371", "mosaicml/llm-foundry#372"),
           root="rsqrt-divide"),
        _m("beta-ignored", "beta ignored: y = gamma * xhat", STANDARDIZING, shift=False),
        _m("gamma-ignored", "{gamma} ignored: y = {xhat} + beta", scale="none"),
        _m("rmsnorm-subtracts-mean", "RMSNorm that subtracts the mean (a LayerNorm without "
           "beta)", ("rmsnorm",), centre=True),
        _m("mean-not-subtracted", "the mean is not subtracted: x / sqrt(Mean(x^2) + eps) "
           "(an RMSNorm)", STANDARDIZING, centre=False),
        _m("one-plus-w-scale", "Gemma's (1 + w) scale where plain w belongs", ("rmsnorm",),
           ("linkedin/Liger-Kernel#74",), scale="one-plus-gamma"),
        _m("plain-w-scale", "plain w where Gemma's (1 + w) scale belongs", ("rmsnorm",),
           ("linkedin/Liger-Kernel#74",), scale="gamma"),
        _m("float32-compute", "computes in float32 whatever the input dtype (x.float() "
           "inside the layer, cast back)", references=("huggingface/transformers#29402",),
           compute="float32"),
        Mistake("no-float32-upcast", "computes in the input's half precision (no float32 "
                "upcast): x^2 overflows float16 above ~256 and eps below ~6e-8 is 0 in it",
                (("compute", "float16"),), FAMILY,
                ("pytorch/pytorch#133085", "pytorch/pytorch#41527", "deepspeedai/DeepSpeed#581"),
                fitted="half"),
        # -- the statistics' axes --
        _m("per-sample-statistics", "BatchNorm with per-sample statistics (over every axis "
           "but the batch axis, as LayerNorm)", ("batchnorm",), axes="per-sample"),
        _m("per-position-statistics", "statistics over the batch axis only, one per position "
           "(of an (N, C, ...) input), not per channel", ("batchnorm",), axes="per-position"),
        _m("sequence-statistics", "statistics per sample over time and features (of a "
           "(B, T, C) input), not per position", ("layernorm", "rmsnorm"),
           ("facebookresearch/ConvNeXt#112",), axes="per-sample"),
        _m("batch-statistics", "statistics over the batch, per feature (a BatchNorm), not "
           "over the features of each row", ("layernorm", "rmsnorm"), axes="over-batch"),
        _m("statistics-over-axis-1", "statistics over axis 1 (T of a (B, T, C) input: "
           "written for (N, D) inputs), per sample and feature, not over the features C",
           ("layernorm", "rmsnorm"), axes="axis-1"),
        _m("instancenorm-with-batch", "InstanceNorm whose statistics include the batch axis "
           "(a BatchNorm)", ("instancenorm",), ("pytorch/pytorch#4348",), axes="with-batch"),
        _m("groupnorm-nhwc-reshape", "GroupNorm on (N, H, W, C) reshaped to (N, G, -1) "
           "without moving the channels first: groups mix channels and positions",
           ("groupnorm",), ("tensorflow/addons#751",), axes="nhwc-reshape"),
        # -- the backward pass (the forward is right) --
        _m("dx-without-gamma", "dx computed from dy instead of dy * {gamma}",
           references=("denizyuret/Knet.jl#288", "karpathy/llm.c#763"), dx="no-gamma"),
        _m("ignores-mean", "dx misses the mean-gradient term (Mean(x) held constant)",
           STANDARDIZING, ("apache/mxnet#1053", "mlpack/mlpack#1923"), dx="ignores-mean"),
        _m("mean-term-twice", "dx subtracts the mean-gradient term twice (an accumulator not "
           "zeroed)", STANDARDIZING, ("tenstorrent/tt-metal#53204",), dx="mean-term-twice"),
        _m("ignores-variance", "dx misses the variance-gradient term ({stat} held "
           "constant)", dx="ignores-variance"),
        _m("missing-1/N", "dx uses batch sums where the means belong (a missing 1/N)",
           dx="sums-for-means"),
        _m("dgamma-uses-x", "d{gamma} = sum(dy * x) instead of sum(dy * {xhat})", dgamma="uses-x"),
        _m("dgamma-dbeta-swapped", "dgamma and dbeta swapped: dgamma = sum(dy), dbeta = "
           "sum(dy * xhat)", STANDARDIZING, dgamma="swapped"),
        # -- weight normalization --
        _m("weightnorm-norm-over-dim-1", "weight norm taken over axis 1 only (per (o, h, w) "
           "of a conv weight) instead of over every axis but the output axis", WEIGHTNORM,
           ("pytorch/pytorch#81195",), axes="dim-1"),
        _m("weightnorm-norm-squared", "divides by ||v||^2 instead of ||v|| (the square root "
           "forgotten)", WEIGHTNORM, root="none"),
        _m("weightnorm-gain-ignored", "the gain g ignored: w = v / ||v||", WEIGHTNORM,
           scale="none"),
        _m("weightnorm-dv-ignores-norm", "dv with ||v|| held constant (the projection term "
           "missing)", WEIGHTNORM, dx="ignores-variance"),
        _m("weightnorm-dg-uses-v", "dg = sum(dw * v) instead of sum(dw * v / ||v||)",
           WEIGHTNORM, dgamma="uses-x"),
        # -- fitted factors --
        Mistake("dx-scaled", "dx (dv) off by a constant factor", norms=FAMILY + WEIGHTNORM,
                fitted="factor", output="dx", references=("FlagGems/FlagGems#5392",)),
        Mistake("dgamma-scaled", "dgamma (dweight, dg) off by a constant factor",
                norms=FAMILY + WEIGHTNORM, fitted="factor", output="dparam"),
        Mistake("dbeta-scaled", "dbeta off by a constant factor", norms=STANDARDIZING,
                fitted="factor", output="dbeta"),
    )


def by_name(name: str) -> Mistake:
    for m in mistakes():
        if m.name == name:
            return m
    raise KeyError(f"no mistake named {name!r}")


# -- formulas --------------------------------------------------------------------------------

def forward_expression(recipe: Recipe, scale_one: bool = False) -> sp.Expr:
    """y for the generic sample, as the recipe computes it (``scale_one``: gamma replaced by 1)."""
    c, second = _statistics(recipe)
    scale = {"gamma": gamma_w, "none": 1, "one-plus-gamma": 1 + gamma_w}[recipe.scale]
    if scale_one and recipe.scale != "none":
        scale = 1
    return scale * c / _denominator(recipe, second) + (beta_w if recipe.shift else 0)


def _statistics(recipe: Recipe) -> tuple[sp.Expr, sp.Expr]:
    """(the centred or plain x, the statistic under the root), as the recipe computes them."""
    if recipe.centre:
        c = x - batch_mean(x)
        second = batch_mean(x**2) - batch_mean(x)**2 if recipe.variance == "one-pass" \
            else batch_var(x)
    else:
        c, second = x, batch_mean(x**2)
    if recipe.variance == "unbiased":
        second = N / (N - 1) * second
    return c, second


def _denominator(recipe: Recipe, second: sp.Expr) -> sp.Expr:
    """What the centred (or plain) x is divided by, built from the statistic ``second``."""
    e = 0 if recipe.eps == "none" else eps
    if recipe.eps == "outside":
        return sp.sqrt(second) + e
    if recipe.root == "squared":
        return (second + e) ** 2
    if recipe.root == "rsqrt-divide":
        return 1 / sp.sqrt(second + e)
    return sp.sqrt(second + e)


def _second_moment(recipe: Recipe) -> Mean:
    """The statistic the denominator is built from (held by the ignores-variance rule)."""
    return batch_var(x) if recipe.centre and recipe.variance != "one-pass" else batch_mean(x**2)


#: dx rules that hold a statistic constant: rule -> the statistic held (they combine)
HOLDS = {"ignores-mean": lambda recipe: Mean(x), "ignores-variance": _second_moment}


def merge(a: dict, b: dict) -> dict | None:
    """Two mistakes' recipe changes as one, or None when they change the same thing (two dx
    rules that each hold a statistic constant hold both: dx = gamma * dy / sqrt(var + eps),
    every statistic treated as a constant, is ignores-mean + ignores-variance)."""
    shared = set(a) & set(b)
    if not shared:
        return {**a, **b}
    if shared == {"dx"} and {a["dx"], b["dx"]} <= set(HOLDS) and a["dx"] != b["dx"]:
        return {**a, **b, "dx": "+".join(sorted((a["dx"], b["dx"])))}
    return None


def _dx(recipe: Recipe, y) -> sp.Expr:
    loss = batch_sum(g * y)
    rule = recipe.dx
    if rule == "derived":
        return derivative(loss, x)
    if rule == "no-gamma":
        return derivative(batch_sum(g * forward_expression(recipe, scale_one=True)), x)
    if rule == "mean-term-twice":  # the term through Mean(x) counted once more
        return 2 * derivative(loss, x) - derivative(loss, x, hold=[Mean(x)])
    if set(rule.split("+")) <= set(HOLDS):
        return derivative(loss, x, hold=[HOLDS[r](recipe) for r in rule.split("+")])
    if rule == "closed-form":
        return _closed_form_dx(recipe)
    if rule == "sums-for-means":  # every coupling term (each carries one 1/N) times N
        naive = g * derivative(y, x, through_stats=False)  # every statistic held constant
        return naive + N * (derivative(loss, x) - naive)
    raise ValueError(f"unknown dx rule {rule!r}")


def _closed_form_dx(recipe: Recipe) -> sp.Expr:
    """The textbook closed form of dx, derived for the root sqrt(var + eps), then evaluated
    with the recipe's own denominator as std (sqrt(var) + eps for eps outside): dx =
    gamma/std * (dy - Mean(dy) - xhat Mean(dy xhat)), xhat = (x - mu)/std.  Derived: the
    correct recipe's dx with eps = std^2 - var, so that its sqrt(var + eps) is std."""
    exact = recipe.changed(eps="inside", root="sqrt", dx="derived")
    _, second = _statistics(exact)
    std = sp.Dummy("std", positive=True)
    derived = _dx(exact, forward_expression(exact)).subs(eps, std**2 - second)
    if derived.has(eps):  # the root did not reduce to std: the closed form is not stated
        raise ValueError(f"no closed-form dx for {exact}")
    return derived.subs(std, _denominator(recipe, second))


def _weight_norm_outputs(recipe: WeightNormRecipe, role: str) -> dict:
    """{w}, {dv, dgain}, both, or "screen" {w, dgain}, for L = sum(dw * w) over each row."""
    squared = batch_sum(v**2)
    w = (gain if recipe.scale == "gamma" else 1) * v / (
        sp.sqrt(squared) if recipe.root == "sqrt" else squared)
    loss = batch_sum(dw * w)
    out = {}
    if role in ("forward", "pair", "screen"):
        out["w"] = w
    if role in ("backward", "pair"):
        out["dv"] = {"derived": lambda: derivative(loss, v),
                     "ignores-variance": lambda: derivative(loss, v, hold=[Mean(v**2)]),
                     "no-gamma": lambda: derivative(batch_sum(dw * w.subs(gain, 1)), v)
                     }[recipe.dx]()
    if role in ("backward", "pair", "screen") and recipe.scale == "gamma":
        out["dgain"] = batch_sum(dw * v) if recipe.dgamma == "uses-x" else \
            derivative(loss, gain)
    return out


def outputs(recipe: AnyRecipe, role: str) -> dict:
    """{y} for a forward, {dx, dgamma_w[, dbeta_w]} for a backward, {all} for a pair, and for
    "screen" everything but dx (cheap: no derivative through the statistics); the
    parameters' gradients per value (g * dy/dgamma_w), summed by :func:`predict`."""
    if isinstance(recipe, WeightNormRecipe):
        return _weight_norm_outputs(recipe, role)
    y = forward_expression(recipe)
    out = {}
    if role in ("forward", "pair", "screen"):
        out["y"] = y
    if role in ("backward", "pair"):
        out["dx"] = _dx(recipe, y)
    if role in ("backward", "pair", "screen"):
        # no statistic depends on gamma_w or beta_w: holding them all is exact, and fast
        if recipe.scale != "none":
            out["dgamma_w"] = g * x if recipe.dgamma == "uses-x" else \
                g * derivative(y, gamma_w, through_stats=False)
        if recipe.shift:
            out["dbeta_w"] = g * derivative(y, beta_w, through_stats=False)
        if recipe.dgamma == "swapped" and {"dgamma_w", "dbeta_w"} <= set(out):
            out["dgamma_w"], out["dbeta_w"] = out["dbeta_w"], out["dgamma_w"]
    return out


@functools.cache
def _cache() -> Cache:
    return Cache()  # a directory that cannot be written only costs the derivation's time


@functools.cache
def kernel(recipe: AnyRecipe, role: str) -> Kernel:
    """The compiled recipe, as written: not rewritten into centred terms, so a one-pass
    variance stays one pass (and compiling takes a tenth of the time; the diagnosis runs on
    small arrays, where the rewrite would gain nothing).

    The derivation is kept in symbn's on-disk cache (keyed by symbn's source, SymPy and
    Python), so a diagnosis in a new process compiles but does not derive again.
    """
    derived, _ = _cache().get_or_compute(("verify recipe", repr(recipe), role),
                                         lambda: outputs(recipe, role))
    return compile_kernel(derived, "recipe", optimize=False)


# -- running a recipe on a user's inputs -----------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One case in the user's layout: what the recipe needs to run."""

    norm: str          # a family member
    feature_axis: int  # normalized, in the user's layout
    groups: int | None = None


def _plan(recipe: Recipe, problem: Problem, shape):
    """(to view, from view, reduction axes of the view), or None when the recipe's axes do not
    apply to this shape or coincide with the correct ones."""
    ndim, fa = len(shape), problem.feature_axis
    norm, axes = problem.norm, recipe.axes
    channel_first = lambda a: np.moveaxis(a, fa, 1)  # noqa: E731
    channel_back = lambda a: np.moveaxis(a, 1, fa)  # noqa: E731
    spatial = tuple(range(2, ndim))
    if norm in ("layernorm", "rmsnorm"):
        last = lambda a: np.moveaxis(a, fa, -1)  # noqa: E731
        back = lambda a: np.moveaxis(a, -1, fa)  # noqa: E731
        rows_shape = np.moveaxis(np.empty(shape, dtype=bool), fa, -1).shape
        if axes == "correct":
            return last, back, (ndim - 1,)
        if axes == "over-batch":
            flat = lambda a: last(a).reshape(-1, shape[fa])  # noqa: E731
            return flat, lambda a: back(a.reshape(rows_shape)), (0,)
        if axes == "per-sample" and ndim >= 3:
            return last, back, tuple(range(1, ndim))
        if axes == "axis-1" and fa != 1:  # the input's own axis 1, in its own layout
            return (lambda a: a), (lambda a: a), (1,)
        return None
    if norm == "groupnorm":
        n, c, k = shape[0], shape[fa], problem.groups
        if axes == "correct":
            moved = channel_first(np.empty(shape, dtype=bool)).shape
            view = (n, k, c // k, *moved[2:])
            return (lambda a: channel_first(a).reshape(view),
                    lambda a: channel_back(a.reshape(moved)), tuple(range(2, len(view))))
        if axes == "nhwc-reshape" and ndim >= 3 and fa == ndim - 1:
            return (lambda a: a.reshape(n, k, -1), lambda a: a.reshape(shape), (2,))
        return None
    wanted = {("batchnorm", "correct"): (0, *spatial),
              ("batchnorm", "per-sample"): tuple(range(1, ndim)),
              ("batchnorm", "per-position"): (0,) if spatial else None,
              ("instancenorm", "correct"): spatial,
              ("instancenorm", "with-batch"): (0, *spatial)}.get((norm, axes))
    return None if not wanted else (channel_first, channel_back, wanted)


def _per_value(param, shape, feature_axis):
    """A (C,) parameter broadcast along the feature axis to the input's shape."""
    view = [1] * len(shape)
    view[feature_axis] = -1
    return np.broadcast_to(np.reshape(param, view), shape)


def predict(recipe: AnyRecipe, role: str, problem: Problem, inputs: dict,
            eps_value: float | None) -> dict | None:
    """The recipe's outputs for one case, in the user's layout and with the user's names
    (y, dx, dgamma/dweight, dbeta), as float64 arrays; None when the recipe does not apply.

    ``inputs``: x, dy, and the (C,) parameters (gamma, beta, or weight), as the user got them
    (weight norm: v, dw, g).  The recipe runs in the inputs' precision (``compute="input"``),
    in float32 or in float16.
    """
    if isinstance(recipe, WeightNormRecipe):
        return _predict_weight_norm(recipe, role, problem, inputs)
    x_ = np.asarray(inputs["x"])
    plan = _plan(recipe, problem, x_.shape)
    if plan is None:
        return None
    to_view, from_view, axes = plan
    dtype = x_.dtype if recipe.compute == "input" else np.dtype(recipe.compute)
    pname = "weight" if problem.norm == "rmsnorm" else "gamma"
    gamma_ = inputs[pname]
    beta_ = inputs.get("beta", np.zeros_like(gamma_))
    dy = inputs.get("dy")
    fa = problem.feature_axis
    values = {"x": to_view(x_.astype(dtype)),
              "g": to_view((np.zeros_like(x_) if dy is None else np.asarray(dy)).astype(dtype)),
              "gamma_w": to_view(_per_value(gamma_, x_.shape, fa).astype(dtype)),
              "beta_w": to_view(_per_value(beta_, x_.shape, fa).astype(dtype))}
    with np.errstate(all="ignore"):
        # the precision is the values' dtype: one kernel serves every compute
        out = kernel(recipe.changed(compute="input"), role)(axes=axes, epsilon=eps_value,
                                                            **values)
    shared = tuple(i for i in range(x_.ndim) if i != fa)
    result = {}
    for name, value in out.items():
        full = np.asarray(from_view(np.asarray(value)), dtype=np.float64)
        if name == "dgamma_w":
            result["d" + pname] = full.sum(axis=shared)
        elif name == "dbeta_w":
            result["dbeta"] = full.sum(axis=shared)
        else:
            result[name] = full
    if role != "forward":  # a parameter the recipe does not use gets a zero gradient
        if recipe.scale == "none":
            result["d" + pname] = np.zeros(np.shape(gamma_))
        if not recipe.shift and "beta" in inputs:
            result["dbeta"] = np.zeros(np.shape(beta_))
    return result


def _predict_weight_norm(recipe: WeightNormRecipe, role: str, problem: Problem, inputs: dict):
    """w, dv, dg for one case: the rows on the feature axis, each normalized over the rest
    (or, for the dim-1 recipe, over axis 1 only, on inputs of 3 or more dimensions)."""
    v_ = np.asarray(inputs["v"])
    fa, rows = problem.feature_axis, v_.shape[problem.feature_axis]
    moved = np.moveaxis(v_, fa, 0).shape
    if recipe.axes == "correct":
        view = (rows, math.prod(moved[1:]))
    elif recipe.axes == "dim-1" and v_.ndim >= 3:
        view = moved
    else:
        return None
    to_view = lambda a: np.moveaxis(np.asarray(a), fa, 0).reshape(view)  # noqa: E731
    from_view = lambda a: np.moveaxis(np.asarray(a).reshape(moved), 0, fa)  # noqa: E731
    upstream = inputs.get("dw")
    out = kernel(recipe, role)(
        v=to_view(v_), dw=to_view(np.zeros_like(v_) if upstream is None else upstream),
        gain=np.reshape(inputs["g"], (rows,) + (1,) * (len(view) - 1)), axes=(1,))
    result = {}
    if "w" in out:
        result["w"] = np.asarray(from_view(out["w"]), dtype=np.float64)
    if "dv" in out:
        result["dv"] = np.asarray(from_view(out["dv"]), dtype=np.float64)
    if role != "forward":
        result["dg"] = (np.asarray(out["dgain"], dtype=np.float64).reshape(rows, -1).sum(axis=1)
                        if "dgain" in out else np.zeros(rows))
    return result
