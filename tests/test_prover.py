"""The prover's verdicts: every identity PROVED, every control REFUTED, honest UNDECIDED."""

import pytest
import sympy as sp

import symbn
from symbn import Status, evaluate_at_batch, prove
from symbn.bn.batchnorm import eps, gamma, x
from symbn.identities import CATALOGUE, check
from symbn.prove import AssumptionError, apply_assumptions

TRUE = [i for i in CATALOGUE if i.expected is Status.PROVED]
# every wrong claim: the controls, and the catalogue's own "not invariant"-style entries
CONTROLS = [c for i in CATALOGUE for c in i.controls] + [
    i for i in CATALOGUE if i.expected is Status.REFUTED]


def test_every_true_identity_has_a_control():
    assert all(i.controls for i in TRUE)


@pytest.mark.parametrize("identity", TRUE, ids=lambda i: i.name)
def test_identity_is_proved_for_general_n_and_explicit_m(identity):
    result = check(identity)
    assert result.verdict.status is Status.PROVED, result.verdict
    assert sp.sympify(result.verdict.residual).is_zero_matrix if isinstance(
        result.verdict.residual, sp.MatrixBase) else result.verdict.residual == 0
    for m, verdict in result.explicit:
        assert verdict.status is Status.PROVED, (m, verdict)


def _values_at(cx, expr):
    if cx.samples:
        expr = evaluate_at_batch(expr, cx.samples, cx.sample)
    return complex(sp.N(sp.sympify(expr).xreplace(cx.constants), 30))


@pytest.mark.parametrize("wrong", CONTROLS, ids=lambda c: c.name)
def test_control_is_refuted_by_a_counterexample_that_really_violates_it(wrong):
    claim = wrong.claim()
    verdict = claim.prove(budget=5)
    assert verdict.status is Status.REFUTED, verdict
    cx = verdict.counterexample
    assert cx is not None
    # Re-evaluate independently of the prover, in floating point, from the recorded point.
    lhs, rhs = apply_assumptions((claim.lhs, claim.rhs), claim.where, claim.assume)[0]
    if claim.relation != "==":  # an inequality: the point violates the relation
        difference = _values_at(cx, rhs - lhs if claim.relation in ("<=", "<") else lhs - rhs)
        assert difference.imag == 0
        assert difference.real <= 0 if claim.relation in ("<", ">") else difference.real < 0
    elif isinstance(lhs, sp.MatrixBase):
        # the counterexample gives values to the symbols of the entry it refutes
        entries = [e for e in (lhs - rhs) if e.free_symbols <= set(cx.constants)]
        assert max(abs(_values_at(cx, e)) for e in entries) > 1e-9
    else:
        assert abs(_values_at(cx, lhs) - _values_at(cx, rhs)) > 1e-9 * (1 + abs(_values_at(cx, rhs)))
    if cx.batch_size is not None:
        assert all(len(v) == cx.batch_size for v in cx.samples.values())
    assert all(isinstance(v, sp.Rational) for v in cx.constants.values())


def test_budget_exhausted_is_undecided_not_a_guess():
    bn = symbn.derive_batchnorm()
    verdict = prove(bn.dx, bn.dx_closed_form, budget=1e-4)
    assert verdict.status is Status.UNDECIDED
    assert verdict.residual != 0
    assert any("budget" in a for a in verdict.attempts)


def test_hard_false_claim_without_sampling_luck_is_not_proved():
    # Differs only on a tiny interval: random points miss it, no strategy reduces it to 0.
    z = sp.Symbol("z", real=True)
    bump = sp.Piecewise((1, (z > sp.Rational(1, 10**9)) & (z < sp.Rational(2, 10**9))), (0, True))
    verdict = prove(z + bump, z, budget=2)
    assert verdict.status is not Status.PROVED


def test_verdict_is_not_a_bool():
    verdict = prove(x, x)
    with pytest.raises(TypeError, match="three-valued"):
        bool(verdict)


def test_eps_residual_is_proportional_to_eps():
    # sum_i dx_i xhat_i vanishes at eps = 0 and is exactly eps times a term that stays
    # finite and nonzero as eps -> 0 (for Var > 0): proportional to eps, not merely nonzero
    bn = symbn.derive_batchnorm()
    inner = symbn.batch_sum(bn.dx * bn.xhat)
    assert prove(inner, 0, where={eps: 0}).status is Status.PROVED
    assert prove(inner, 0).status is Status.REFUTED
    first_order = sp.diff(inner, eps).subs(eps, 0)
    assert prove(first_order, 0).status is Status.REFUTED  # the eps term is really there
    var = symbn.batch_var(bn.x)
    centred = symbn.batch_sum(bn.g * (bn.x - symbn.batch_mean(bn.x)))
    factor = gamma * centred / (var + eps) ** 2
    verdict = prove(inner, eps * factor, budget=30)
    assert verdict.status is Status.PROVED and verdict.domain == ()
    assert prove(factor.subs(eps, 0), 0).status is Status.REFUTED  # finite, nonzero at 0


