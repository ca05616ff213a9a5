"""The invariance matrix of the normalization family (Ba, Kiros & Hinton 2016, table 1).

Each transformation of the weights or data acts on a normalization's *reduction set* (the
values one statistic is taken over) in one of four ways: a common positive scale, a common
shift, a different scale per value, or a different shift per value.  Which one depends on
the normalization: re-centering the weight matrix shifts every hidden unit of a case by the
same amount (a common shift for LayerNorm, which normalizes over units, but a per-value
shift for BatchNorm, which normalizes over cases).  The verdict then comes from the
normalization's own formula: scale invariance is proved at eps = 0 (for eps > 0 it is
refuted; the exact law N_eps(a x) = N_{eps/a^2}(x) is the ``scale-invariance`` and
``rms-scale-invariance`` identities), shift invariance for every eps.
"""

from __future__ import annotations

import sympy as sp

from symbn.bn.batchnorm import eps, standardize, x
from symbn.bn.family import rms_normalize, weight_normalize
from symbn.core import explicit_symbols, instantiate, sample_symbols
from symbn.identities.record import Claim, Identity, control

SOURCE = "Ba, Kiros & Hinton 2016 (Layer Normalization), section 5.1 and table 1"
TRANSFORMS = ("weight matrix re-scaling", "weight matrix re-centering",
              "weight vector re-scaling", "dataset re-scaling", "dataset re-centering",
              "single training case re-scaling")
delta = sp.Symbol("delta", positive=True)
shift = sp.Symbol("c", real=True)
per_scale, = sample_symbols("d", positive=True)
per_shift, = sample_symbols("e")
v, = sample_symbols("v")  # weight normalization's weight vector, over the input dimensions

EFFECTS = {
    "scale": lambda a: delta * a,
    "shift": lambda a: a + shift,
    "scale-each": lambda a: per_scale * a,
    "shift-each": lambda a: a + per_shift,
}

#: normalization -> (formula on its reduction set, the effect of each transform, expected
#: invariance per transform).  For weight normalization the effect names what moves: the
#: weight vector v or the input x.
MATRIX = {
    "batchnorm": (standardize, ("scale", "shift-each", "scale", "scale", "shift", "scale-each"),
                  (True, False, True, True, True, False)),
    "layernorm": (standardize, ("scale", "shift", "scale-each", "scale", "shift-each", "scale"),
                  (True, True, False, True, False, True)),
    "instancenorm": (standardize, ("scale", "shift-each", "scale", "scale", "shift", "scale"),
                     (True, False, True, True, True, True)),
    "groupnorm": (standardize, ("scale", "shift-each", "scale-each", "scale", "shift-each",
                                "scale"), (True, False, False, True, False, True)),
    "rmsnorm": (rms_normalize, ("scale", "shift", "scale-each", "scale", "shift-each", "scale"),
                (True, False, False, True, False, True)),
    "weightnorm": (None, ("v:scale", "v:shift-each", "v:scale", "x:scale", "x:shift-each",
                          "x:scale"), (True, False, True, False, False, False)),
}


def _claim(norm, effect, at_eps_zero):
    formula = MATRIX[norm][0]
    if norm == "weightnorm":
        target, kind = effect.split(":")
        moved = {v: EFFECTS[kind](v)} if target == "v" else {x: EFFECTS[kind](x)}
        before = weight_normalize(v, x)
        after = before.xreplace(moved)
    else:
        kind = effect
        before = formula(x, eps)
        after = formula(EFFECTS[kind](x), eps)
    scales = kind.startswith("scale") and norm != "weightnorm"
    return Claim(after, before, where={eps: 0} if scales and at_eps_zero else {},
                 steps=(("after the transformation", after), ("before", before)))


def _explicit_claim(norm, effect, m):
    """The same claim on m explicit samples, built without Mean's rules: the formula is
    instantiated as plain sums over x0..x{m-1} and the transformation is applied to those
    samples one by one, so the invariance is not assumed by the construction."""
    if norm == "weightnorm":
        target, kind = effect.split(":")
        before = instantiate(weight_normalize(v, x), m)
        moved_var = v if target == "v" else x
    else:
        kind, moved_var = effect, x
        before = instantiate(MATRIX[norm][0](x, eps), m)
    samples = explicit_symbols(moved_var, m)
    after = before.xreplace({s: EFFECTS[kind](s) for s in samples})
    scales = kind.startswith("scale") and norm != "weightnorm"
    return Claim(after, before, where={eps: 0} if scales else {})


def _built_by_linearity(norm, effect) -> bool:
    """Cells whose general claim is 0 as built, by Mean's linearity alone: a common shift
    cancels inside the mean, and RMSNorm's and weight normalization's common scale leaves
    it.  Only an explicit form checks these; the others are proved by a strategy."""
    return "shift" in effect or norm in ("rmsnorm", "weightnorm")


def per_value(effect: str) -> str:
    """The same transformation with a different amount for each value: "scale" -> "scale-each"."""
    return effect.replace("scale", "scale-each").replace("shift", "shift-each")


def _cell(norm, column):
    effect, expected = MATRIX[norm][1][column], MATRIX[norm][2][column]
    transform = TRANSFORMS[column]
    name = f"invariance-{norm}-{transform.replace(' ', '-')}"
    statement = f"{norm} is {'' if expected else 'not '}invariant to {transform} " \
                f"(acts on its reduction set as: {effect})"
    if not expected:
        return Identity(**{**control(name, statement, lambda: _claim(norm, effect, True)).__dict__,
                           "source": SOURCE, "tags": ("invariance", norm),
                           "table": ("invariance", norm, transform)})
    scales = effect.startswith("scale") and norm != "weightnorm"
    wrong = (control(f"{name}-eps", f"{statement}, also for eps > 0",
                     lambda: _claim(norm, effect, False)) if scales else
             control(f"{name}-per-value", f"{norm} is invariant when each value moves "
                     "differently", lambda: _claim(norm, per_value(effect), True)))
    return Identity(name=name, title=f"{norm}: {transform}", statement=statement,
                    source=SOURCE, tags=("invariance", norm),
                    build=lambda: _claim(norm, effect, True), controls=(wrong,),
                    explicit_sizes=(2, 3) if _built_by_linearity(norm, effect) else (),
                    explicit=lambda m: _explicit_claim(norm, effect, m),
                    table=("invariance", norm, transform))


IDENTITIES = tuple(_cell(norm, column) for norm in MATRIX for column in range(len(TRANSFORMS)))
