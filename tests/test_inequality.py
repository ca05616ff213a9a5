"""Inequalities (symbn.prove.inequality): PROVED with an exact certificate that an
independent checker confirms, REFUTED with a counterexample that violates the relation,
UNDECIDED when neither (never a wrong PROVED)."""

import random
import subprocess
import sys

import pytest
import sympy as sp

from symbn import prove
from symbn.bn.batchnorm import batchnorm, eps, gamma, standardize, x
from symbn.certify.engine import Malformed
from symbn.certify.inequality import check_inequality
from symbn.core import Mean, N, SampleSymbol, batch_var, evaluate_at_batch
from symbn.prove import AssumptionError, Status
from symbn.prove.inequality import (InequalityCertificate, certify, prove_inequality,
                                    relation_of, verify)
from symbn.prove.sos import Square

BUDGET = 120  # generous: the outcome never depends on timing
a, b = sp.symbols("a b", real=True)
g = SampleSymbol("g")
xhat = standardize(x)


def _holds(verdict_or_cx, relation, lhs, rhs):
    """Re-evaluate a counterexample's sides from its recorded values, in the test."""
    cx = verdict_or_cx.counterexample
    values = [evaluate_at_batch(side, cx.samples, cx.sample) if cx.samples else side
              for side in (lhs, rhs)]
    left, right = (sp.N(sp.sympify(v).xreplace(cx.constants), 50) for v in values)
    difference = right - left if relation in ("<=", "<") else left - right
    return bool(difference > 0) if relation in ("<", ">") else bool(difference >= 0)


def test_mean_xhat_square_below_one_is_proved_strictly_with_eps_as_the_certificate():
    verdict = prove(Mean(xhat**2) < 1, budget=BUDGET)
    assert verdict.status is Status.PROVED, verdict.attempts
    assert verdict.domain == ()
    certificate = verdict.certificate
    assert isinstance(certificate, InequalityCertificate)
    assert certificate.text() == "(epsilon - Mean(x)**2 + Mean(x**2)) * (rhs - lhs) = epsilon"
    assert any("python-flint" in line and "is the zero polynomial" in line
               for line in verdict.evidence)


def test_strictness_matters_var_y_equals_gamma2_at_gamma_zero():
    var_y = batch_var(batchnorm(x))
    assert prove(var_y <= gamma**2, budget=BUDGET).status is Status.PROVED
    strict = prove(var_y < gamma**2, budget=BUDGET)
    assert strict.status is Status.REFUTED
    assert strict.counterexample.constants[gamma] == 0
    assert not _holds(strict, "<", var_y, gamma**2)


def test_at_eps_zero_the_strict_bound_is_refuted():
    verdict = prove(batch_var(batchnorm(x)) < gamma**2, where={eps: 0}, assume=[gamma > 0],
                    budget=BUDGET)
    assert verdict.status is Status.REFUTED
    assert any(s.startswith("epsilon = 0") for s in verdict.assumptions), verdict.assumptions


def test_cauchy_schwarz_states_its_multiplier_in_the_domain():
    verdict = prove(Mean(g * xhat) ** 2 <= Mean(g**2) * Mean(xhat**2), budget=BUDGET)
    assert verdict.status is Status.PROVED
    assert "Mean(g**2) > 0" in verdict.domain
    assert any(f.reason == "domain" and f.expr == Mean(g**2)
               for f in verdict.certificate.multiplier)


def test_a_relation_of_two_numbers_as_built_states_what_sympy_may_have_cancelled():
    from symbn.prove.prover import BUILT
    for relation in (sp.Le(batch_var(x) / batch_var(x), 1, evaluate=False),
                     sp.Le(a / a, 1, evaluate=False)):  # built as 1 <= 1
        verdict = prove(relation, budget=BUDGET)
        assert verdict.status is Status.PROVED and BUILT in verdict.domain, verdict
    assert BUILT not in prove(a**2 + b**2 >= 2 * a * b, budget=BUDGET).domain


def test_a_false_inequality_is_refuted_at_a_point_that_violates_it():
    for relation, lhs, rhs in [("<=", a * b, a**2), (">=", a**2 + b**2, 3 * a * b),
                               ("<=", Mean(g * xhat) ** 2, Mean(g) ** 2 * Mean(xhat**2))]:
        verdict = prove_inequality(relation_of(lhs, relation, rhs), budget=BUDGET)
        assert verdict.status is Status.REFUTED, (relation, lhs, rhs, verdict)
        assert not _holds(verdict, relation, lhs, rhs)