def test_sign_assumptions_reach_the_sampler():
    a = sp.Symbol("a", real=True)
    assert prove(sp.Abs(a), a, assume=[a > 0]).status is Status.PROVED
    refuted = prove(sp.Abs(a), a, assume=[a < 0])
    assert refuted.status is Status.REFUTED
    assert all(v < 0 for v in refuted.counterexample.constants.values())


def test_unusable_assumption_is_a_clear_error():
    with pytest.raises(AssumptionError, match="sign condition on one symbol"):
        prove(x, x, assume=[gamma + x > 1])
    a = sp.Symbol("a", real=True)
    with pytest.raises(AssumptionError, match="is the Python bool True: Python's == and != "
                       "compare the expressions' forms"):
        prove(a / a, 1, assume=[a != 0])


@pytest.mark.parametrize("build", [
    # SymPy builds 1 + 1e-20 as 1.0: without the refusal, each was PROVED (or, for the
    # true strict inequality, REFUTED at "lhs = rhs = 1.0")
    lambda a: prove(symbn.batch_var(x) * (1 + eps), symbn.batch_var(x), where={eps: 1e-20}),
    lambda a: prove(1 + a, 1, where={"a": 1e-20}),
    lambda a: prove(a * (1 + sp.Float("1e-20")), a),
    lambda a: prove(sp.Float(0.1), sp.Rational(1, 10)),
    lambda a: prove([[sp.Float(0.5) * a]], [[a / 2]]),
    lambda a: prove(sp.Gt(1 + eps, 1, evaluate=False), where={eps: 1e-20}),
    lambda a: prove(sp.Gt(1 + sp.Float("1e-20"), 1, evaluate=False)),
], ids=["where", "where-by-name", "in-claim", "alone", "matrix", "inequality-where",
        "inequality"])
def test_a_float_is_refused_not_rounded(build):
    with pytest.raises(symbn.InexactNumber, match="contains the float .*: symbn proves exactly"):
        build(sp.Symbol("a", real=True))


def test_an_exact_value_where_a_float_is_refused_is_used_exactly():
    a = sp.Symbol("a", real=True)
    assert prove(1 + a, 1, where={a: sp.Rational("1e-20")}).status is Status.REFUTED
    proved = prove(sp.Gt(1 + eps, 1, evaluate=False), where={eps: sp.Rational(1, 10**20)})
    assert proved.status is Status.PROVED
    assert "epsilon = 1/100000000000000000000" in proved.assumptions


def test_an_assumption_string_naming_two_symbols_of_one_name_is_an_error():
    declared, plain = sp.Symbol("a", real=True), sp.Symbol("a")
    with pytest.raises(AssumptionError, match="several symbols of the claim are named 'a'"):
        prove(sp.Abs(declared) + 2 * plain, declared + 2 * plain, assume=["a > 0"])
    # the Symbol itself says which: the counterexample then tells the two apart
    refuted = prove(sp.Abs(declared) + 2 * plain, declared + 2 * plain, assume=[plain > 0])
    assert refuted.status is Status.REFUTED
    assert "Symbol('a', real=True) = -" in refuted.counterexample.describe()


def test_a_symbol_not_declared_real_is_complex():
    # u > 0, u < 0, u = 0 missed z = I: |z|**2 == z**2 was PROVED for a complex z; the
    # case split now covers real arguments only, and the search draws complex values too
    z, a = sp.Symbol("z"), sp.Symbol("a", real=True)
    for lhs, rhs in [(sp.Abs(z) ** 2, z**2), (sp.sign(z) * z, sp.Abs(z)),
                     (sp.Abs(z + 1) ** 2, (z + 1) ** 2), (sp.sqrt(z**2), z)]:
        refuted = prove(lhs, rhs)
        assert refuted.status is Status.REFUTED, (lhs, rhs)
        assert sp.im(refuted.counterexample.constants[z]) != 0
    assert prove((z + 1) ** 2, z**2 + 2 * z + 1).status is Status.PROVED
    assert prove(sp.sign(a) * a, sp.Abs(a)).status is Status.PROVED


@pytest.mark.parametrize("seed", [0, 3, 5])
def test_a_value_with_no_correct_digit_refutes_nothing(seed):
    # at a = -387927/5 SymPy's 60-digit cosh(a)**2 - sinh(a)**2 is 5.e+67203: it had REFUTED
    # this identity, "re-evaluated exactly at 60 digits"
    a, f = sp.Symbol("a", real=True), sp.Function("f")
    for lhs in (sp.cosh(a) ** 2 - sp.sinh(a) ** 2, sp.cosh(f(a)) ** 2 - sp.sinh(f(a)) ** 2):
        assert prove(lhs, 1, seed=seed).status is not Status.REFUTED
    assert prove(sp.cosh(a) ** 2 - sp.sinh(a) ** 2, 1 + a**2, seed=seed).status \
        is Status.REFUTED


