"""The second check of a PROVED (symbn.prove.certificate) and the standalone checker
(symbn.certify): true identities confirmed, false ones and tampered certificates refused."""

import pytest
import sympy as sp

from symbn.core import Mean, batch_var, sample_symbols
from symbn.prove.certificate import Certificate, certificate_data, second_check
from symbn.certify import check
from symbn.certify.inequality import check_inequality

x, g = sample_symbols("x g")
a, b = sp.symbols("a b", real=True)
eps = sp.Symbol("epsilon", positive=True)
m1, m2 = sp.Dummy("E[x]", real=True), sp.Dummy("E[x**2]", real=True)
S = sp.Dummy("S", positive=True)
#: the same radicand spelled twice: sqrt(B1) - sqrt(B2) is 0 once m2 = S**2 - (B1 - m2)
B1 = m2 - m1 * (m1 + 1) + m1 + eps
B2 = m2 - m1**2 + eps


def _general(frozen):
    """The claim's lhs - rhs that a certificate with this frozen residual is about."""
    return frozen.xreplace({m1: Mean(x), m2: Mean(x**2)})


def _certificate(substitution=None, residual=None):
    residual = sp.sqrt(B1) - sp.sqrt(B2) if residual is None else residual
    pivot = substitution if substitution is not None else S**2 - (B1 - m2)
    return Certificate("rationalize", residual, {m1: Mean(x), m2: Mean(x**2)},
                       ((m2, pivot),), ((S, B1),), sp.S.Zero, sp.S.One, ("Mean(x**2) - Mean(x)**2 + epsilon > 0",))


def test_rationalized_certificate_is_confirmed_by_flint_and_exact_points():
    assert sp.sqrt(B1) - sp.sqrt(B2) != 0  # SymPy alone does not see it
    result = second_check(_general(sp.sqrt(B1) - sp.sqrt(B2)), _certificate())
    assert result.confirmed is True
    assert "is the zero polynomial" in result.evidence[0]
    assert "Schwartz-Zippel" in result.evidence[1]


def test_a_substitution_that_does_not_make_the_radicand_a_square_is_not_confirmed():
    result = second_check(_general(sp.sqrt(B1) - sp.sqrt(B2)),
                          _certificate(substitution=S**2 - eps))
    assert result.confirmed is None and "does not rationalize" in result.evidence[0]


def test_a_nonzero_rationalized_residual_is_refused():
    wrong = sp.sqrt(B1) - sp.sqrt(B2) + m1 / 7
    result = second_check(_general(wrong), _certificate(residual=wrong))
    assert result.confirmed is False
    assert "NOT the zero polynomial" in result.evidence[0]


def test_calls_as_atoms_that_do_not_cancel_refute_nothing():
    # exp(a + b), exp(a) and exp(b) are atoms to the checker, and not independent ones:
    # "NOT the zero polynomial" there had made a true identity UNDECIDED, as if refuted
    true = sp.exp(a + b) - sp.exp(a) * sp.exp(b)
    result = second_check(true, Certificate("rationalize", true, {}, (), (), true, sp.S.One))
    assert result.confirmed is None and "this refutes nothing" in result.evidence[0]
    from symbn import prove
    verdict = prove(sp.exp(a + b), sp.exp(a) * sp.exp(b))
    assert verdict.status.name == "PROVED"
    assert verdict.evidence[0].startswith("not confirmed by the second check")
    assert prove(sp.exp(a + b), sp.exp(a) * sp.exp(b) + 1).status.name == "REFUTED"


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


def test_piecewise_claim_is_confirmed_case_by_case():
    relu_split = sp.Max(x - Mean(x), 0) - sp.Max(Mean(x) - x, 0) - (x - Mean(x))
    result = second_check(relu_split)
    assert result.confirmed is True, result.evidence
    assert "sign cases" in result.evidence[0]
    scale = sp.Symbol("gamma", positive=True)
    homogeneous = sp.Max(scale * (x - Mean(x)), 0) - scale * sp.Max(x - Mean(x), 0)
    assert second_check(homogeneous).confirmed is True
    assert second_check(sp.Abs(scale * x + scale * a) - scale * sp.Abs(x + a)).confirmed is True
    assert second_check(sp.Heaviside(x - a) + sp.Heaviside(a - x) - 1).confirmed is True


