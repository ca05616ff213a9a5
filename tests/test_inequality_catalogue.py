"""The catalogue's inequalities (tag "inequality"): each PROVED with a certificate that the
standalone checker confirms from its JSON, each control REFUTED; the selftest reverses them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.identities import check, select
from symbn.identities.mutations import _mutations_of
from symbn.identities.record import build_claim, certificates, check_all
from symbn.prove import Status
from symbn.prove.prover import DEFAULT_BUDGET
from symbn.prove.inequality import InequalityCertificate

from tests.test_inequality import _agree_on_batches

pytestmark = pytest.mark.integration
BUDGET = 120
ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {"xhat-second-moment-below-1", "bn-output-variance-at-most-gamma2",
            "cauchy-schwarz-g-xhat", "bn-gradient-norm-bound", "santurkar-theorem-4.1",
            "zscore-max", "rmsnorm-mean-square", "layernorm-mean-square",
            "santurkar-curvature-gauss-newton"}


@pytest.fixture(scope="module")
def checked():
    return [check(identity, budget=BUDGET) for identity in select(["inequality"])]


def test_the_tag_selects_every_inequality(checked):
    assert {c.identity.name for c in checked} >= EXPECTED


def test_every_bound_is_proved_and_every_control_refuted(checked):
    for c in checked:
        assert c.as_expected, (c.identity.name, c.verdict, c.verdict.attempts,
                               [(k.identity.name, k.verdict) for k in c.controls])
        assert c.verdict.status is Status.PROVED
        assert isinstance(c.verdict.certificate, InequalityCertificate)
        assert c.controls and all(k.verdict.counterexample is not None for k in c.controls)


def test_the_standalone_checker_confirms_every_certificate(checked, tmp_path):
    count = 0
    for c in checked:
        for name, data in certificates(c).items():
            assert isinstance(data, dict), (name, data)
            (tmp_path / name).write_text(json.dumps(data))
            count += 1
    done = subprocess.run([sys.executable, "-m", "symbn.certify", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{count} of {count} certificates confirmed" in done.stdout
    assert count >= len(EXPECTED)


def test_every_general_form_certificate_holds_on_concrete_batches(checked):
    general = [c for c in checked if not any(a.startswith("N = ") for a in c.verdict.assumptions)]
    assert len(general) >= len(EXPECTED) - 1  # all but the explicit z-score bound
    for c in general:
        _agree_on_batches(c.verdict.certificate)


def test_explicit_cauchy_schwarz_needs_no_domain(checked):
    (c,) = [c for c in checked if c.identity.name == "cauchy-schwarz-g-xhat"]
    assert c.verdict.domain == ("Mean(g**2) > 0",)
    assert [m for m, _ in c.explicit] == [2, 3, 4]
    assert all(v.status is Status.PROVED and v.domain == () for _, v in c.explicit)


def test_the_theorem_4_1_certificate_is_the_eps_term():
    (c,) = [check(i, budget=BUDGET) for i in select(["santurkar-theorem-4.1"])]
    text = c.verdict.certificate.text()
    assert text.endswith("= epsilon*(gamma*Mean(g)*Mean(x) - gamma*Mean(g*x))**2"), text


def test_the_selftest_reverses_an_inequality_and_refutes_it():
    (identity,) = select(["bn-output-variance-at-most-gamma2"])
    (wrong,) = _mutations_of(identity, build_claim(identity))
    assert wrong.kind == "reversed relation"
    claim = wrong.build()
    assert claim.relation == ">"
    assert claim.prove(BUDGET).status is Status.REFUTED


def test_two_at_once_every_inequality_is_decided_within_the_default_budget():
    """What ``symbn prove inequality --jobs 2`` runs: every bound, its explicit forms and its
    controls at the default budget, two claims proved at once.  The margin was measured,
    not assumed: the slowest claim (Cauchy-Schwarz at m = 4) takes about 0.6 s of CPU, the
    z-score bound at N = 8 about 0.4 s, against a default budget of 5 s."""
    checked = check_all(select(["inequality"]), budget=DEFAULT_BUDGET, jobs=2)
    assert {c.identity.name for c in checked} >= EXPECTED
    for c in checked:
        verdicts = [c.verdict, *(k.verdict for k in c.controls), *(v for _, v in c.explicit)]
        assert all(v.status is not Status.UNDECIDED for v in verdicts), (c.identity.name, [
            (v.status, v.method, v.attempts) for v in verdicts])
        assert c.as_expected, (c.identity.name, c.verdict)
        assert c.verdict.status is Status.PROVED
        assert len(c.explicit) == len(c.identity.explicit_sizes)