def test_ge_and_gt_are_read_as_lhs_minus_rhs():
    assert prove(a**2 + b**2 >= 2 * a * b, budget=BUDGET).status is Status.PROVED
    assert prove(a**2 + b**2 > 2 * a * b, budget=BUDGET).status is Status.REFUTED  # a = b


def test_a_nonnegative_polynomial_without_a_certificate_is_undecided_never_proved():
    # Motzkin's polynomial is >= 0 but not a sum of squares
    motzkin = a**4 * b**2 + a**2 * b**4 - 3 * a**2 * b**2 + 1
    verdict = prove(motzkin >= 0, budget=BUDGET)
    assert verdict.status is Status.UNDECIDED
    assert "no certificate" in verdict.method


def test_the_general_form_z_score_bound_is_not_claimed():
    # true, but moment atoms cannot say that the sample is one of the batch
    verdict = prove(xhat**2 <= N - 1, budget=BUDGET)
    assert verdict.status is Status.UNDECIDED


def test_the_explicit_z_score_bound_is_proved_and_its_half_refuted():
    assert prove(xhat**2 <= N - 1, where={N: 4}, budget=BUDGET).status is Status.PROVED
    assert prove(xhat**2 <= (N - 1) / 2, where={N: 4}, budget=BUDGET).status is Status.REFUTED


def test_assumptions_are_applied_or_refused():
    with pytest.raises(AssumptionError):
        prove(a * b >= 0, assume=["c > 0"], budget=BUDGET)
    assert prove(a * b >= 0, assume=[a > 0, b > 0], budget=BUDGET).status is Status.PROVED
    refuted = prove(a * b >= 0, assume=[a > 0], budget=BUDGET)
    assert refuted.status is Status.REFUTED
    assert all(value > 0 for symbol, value in refuted.counterexample.constants.items()
               if symbol.name == "a")


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="evaluated to True"):
        prove_inequality(sp.Symbol("p", positive=True) > 0)
    with pytest.raises(ValueError, match="evaluated to True"):
        prove(sp.Abs(a) >= 0)
    with pytest.raises(TypeError, match="not an inequality"):
        prove_inequality(sp.Eq(a, b))
    with pytest.raises(TypeError, match="an inequality alone"):
        prove(a <= b, 1)
    with pytest.raises(ValueError, match="budget"):
        prove(a * b >= 0, budget=0)


# --- certificates: the SymPy re-verification and the independent checker --------------


def _checked(data):
    """The checker's result for ``data``, whose claim text is its own sides unless given."""
    own = f"{data['lhs']} {data['relation']} {data['rhs']}" if "lhs" in data else None
    return check_inequality({"claim": own, **data})


def _certificate(lhs, rhs, relation):
    certificate, domain, why = certify(lhs, rhs, relation)
    assert certificate is not None, why
    return certificate, list(domain)


def _tampered(certificate, **changes):
    terms = list(certificate.terms)
    terms[0] = Square(**{**terms[0].__dict__, **changes})
    return InequalityCertificate(certificate.lhs, certificate.rhs, certificate.relation,
                                 certificate.multiplier, tuple(terms), certificate.radicands,
                                 certificate.samples, certificate.positive)


