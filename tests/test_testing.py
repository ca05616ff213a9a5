"""symbn.testing: the assertions pass on the right verdict, and a failure message shows the
claim, the verdict, its counterexample or residual and the derivation, at the test's line."""

import textwrap

import pytest
import sympy as sp

import symbn.testing
from symbn import Status, Verdict, batchnorm, claim, sample_symbols
from symbn.testing import assert_as_expected, assert_proved, assert_refuted, assert_verdict

pytest_plugins = ["pytester"]

u, v = sample_symbols("u v")
b = sp.Symbol("b", real=True)


def test_assert_proved_returns_the_proved_verdict():
    verdict = assert_proved(batchnorm(u + b), batchnorm(u))
    assert verdict.status is Status.PROVED


def test_assert_proved_of_a_false_claim_shows_the_claim_and_the_counterexample():
    with pytest.raises(AssertionError) as failed:
        assert_proved(batchnorm(u + v), batchnorm(u))
    message = str(failed.value)
    assert message.startswith("expected PROVED, got REFUTED")
    assert "claim: beta + gamma*(u + v - Mean(u) - Mean(v))" in message
    assert "counterexample: N = " in message and "lhs = " in message


def test_assert_refuted_returns_the_counterexample_and_fails_on_a_true_claim_with_its_steps():
    verdict = assert_refuted(sp.Abs(b), b)
    assert verdict.counterexample is not None and verdict.counterexample.constants[b] < 0
    with pytest.raises(AssertionError) as failed:
        assert_refuted(sp.Abs(b), b, assume=[b > 0], steps=[("|b| for b > 0", sp.Abs(b))])
    message = str(failed.value)
    assert message.startswith("expected REFUTED, got PROVED")
    assert "step |b| for b > 0: Abs(b)" in message and "verdict: PROVED" in message


def test_an_undecided_verdict_shows_the_residual_and_the_budget_is_generous(monkeypatch):
    residual = sp.Symbol("left_over")
    undecided = Verdict(Status.UNDECIDED, "no strategy reduced it", (), residual, 0.5)
    calls = []
    monkeypatch.setattr(symbn.testing, "prove",
                        lambda *args, **kwargs: calls.append(kwargs) or undecided)
    with pytest.raises(AssertionError) as failed:
        assert_verdict("proved", b, 0, where={b: 1})
    assert calls == [{"budget": symbn.testing.BUDGET, "where": {b: 1}}]
    assert symbn.testing.BUDGET >= 60  # no strategy needs it on a loaded machine
    assert "expected PROVED, got UNDECIDED" in str(failed.value)
    assert "residual (lhs - rhs after the last reduction): left_over" in str(failed.value)


def test_matrices_as_lists_are_claims_too():
    assert_proved([[b, 1], [2, b]], [[b, 1], [2, b]])
    with pytest.raises(AssertionError, match=r"claim: Matrix\(\[\[b\]\]\) == Matrix\(\[\[b \+ 1\]\]\)"):
        assert_proved([[b]], [[b + 1]])


def test_assert_as_expected_checks_the_claim_and_its_controls():
    shift = claim("shift", batchnorm(u + b), batchnorm(u), explicit_sizes=(2,),
                  controls=[claim("per-sample-shift", batchnorm(u + v), batchnorm(u),
                                  expected="REFUTED")])
    checked = assert_as_expected(shift)
    assert checked.verdict.status is Status.PROVED and checked.controls[0].verdict.refuted
    wrongly = claim("shift-refuted", batchnorm(u + b), batchnorm(u), expected="REFUTED")
    with pytest.raises(AssertionError) as failed:
        assert_as_expected(wrongly)
    assert str(failed.value).startswith("shift-refuted not as expected (shift-refuted is PROVED)")
    assert "UNEXPECTED, expected REFUTED" in str(failed.value)  # the report of the claim


def test_pytest_shows_the_message_at_the_test_line_without_symbn_frames(pytester):
    pytester.makepyfile(test_claim=textwrap.dedent("""
        import sympy as sp
        from symbn.testing import assert_proved

        def test_square_is_identity():
            a = sp.Symbol("a", real=True)
            assert_proved(a**2, a, budget=60)
    """))
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(failed=1)
    text = outcome.stdout.str()
    assert "assert_proved(a**2, a, budget=60)" in text
    assert "expected PROVED, got REFUTED" in text and "counterexample: a = " in text
    assert "symbn/testing.py" not in text and "def assert_verdict" not in text


def test_an_unevaluated_equation_alone_is_its_two_sides():
    # prove(sp.Eq(a, b**2)) used to be UNDECIDED ("SymPy cannot subtract the two sides")
    assert assert_proved(sp.Eq((b + 1)**2, b**2 + 2*b + 1)).status is Status.PROVED
    refuted = assert_refuted(sp.Eq(b, b**2))
    assert refuted.counterexample.constants[b] not in (0, 1)
    with pytest.raises(AssertionError, match=r"claim: Eq\(b, b\*\*2\)"):
        assert_proved(sp.Eq(b, b**2))


@pytest.mark.parametrize("stated, message", [
    (lambda: sp.Ne(b, b**2), r"Ne\(b, b\*\*2\) \(Unequality\) is not a claim prove states.*"
                             r"prove\(lhs, rhs\)"),
    (lambda: sp.And(b > 0, b < 1), r"\(And\) is not a claim prove states.*prove\(lhs, rhs\)"),
    (lambda: (b + 1)**2 == b**2 + 2*b + 1, r"the Python bool False: Python compared the "
                                           r"expressions.*prove\(lhs, rhs\)"),
], ids=["ne", "and", "python-bool"])
def test_a_relation_prove_does_not_state_is_one_clear_error(stated, message):
    for assertion in (assert_proved, assert_refuted, symbn.prove):
        with pytest.raises(TypeError, match=message) as error:
            assertion(stated())
        assert "\n" not in str(error.value)
    with pytest.raises(TypeError, match="Python bool"):  # a bool as the second side too
        assert_proved(b, b == b)


def test_an_unknown_expected_verdict_lists_the_verdicts():
    with pytest.raises(ValueError, match="expected='proven' is not a verdict; give one of "
                                         "PROVED, REFUTED, UNDECIDED"):
        assert_verdict("proven", b, b)
    assert assert_verdict("proved", b, b).status is Status.PROVED
