"""``symbn selftest`` builds each claim once and goes through the cache like every command."""

import json

import pytest

from symbn.cli import main
from symbn.identities import mutations, record, select

BUDGET = ("--budget", "120")  # verdicts must not depend on the machine's load


@pytest.fixture
def small_suite(monkeypatch):
    """The soundness suite over the bias identities only, without the mistake library."""
    monkeypatch.setattr(mutations, "CATALOGUE", tuple(select(["bias"])))
    monkeypatch.setattr(mutations, "_mistake_claims", lambda: [])
    builds = []
    real = record._build  # where every claim is built (in the prover's worker or here)

    def counting(identity, m):
        builds.append(identity.name)
        return real(identity, m)
    monkeypatch.setattr(record, "_build", counting)
    return builds


def test_selftest_builds_each_claim_once_and_reads_the_cache(small_suite, capsys):
    proved = [i.name for i in select(["bias"]) if i.expected.name == "PROVED"]
    assert main(["selftest", "--json", *BUDGET]) == 0
    first = json.loads(capsys.readouterr().out)
    assert sorted(small_suite) == sorted(proved)  # once each: not again to size the bar
    assert first["sound"] and first["total"] > len(proved)

    small_suite.clear()
    assert main(["selftest", "--json", *BUDGET]) == 0
    second = json.loads(capsys.readouterr().out)
    assert small_suite == []  # every claim read from the cache
    assert all(c["cached"] for c in second["claims"])
    assert [c["name"] for c in second["claims"]] == [c["name"] for c in first["claims"]]


def test_selftest_after_prove_reuses_its_built_claims(small_suite, capsys):
    assert main(["prove", "bias", "--json", "--no-explicit", *BUDGET]) == 0
    capsys.readouterr()
    small_suite.clear()
    assert main(["selftest", "--json", *BUDGET]) == 0
    assert small_suite == []
