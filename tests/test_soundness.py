"""Soundness at the boundaries: every class of issue #12, true and false claims of each.

A PROVED holds on the domain it states (and never unconditionally where the truth changes
on a boundary); a REFUTED comes with a counterexample that satisfies every assumption; an
assumption symbn cannot apply is an error; no claim makes ``prove`` raise; the budget
bounds the whole call.
"""

import time

import pytest
import sympy as sp

import symbn
from symbn import Status, prove
from symbn.core import Mean, N, batch_var, derivative, evaluate_at_batch
from symbn.bn.batchnorm import beta, eps, gamma, standardize, x
from symbn.core import SampleSymbol, explicit_symbol, instantiate, sample_symbols  # noqa: F401
from symbn.prove import AssumptionError, apply_assumptions
from symbn.prove.prover import BUILT, OVERHEAD
from symbn.prove.sampling import satisfies_assumptions

a, b, c = sp.symbols("a b c", real=True)
t = sp.Symbol("t", nonnegative=True)
g, = sample_symbols("g")
f = sp.Function("f")
BUDGET = 30  # generous: the machine may be loaded; no test depends on timing but one
xhat = standardize(x)
BN0 = symbn.derive_batchnorm(eps=0)
var = batch_var(x)
#: where={eps: 0}: the boundary of eps's declaration, which the claim was built with
EPS_ZERO = "epsilon = 0 (taking what SymPy simplified with its declaration epsilon > 0 to hold at 0)"


def _check_counterexample(verdict, lhs, rhs):
    """The counterexample really separates the sides, and satisfies the assumptions."""
    cx = verdict.counterexample
    assert cx is not None and satisfies_assumptions(cx)

    def value(e):
        e = sp.sympify(e)
        for fn, body in cx.functions.items():
            e = e.replace(fn, body).doit()
        if cx.samples:
            e = evaluate_at_batch(e, cx.samples, cx.sample)
        return complex(sp.N(sp.sympify(e).xreplace(cx.constants), 30))

    left, right = value(lhs), value(rhs)
    assert abs(left - right) > 1e-9 * (1 + abs(right))


def _verdict(lhs, rhs, **kw):
    return prove(lhs, rhs, budget=BUDGET, **kw)


# --- 1. domains --------------------------------------------------------------------------

