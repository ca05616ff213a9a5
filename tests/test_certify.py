"""The second check of a PROVED (symbn.prove.certificate) and the standalone checker
(symbn.certify): true identities confirmed, false ones and tampered certificates refused."""

import sympy as sp

from symbn.core import Mean, batch_var, sample_symbols
from symbn.prove.certificate import Certificate, certificate_data, second_check
from symbn.certify import check

x, g = sample_symbols("x g")
a, b = sp.symbols("a b", real=True)
eps = sp.Symbol("epsilon", positive=True)
m1, m2 = sp.Dummy("E[x]", real=True), sp.Dummy("E[x**2]", real=True)
S = sp.Dummy("S", positive=True)
#: the same radicand spelled twice: sqrt(B1) - sqrt(B2) is 0 once m2 = S**2 - (B1 - m2)
B1 = m2 - m1 * (m1 + 1) + m1 + eps
B2 = m2 - m1**2 + eps


def _certificate(substitution=None, residual=None):
    residual = sp.sqrt(B1) - sp.sqrt(B2) if residual is None else residual
    pivot = substitution if substitution is not None else S**2 - (B1 - m2)
    return Certificate("rationalize", residual, {m1: Mean(x), m2: Mean(x**2)},
                       ((m2, pivot),), ((S, B1),), sp.S.Zero, sp.S.One, ("Var(x) + epsilon > 0",))


def test_rationalized_certificate_is_confirmed_by_flint_and_exact_points():
    assert sp.sqrt(B1) - sp.sqrt(B2) != 0  # SymPy alone does not see it
    result = second_check(Mean(x), _certificate())
    assert result.confirmed is True
    assert "is the zero polynomial" in result.evidence[0]
    assert "Schwartz-Zippel" in result.evidence[1]


def test_a_substitution_that_does_not_make_the_radicand_a_square_is_not_confirmed():
    result = second_check(Mean(x), _certificate(substitution=S**2 - eps))
    assert result.confirmed is None and "does not rationalize" in result.evidence[0]


def test_a_nonzero_rationalized_residual_is_refused():
    result = second_check(Mean(x), _certificate(residual=sp.sqrt(B1) - sp.sqrt(B2) + m1 / 7))
    assert result.confirmed is False
    assert "NOT the zero polynomial" in result.evidence[0]


def test_general_form_polynomial_identity_is_confirmed_in_moment_form():
    result = second_check(Mean((x - Mean(x)) ** 2) - (Mean(x**2) - Mean(x) ** 2))
    assert result.confirmed is True


def test_general_form_false_identity_is_refused_at_a_concrete_batch():
    result = second_check(batch_var(x) - (Mean(x**2) - 2 * Mean(x) ** 2))
    assert result.confirmed is False
    assert "not 0" in result.evidence[-1]


def test_radicands_spelled_differently_are_one_atom_in_moment_form():
    spelled = sp.sqrt(Mean((x - Mean(x)) ** 2) + eps) - sp.sqrt(Mean(x**2) - Mean(x) ** 2 + eps)
    assert spelled != 0
    assert second_check(spelled).confirmed is True


def test_piecewise_claim_is_tested_not_confirmed():
    relu_split = sp.Max(x - Mean(x), 0) - sp.Max(Mean(x) - x, 0) - (x - Mean(x))
    result = second_check(relu_split)
    assert result.confirmed is None
    assert "a test, not a proof" in result.evidence[-1]
    wrong = sp.Max(x - Mean(x), 0) - (x - Mean(x))
    assert second_check(wrong).confirmed is False


def test_construction_is_not_claimed_as_checked():
    result = second_check(sp.S.Zero)
    assert result.confirmed is None and "as built" in result.evidence[0]


def test_what_the_engine_cannot_read_is_unchecked_with_the_reason():
    f = sp.Function("f")
    result = second_check(f(a) - f(a) + sp.Derivative(f(a), a) - sp.Derivative(f(a), a) + sp.Float(0.5) * a)
    assert result.confirmed is None and "no second check" in result.evidence[0]


def test_certificate_data_round_trips_through_the_checker():
    data = certificate_data(Mean(x), _certificate())
    assert data["variables"]["S_1"].endswith("> 0")
    assert any("Mean(x**2)" in meaning for meaning in data["variables"].values())
    assert check(data).confirmed is True


def test_a_substitution_that_is_not_the_inverse_of_its_radicand_is_refused():
    # m2 -> S**2 maps S > 0 onto m2 > 0 only, not onto the region B1 > 0 the claim needs
    result = second_check(Mean(x), _certificate(substitution=S**2))
    assert result.confirmed is None and "not (S**2 - rest)/c" in result.evidence[0]


def test_a_numeric_irrational_root_is_unchecked_not_refuted():
    cert = Certificate("rationalize", sp.sqrt(2) * (a + b) - sp.sqrt(2) * a, {}, (), (),
                       sp.S.Zero, sp.S.One)
    result = second_check(a, cert)
    assert result.confirmed is None and "not a rational square" in result.evidence[0]