def test_a_false_piecewise_claim_is_not_confirmed_and_refuted_at_a_batch():
    for wrong in (sp.Max(x - Mean(x), 0) - (x - Mean(x)), sp.Abs(a * x) - a * sp.Abs(x),
                  sp.Heaviside(x) - sp.sign(x)):
        assert second_check(wrong).confirmed is False, wrong


def test_piecewise_inside_a_mean_is_tested_not_confirmed():
    inside = sp.Max(x - Mean(x), 0)
    result = second_check(Mean(inside) - Mean(sp.Max(Mean(x) - x, 0)))
    assert result.confirmed is None
    assert "inside a batch mean" in result.evidence[0]
    assert "a test, not a proof" in result.evidence[-1]


def test_construction_is_not_claimed_as_checked():
    result = second_check(sp.S.Zero)
    assert result.confirmed is None and "as built" in result.evidence[0]


def test_what_the_engine_cannot_read_is_unchecked_with_the_reason():
    f = sp.Function("f")
    result = second_check(f(a) - f(a) + sp.Derivative(f(a), a) - sp.Derivative(f(a), a) + sp.Float(0.5) * a)
    assert result.confirmed is None and "no second check" in result.evidence[0]


def test_certificate_data_round_trips_through_the_checker():
    data = certificate_data(_general(sp.sqrt(B1) - sp.sqrt(B2)), _certificate())
    assert data["variables"]["S_1"].endswith("> 0")
    assert any("Mean(x**2)" in meaning for meaning in data["variables"].values())
    assert check(data).confirmed is True


@pytest.mark.parametrize("power", ["10**10**10", "10**(10**10)", "S_1**65", "(S_1 + 1)**(-65)"])
def test_a_power_above_the_bound_is_malformed_not_computed(power):
    """10**10**10 was computed, and the check never ended."""
    from symbn.certify import Malformed

    data = certificate_data(_general(sp.sqrt(B1) - sp.sqrt(B2)), _certificate())
    data["numerator"] = power
    with pytest.raises(Malformed, match="above 64"):
        check(data)


def test_a_substitution_that_is_not_the_inverse_of_its_radicand_is_refused():
    # m2 -> S**2 maps S > 0 onto m2 > 0 only, not onto the region B1 > 0 the claim needs
    result = second_check(_general(sp.sqrt(B1) - sp.sqrt(B2)), _certificate(substitution=S**2))
    assert result.confirmed is None and "not (S**2 - rest)/c" in result.evidence[0]


def test_numeric_roots_are_atoms_with_their_relation():
    spelled = sp.sqrt(2) * (a + b) - sp.sqrt(2) * a - sp.sqrt(8) * b / 2
    assert spelled != 0
    cert = Certificate("rationalize", spelled, {}, (), (), sp.S.Zero, sp.S.One)
    assert second_check(spelled, cert).confirmed is True
    wrong = sp.sqrt(2) * (a + b) - sp.sqrt(2) * a
    cert = Certificate("rationalize", wrong, {}, (), (), sp.S.Zero, sp.S.One)
    result = second_check(wrong, cert)
    assert result.confirmed is None and "NOT the zero polynomial" in result.evidence[0]


def test_positive_square_factors_leave_the_root():
    scale = sp.Symbol("a", positive=True)
    spelled = sp.sqrt(sp.expand(scale**2 * B2)) - scale * sp.sqrt(B2)
    assert spelled != 0
    claim = _general(spelled)
    result = second_check(claim)
    assert result.confirmed is True, result.evidence


def test_a_certificate_of_another_claim_is_not_confirmed():
    result = second_check(_general(sp.sqrt(B1) - sp.sqrt(B2)) + Mean(x) / 7, _certificate())
    assert result.confirmed is None and "not the claim's" in result.evidence[0]


# --- certificates on disk and the standalone checker ------------------------------------

import ast  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


from symbn.identities import check as check_identity  # noqa: E402
from symbn.identities import get  # noqa: E402
from symbn.identities.record import certificates  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certificates")
    files = certificates(check_identity(get("backward-closed-form"), budget=60))
    for name, data in files.items():
        (directory / name).write_text(json.dumps(data))
    return directory, files