@pytest.mark.parametrize("lhs, rhs", [
    (sp.sign(sp.sqrt(var)), 1),                    # 0 for a constant batch
    (sp.sign(sp.sqrt(a**2 + b**2)), 1),            # 0 at a = b = 0
    (sp.sign(sp.sqrt(t)), 1),                      # 0 at t = 0
    (sp.Abs(sp.sqrt(a + 30))**2, a + 30),          # false for a < -30
    (sp.Abs(sp.sqrt(a - 1000))**2, a - 1000),      # false for a < 1000: a wide search
    (sp.sqrt(a) * sp.sqrt(b), sp.sqrt(a * b)),     # false for a = b = -1
    (sp.Heaviside(sp.sqrt(var)), 1),               # Heaviside(0) = 1/2 for a constant batch
    (Mean(sp.sqrt(x + 30))**2, Mean(x + 30)),      # a mean of a possibly complex function
    (sp.Abs(Mean(sp.sqrt(x)))**2, Mean(sp.sqrt(x))**2),  # real only for x >= 0
])
def test_a_claim_false_on_a_boundary_is_refuted(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.REFUTED, verdict
    _check_counterexample(verdict, lhs, rhs)


@pytest.mark.parametrize("lhs, rhs, domain", [
    # eps > 0 and Var >= 0: the radicand is positive everywhere, no domain; SymPy cancels
    # sqrt(Var + eps) while building the lhs, and a construction says so
    (xhat * sp.sqrt(var + eps), x - Mean(x), (BUILT,)),
    (sp.sqrt(var + eps)**2, var + eps, (BUILT,)),
    # at eps = 0 the boundary Var = 0 makes a side undefined: PROVED where Var > 0
    (symbn.batch_sum(BN0.dx * BN0.xhat), 0, ("Mean((x - Mean(x))**2) > 0",)),
    # the boundary t = 0 is proved too, and t >= 0 is known: no domain
    (sp.sqrt(t) * (sp.sqrt(t) + 1), t + sp.sqrt(t), ()),
    # the same for a real c: the boundary holds, c < 0 is not covered by S > 0
    (sp.sqrt(c) * (sp.sqrt(c) + 1), c + sp.sqrt(c), ("c >= 0",)),
    # a division that can vanish is stated
    ((a**2 - 1) / (a - 1), a + 1, ("a - 1 != 0",)),
    (batch_var(x, unbiased=True), (N * Mean(x**2) - N * Mean(x)**2) / (N - 1), ("N - 1 > 0",)),
])
def test_a_proof_states_its_domain(lhs, rhs, domain):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.PROVED, verdict
    assert verdict.domain == domain


@pytest.mark.parametrize("lhs, rhs", [
    (sp.Abs(sp.sqrt(a + 30)), sp.sqrt(a + 30)),           # false for a < -30
    (sp.sqrt(a + 30) * sp.sqrt(b + 30), sp.sqrt((a + 30) * (b + 30))),
    (sp.Max(sp.sqrt(a), sp.sqrt(a) / 2), sp.sqrt(a)),     # undefined for a < 0
])
def test_a_radicand_of_unknown_sign_is_never_a_bare_proved(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.REFUTED or verdict.status is Status.PROVED and any(
        "a" in d for d in verdict.domain), verdict


def test_the_domain_reads_in_the_verdict():
    verdict = _verdict(symbn.batch_sum(BN0.dx * BN0.xhat), 0)
    assert str(verdict).startswith("PROVED where Mean((x - Mean(x))**2) > 0")


# --- 2. assumptions ----------------------------------------------------------------------

def test_where_and_assume_match_the_claims_symbols_by_name():
    bn = symbn.derive_batchnorm()
    inner = symbn.batch_sum(bn.dx * bn.xhat)
    for key in ("epsilon", sp.Symbol("epsilon"), eps):
        verdict = prove(inner, 0, where={key: 0}, budget=BUDGET)
        assert verdict.status is Status.PROVED, (key, verdict)
        assert verdict.assumptions == (EPS_ZERO,)
    assert _verdict(sp.Abs(a), a, assume=[sp.Symbol("a") > 0]).status is Status.PROVED
    assert _verdict(sp.Abs(a), a, assume=[sp.Symbol("a") < 0]).status is Status.REFUTED


@pytest.mark.parametrize("kw, message", [
    (dict(where={"zeta": 0}), "no symbol named 'zeta'"),
    (dict(assume=[sp.Symbol("zeta") > 0]), "no symbol named 'zeta'"),
    (dict(assume=[gamma > 0, gamma < 0]), "contradicts itself"),
    (dict(assume=[a > 0, a >= 0]), "2 conditions on a"),
    (dict(where={a: 1}, assume=[a > 0]), "where= already sets"),
    (dict(assume=[eps < 0]), "contradicts a symbol's declared assumptions"),
    (dict(assume=[sp.Symbol("epsilon") < 0]), "contradicts what epsilon is declared"),
    (dict(assume=[a > 2]), "sign condition on one symbol"),
    (dict(assume=[a + gamma > 0]), "sign condition on one symbol"),
    (dict(where={"epsilon": 0, eps: 1}), "gives epsilon twice"),
    (dict(where={N: 0}), "positive integer"),
    (dict(where={N: sp.Rational(5, 2)}), "positive integer"),
])
def test_an_assumption_symbn_cannot_apply_is_a_clear_error(kw, message):
    with pytest.raises(AssumptionError, match=message):
        prove(gamma * a + eps * Mean(x), gamma * a + eps * Mean(x), **kw)


def test_where_n_means_the_explicit_form_at_that_batch_size():
    # with eps = 0 and N = 2 no gradient reaches the input; at N = 3 it does
    bn = symbn.derive_batchnorm()
    assert prove(bn.dx, 0, where={eps: 0, N: 2}, budget=BUDGET).status is Status.PROVED
    assert prove(bn.dx, 0, where={eps: 0, N: 3}, budget=BUDGET).status is Status.REFUTED
    # Mean(x) = x holds for a batch of one only
    assert prove(Mean(x), x, where={"N": 1}, budget=BUDGET).status is Status.PROVED
    assert prove(Mean(x), x, where={"N": 2}, budget=BUDGET).status is Status.REFUTED


@pytest.mark.parametrize("relation, claim", [
    (a > 0, (sp.Abs(a), -a)),
    (a >= 0, (sp.sign(a), 1)),                   # refuted at a = 0 only
    (a < 0, (sp.Max(a, 0), a)),
    (sp.Ne(a, 0), (sp.Abs(a) / a, 1)),
    (gamma > 0, (sp.Heaviside(gamma * xhat), 1)),
])
def test_every_counterexample_satisfies_the_assumptions(relation, claim):
    verdict = _verdict(*claim, assume=[relation])
    assert verdict.status is Status.REFUTED, verdict
    _check_counterexample(verdict, *apply_assumptions(claim, assume=[relation])[0])
    symbol = next(s for s in verdict.counterexample.constants if s.name == relation.lhs.name)
    assert bool(relation.func(verdict.counterexample.constants[symbol], 0))


# --- 3. boundary search ------------------------------------------------------------------

@pytest.mark.parametrize("lhs, rhs", [
    (var, Mean(x**2)),                            # refuted except on a zero-mean batch
    (sp.Heaviside(x - Mean(x)), sp.sign(x - Mean(x))**2),  # differ where x = Mean(x)
    (sp.Abs(a) / (1 + a**2), sp.Rational(1, 2)),   # equal only at |a| = 1
    (sp.floor(a / 10**5), 0),                      # nonzero only for |a| >= 1e5
    (sp.Min(a * 10**6, 1), a * 10**6),             # differs only for a > 1e-6
    (N * Mean(x), N * x),                          # a batch of one agrees, others do not
])
def test_the_search_reaches_boundaries_and_wide_values(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.REFUTED, verdict
    _check_counterexample(verdict, lhs, rhs)


def test_a_batch_of_one_is_searched():
    # var = 0 at N = 1: the unbiased variance is undefined, the biased one is 0
    verdict = _verdict(sp.sign(var), 1)
    assert verdict.status is Status.REFUTED
    assert verdict.counterexample.batch_size in (1, 2, 3, 4, 5)


# --- 4. never raise ----------------------------------------------------------------------

def test_derivative_rules_hold_for_a_generic_function():
    assert _verdict(derivative(Mean(f(x)), x), sp.Derivative(f(x), x) / N).status is Status.PROVED
    assert _verdict(sp.Derivative(f(x), x), sp.Derivative(f(x), x)).status is Status.PROVED
    # d/dx_j f(Mean(x)) = f'(Mean(x))/N, and the second derivative f''(Mean(x))/N**2
    assert _verdict(derivative(f(Mean(x)), x),
                    sp.Subs(sp.Derivative(f(a), a), a, Mean(x)) / N).status is Status.PROVED
    assert _verdict(derivative(derivative(f(Mean(x)), x), x),
                    sp.Subs(sp.Derivative(f(a), (a, 2)), a, Mean(x)) / N**2).status is Status.PROVED
    # d/dx_j Mean f(x - Mean(x)) = (f'(x_j - Mean(x)) - Mean(f'(x - Mean(x))))/N
    f1 = sp.Subs(sp.Derivative(f(a), a), a, x - Mean(x))
    assert _verdict(derivative(Mean(f(x - Mean(x))), x), (f1 - Mean(f1)) / N).status is Status.PROVED
    assert _verdict(derivative(Mean(f(x - Mean(x))), x), f1 / N).status is Status.REFUTED


@pytest.mark.parametrize("lhs, rhs", [
    (derivative(Mean(f(x)), x), sp.Derivative(f(x), x)),   # the 1/N is missing
    (f(Mean(x)), Mean(f(x))),                              # Jensen's gap
    (sp.Derivative(f(x)**2, x), 2 * sp.Derivative(f(x), x)),
])
def test_a_false_claim_about_a_generic_function_is_refuted_by_a_polynomial(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.REFUTED, verdict
    assert verdict.counterexample.functions
    _check_counterexample(verdict, lhs, rhs)


@pytest.mark.parametrize("lhs, rhs", [
    (sp.Max(sp.sqrt(gamma), 0), sp.sqrt(gamma)),
    (derivative(f(Mean(x)), x), 0),
    (sp.zeta(a), sp.zeta(a)),
    (sp.Integral(f(a), (a, 0, b)), 0),
])
def test_no_claim_makes_prove_raise(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status in Status


@pytest.mark.parametrize("budget", [float("inf"), float("nan"), 0, -1, "soon"])
def test_a_budget_that_is_not_a_positive_number_is_a_clear_error(budget):
    with pytest.raises(ValueError, match="budget must be"):
        prove(a, a, budget=budget)


def test_explicit_symbols_do_not_collide_with_user_symbols():
    x1 = SampleSymbol("x1")
    assert explicit_symbol(x1, 0) != explicit_symbol(x, 10)
    assert explicit_symbol(x, 0) != sp.Symbol("x0", real=True)
    user = sp.Symbol("x0", real=True)
    # the user's x0 is a batch constant, not sample 0 of x
    assert prove(instantiate(Mean(x), 2) + user, user + instantiate(Mean(x), 2),
                 budget=BUDGET).status is Status.PROVED
    assert prove(instantiate(x, 2), user, budget=BUDGET).status is Status.REFUTED


# --- 5. budgets --------------------------------------------------------------------------

def test_the_budget_bounds_the_whole_call_counterexample_search_included():
    big = (a + 1) ** (10**6) + b
    begin = time.perf_counter()
    verdict = prove(big, big + sp.sin(b) - sp.sin(b) + 0 * a, budget=1)
    assert time.perf_counter() - begin < 1 + OVERHEAD + 5  # + slack for a loaded machine
    assert verdict.status in (Status.PROVED, Status.UNDECIDED)
    begin = time.perf_counter()
    verdict = prove((a + 1) ** (10**6), (a + 2) ** (10**6) + 1, budget=1)
    assert time.perf_counter() - begin < 1 + OVERHEAD + 5
    assert verdict.status is not Status.PROVED


# --- 6. piecewise reasoning that does not depend on spelling -----------------------------

RELU = {
    "Max": lambda z: sp.Max(z, 0),
    "Abs": lambda z: (z + sp.Abs(z)) / 2,
    "Piecewise": lambda z: sp.Piecewise((z, z > 0), (0, True)),
    "Heaviside": lambda z: z * sp.Heaviside(z),
}


@pytest.mark.parametrize("spelling", RELU)
@pytest.mark.parametrize("argument", ["xhat", "affine", "centred"])
def test_relu_identities_are_proved_in_every_spelling(spelling, argument):
    relu = RELU[spelling]
    z = {"xhat": xhat, "affine": gamma * xhat + beta, "centred": x - Mean(x)}[argument]
    assert _verdict(relu(z) - relu(-z), z).status is Status.PROVED
    assert _verdict(relu(z), RELU["Max"](z)).status is Status.PROVED
    if argument != "affine":  # the mean of an affine z is beta, not 0
        assert _verdict(Mean(relu(z)), Mean(relu(-z))).status is Status.PROVED
    # and the wrong variants are refuted
    assert _verdict(relu(z) + relu(-z), z).status is Status.REFUTED
    assert _verdict(Mean(relu(z)), Mean(z)).status is Status.REFUTED


def test_heaviside_of_a_positive_multiple_is_the_same_step():
    # SymPy's convention Heaviside(0) = 1/2 on both sides
    claim = (sp.Heaviside(gamma * xhat), sp.Heaviside(x - Mean(x)))
    assert _verdict(*claim, assume=[gamma > 0]).status is Status.PROVED
    assert _verdict(*claim).status is Status.REFUTED
    assert _verdict(*claim, assume=[gamma < 0]).status is Status.REFUTED
    # an explicit convention H(0) = 0 on both sides holds too; mixed conventions do not
    zero = (sp.Heaviside(gamma * xhat, 0), sp.Heaviside(x - Mean(x), 0))
    assert _verdict(*zero, assume=[gamma > 0]).status is Status.PROVED
    mixed = (sp.Heaviside(x - Mean(x), 0), sp.Heaviside(x - Mean(x)))
    assert _verdict(*mixed).status is Status.REFUTED  # differ on x = Mean(x)


def test_standardize_is_odd_in_the_scale():
    verdict = _verdict(standardize(a * x, 0), sp.sign(a) * standardize(x, 0))
    assert verdict.status is Status.PROVED
    assert set(verdict.domain) == {"Mean((x - Mean(x))**2) > 0", "a != 0"}
    assert _verdict(standardize(a * x, 0), standardize(x, 0)).status is Status.REFUTED


@pytest.mark.parametrize("lhs, rhs, expected", [
    (sp.Abs(var), var, Status.PROVED),
    (sp.Abs(var + eps) - eps, var, Status.PROVED),
    (sp.Max(var, 0), var, Status.PROVED),
    (sp.Min(var, 0), 0, Status.PROVED),
    (sp.sign(var + eps), 1, Status.PROVED),
    (sp.sign(var), 1, Status.REFUTED),
    (sp.Abs(Mean(x)), Mean(x), Status.REFUTED),
    (sp.Abs(x - Mean(x)), sp.sign(x - Mean(x)) * (x - Mean(x)), Status.PROVED),
    (Mean(sp.Abs(x - Mean(x))), Mean(sp.sign(x - Mean(x)) * (x - Mean(x))), Status.PROVED),
    (sp.Min(xhat, 0) + sp.Max(xhat, 0), xhat, Status.PROVED),
    (sp.Min(xhat, 0) * sp.Max(xhat, 0), 0, Status.PROVED),
    (sp.Min(xhat, 0) - sp.Max(xhat, 0), xhat, Status.REFUTED),
    # two spellings of |x| inside a standardization (means under a square root)
    (standardize(sp.Abs(x)), standardize(sp.sign(x) * x), Status.PROVED),
    (standardize(sp.Max(x, 0)), standardize((x + sp.Abs(x)) / 2), Status.PROVED),
    (Mean(sp.Max(g * gamma, 0)), Mean(g * gamma * (1 + sp.sign(g * gamma)) / 2), Status.PROVED),
    (Mean(sp.Heaviside(x - Mean(x))), (1 + Mean(sp.sign(x - Mean(x)))) / 2, Status.PROVED),
    (Mean(sp.Abs(x)), Mean(x), Status.REFUTED),
    (standardize(sp.Abs(x)), standardize(x), Status.REFUTED),
])
def test_known_signs_decide_piecewise_claims(lhs, rhs, expected):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is expected, verdict


def test_a_proof_on_an_empty_domain_is_not_proved():
    # sqrt(B)**3 = -B*sqrt(B)... with B = -1 - a**2 < 0 everywhere: "PROVED where B > 0"
    # would hold vacuously, so it is not reported as PROVED
    radical = sp.sqrt(-1 - a**2)
    verdict = _verdict(radical**3 + (1 + a**2) * radical + a, a)
    assert verdict.status is not Status.PROVED or verdict.domain == (), verdict


def test_every_verdict_says_what_backs_it():
    refuted = _verdict(sp.sign(sp.sqrt(var)), 1)
    assert any("re-evaluated exactly" in line for line in refuted.evidence)
    proved = _verdict(xhat * sp.sqrt(var + eps), x - Mean(x))
    assert proved.evidence  # the second check's lines
    cx = _verdict(derivative(Mean(f(x)), x), sp.Derivative(f(x), x)).counterexample
    assert "f(t0) = " in cx.describe()  # the polynomial that stands for f


@pytest.mark.parametrize("facts", [
    {"positive": True}, {"negative": True}, {"nonnegative": True}, {"nonpositive": True},
    {"nonzero": True, "real": True}, {"integer": True, "positive": True}, {"real": True},
])
def test_every_search_point_respects_the_symbols_assumptions(facts):
    import random

    from symbn.prove.sampling import BOUNDARIES, allows, random_point
    symbol = sp.Symbol("s", **facts)
    sample = SampleSymbol("v", **facts)
    rng = random.Random(7)
    for mode in ("small",) + BOUNDARIES:
        for _ in range(20):
            samples, constants = random_point({symbol, sample, N}, rng, 3, mode)
            assert allows(symbol, constants[symbol]), (mode, constants)
            assert all(allows(sample, v) for v in samples[sample]), (mode, samples)
    assert not allows(sp.Symbol("p", positive=True), 0)
    assert not allows(sp.Symbol("n", integer=True), sp.Rational(1, 2))


def test_allows_tells_apart_symbols_of_one_name_and_numbers_of_one_value():
    from symbn.prove.sampling import allows
    # allows is memoised: the key must hold the assumptions and the number's type
    assert allows(sp.Symbol("s", positive=True), 1) and not allows(sp.Symbol("s", negative=True), 1)
    assert allows(sp.Symbol("n", integer=True), 2) and not allows(sp.Symbol("n", integer=True), 2.0)


# --- 7. the adversarial review of the prover ---------------------------------------------
# Each false PROVED it found, now PROVED on the domain where the claim as given is defined
# (computed before any strategy rewrites it), next to a true claim with no domain and a
# false variant that is REFUTED.

xh0 = standardize(x, 0)


@pytest.mark.parametrize("lhs, rhs, domain", [
    # a pole that is neither a power nor a log: undefined where the function is
    (sp.cot(a) * sp.sin(a), sp.cos(a), {"sin(a) != 0"}),
    (sp.tan(a) * sp.cos(a), sp.sin(a), {"cos(a) != 0"}),
    (sp.coth(a) * sp.tanh(a), 1, {"a != 0"}),
    (sp.csc(a) * sp.sin(a), 1, {"sin(a) != 0"}),
    (sp.gamma(a + 1), a * sp.gamma(a), {"gamma(a + 1) is finite", "gamma(a) is finite"}),
    (sp.cot(var) * sp.sin(var), sp.cos(var), {"sin(Mean((x - Mean(x))**2)) != 0"}),
    # the cases strategy's rewritten spelling (|z| = z sign(z)) cancels z/z
    (sp.Abs(a) / a + sp.Abs(b) / b, sp.sign(a) + sp.sign(b), {"a != 0", "b != 0"}),
    (Mean(sp.Abs(x) / x), Mean(sp.sign(x)), {"x != 0"}),
    (Mean(sp.Abs(x - Mean(x)) / (x - Mean(x))), Mean(sp.sign(x - Mean(x))),
     {"x - Mean(x) != 0"}),
    # xhat at eps = 0 is undefined on a constant batch
    (Mean(sp.Max(xh0, 0)), Mean(sp.Max(-xh0, 0)), {"Mean((x - Mean(x))**2) > 0"}),
    # standardize(a x) divides by sqrt(a**2 Var): read as its factors
    (standardize(a * x, 0), sp.sign(a) * standardize(x, 0), {"Mean((x - Mean(x))**2) > 0", "a != 0"}),
])
def test_a_proof_includes_where_the_claim_as_given_is_defined(lhs, rhs, domain):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.PROVED, verdict
    assert set(verdict.domain) == domain, verdict


@pytest.mark.parametrize("lhs, rhs", [
    (sp.sin(a)**2 + sp.cos(a)**2, 1),
    (sp.tanh(a) * sp.cosh(a), sp.sinh(a)),
    (Mean(sp.Max(xhat, 0)), Mean(sp.Max(-xhat, 0))),   # eps > 0: xhat defined everywhere
    (sp.Abs(a) * sp.sign(a), a),
])
def test_a_claim_defined_everywhere_is_proved_without_a_domain(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.PROVED and verdict.domain == (), verdict


@pytest.mark.parametrize("lhs, rhs", [
    (sp.cot(a) * sp.sin(a), sp.sin(a)),
    (sp.coth(a) * sp.tanh(a), a),
    (sp.Abs(a) / a + sp.Abs(b) / b, sp.sign(a) - sp.sign(b)),
    (Mean(sp.Abs(x) / x), 1),
    (Mean(sp.Max(xh0, 0)), 0),
])
def test_the_false_variants_of_the_review_claims_are_refuted(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.REFUTED, verdict
    _check_counterexample(verdict, lhs, rhs)


def test_a_point_where_one_side_only_is_undefined_is_excluded_or_reported():
    from symbn.prove.definedness import conditions
    from symbn.prove.sampling import GAP, find_counterexample
    lhs, rhs = sp.cot(a) * sp.sin(a), sp.cos(a)     # lhs is nan at a = 0, rhs is 1
    notes: list = []
    assert find_counterexample(lhs, rhs, tries=24, notes=notes) is None
    assert any(n.startswith(GAP) and "a = 0" in n for n in notes), notes
    notes = []
    find_counterexample(lhs, rhs, tries=24, conditions=conditions(lhs, rhs), notes=notes)
    assert not any(n.startswith(GAP) for n in notes), notes   # sin(a) != 0 excludes a = 0


def test_a_proof_whose_domain_misses_a_one_sided_undefined_point_is_not_proved(monkeypatch):
    # were the claim's definedness conditions lost, the search's point a = 0 (lhs nan,
    # rhs 1) would still keep the proof from being a bare PROVED
    import sys
    monkeypatch.setattr(sys.modules["symbn.prove.prover"], "conditions", lambda *sides: [])
    verdict = _verdict(sp.cot(a) * sp.sin(a), sp.cos(a))
    assert verdict.status is Status.UNDECIDED and "undefined on one side only" in verdict.method


@pytest.mark.parametrize("lhs, rhs", [
    (Mean(xh0**2), 1),
    (sp.sqrt(var) / sp.sqrt(var), 1),
    (Mean(x / x), 1),
    (Mean(g * x**2) / Mean(x**2) * Mean(x**2), Mean(g * x**2)),
    (sp.exp(sp.log(a)), a),
])
def test_a_construction_says_what_sympy_cancelled_is_unknown(lhs, rhs):
    verdict = _verdict(lhs, rhs)
    assert verdict.status is Status.PROVED and verdict.method.startswith("construction")
    assert BUILT in verdict.domain, verdict


def test_a_construction_keeps_the_conditions_of_what_is_left():
    verdict = _verdict(1 / a, 1 / a)
    assert verdict.status is Status.PROVED and set(verdict.domain) == {"a != 0", BUILT}
    # a condition inside a mean holds at every sample of the explicit form
    verdict = _verdict(Mean(1 / x), Mean(1 / x), where={N: 2})
    assert verdict.status is Status.PROVED and set(verdict.domain) == {"x0 != 0", "x1 != 0", BUILT}


@pytest.mark.parametrize("name, condition", [
    ("jacobian-null-xhat", "Mean((x - Mean(x))**2) > 0"),
    ("invariance-rmsnorm-weight-matrix-re-scaling", "Mean(x**2) > 0"),
    ("invariance-rmsnorm-dataset-re-scaling", "Mean(x**2) > 0"),
])
def test_the_catalogues_eps_zero_constructions_state_their_domain(name, condition):
    from symbn.identities import CATALOGUE
    identity = next(i for i in CATALOGUE if i.name == name)
    verdict = identity.claim().prove(BUDGET)
    assert verdict.status is Status.PROVED and condition in verdict.domain, verdict


def test_a_relation_already_true_is_an_error_and_a_string_is_read_with_the_claims_symbols():
    with pytest.raises(AssumptionError, match="True before prove sees it.*'a > 0'"):
        prove(sp.sqrt(a**2), a, assume=[sp.Symbol("a", positive=True) > 0])
    verdict = _verdict(sp.sqrt(a**2), a, assume=["a > 0"])
    assert verdict.status is Status.PROVED and verdict.assumptions == ("a > 0",)
    verdict = _verdict(sp.sqrt(a**2), a, assume=["a < 0"])
    assert verdict.status is Status.REFUTED and verdict.assumptions == ("a < 0",)
    assert verdict.counterexample.constants[next(iter(verdict.counterexample.constants))] < 0
    for text, message in (("a +", "cannot read"), ("a > 2", "sign condition"),
                          ("zeta > 0", "no symbol named 'zeta'")):
        with pytest.raises(AssumptionError, match=message):
            prove(sp.sqrt(a**2), a, assume=[text])


def test_only_symbns_own_n_is_the_batch_size():
    user_n = sp.Symbol("N", real=True)
    verdict = _verdict(Mean(x) * user_n, 2 * Mean(x), where={user_n: 2})
    assert verdict.status is Status.PROVED, verdict
    verdict = _verdict(Mean(x) * user_n, 2 * Mean(x), where={user_n: 3})
    assert verdict.status is Status.REFUTED and user_n not in verdict.counterexample.constants
    assert _verdict(N * Mean(x), 2 * Mean(x), where={N: 2}).status is Status.PROVED


def _declared(symbol, value) -> bool:
    return all(getattr(sp.sympify(value), f"is_{fact}") is held
               for fact, held in symbol.assumptions0.items())


@pytest.mark.parametrize("symbol, true, false", [
    (sp.Symbol("k", odd=True), (sp.floor(sp.Symbol("k", odd=True) / 2),
                                (sp.Symbol("k", odd=True) - 1) / 2),
     (sp.floor(sp.Symbol("k", odd=True) / 2), sp.Symbol("k", odd=True) / 2)),
    (sp.Symbol("t", imaginary=True),
     (sp.Symbol("t", imaginary=True)**2 + sp.Abs(sp.Symbol("t", imaginary=True))**2, 0),
     (sp.Symbol("t", imaginary=True)**2 - sp.Abs(sp.Symbol("t", imaginary=True))**2, 0)),
    # SymPy's Heaviside(0) is 1/2, so Heaviside(p - 2) = 1 is false at p = 2
    (sp.Symbol("p", prime=True), (sp.Heaviside(sp.Symbol("p", prime=True) - 1), 1),
     (sp.Heaviside(sp.Symbol("p", prime=True) - 2), 1)),
    (sp.Symbol("e", even=True), (2 * sp.floor(sp.Symbol("e", even=True) / 2), sp.Symbol("e", even=True)),
     (sp.floor(sp.Symbol("e", even=True) / 2), sp.Symbol("e", even=True))),
])
def test_the_search_honours_every_declaration(symbol, true, false):
    assert _verdict(*true).status is not Status.REFUTED
    verdict = _verdict(*false)
    assert verdict.status is Status.REFUTED, verdict
    assert _declared(symbol, verdict.counterexample.constants[symbol]), verdict.counterexample


def test_a_declaration_the_search_cannot_honour_leaves_the_claim_unsampled():
    r = sp.Symbol("r", irrational=True)
    verdict = _verdict(sp.floor(r), r)
    assert verdict.status is Status.UNDECIDED
    assert "cannot pick a value for r that is" in verdict.method, verdict
    assert "irrational" in verdict.method, verdict
    assert _verdict((r + 1)**2, r**2 + 2 * r + 1).status is Status.PROVED


def test_explicit_samples_with_where_n_are_checked_at_every_sample():
    x0, x1, x2 = symbn.core.explicit_symbols(x, 3)
    verdict = _verdict(x - Mean(x), x0 - (x0 + x1 + x2) / 3, where={N: 3})
    assert verdict.status is Status.REFUTED, verdict      # false at samples 1 and 2
    assert _verdict(x, x0, where={N: 3}).status is Status.REFUTED
    assert _verdict(Mean(x), (x0 + x1 + x2) / 3, where={N: 3}).status is Status.PROVED
    assert _verdict(x + 1, 1 + x, where={N: 3}).status is Status.PROVED   # no Mean: no error


def test_lists_are_matrices_and_bad_sides_are_one_clear_error():
    assert _verdict([a, b], [a, b]).status is Status.PROVED
    assert _verdict((a, b), (a, b + 1)).status is Status.REFUTED
    assert _verdict([[a, a * b]], [[a, b * a]]).status is Status.PROVED
    for lhs, rhs, error, message in (
            (None, None, TypeError, "lhs is None"), (a, None, TypeError, "rhs is None"),
            ("a +", "a", ValueError, "the string 'a \\+'"),
            ([a, b], [a], ValueError, "lhs is a 2x1 matrix and rhs is a 1x1 matrix"),
            ([[a], [a, b]], [a], ValueError, "not a matrix"),
            (object(), a, ValueError, "cannot read")):
        with pytest.raises(error, match=message):
            prove(lhs, rhs)


# --- 8. assumptions against declarations (the second adversarial review) ----------------
# SymPy simplifies a claim with its symbols' declarations while building it (sign(V + eps)
# is 1 for symbn's positive eps), which no later assumption or value can undo.

p = sp.Symbol("p", positive=True)


@pytest.mark.parametrize("claim, assumption", [
    ((Mean(standardize(x)**2) < 1,), "epsilon >= 0"),    # false at eps = 0 (the inequality path)
    ((sp.sign(eps) + eps, 1 + eps), sp.GreaterThan(eps, 0, evaluate=False)),
    ((sp.sign(eps) + eps, 1 + eps), "epsilon >= 0"),
    ((sp.sign(eps) + eps, 1 + eps), "epsilon != 0"),
])
def test_an_assumption_weaker_than_the_declaration_is_an_error(claim, assumption):
    with pytest.raises(AssumptionError, match="does not imply epsilon's declaration epsilon > 0"
                                              ".*build the claim with epsilon declared so"):
        prove(*claim, assume=[assumption], budget=BUDGET)


def test_the_weaker_declaration_itself_refutes_what_the_positive_one_proves():
    # the fix the error names: a claim built with a nonnegative epsilon
    weak = sp.Symbol("epsilon", nonnegative=True)
    verdict = _verdict(sp.sign(weak) + weak, 1 + weak)
    assert verdict.status is Status.REFUTED and verdict.counterexample.constants[weak] == 0
    assert _verdict(sp.sign(eps) + eps, 1 + eps).status is Status.PROVED


def test_an_assumption_the_declaration_implies_or_one_stronger_is_applied():
    verdict = _verdict(sp.sign(eps) + eps, 1 + eps, assume=["epsilon > 0"])   # redundant
    assert verdict.status is Status.PROVED and verdict.assumptions == ("epsilon > 0",)
    verdict = _verdict(sp.Abs(a), a, assume=[a > 0])                          # stronger
    assert verdict.status is Status.PROVED and verdict.assumptions == ("a > 0",)
    assert _verdict(sp.Abs(a), a, assume=[a < 0]).status is Status.REFUTED
    nonnegative = sp.Symbol("t", nonnegative=True)
    assert _verdict(sp.sign(nonnegative), 1, assume=["t > 0"]).status is Status.PROVED
    assert _verdict(sp.sign(nonnegative), 1).status is Status.REFUTED
    with pytest.raises(AssumptionError, match="where= already sets"):
        prove(sp.sign(eps) + eps, 1 + eps, where={eps: 0}, assume=["epsilon > 0"])


@pytest.mark.parametrize("claim, where, message", [
    ((sp.sqrt(p**2), p), {p: -1}, "p is declared p > 0, and -1 is not known to be positive"),
    ((sp.Abs(p), p), {p: a}, "p is declared p > 0, and a is not known to be positive"),
    ((sp.Abs(a)**2, a**2), {a: sp.I * c}, "a is declared a real, and I\\*c is not known to be real"),
    ((Mean(standardize(x)**2), 1 - eps / (var + eps)), {eps: a},
     "epsilon is declared epsilon > 0, and a is not known to be positive"),
    ((sp.sign(sp.Symbol("k", integer=True))**2, 1), {"k": sp.Rational(1, 2)},
     "k is declared k integer, and 1/2 is not known to be integer"),
    ((sp.Abs(sp.Symbol("z", nonzero=True)) + 1, 1), {"z": 0}, "z is declared z != 0"),
])
def test_a_where_value_must_satisfy_the_declaration(claim, where, message):
    with pytest.raises(AssumptionError, match=message):
        prove(*claim, where=where, budget=BUDGET)


@pytest.mark.parametrize("claim, where, message", [
    # Mean(d*x) was built as d*Mean(x): d = x would claim Mean(x**2) = x*Mean(x)
    ((Mean(sp.Symbol("d", real=True) * x), x * Mean(x)), {"d": x}, "d is one value per batch"),
    # applied at once, {a: b, b: 1} gives b = b, not a = b = 1: the statement would lie
    ((a, b), {a: b, b: 1}, "the value names b, which where= also sets"),
    ((2 * a, a + a**2), {a: a**2}, "the value names a, which where= also sets"),
    ((1 / sp.Symbol("w"), 0), {"w": sp.oo}, "a value must be finite"),
])
def test_a_where_value_the_substitution_cannot_honour_is_an_error(claim, where, message):
    with pytest.raises(AssumptionError, match=message):
        prove(*claim, where=where, budget=60)


def test_a_where_value_that_satisfies_the_declaration_is_applied():
    verdict = _verdict(sp.sqrt(p**2), p, where={p: a**2 + 1})
    assert verdict.status is Status.PROVED and verdict.assumptions == ("p = a**2 + 1",)
    assert _verdict(sp.Abs(a), a, where={a: -p}).status is Status.REFUTED


def test_the_boundary_value_zero_of_a_signed_declaration_is_allowed_and_stated():
    verdict = _verdict(Mean(standardize(x)**2), 1 - eps / (var + eps), where={eps: 0})
    assert verdict.status is Status.PROVED and verdict.assumptions == (EPS_ZERO,), verdict
    assert f"\n  assuming {EPS_ZERO}\n" in str(verdict), str(verdict)   # one line, once
    n = sp.Symbol("n", negative=True)
    verdict = _verdict(sp.sqrt(n**2), -n, where={n: 0})
    assert verdict.status is Status.PROVED and verdict.assumptions == (
        "n = 0 (taking what SymPy simplified with its declaration n < 0 to hold at 0)",)
    # the wrong variant at the boundary is still refuted
    assert _verdict(Mean(standardize(x)**2), var, where={eps: 0}).status is Status.REFUTED


@pytest.mark.parametrize("text", [
    "a != 0 and b > 0", "a != 0 or b < 0", "not a != 0", "a != 0 != b", "0 < a < 1",
    "a != 0, b", "a != 0  # b > 0", "a != 0; b < 0", "(a != 0) == False", "a == 0",
    "Ne(a, 0)", "a <> 0",
])
def test_a_string_assumption_is_one_comparison(text):
    with pytest.raises(AssumptionError, match="cannot read it as one condition"):
        prove(sp.sign(a)**2 * sp.sqrt(b**2), b, assume=[text])
    verdict = _verdict(sp.sign(a)**2 * sp.sqrt(b**2), b, assume=[" b > 0 "])
    assert verdict.status is Status.REFUTED and verdict.assumptions == ("b > 0",)   # at a = 0