def test_a_quadratic_form_is_certified_without_the_solver():
    """Its Gram matrix in its own monomials is fixed by the coefficient equations: it is
    solved exactly and checked PSD, and the SDP solver is never loaded (a fresh process)."""
    code = ("import sys; import sympy as sp; from symbn.prove.inequality import certify; "
            "a, b = sp.symbols('a b', real=True); "
            "c, _, why = certify(sp.S.Zero, a**2 - a*b + b**2, '<='); "
            "print(c is not None and c.text(), 'clarabel' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(rhs - lhs) = (-a/2 + b)**2 + 3/4*a**2 False", done.stdout


def test_a_tampered_certificate_is_refused_by_both_checks():
    certificate, domain = _certificate(batch_var(batchnorm(x)), gamma**2, "<=")
    assert verify(certificate) is None
    assert _checked({**certificate.to_json(), "domain": domain}).confirmed is True
    for changes in ({"coefficient": sp.Rational(2)}, {"coefficient": sp.Rational(-1)},
                    {"multiplier": a}):
        bad = _tampered(certificate, **changes)
        assert verify(bad) is not None, changes
        assert _checked({**bad.to_json(), "domain": domain}).confirmed is None, changes


def test_the_checker_ties_the_claim_text_to_the_certificate_and_states_its_hypotheses():
    certificate, domain = _certificate(batch_var(batchnorm(x)), gamma**2, "<=")
    data = {**certificate.to_json(), "domain": domain}
    own = f"{data['lhs']} <= {data['rhs']}"
    confirmed = _checked({**data, "claim": f"bn-variance: {own}"})
    assert confirmed.confirmed is True and "given epsilon > 0" in confirmed.lines[-1]
    # the sides proved are not the claim a reader is shown
    other = {**data, "lhs": "0", "claim": f"bn-variance: {own}"}
    assert _checked(other).confirmed is None
    # gamma declared positive in the certificate and not in its nested proof: refused
    with pytest.raises(Malformed, match="nested proof"):
        _checked({**data, "positive_symbols": [*data["positive_symbols"], "gamma"]})


def test_the_checker_refuses_a_certificate_on_a_vacuous_domain():
    certificate, _ = _certificate(sp.S.Zero, 1 / (1 + a**2), "<")
    data = certificate.to_json()
    assert _checked({**data, "domain": []}).confirmed is True
    vacuous = _checked({**data, "domain": ["-1 - a**2 > 0"]})
    assert vacuous.confirmed is None and "vacuous domain" in vacuous.lines[0]


def test_the_json_says_what_it_is_and_the_checker_reads_only_that_format():
    from symbn.certify import inequality as checker
    from symbn.prove import inequality as prover
    certificate, domain = _certificate(Mean(g * xhat) ** 2, Mean(g**2) * Mean(xhat**2), "<=")
    data = {**certificate.to_json(), "domain": domain}
    assert data["format"] == prover.FORMAT == checker.FORMAT == "symbn-inequality-certificate/1"
    assert set(data["terms"][0]) == {"coefficient", "positive_factor", "squared",
                                     "inside_batch_mean"}
    assert {f["reason"] for f in data["multiplier_factors"]} >= {"domain"}
    assert "squared**2" in data["reading"]
    assert _checked(data).confirmed is True
    for wrong in ("symbn-certificate/1", "symbn-inequality-certificate/2", None):
        with pytest.raises(Malformed, match="format"):
            _checked({**data, "format": wrong})


def test_a_nested_proof_in_another_format_is_malformed():
    certificate, domain = _certificate(Mean(xhat**2), 1, "<")
    data = {**certificate.to_json(), "domain": domain}
    proved = [f for f in data["multiplier_factors"] + data["radicands"] if f["reason"] == "proved"]
    assert proved, data
    proved[0]["proof"] = {**proved[0]["proof"], "format": "symbn-certificate/1"}
    with pytest.raises(Malformed, match="format"):
        _checked(data)


def test_a_domain_factor_needs_its_domain_line():
    certificate, domain = _certificate(Mean(g * xhat) ** 2, Mean(g**2) * Mean(xhat**2), "<=")
    assert _checked({**certificate.to_json(), "domain": domain}).confirmed is True
    assert _checked({**certificate.to_json(), "domain": []}).confirmed is None


def test_a_strict_claim_needs_a_strictly_positive_term():
    certificate, domain = _certificate(batch_var(batchnorm(x)), gamma**2, "<=")
    as_strict = {**certificate.to_json(), "relation": "<", "domain": domain}
    assert _checked(as_strict).confirmed is None


def test_a_certificate_is_checked_again_on_concrete_batches():
    """Independent of moment atoms: multiplier * D and the sum, evaluated as explicit sums
    on random rational batches, agree to 50 digits (and are not both 0)."""
    from symbn.bn.batchnorm import derive_batchnorm
    bn = derive_batchnorm()
    bound = gamma**2 / (batch_var(x) + eps) * Mean(bn.g**2)
    certificate, _ = _certificate(Mean(bn.dx**2), bound, "<=")
    _agree_on_batches(certificate)


def _agree_on_batches(certificate: InequalityCertificate, seed: int = 3):
    rng = random.Random(seed)
    left = certificate.multiplier_expr() * certificate.difference
    right = certificate.sum_expr()
    samples = sorted({s for s in (left + right).free_symbols if isinstance(s, SampleSymbol)}, key=str)
    constants = sorted((left + right).free_symbols - set(samples), key=str)
    for m in (2, 3, 5):
        batch = {s: [sp.Rational(rng.randint(-40, 40), rng.randint(1, 9)) for _ in range(m)]
                 for s in samples}
        values = {c: sp.Rational(rng.randint(1, 40), rng.randint(1, 9)) for c in constants}
        l_value, r_value = (sp.N(evaluate_at_batch(e, batch).xreplace(values), 60) for e in (left, right))
        assert abs(r_value) > 1e-30
        assert abs(l_value - r_value) <= 1e-45 * abs(r_value)


def test_random_quadratic_forms_get_the_verdict_their_eigenvalues_give():
    """A quadratic form is >= 0 exactly when its matrix is PSD: PROVED only then, REFUTED
    (at a point where it is negative) when an eigenvalue is negative."""
    import numpy as np
    rng = random.Random(7)
    c = sp.symbols("c0:3", real=True)
    proved = refuted = 0
    for _ in range(8):
        L = sp.Matrix(3, 3, lambda i, j: sp.Rational(rng.randint(-3, 3), rng.randint(1, 2)))
        shift = sp.Rational(rng.choice([-2, 0, 1]), 1)
        M = L * L.T + shift * sp.eye(3)
        form = sp.expand((sp.Matrix([c]) * M * sp.Matrix(c))[0])
        verdict = prove(form >= 0, budget=BUDGET)
        smallest = min(np.linalg.eigvalsh(np.array(M.tolist(), dtype=float)))
        if verdict.status is Status.PROVED:
            assert smallest > -1e-12, (M, verdict.evidence)
            proved += 1
        elif smallest > 1e-9:
            raise AssertionError(f"a positive definite form was not proved: {M}, {verdict}")
        elif smallest < -1e-9:
            assert verdict.status is Status.REFUTED, (M, verdict)
            assert not _holds(verdict, ">=", form, 0)
            refuted += 1
    assert proved and refuted


def test_square_roots_are_positive_symbols_with_their_relation():
    verdict = prove(sp.sqrt(a**2 + 1) >= a, budget=BUDGET)
    assert verdict.status is Status.PROVED, verdict.attempts
    assert any("python-flint" in line and "relation" in line for line in verdict.evidence)
    rms = prove(sp.sqrt(Mean(x**2)) >= Mean(x), budget=BUDGET)
    assert rms.status is Status.PROVED and rms.domain == ("Mean(x**2) > 0",)
    assert prove(sp.sqrt(a**2 + 1) < a, budget=BUDGET).status is Status.REFUTED


def test_a_denominator_that_may_vanish_is_stated():
    verdict = prove(1 / a**2 > 0, budget=BUDGET)
    assert verdict.status is Status.PROVED and "a != 0" in verdict.domain


# --- soundness at the edges: symbols, definedness, vacuous domains ------------------------


def test_a_symbol_not_declared_real_is_an_assumption_error():
    c = sp.Symbol("c")  # complex by default: at c = I, c**2 + 1 > 0 reads 0 > 0
    with pytest.raises(AssumptionError, match="c is not declared real"):
        prove(sp.StrictGreaterThan(c**2 + 1, 0))
    (z,) = [SampleSymbol("z", real=False)]
    with pytest.raises(AssumptionError, match="z is not declared real"):
        prove(sp.GreaterThan(Mean(z**2), 0, evaluate=False))


@pytest.mark.parametrize("relation, where, domain", [
    # where= turns b/a into 1: the claim as given is still undefined at a = 0
    (sp.GreaterThan(b / a, 1, evaluate=False), {b: a}, "a != 0"),
    # eps = 0 turns Var(xhat) into 1: the claim as given is undefined where Var = 0
    (sp.StrictGreaterThan(Mean(xhat**2), sp.Rational(1, 2), evaluate=False), {eps: 0},
     "Mean((x - Mean(x))**2) > 0"),
])
def test_a_domain_hidden_by_a_substitution_is_stated(relation, where, domain):
    verdict = prove(relation, where=where, budget=BUDGET)
    assert verdict.status is Status.PROVED and domain in verdict.domain, verdict


def test_a_counterexample_is_where_the_claim_as_given_is_defined():
    # at eps = 0, Var(BN(x)) is gamma**2 wherever Var(x) > 0: the strict bound fails there,
    # and the counterexample is a batch that is not constant
    verdict = prove(batch_var(batchnorm(x)) < gamma**2, where={eps: 0}, budget=BUDGET)
    assert verdict.status is Status.REFUTED
    values = verdict.counterexample.samples[x]
    assert len(set(values)) > 1, values


def test_a_certificate_that_holds_only_on_an_empty_domain_is_not_a_proof():
    verdict = prove(sp.GreaterThan(sp.sqrt(-a**2 - b**2), 0, evaluate=False), budget=BUDGET)
    assert verdict.status is Status.UNDECIDED and "holds nowhere" in verdict.method, verdict


@pytest.mark.parametrize("relation, empty", [
    # -a**2 + 2*a - 2 = -(a - 1)**2 - 1 < 0: the root's radicand is never > 0
    (sp.GreaterThan(sp.sqrt(-a**2 + 2 * a - 2) * a, 5, evaluate=False), "holds nowhere"),
    # a >= 0 and -a - 1 >= 0 each hold somewhere, never together
    (sp.sqrt(a) + sp.sqrt(-a - 1) >= 5, "hold together nowhere"),
])
def test_a_domain_no_real_value_satisfies_is_shown_empty_and_never_proved(relation, empty):
    verdict = prove(relation, budget=BUDGET)
    assert verdict.status is Status.UNDECIDED, verdict
    assert "domain is empty" in verdict.method and empty in verdict.method, verdict.method


def test_vacuous_needs_a_certificate_and_a_witness_point_shows_a_domain_not_empty():
    from symbn.prove.definedness import Condition
    from symbn.prove.inequality import vacuous
    assert vacuous([Condition(">", a), Condition(">", 1 - a)]) is None  # 0 < a < 1
    assert vacuous([Condition(">", -(a - 1) ** 2 - 1)]) is not None
    assert vacuous([Condition(">", a), Condition(">=", -a)]) is not None
    assert vacuous([Condition(">=", a), Condition(">=", -a)]) is None  # a = 0
    assert vacuous([Condition("!=", a - a * b / b)]) is not None


def test_a_reciprocal_square_root_is_proved_with_its_root_as_a_factor_the_checker_accepts():
    c = sp.Symbol("c", real=True)
    verdict = prove(1 / sp.sqrt(c**2 + 1) <= 1, budget=BUDGET)
    assert verdict.status is Status.PROVED, verdict.attempts
    reasons = {f.reason for f in verdict.certificate.multiplier}
    assert "square root" in reasons and "positive symbol" not in reasons, reasons
    assert prove(1 / sp.sqrt(c**2 + 1) >= 1, budget=BUDGET).status is Status.REFUTED
    assert prove(1 / sp.sqrt(c) >= 0, budget=BUDGET).domain == ("c > 0",)


def test_the_checker_needs_the_domain_to_say_where_the_claim_is_defined():
    certificate, domain = _certificate(sp.S.Zero, 1 / a**2, "<=")
    assert domain == ["a != 0"]
    data = {**certificate.to_json(), "claim": f"inverse-square: {certificate.to_json()['lhs']} "
                                             f"<= {certificate.to_json()['rhs']}"}
    assert check_inequality({**data, "domain": domain}).confirmed is True
    dropped = check_inequality({**data, "domain": []})
    assert dropped.confirmed is None and "where the claim is defined: a != 0" in dropped.lines[0]


def test_without_the_solver_the_reason_says_how_to_install_it(monkeypatch):
    from symbn.prove import inequality

    monkeypatch.setitem(sys.modules, "clarabel", None)  # as if the sos extra were missing
    counterexample, certificate, _, why = inequality._decide(
        Mean(g * xhat) ** 2, Mean(g**2) * Mean(xhat**2), "<=", 4, 0)
    assert counterexample is None and certificate is None
    assert why == "the semidefinite solver is not installed (clarabel): pip install 'symbn[sos]'"


def test_the_checker_refuses_nested_powers_and_names_the_domain_it_confirmed_on():
    certificate, domain = _certificate(Mean(g * xhat) ** 2, Mean(g**2) * Mean(xhat**2), "<=")
    data = {**certificate.to_json(), "domain": domain}
    data["claim"] = f"cs: {data['lhs']} <= {data['rhs']}"
    confirmed = check_inequality(data)
    assert confirmed.confirmed is True and "; where Mean(g**2) > 0" in confirmed.lines[-1]
    nested = {**data, "rhs": f"(({data['rhs']})**32)**64"}
    nested["claim"] = f"cs: {nested['lhs']} <= {nested['rhs']}"
    with pytest.raises(Malformed, match="nested powers whose product is 4096"):
        check_inequality(nested)


# --- the fast paths agree with the slow ones ---------------------------------------------


def _ring(*symbols):
    from symbn.prove.inequality import _sparse_ring
    return _sparse_ring(tuple(sorted(symbols, key=str)))


@pytest.mark.parametrize("expr", [
    a / (a**2 - b**2) - 1 / (a - b),                      # a reducible base: (a - b)(a + b)
    (a + b) ** 2 / (a**2 - b**2) ** 2,                    # lowest terms 1/(a - b)**2
    1 / (eps + a**2) + 1 / (eps + a**2) ** 2 + 3,         # the larger power, not the product
    -2 / (4 * a - 6 * b) + a / (3 * b - 2 * a),           # constants and a negative leading term
    a**3 * b / (a**2 * b**3 + a**2 * b),                  # gens dividing every term
    (a**2 * eps + b) / (a * (a * eps + b / a)),           # a base that is the numerator
    sp.S(5) / 7,
])
def test_the_factored_fraction_is_the_rational_function_in_lowest_terms(expr):
    from symbn.prove.inequality import _cancelled, _fraction, _product
    ring = _ring(a, b, eps)
    numerator, denominator = _cancelled(*_fraction(expr, ring))
    value = numerator.as_expr() / _product(denominator, ring).as_expr()
    assert sp.cancel(value - expr) == 0
    # lowest terms: the denominator is SymPy's, up to a constant; each factor irreducible
    assert sp.cancel(_product(denominator, ring).as_expr() / sp.fraction(sp.cancel(expr))[1]).is_number
    for f in denominator:
        _, factors = f.factor_list()
        assert [k for _, k in factors] == [1] and f.LC > 0, f


def test_the_cheap_factorizations_are_factor_lists():
    from symbn.prove.inequality import _factors
    ring = _ring(a, b, eps)
    A, B, E = (ring(s) for s in (a, b, eps))
    known = [A + B, E + A**2]
    for poly in [(A + B) ** 2 * (E + A**2) * 6, -3 * A**2 * B * (A - B), 4 * E - 2 * A**2 * B,
                 (A**2 - B**2) * (E * A + B) / 5, A * B**3, ring(7)]:
        constant, found = _factors(poly, known)
        expected_constant, expected = poly.factor_list()
        assert constant == expected_constant and found == dict(expected), poly


def test_a_root_reduction_is_the_remainder_modulo_the_relations():
    from symbn.prove.inequality import Ring, _Frame
    ring = Ring()
    encoded = ring.encode(sp.sqrt(a**2 + eps) * b + sp.sqrt(b**2 + 1) + a)
    roots = list(ring.roots)
    groebner, relations = ring._polynomial_ring([encoded])
    rng = random.Random(5)
    frame = _Frame(ring, [*roots, a, b, eps])
    for _ in range(20):
        expr = sp.Add(*[sp.Rational(rng.randint(-5, 5), rng.randint(1, 3))
                        * sp.Mul(*[s ** rng.randint(0, 4) for s in (*roots, a, b, eps)])
                        for _ in range(4)])
        reduced = frame.reduce(frame.ring(expr))
        assert sp.expand(reduced.as_expr() - groebner(expr).rem(relations).as_expr()) == 0


@pytest.mark.parametrize("relation, lhs, rhs", [
    ("<", batch_var(batchnorm(x)), gamma**2),               # 0 at gamma = 0: never skipped
    ("<=", Mean(xhat**2), (N - 1) / N),
    ("<=", a * b, a**2),
    ("<=", Mean(g * xhat) ** 2, Mean(g) ** 2 * Mean(xhat**2)),
    (">=", 1 / a, 0),                                        # undefined at a = 0
])
def test_the_ball_screen_skips_no_counterexample(monkeypatch, relation, lhs, rhs):
    """A point is skipped only where a ball shows the relation holds: with the screen off,
    the search finds the same counterexample, and every skipped point satisfies the
    relation exactly."""
    from symbn.prove import inequality
    from symbn.prove.sampling import random_point
    found = inequality.refute(lhs, rhs, relation)
    assert found is not None
    monkeypatch.setattr(inequality, "_holds_surely", lambda *args: False)
    assert inequality.refute(lhs, rhs, relation) == found
    monkeypatch.undo()
    difference = rhs - lhs if relation in ("<=", "<") else lhs - rhs
    rng = random.Random(11)
    skipped = 0
    for k in range(40):
        mode = ("small", "wide", "zeros", "constant batch")[k % 4]
        samples, constants = random_point(difference.free_symbols, rng, 2 + k % 4, mode)
        if inequality._holds_surely(difference, relation in ("<", ">"), samples, constants, 0):
            skipped += 1
            value = inequality._value(difference, samples, constants, 0)
            assert (value > 0) if relation in ("<", ">") else (value >= 0), (samples, constants)
    assert skipped
