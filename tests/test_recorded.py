"""A rerun of ``symbn prove --brief`` (or ``--json``) reports from the identities' records in
the cache: the same text and facts as from their cached verdicts, and only when every
record is there and was made under the same options."""

import dataclasses
import json

import pytest

from symbn.cache import Cache
from symbn.cli import main
from symbn.identities import get
from symbn.identities.record import check
from symbn.prove import Status
from symbn.report import recorded

#: a tag (three identities), a name, and two cells of the invariance matrix
NAMES = ["bias", "zscore-affine-in-input", "invariance-batchnorm-dataset-re-scaling",
         "invariance-batchnorm-weight-matrix-re-scaling"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMBN_CACHE_DIR", str(tmp_path))
    return tmp_path


def _run(capsys, *args):
    status = main(["prove", *NAMES, *args])
    return status, capsys.readouterr().out


def _without_records(monkeypatch):
    monkeypatch.setattr(recorded, "sections", lambda *args, **kwargs: None)


@pytest.mark.parametrize("form", ["--brief", "--json"])
def test_a_rerun_from_the_records_reads_as_one_from_the_cached_verdicts(
        form, cache_dir, capsys, monkeypatch):
    first_status, first = _run(capsys, form)
    from_records = _run(capsys, form)
    _without_records(monkeypatch)
    from_verdicts = _run(capsys, form)
    assert from_records == from_verdicts and first_status == 0
    assert first != from_records  # the first run proved; the reruns say cached
    assert "The invariance matrix" in from_records[1] or form == "--json"
    if form == "--json":
        facts = json.loads(from_records[1])
        assert len(facts) == 6 and all(f["verdict"]["cached"] for f in facts)
        assert all(k["verdict"]["cached"] for f in facts for k in f["controls"])
        assert all(e["cached"] for f in facts for e in f["explicit"])


def test_a_record_is_used_only_under_the_options_it_was_made_with(cache_dir, capsys):
    _run(capsys, "--json")
    without = json.loads(_run(capsys, "--json", "--no-explicit")[1])
    assert all(f["explicit"] == [] for f in without)
    assert not all(f["verdict"]["cached"] for f in json.loads(_run(capsys, "--json",
                                                                    "--budget", "7")[1]))


def test_no_record_is_used_unless_every_identity_has_one(cache_dir, capsys):
    _run(capsys, "--json")
    assert main(["prove", "bias", "zscore-stack-collapses", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert [f["verdict"]["cached"] for f in facts] == [True, True, True, False]


def test_an_undecided_or_timed_out_verdict_is_not_recorded(tmp_path):
    cache = Cache(tmp_path)
    checked = check(get("bias-gradient-zero"), budget=60)
    undecided = dataclasses.replace(checked, verdict=dataclasses.replace(
        checked.verdict, status=Status.UNDECIDED))
    timed_out = dataclasses.replace(checked, verdict=dataclasses.replace(
        checked.verdict, evidence=("second check: the time budget ran out",)))
    recorded.store(cache, [undecided, timed_out], budget=60, explicit=True)
    assert recorded.sections(cache, ["bias-gradient-zero"], budget=60, explicit=True) is None
    recorded.store(cache, [checked], budget=60, explicit=True)
    [section] = recorded.sections(cache, ["bias-gradient-zero"], budget=60, explicit=True)
    assert section.ok and section.data["verdict"]["cached"]