def _certify(*paths):
    return subprocess.run([sys.executable, "-m", "symbn.certify", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.mark.integration
def test_every_proved_claim_gets_a_rationalized_certificate(written):
    _, files = written
    assert "backward-closed-form.json" in files and "backward-closed-form-m2.json" in files
    data = files["backward-closed-form.json"]
    assert data["kind"] == "rationalized" and data["substitutions"] and data["degree"] > 0
    assert any(meaning.startswith("the batch moment") for meaning in data["variables"].values())


def test_the_checker_confirms_untouched_certificates(written):
    directory, files = written
    done = _certify(directory)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("OK ") == len(files)
    assert f"{len(files)} of {len(files)} certificates confirmed" in done.stdout


def _tampered(written, tmp_path, change):
    directory, files = written
    data = json.loads(json.dumps(files["backward-closed-form.json"]))
    change(data)
    (tmp_path / "tampered.json").write_text(json.dumps(data))
    return _certify(tmp_path / "tampered.json")


def test_a_tampered_residual_fails(written, tmp_path):
    done = _tampered(written, tmp_path, lambda d: d.update(residual=d["residual"] + " + 1/7"))
    assert done.returncode == 1 and "FAIL" in done.stdout and "tampered.json" in done.stdout


def test_a_tampered_substitution_fails(written, tmp_path):
    def change(d):
        d["substitutions"][0][1] = d["substitutions"][0][1] + " + 1"
    done = _tampered(written, tmp_path, change)
    assert done.returncode == 1 and "FAIL" in done.stdout


def test_a_certificate_moved_to_another_claim_fails(written, tmp_path):
    done = _tampered(written, tmp_path,
                     lambda d: d.update(claim_residual=d["claim_residual"] + " + gamma"))
    assert done.returncode == 1 and "not the claim's" in done.stdout


def test_a_tampered_degree_or_missing_field_is_malformed(written, tmp_path):
    done = _tampered(written, tmp_path, lambda d: d.update(degree=d["degree"] + 1))
    assert done.returncode == 1 and "malformed certificate: the recorded degree" in done.stdout
    done = _tampered(written, tmp_path, lambda d: d.pop("radicals"))
    assert done.returncode == 1 and "'radicals' is missing" in done.stdout


def test_malformed_files_get_one_clear_line_each(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text(json.dumps({"format": "symbn-certificate/1",
                                                 "kind": "rationalized", "residual": "x + __import__('os')"}))
    done = _certify(tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("FAIL  a.json: not JSON")
    assert lines[1].startswith("FAIL  b.json: malformed certificate")
    assert "Traceback" not in done.stdout + done.stderr
    assert _certify(tmp_path / "missing").returncode == 2


def test_the_checker_imports_nothing_of_symbn_but_itself():
    for path in (ROOT / "symbn" / "certify").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                for module in modules:
                    assert not module.startswith("symbn") or module.startswith("symbn.certify"), \
                        f"{path.name} imports {module}"
                    assert not module.startswith("sympy"), f"{path.name} imports {module}"


# --- constructions cross-checked on plain sums (symbn.identities.record) -----------------

from symbn.core import explicit_symbols  # noqa: E402
from symbn.identities.record import Claim, Identity  # noqa: E402
from symbn.prove import Status  # noqa: E402


@pytest.mark.integration
def test_a_construction_is_cross_checked_on_plain_sums():
    identity = get("jacobian-null-ones")
    checked = check_identity(identity, budget=60)
    assert checked.verdict.method.startswith("construction")
    assert checked.cross_check == "cross-checked at m = 2, 3 on plain sums: PROVED"
    explicit = identity.explicit_claim(2)
    assert not explicit.lhs.has(Mean) and explicit.lhs != sp.zeros(2, 1)  # not 0 as built
    assert checked.as_expected


@pytest.mark.integration
def test_a_wrong_construction_is_caught_by_its_explicit_cross_check():
    def wrong_explicit(m):  # the mean of a batch is not its first sample
        xs = explicit_symbols(x, m)
        return Claim(sp.Add(*xs) / m, xs[0])
    identity = Identity(name="test-wrong-construction", title="", statement="", source="test",
                        build=lambda: Claim(Mean(x) - Mean(x), 0), explicit_sizes=(2,),
                        explicit=wrong_explicit)
    checked = check_identity(identity, budget=60)
    assert checked.verdict.status is Status.PROVED
    assert checked.cross_check.startswith("cross-checked at m = 2 on plain sums: NOT all PROVED")
    assert not checked.as_expected


@pytest.mark.integration
def test_a_construction_without_a_plain_sum_form_says_so():
    checked = check_identity(get("bn-eval-curvature-zero"), budget=60)
    assert checked.cross_check.startswith("not cross-checked")


@pytest.mark.integration
@pytest.mark.slow
def test_every_catalogue_proof_by_a_strategy_is_confirmed_by_the_second_check():
    from symbn.identities import select
    unconfirmed, confirmed = [], 0
    for identity in select(()):
        checked = check_identity(identity)
        verdicts = [(identity.name, checked.verdict)]
        verdicts += [(f"{identity.name}-m{m}", v) for m, v in checked.explicit]
        for name, verdict in verdicts:
            assert "second check disagreed" not in verdict.method, (name, verdict.evidence)
            if verdict.status is not Status.PROVED or "construction" in verdict.method:
                continue
            if any(("is the zero polynomial" in line and "NOT" not in line)
                   or "zero in each of the" in line for line in verdict.evidence):
                confirmed += 1
            else:
                unconfirmed.append((name, verdict.method, verdict.evidence))
    assert confirmed > 50 and not unconfirmed, unconfirmed


def test_the_checker_runs_with_symbns_prover_and_sympy_unimportable(written):
    """The checker's modules alone: symbn's own __init__ (which imports the prover) is
    skipped, and any import of SymPy or of symbn outside symbn.certify fails."""
    directory, files = written
    script = (
        "import sys, types\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'sympy' or (name.startswith('symbn.')\n"
        "                and not name.startswith('symbn.certify')):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "package = types.ModuleType('symbn')\n"
        f"package.__path__ = [{str(ROOT / 'symbn')!r}]\n"
        "sys.modules['symbn'] = package\n"
        "from symbn.certify.__main__ import main\n"
        f"sys.exit(main([{str(directory)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("OK ") == len(files)


def test_a_confirmation_states_the_sign_assumptions_it_used():
    scale = sp.Symbol("gamma", positive=True)
    result = second_check(sp.Abs(scale * x + scale * a) - scale * sp.Abs(x + a))
    assert result.confirmed is True and "given gamma > 0" in result.evidence[0]
    data = certificate_data(sp.sqrt(sp.expand(scale**2 * (a**2 + 1))) - scale * sp.sqrt(a**2 + 1))
    assert check(data).confirmed is True
    data["signs"] = {}  # the same residual claimed for every gamma: sqrt(gamma**2) is |gamma|
    assert check(data).confirmed is not True


# --- the stated domain and the claim are the checker's to verify ---------------------------

from symbn import prove  # noqa: E402
from symbn.certify import Malformed, formal_degree  # noqa: E402


def _confirmed(data):
    """check(data).confirmed, a malformed certificate counting as not confirmed."""
    try:
        return check(data).confirmed
    except Malformed:
        return None


def _proved_certificate(lhs, rhs):
    verdict = prove(lhs, rhs, budget=60)
    assert verdict.status is Status.PROVED and verdict.certificate is not None
    data = certificate_data(lhs - rhs, verdict.certificate,
                            claim=f"c: {sp.sstr(lhs)} == {sp.sstr(rhs)}")
    data["domain"] = list(verdict.domain)  # as symbn prove --certificates writes it
    return data


@pytest.mark.parametrize("lhs, rhs, needed", [
    ((a**2 - 1) / (a - 1), a + 1, "1 + a != 0"),
    (sp.sqrt(a) / (a + sp.sqrt(a)), 1 / (sp.sqrt(a) + 1), "a > 0"),
])
def test_a_domain_that_does_not_imply_the_proofs_conditions_is_not_confirmed(lhs, rhs, needed):
    data = _proved_certificate(lhs, rhs)
    result = check(data)
    assert result.confirmed is True and result.lines[-1].startswith("domain: the stated one")
    for domain in ([], ["a + 1 != 0"]):
        data["domain"] = domain
        result = check(data)
        assert result.confirmed is None and needed in result.lines[0], result.lines


@pytest.mark.parametrize("domain", [["1 > 2"], ["a**2 + 1 < 0"], ["a - 1 > 0", "a - 1 < 0"],
                                    ["a - a != 0"]])
def test_a_vacuous_domain_is_not_confirmed(domain):
    data = _proved_certificate((a**2 - 1) / (a - 1), a + 1)
    data["domain"] += domain
    result = check(data)
    assert result.confirmed is None and "vacuous domain" in result.lines[0], result.lines


def _forged_rationalized(claim, residual, samples=(), positive=()):
    return {"format": "symbn-certificate/1", "kind": "rationalized", "claim": claim,
            "strategy": "rationalize", "claim_residual": residual, "residual": residual,
            "variables": {"x": "per-sample variable x", "a": "symbol a"},
            "samples": list(samples), "atoms": {}, "positive": list(positive), "negative": [],
            "substitutions": [], "radicals": [], "numerator": "0", "denominator": "1",
            "domain": [], "degree": 0}


def _forged_general(claim, residual, samples=(), signs=None):
    return {"format": "symbn-certificate/1", "kind": "general", "claim": claim,
            "strategy": "", "variables": {"x": "per-sample variable x", "a": "symbol a"},
            "samples": list(samples), "signs": signs or {}, "integer": [],
            "batch_symbol": None, "residual": residual, "domain": []}


def _with_degree(data):
    data["degree"] = formal_degree(data)
    return data


FORGED = {
    "Mean(x) == x, rationalized, residual 0, no samples":
        _forged_rationalized("Mean(x) == x", "0"),
    "Mean(x) == x, rationalized, claim_residual 0":
        _forged_rationalized("Mean(x) == x", "0", samples=["x"]),
    "Mean(x) == x, general, no samples": _forged_general("Mean(x) == x", "Mean(x) - x"),
    "Mean(x) == x, general": _forged_general("Mean(x) == x", "Mean(x) - x", samples=["x"]),
    "Mean(x) == x, general, residual 0": _forged_general("Mean(x) == x", "0", samples=["x"]),
    "Mean(x**2) == Mean(x)**2, no samples":
        _forged_general("Mean(x**2) == Mean(x)**2", "Mean(x**2) - Mean(x)**2"),
    "Mean(x**2) == Mean(x)**2": _forged_general("Mean(x**2) == Mean(x)**2",
                                                "Mean(x**2) - Mean(x)**2", samples=["x"]),
    "sqrt(a**2) == a, general, a of any sign":
        _forged_general("sqrt(a**2) == a", "sqrt(a**2) - a", samples=["x"]),
    "sqrt(a**2) == a, rationalized, a of any sign":
        _forged_rationalized("sqrt(a**2) == a", "sqrt(a**2) - a", samples=["x"]),
    "sqrt(a**2) == a, rationalized, a both positive and negative":
        {**_forged_rationalized("sqrt(a**2) == a", "sqrt(a**2) - a", samples=["x"],
                                positive=["a"]), "negative": ["a"]},
    "sqrt(a**2) == a, general, a assumed positive but declared of any sign":
        _forged_general("sqrt(a**2) == a", "sqrt(a**2) - a", samples=["x"],
                        signs={"a": "positive"}),
    "(a**2-1)/(a-1) == a+1, empty domain":
        _forged_rationalized("(a**2 - 1)/(a - 1) == a + 1", "(a**2 - 1)/(a - 1) - a - 1",
                             samples=["x"]),
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_forged_certificate_of_a_false_claim_is_never_confirmed(name):
    data = json.loads(json.dumps(FORGED[name]))
    if data["kind"] == "rationalized":
        data = _with_degree(data)
    assert _confirmed(data) is not True


def test_the_samples_must_be_the_variables_declared_per_sample():
    data = certificate_data(Mean(x**2) - Mean(x) ** 2, claim="Mean(x**2) == Mean(x)**2")
    assert check(data).confirmed is False
    data["samples"] = []
    with pytest.raises(Malformed, match="per-sample"):
        check(data)


def test_the_claims_text_must_be_the_residual():
    data = certificate_data(Mean((x - Mean(x)) ** 2) - (Mean(x**2) - Mean(x) ** 2))
    assert check(data).confirmed is True
    data["claim"] = "c: Mean(x) == x"
    result = check(data)
    assert result.confirmed is None and "claim's text" in result.lines[0]
    data["claim"] = "c, no equation"
    with pytest.raises(Malformed, match="lhs == rhs"):
        check(data)
    data["claim"] = "Mean(x) == x: " + data["residual"] + " == 0"  # an equation in the label
    with pytest.raises(Malformed, match="label"):
        check(data)


def test_nonzero_samples_of_both_signs_can_have_a_zero_mean():
    # 1/x is nonzero at every sample, yet Mean(1/x) is 0 for x = [1, -1]
    data = _forged_general("1/Mean(1/x) == 1/Mean(1/x)", "1/Mean(1/x) - 1/Mean(1/x)",
                           samples=["x"])
    data["domain"] = ["x != 0"]
    result = check(data)
    assert result.confirmed is None and "does not imply Mean(1 / x) != 0" in result.lines[0]
    data["domain"] = ["x != 0", "Mean(1/x) != 0"]
    assert check(data).confirmed is True


def test_a_domain_line_the_checker_cannot_reason_with_only_makes_it_assume_less():
    # "gamma(a) is finite" (a pole outside the engine's functions) and "sin(a) != 0" are
    # left out of what the checker assumes: harder to confirm, never easier
    from symbn import prove

    a_real = sp.Symbol("a", real=True)
    verdict = prove(sp.gamma(a_real) * (a_real + 1), sp.gamma(a_real) * a_real + sp.gamma(a_real),
                    budget=60)
    assert verdict.proved and "gamma(a) is finite" in verdict.domain
    data = certificate_data(sp.gamma(a_real) * (a_real + 1) - sp.gamma(a_real) * a_real
                            - sp.gamma(a_real), verdict.certificate,
                            claim="gamma(a)*(a + 1) == gamma(a)*a + gamma(a)")
    data["domain"] = [*data["domain"], "sin(a) != 0"]
    assert check(data).confirmed is True
    data["domain"] = ["1 > 2"]
    assert check(data).confirmed is not True


# --- the inequality checker: what a forged certificate may not do -------------------------


def _inequality(lhs, rhs, relation, factors=(), terms=(), *, positive=(), samples=(),
                domain=(), claim=None):
    """An inequality certificate's JSON, its claim text its own sides unless given."""
    return {"format": "symbn-inequality-certificate/1", "lhs": lhs, "rhs": rhs,
            "relation": relation, "sample_variables": list(samples),
            "positive_symbols": list(positive), "multiplier_factors": list(factors),
            "radicands": [], "terms": list(terms), "domain": list(domain),
            "claim": claim if claim is not None else f"{lhs} {relation} {rhs}"}


def _term(coefficient, factor, base):
    return {"coefficient": coefficient, "positive_factor": factor, "squared": base,
            "inside_batch_mean": False}


def _write(directory, **files):
    for name, data in files.items():
        (directory / f"{name}.json").write_text(json.dumps(data))


def test_a_nested_proof_rests_on_its_certificates_hypotheses(tmp_path):
    # 0 <= a**3 (false for a < 0) from a * (a**3 - 0) = (a**2)**2 and a nested "proof" of
    # 0 < a that declares a positive for itself
    inner = _inequality("0", "a", "<", terms=[_term("1", "a", "1")], positive=["a"])
    inner.pop("claim")
    forged = _inequality("0", "a**3", "<=", [{"expr": "a", "power": 1, "reason": "proved",
                                              "proof": inner}], [_term("1", "1", "a**2")])
    _write(tmp_path, forged=forged)
    done = _certify(tmp_path)
    assert done.returncode == 1 and "nested proof states positive symbols" in done.stdout
    # the same proof resting on the outer certificate's hypotheses is confirmed
    _write(tmp_path, forged={**forged, "positive_symbols": ["a"]})
    done = _certify(tmp_path)
    assert done.returncode == 0 and "given a > 0" in done.stdout, done.stdout


def test_a_domain_that_holds_nowhere_together_is_not_confirmed(tmp_path):
    # 1 <= 0 from a * (-a) * (0 - 1) = ... on the domain a > 0 and -a > 0 (each satisfiable)
    forged = _inequality("1", "0", "<=", [{"expr": "a", "power": 1, "reason": "domain"},
                                          {"expr": "-a", "power": 1, "reason": "domain"}],
                         [_term("1", "1", "a")], domain=["a > 0", "-a > 0"])
    result = check_inequality(forged)
    assert result.confirmed is None and "vacuous domain" in result.lines[0], result.lines
    apart = _inequality("1", "0", "<=", domain=["a > 0", "1 - a > 0"])  # 0 < a < 1
    assert "vacuous" not in check_inequality(apart).lines[0]
    shifted = {**forged, "domain": ["a - 1 > 0", "-a > 0"]}  # their sum is -1, not > 0
    assert "vacuous domain" in check_inequality(shifted).lines[0]


def test_an_inequality_confirmation_names_its_claim_and_hypotheses(tmp_path):
    # with no sample variables x is one constant and Mean(x) is x: say so
    hidden = _inequality("Mean(x)**2", "x**2", "<=", terms=[_term("0", "1", "1")],
                         claim="mean-square: Mean(x)**2 <= x**2")
    _write(tmp_path, **{"mean-square": hidden})
    done = _certify(tmp_path)
    line = done.stdout.splitlines()[0]
    assert done.returncode == 0 and "mean-square: Mean(x)**2 <= x**2 holds" in line, line
    assert "given no positive symbols; sample variables: none" in line
    # the claim text is required, and a file named for another claim is not confirmed
    unnamed = {k: v for k, v in hidden.items() if k != "claim"}
    _write(tmp_path, **{"mean-square": unnamed, "other-claim": hidden})
    lines = _certify(tmp_path).stdout.splitlines()
    assert "'claim' is missing" in lines[0] and lines[0].startswith("FAIL  mean-square.json")
    assert lines[1].startswith("FAIL  other-claim.json") and "named for" in lines[1]


@pytest.mark.parametrize("change, reason", [
    (lambda d: d["multiplier_factors"][0].update(power=10**7), "power 10000000"),
    (lambda d: d["multiplier_factors"][0].update(power=True), "power True"),
    (lambda d: d["terms"][0].update(coefficient="1/0"), "coefficient '1/0'"),
    (lambda d: d["terms"][0].update(squared="a**1000000"), "power 1000000"),
    (lambda d: d["terms"][0].update(squared="a" * 30_000), "characters long"),
    (lambda d: d.update(terms=[_term("0", "1", "1")] * 5_000), "5000 entries"),
    # each nesting doubles the product: looked at once per power, not once per path
    (lambda d: d["terms"][0].update(squared="(" * 40 + "a" + "**2)" * 40), "nested powers"),
    (lambda d: d["terms"][0].update(squared="a" + "**a" * 3_000), "nested too deeply"),
])
def test_an_oversized_or_ill_formed_inequality_certificate_is_malformed(tmp_path, change, reason):
    data = _inequality("0", "a**2", "<=", [{"expr": "2", "power": 1,
                                           "reason": "positive number"}],
                       [_term("2", "1", "a")])
    assert check_inequality(data).confirmed is True
    change(data)
    _write(tmp_path, bad=data)
    done = _certify(tmp_path)
    assert done.returncode == 1 and "malformed certificate" in done.stdout, done.stdout
    assert reason in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_reader_that_stops_reading_gets_no_traceback(tmp_path):
    for k in range(200):  # more than a pipe holds: most are written after head exits
        _write(tmp_path, **{f"c{k}": _inequality("0", "a**2", "<=", terms=[_term("1", "1", "a")])})
    done = subprocess.run(f"{sys.executable} -m symbn.certify {tmp_path} | head -1", shell=True,
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.stdout.startswith("OK    c0.json: confirmed") and done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


@pytest.mark.parametrize("condition, empty", [
    ("-a**2 + 2*a - 2 > 0", True),  # -(a - 1)**2 - 1: no real root, < 0 everywhere
    ("a**2 - 2 > 0", False), ("a**2 - 2*a + 2 > 0", False), ("-a**2 + 2*a - 1 >= 0", False),
    ("Mean(x**2)**2 - 2*Mean(x**2) + 2 < 0", True),
])
def test_a_domain_condition_of_one_sign_everywhere_is_vacuous(condition, empty):
    data = _inequality("0", "a**2", "<=", terms=[_term("1", "1", "a")], samples=["x"],
                       domain=[condition])
    result = check_inequality(data)
    assert (result.confirmed is None and "vacuous domain" in result.lines[0]) is empty, result
    assert result.confirmed is (None if empty else True)


# --- shared subexpressions: each read, evaluated, printed once --------------------------------

from sympy.printing.str import StrPrinter  # noqa: E402

from symbn.certify.domain import needed  # noqa: E402
from symbn.certify.engine import Evaluator, Parser, PointAlgebra, names_in  # noqa: E402
from symbn.prove import certificate as certificate_module  # noqa: E402


def test_the_parser_shares_equal_subtrees_and_keeps_the_syntax_tree():
    text = "sqrt(a + 1)*b + sqrt(a + 1)/(a + 1) - f(b)"
    parser = Parser()
    tree = parser.parse(text, "t")
    assert ast.dump(tree) == ast.dump(ast.parse(text, mode="eval").body)
    root = tree.left.left.left
    assert root.func.id == "sqrt" and tree.left.right.left is root  # one node for both roots
    assert tree.left.right.right is root.args[0]
    assert parser.parse("sqrt(a+1)", "u") is root and parser.parse(text, "v") is tree
    assert names_in(tree) == {"a", "b"}  # f is called, not a variable


@pytest.mark.parametrize("text", ["a + b % c", "a + f(x=1)", "a + b.c(1)", "a + ~b", "a + 1.5",
                                  "sqrt(a) + sqrt(a, b)", "a + (b < c)", "a + g()"])
def test_the_parser_refuses_what_a_certificate_may_not_use_anywhere(text):
    parser = Parser()
    parser.parse("a + b", "first")  # shared nodes met again do not skip the check
    with pytest.raises(Malformed):
        parser.parse(text, "t")


def test_an_evaluator_forgets_remembered_values_when_a_name_is_rebound():
    import flint
    tree = Parser().parse("a*2 + a", "t")
    evaluator = Evaluator(PointAlgebra(), {"a": flint.fmpq(1)})
    assert evaluator.eval(tree) == 3
    evaluator.bind("a", flint.fmpq(2))
    assert evaluator.eval(tree) == 6


def test_a_condition_met_in_several_places_is_one_condition():
    tree = Parser().parse("1/(a + b) + sqrt(c)/(a + b) + sqrt(c)*(a + b)**(-1)", "t")
    assert sorted((ast.unparse(t), sorted(w)) for t, w in needed(tree)) == [
        ("a + b", [-1, 1]), ("c", [0, 1])]  # a + b != 0 (met three times), c >= 0 (twice)


def test_the_certificate_prints_each_expression_as_sympys_str_printer_does(monkeypatch):
    root = sp.sqrt(B1)
    residual = root * (m1 - 1) / (root + eps) - root**3 + sp.sqrt(B2) * root
    data = certificate_data(_general(residual), _certificate(residual=residual))
    monkeypatch.setattr(certificate_module._Printer, "_print", StrPrinter._print)
    assert certificate_data(_general(residual), _certificate(residual=residual)) == data


@pytest.mark.parametrize("equation, confirmed", [
    ("{r} == 0", True), ("({r} == 0)", True), ("0 == -({r})", True),
    ("{r} == 0 # == Mean(x)", True), ("Mean(x) # == {r} == 0", "Malformed"),
    ("{r} # == Mean(x)", "Malformed"), ("{r}\n == 0", "Malformed"), ("({r}\n) == 0", True),
    ("{r} == (0 == 0)", "Malformed"), ("{r} ==  0", True), ("{r} == 0 % 2", "Malformed"),
])
def test_a_claim_is_read_as_its_whole_text_says(equation, confirmed):
    """Its sides are read on their own where that is the same reading (the left is then the
    residual's text, read already); a comment or a side that is not one is read whole."""
    data = certificate_data(Mean((x - Mean(x)) ** 2) - (Mean(x**2) - Mean(x) ** 2))
    data["claim"] = "label: " + equation.format(r=data["residual"])
    if confirmed == "Malformed":
        with pytest.raises(Malformed):
            check(data)
    else:
        assert check(data).confirmed is confirmed


def test_a_long_sum_is_evaluated_and_sign_checked_one_frame_per_term():
    import flint
    from symbn.certify.domain import POS, Signs
    tree = Parser().parse(" + ".join(f"a*{k}" for k in range(1, 800)), "t")  # 798 deep
    assert Evaluator(PointAlgebra(), {"a": flint.fmpq(2)}).eval(tree) == 799 * 800  # 2 * (1 + ... + 799)
    assert Signs({"a": POS}, {}).of(tree) == POS


def test_a_proof_the_second_check_cannot_confirm_says_so():
    """(sqrt(x) + 1)(sqrt(x) - 1) = x - 1 holds where x >= 0; the checker reads sqrt(x) as a
    positive root and asks for x > 0: the PROVED's evidence says the check did not confirm
    it (a check that disagrees would make it UNDECIDED)."""
    from symbn import prove

    x = sp.Symbol("x", real=True)
    verdict = prove((sp.sqrt(x) + 1) * (sp.sqrt(x) - 1), x - 1, budget=60)
    assert verdict.proved and verdict.domain == ("x >= 0",)
    assert verdict.evidence[0].startswith("not confirmed by the second check: "), verdict.evidence


@pytest.mark.parametrize("added", ["0*sqrt(-1 - gamma**2)", "0/sqrt(0)", "(gamma - gamma)/sqrt(-1)"])
def test_a_claim_text_undefined_in_the_domain_fails(written, tmp_path, added):
    """A side undefined in the stated domain is not made defined by cancelling in the
    residual: the checker asks the domain to imply the claim text's own conditions."""
    def change(d):
        label, equation = d["claim"].split(": ", 1)
        lhs, rhs = equation.split(" == ")
        d["claim"] = f"{label}: {lhs} + {added} == {rhs}"
    done = _tampered(written, tmp_path, change)
    assert done.returncode == 1 and "the stated domain does not imply" in done.stdout, done.stdout