def test_a_claim_defined_at_no_point_tried_is_not_proved():
    # D is 0 for every b, which SymPy does not see: the claim is defined nowhere
    a, b = sp.symbols("a b", real=True)
    D = sp.sin(b) ** 2 + sp.cos(b) ** 2 - 1
    verdict = prove(a * D / (2 * D), a / 2)
    assert verdict.status is Status.UNDECIDED
    assert "no point tried has both sides defined" in verdict.method
    assert prove(a * b / b, a).status is Status.PROVED  # defined wherever b != 0


def test_a_condition_on_an_undefined_function_does_not_hide_the_points_where_it_holds():
    a, f = sp.Symbol("a", real=True), sp.Function("f")
    assert prove(a / f(a) + a, a * (1 + f(a)) / f(a)).status is Status.PROVED


def test_the_sign_of_rounding_noise_tells_nothing():
    # sign(E) of E = 0 in disguise evaluated to the sign of ~1e-31 noise: a REFUTED of a true
    # claim, and a condition sign(E) != 0 that held at every point of an empty domain
    a, b, c = sp.symbols("a b c", real=True)
    E = sp.sin(a) ** 2 + sp.cos(a) ** 2 - 1
    assert prove(sp.sign(E), 0).status is not Status.REFUTED
    D = sp.sign(sp.sin(b) ** 2 + sp.cos(b) ** 2 - 1)
    assert prove((a * D + D) / (2 * D), (a + 1) / 2).status is Status.UNDECIDED
    # the sides lose c once b = 0; the conditions still get a value for it
    nowhere = sp.sin(c) ** 2 + sp.cos(c) ** 2 - 1
    assert prove(a + b / nowhere, a, where={"b": 0}).status is Status.UNDECIDED


def test_max_and_min_of_a_complex_argument_are_not_split():
    z, a = sp.Symbol("z"), sp.Symbol("a", real=True)
    assert prove(sp.Max(z, 0) + sp.Min(z, 0), z).status is not Status.PROVED
    assert prove(sp.Max(a, 0) + sp.Min(a, 0), a).status is Status.PROVED


def test_two_rational_numbers_that_differ_however_little_are_refuted():
    refuted = prove(1 + sp.Rational(1, 10**40), 1)
    assert refuted.status is Status.REFUTED
    assert refuted.counterexample.describe().startswith("the claim has no symbols: lhs = 1.0000")


def test_a_where_value_may_be_a_string_read_exactly():
    a, b = sp.symbols("a b", real=True)
    assert prove(a * b, a / 2, where={"b": "1/2"}).status is Status.PROVED
    # its names are the claim's symbols (a new Symbol("a") is another symbol)
    assert prove(a - sp.Symbol("b"), 0, where={"b": "a"}).status is Status.PROVED
    # a decimal written out is the number it shows (a float is refused: it is binary)
    assert prove(a * b, a / 2, where={"b": "0.5"}).status is Status.PROVED
    assert prove("0.1*a", "a/10").status is Status.PROVED
    assert prove(1 + a, 1, where={"a": "1e-20"}).status is Status.REFUTED


def test_matrix_claims_are_proved_entrywise():
    m = sp.Matrix([[x, gamma], [gamma, x]])
    assert prove(m, m.T).status is Status.PROVED
    assert prove(m, m + sp.eye(2)).status is Status.REFUTED


def test_lists_and_tuples_are_matrices_and_mismatched_shapes_are_one_clear_error():
    assert prove([x, gamma], (gamma - gamma + x, gamma)).status is Status.PROVED
    assert prove(((x, gamma),), [[x, x]]).status is Status.REFUTED
    with pytest.raises(symbn.ShapeMismatch, match=r"^prove: lhs is a 2x1 matrix and rhs is a "
                       r"1x2 matrix: give both sides the same shape$"):
        prove([x, gamma], [[x, gamma]])
    with pytest.raises(ValueError, match="lhs is a 2x1 matrix and rhs is a scalar"):
        prove([x, gamma], x)


@pytest.mark.parametrize("lhs, rhs, shape", [
    ([], [], "0x0"), ((), (), "0x0"), ([[]], [[]], "1x0"), (sp.zeros(0, 3), sp.zeros(0, 3), "0x3")])
def test_an_empty_claim_is_one_clear_error(lhs, rhs, shape):
    with pytest.raises(ValueError, match=f"^prove: the claim is an empty {shape} matrix, so "
                       "there is nothing to prove"):
        prove(lhs, rhs)
    assert prove([x], [x]).status is Status.PROVED and prove([x], [gamma]).status is Status.REFUTED


@pytest.mark.parametrize("rhs", [x, x + 1])
def test_an_eq_of_matrices_sympy_decided_says_so(rhs):
    decided = sp.Eq(sp.Matrix([x]), sp.Matrix([rhs]))    # SymPy compares matrices at once
    assert decided in (sp.true, sp.false)
    with pytest.raises(ValueError, match=r"evaluated to (True|False) by SymPy.*sp.Eq of two "
                       r"matrices.*prove\(lhs, rhs\)"):
        prove(decided)
    expected = Status.PROVED if rhs == x else Status.REFUTED
    assert prove(sp.Matrix([x]), sp.Matrix([rhs])).status is expected
