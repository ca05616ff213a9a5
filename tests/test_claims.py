"""Claims files: symbn.claim states a claim; ``symbn prove PATH`` / ``symbn report PATH``
collect claims from files and folders as pytest collects tests; a bad file is one message
naming it, exit status 2; a user's claim is cached by its content, never by its name."""

import json
import re
import runpy
import textwrap
from pathlib import Path

import pytest
import sympy as sp

import symbn
from symbn import Identity, Status, claim
from symbn.claims import ClaimError, collect, is_path
from symbn.cli import main

BUDGET = ("--budget", "60")  # a budget no strategy needs on a loaded machine

HEADER = """\
import sympy as sp
from symbn import claim

a, b = sp.symbols("a b", real=True)
"""
COMMUTES = """
commutes = claim("commutes", a + b, b + a, statement="a + b = b + a",
                 controls=[claim("subtraction-commutes", a - b, b - a, expected="REFUTED")])
"""


def write(folder, name, *bodies):
    """A claims file: the header, then each body dedented."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(textwrap.dedent(body) for body in bodies))
    return path


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def names(identities):
    return [i.name for i in identities]


def test_a_claims_file_is_proved_with_its_control(tmp_path, capsys):
    path = write(tmp_path, "my_claims.py", COMMUTES)
    status, out, _ = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0
    (result,) = json.loads(out)
    assert result["name"] == "commutes" and result["statement"] == "a + b = b + a"
    # the formula is shown beside the prose statement, which could be wrong
    assert result["claim"] == {"lhs": "a + b", "relation": "==", "rhs": "a + b"}
    status, out, _ = run(capsys, "prove", str(path), *BUDGET)
    assert status == 0 and "claim:" in out and "a + b = a + b" in out
    assert result["verdict"]["status"] == "PROVED"
    assert [(c["name"], c["verdict"]["status"]) for c in result["controls"]] == [
        ("subtraction-commutes", "REFUTED")]


def test_list_shows_the_claims_of_a_file(tmp_path, capsys):
    path = write(tmp_path, "mine.py", COMMUTES)
    status, out, _ = run(capsys, "list", str(path), "--json")
    assert status == 0
    assert [(d["name"], d["controls"]) for d in json.loads(out)] == [
        ("commutes", ["subtraction-commutes"])]


def test_an_unexpected_verdict_exits_1(tmp_path, capsys):
    path = write(tmp_path, "wrong.py", 'wrong = claim("wrong", a * b, a + b)\n')
    status, out, _ = run(capsys, "prove", str(path), *BUDGET)
    assert status == 1 and "UNEXPECTED, expected PROVED" in out


def test_what_a_file_collects(tmp_path):
    path = write(tmp_path, "rules.py", COMMUTES, """
        _private = claim("private", a, a)
        also = commutes                                  # the same claim twice: checked once
        wrong_variant = claim("wrong-variant", a, b, expected="REFUTED")
        squared = claim("squared", (a + b)**2, a**2 + 2*a*b + b**2, controls=[wrong_variant])
        PAIR = [claim("pair-1", a * b, b * a), claim("pair-2", a * 1, a)]
        not_claims = [1, 2]
    """)
    # definition order; the control wrong_variant is checked as squared's control only
    assert names(collect([path])) == ["commutes", "squared", "pair-1", "pair-2"]


def test_a_folder_collects_its_python_files_in_path_order(tmp_path):
    write(tmp_path, "b_second.py", 'second = claim("second", a, a)\n')
    write(tmp_path, "a_first.py", 'first = claim("first", a, a)\n')
    write(tmp_path, "sub/c_third.py", 'third = claim("third", a, a)\n')
    write(tmp_path, "helpers.py", "HALF = sp.Rational(1, 2)\n")            # no claims: skipped
    write(tmp_path, "_private.py", 'hidden = claim("hidden", a, a)\n')      # skipped by name
    write(tmp_path, ".venv/lib.py", 'hidden2 = claim("hidden2", a, a)\n')  # skipped by name
    write(tmp_path, "notes.txt", "not Python")
    assert names(collect([tmp_path])) == ["first", "second", "third"]


def test_a_file_named_twice_is_collected_once(tmp_path):
    path = write(tmp_path, "once.py", COMMUTES)
    assert names(collect([path, tmp_path, tmp_path / "." / "once.py"])) == ["commutes"]


def test_a_file_imports_its_neighbours(tmp_path):
    write(tmp_path, "shared_symbols.py", "c = sp.Symbol('c', positive=True)\n")
    path = write(tmp_path, "uses.py", 'from shared_symbols import c\n'
                 'root = claim("root", sp.sqrt(c**2), c)\n')
    (root,) = collect([path])
    assert root.claim().lhs == root.claim().rhs  # sqrt(c**2) = c for the positive c


@pytest.mark.parametrize("body, message", [
    ("x = (\n", r"bad\.py:5: syntax error: '\(' was never closed; fix the file"),
    ("HALF = 1\n", r"bad\.py: states no claims; state one at module level"),
    ("c = claim('c', undefined + a, a)\n",
     r"bad\.py:5: importing it raised NameError: name 'undefined' is not defined; fix the file"),
    ("from symbn import Identity\n"
     "def build():\n    raise ValueError('no such formula')\n"
     "lazy = Identity('lazy', 'lazy', 'lazy', 'mine', build)\n",
     r"bad\.py:7: claim 'lazy' raised ValueError when built: no such formula"),
    ("c = claim('has space', a, a)\n", r"bad\.py:5: claim name 'has space': use letters"),
    ("c = claim('c', a, a, expected='maybe')\n", r"bad\.py:5: claim 'c': expected='maybe'"),
    ("c = claim('c', a, a, controls=[claim('d', a, b)])\n",
     r"claim 'c': its control 'd' is expected PROVED; a control is a wrong variant"),
    ("c = claim('c', a, a, assume=['z > 0'])\n",
     r"bad\.py: claim 'c': assume: the claim has no symbol named 'z'"),
    ("import sys\nsys.exit(0)\n", r"bad\.py: exits when imported; put a script's work "
     r"under if __name__ == \"__main__\":"),
    ("c = claim('c', a * (1 + b), a, where={b: 1e-20})\n",
     r"claim 'c': where=\{b: 1e-20\}: the value contains the float 1e-20: symbn proves "
     r"exactly.*sp\.Rational\('1e-20'\)"),
    ("c = claim('c', 0.5 * a, a / 2)\n", r"claim 'c': the lhs contains the float 0\.5"),
    ("c = claim('c', sp.Symbol('z') ** 2 + 1 > 0)\n",
     r"claim 'c': an inequality compares real numbers, and z "),
], ids=["syntax", "no-claims", "import-raises", "build-raises", "bad-name", "bad-expected",
        "control-not-refuted", "bad-assumption", "exits", "float-where", "float-side",
        "complex-inequality"])
def test_a_bad_file_is_one_message_naming_it_and_exit_2(tmp_path, capsys, body, message):
    path = write(tmp_path, "bad.py", body)
    status, out, err = run(capsys, "prove", str(path))
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: {path}") and "Traceback" not in err
    assert re.search(message, err), err


def test_brackets_in_a_statement_print_as_written(tmp_path, capsys):
    # rich read a title as markup: E[x] lost its [x], and a lone [/x] was an internal error
    statement = "E[x] and a[i]; [bold]not bold[/bold]; a closing tag [/x] alone"
    path = write(tmp_path, "brackets.py", f"""
        c = claim("brackets", a + b, b + a, statement={statement!r},
                  controls=claim("brackets-wrong", a, a + 1, expected="REFUTED"))
        """)
    status, out, err = run(capsys, "prove", "--brief", "--no-cache", str(path))
    assert status == 0 and err == ""
    assert f"brackets: {statement}" in out
    assert run(capsys, "prove", "--brief", "--no-cache", "bias-gradient-zero")[1].count(
        "The gradient through E[x] with respect to") == 1


def test_every_bad_file_of_a_folder_is_named_once(tmp_path, capsys):
    write(tmp_path, "one.py", "x = (\n")
    write(tmp_path, "two.py", "c = claim('c', undefined, a)\n")
    write(tmp_path, "good.py", COMMUTES)
    status, _, err = run(capsys, "prove", str(tmp_path))
    assert status == 2
    assert err.strip().splitlines() == [
        f"error: {tmp_path}/one.py:5: syntax error: '(' was never closed; fix the file",
        f"error: {tmp_path}/two.py:5: importing it raised NameError: name 'undefined' is not "
        "defined; fix the file"]


def test_a_name_used_twice_is_a_clash(tmp_path, capsys):
    write(tmp_path, "a.py", 'same = claim("same", a, a)\n')
    write(tmp_path, "b.py", 'same = claim("same", b, b)\n')
    status, _, err = run(capsys, "prove", str(tmp_path))
    assert status == 2
    assert err.strip() == (f"error: name clash: two claims are named 'same', in {tmp_path}/a.py "
                           f"and in {tmp_path}/b.py; give each claim its own name")
    write(tmp_path / "c", "mine.py", 'mine = claim("bias-gradient-zero", a, a)\n')
    status, _, err = run(capsys, "prove", "bias-gradient-zero", str(tmp_path / "c"))
    assert status == 2 and "'bias-gradient-zero': each names both a claim of your files" in err


@pytest.mark.integration  # proves a catalogue identity
def test_paths_and_catalogue_names_mix(tmp_path, capsys):
    path = write(tmp_path, "mine.py", COMMUTES)
    status, out, _ = run(capsys, "prove", "bias-shift-invariance", str(path), "--json",
                         "--no-explicit", *BUDGET)
    assert status == 0
    assert [r["name"] for r in json.loads(out)] == ["bias-shift-invariance", "commutes"]


def test_which_arguments_are_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bias").mkdir()
    (tmp_path / "mine").mkdir()
    assert is_path("x.py") and is_path("proofs/") and is_path("./bias") and is_path("mine")
    assert not is_path("bias", known={"bias"}) and not is_path("backward-closed-form")


def test_a_user_claim_is_cached_by_its_content_not_its_name(tmp_path, capsys):
    path = write(tmp_path, "edited.py", 'c = claim("c", a + b, b + a)\n')
    assert run(capsys, "prove", str(path), *BUDGET)[0] == 0
    status, out, _ = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0 and json.loads(out)[0]["verdict"]["cached"]
    write(tmp_path, "edited.py", 'c = claim("c", a + b, b + a + 1)\n')  # same name, now false
    status, out, _ = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 1
    assert json.loads(out)[0]["verdict"]["status"] == "REFUTED"


def test_report_of_a_claims_file_with_exports_and_certificates(tmp_path, capsys):
    # (a + b)**2 - (a**2 + 2ab + b**2) is not 0 as built: a strategy proves it, with a
    # certificate; a + b - (b + a) is 0 as built, nothing to certify
    path = write(tmp_path, "mine.py", COMMUTES,
                 'square = claim("square", (a + b)**2, a**2 + 2*a*b + b**2)\n')
    markdown, certificates = tmp_path / "out" / "r.md", tmp_path / "certs"
    status, out, _ = run(capsys, "report", str(path), "--markdown", str(markdown),
                         "--certificates", str(certificates), "--jobs", "2", *BUDGET)
    assert status == 0
    text = markdown.read_text()
    assert "commutes" in text and "subtraction-commutes" in text
    assert "Generated NumPy kernels" not in text  # the catalogue's BN only in the whole report
    assert sorted(p.name for p in certificates.iterdir()) == ["square.json"]


def test_claim_states_the_catalogue_record():
    a = sp.Symbol("a", real=True)
    made = claim("abs", sp.Abs(a), a, assume=[a > 0], expected=Status.PROVED,
                 steps=[("|a|", sp.Abs(a))], tags=("mine",), source="folklore")
    assert isinstance(made, Identity) and made.expected is Status.PROVED
    assert made.claim().assume == (a > 0,) and made.claim().steps == (("|a|", sp.Abs(a)),)
    assert made.statement == "Abs(a) == a" and made.tags == ("mine",)
    assert isinstance(claim("m", [[a, 1]], ((a, 1),)).claim().lhs, sp.ImmutableMatrix)
    one = claim("one-control", a, a, controls=claim("wrong", a, a + 1, expected="REFUTED"))
    assert [c.name for c in one.controls] == ["wrong"]
    with pytest.raises(ClaimError, match="lhs is a object SymPy cannot read"):
        claim("bad", object(), 0)
    assert symbn.claim is claim and symbn.Identity is Identity


def test_run_claims_proves_a_scripts_own_claims(tmp_path, capsys):
    path = write(tmp_path, "script.py", COMMUTES, """
        if __name__ == "__main__":
            import sys
            from symbn import run_claims
            sys.exit(run_claims(globals(), ["--json", "--budget", "60"]))
    """)
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(path), run_name="__main__")
    assert stop.value.code == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["commutes"]


# -- proofs/: the project's own claims files ------------------------------------------------

PROOFS = Path(__file__).resolve().parents[1] / "proofs"


def test_the_proofs_folder_is_collected_in_process():
    """Each script states its claims through the public API, with a control each."""
    collected = collect([PROOFS])
    assert len(collected) >= 10 and all(i.controls for i in collected)
    assert [i.name for i in collected][:2] == ["dx-closed-form", "dx-sums-to-zero"]  # backward.py
    for script in sorted(PROOFS.glob("*.py")):
        text = script.read_text()
        assert "run_claims(globals())" in text and "symbn.cli" not in text, script.name


def test_a_proof_script_runs_as_a_process(symbn_process):
    done = symbn_process("--budget", "120", script=PROOFS / "inference.py", check_exit=0)
    assert "fold-linear-into-bn" in done.stdout and "fold-forgetting-the-bias" in done.stdout
    assert "UNEXPECTED" not in done.stdout and "\x1b[" not in done.stdout


def test_the_readmes_claims_file_is_examples_my_claims():
    """The README shows the file itself (tests/test_readme.py runs it and proves it)."""
    root = PROOFS.parent
    text = (root / "examples" / "my_claims.py").read_text()
    assert f"```python\n{text}```" in (root / "README.md").read_text()


def test_a_claims_file_states_an_inequality(tmp_path, capsys):
    path = write(tmp_path, "bounds.py", """
        am_gm = claim("am-gm", a**2 + b**2 >= 2*a*b,
                      controls=claim("am-gm-strict", a**2 + b**2 > 2*a*b, expected="REFUTED"))
        """)
    (stated,) = collect([str(path)])
    assert stated.claim().relation == ">=" and stated.statement == "a**2 + b**2 >= 2*a*b"
    status, out, _ = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0, out
    (result,) = json.loads(out)
    assert result["verdict"]["status"] == "PROVED"
    assert result["controls"][0]["verdict"]["status"] == "REFUTED"


def test_a_relation_is_the_whole_claim():
    a = sp.Symbol("a", real=True)
    assert claim("eq", sp.Eq(a + 1, 1 + a, evaluate=False)).claim().relation == "=="
    with pytest.raises(ClaimError, match="give no rhs after it"):
        claim("two-rhs", a <= 1, 2)
    with pytest.raises(ClaimError, match="its relation is True: SymPy decided it"):
        claim("decided", sp.Abs(a) >= 0)


def test_sides_of_different_shapes_are_a_claim_error(tmp_path, capsys):
    path = write(tmp_path, "shapes.py", 'shape = claim("shape", [a, 1], [a])\n')
    status, out, err = run(capsys, "prove", str(path))
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {path}:5: claim 'shape': lhs is a 2x1 matrix and rhs is a "
                          "1x1 matrix"), err


def test_a_control_shared_by_two_claims_is_one_claim(tmp_path, capsys):
    path = write(tmp_path, "shared.py", """
        c = claim("triple", a, 3*a, expected="REFUTED")
        ok = claim("double", a + a, 2*a, controls=[c])
        ok2 = claim("times-one", a * 1, a, controls=[c])
    """)
    status, out, err = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0 and "name clash" not in err, err
    results = json.loads(out)
    assert [r["name"] for r in results] == ["double", "times-one"]
    assert all(c["name"] == "triple" and c["verdict"]["status"] == "REFUTED"
               for r in results for c in r["controls"])


def test_what_a_file_prints_when_imported_goes_to_stderr(tmp_path, capsys):
    path = write(tmp_path, "chatty.py", 'print("hello from the file")\n', COMMUTES, """
        from symbn import Identity
        from symbn.identities.record import Claim
        def build():
            print("hello from a build")
            return Claim(a * b, b * a)
        built = Identity("built", "built", "a b = b a", "mine", build,
                         controls=(claim("not-built", a, b, expected="REFUTED"),))
    """)
    status, out, err = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0 and "hello from the file" in err and "hello from a build" in err
    # stdout is valid JSON
    assert [r["name"] for r in json.loads(out)] == ["commutes", "built"]


@pytest.mark.parametrize("relation", ["", "sp.StrictGreaterThan(Mean(u), 0)"],
                         ids=["equality", "inequality"])
def test_an_assumption_on_a_sample_variable_holds_at_each_explicit_sample(tmp_path, capsys,
                                                                          relation):
    # the explicit cross-check used to look for a symbol named 'u' among u0, u1 (exit 3)
    stated = (f"claim('pos', {relation}, assume=[u > 0], explicit_sizes=(2, 3))" if relation
              else "claim('pos', sp.sqrt(Mean(u)**2), Mean(u), assume=[u > 0], "
                   "explicit_sizes=(2, 3))")
    path = write(tmp_path, "explicit.py", f"""
        from symbn import Mean, sample_symbols
        u, = sample_symbols("u")
        pos = {stated}
    """)
    status, out, err = run(capsys, "prove", str(path), "--json", *BUDGET)
    (result,) = json.loads(out)
    # the general form of the inequality may be beyond the SOS search (UNDECIDED, exit 1);
    # its explicit forms are what this is about
    assert result["verdict"]["status"] == "PROVED" or relation, err
    assert status == (0 if result["verdict"]["status"] == "PROVED" else 1), err
    explicit = result["explicit"]
    assert [e["m"] for e in explicit] == [2, 3], explicit
    assert all(e["status"] == "PROVED" and "u > 0" in str(e) for e in explicit), explicit
    # without the assumption, the explicit forms are refuted: it is carried over, not dropped
    path.write_text(path.read_text().replace("assume=[u > 0], ", ""))
    status, out, _ = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 1
    assert {e["status"] for e in json.loads(out)[0]["explicit"]} == {"REFUTED"}


@pytest.mark.parametrize("given, message", [
    (None, r"run_claims\(None\): give the script's namespace"),
    ([], r"run_claims: states no claims"),
    ([1], r"run_claims: a int is not a claim"),
    ({"__file__": "empty.py", "HALF": 1}, r"empty\.py: states no claims"),
], ids=["none", "empty-list", "not-a-claim", "namespace-without-claims"])
def test_run_claims_without_claims_is_one_usage_error(capsys, given, message):
    # run_claims(None) used to prove the whole catalogue; a script with no claims exited 0
    status = symbn.run_claims(given, [])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err


def test_a_nonzero_assumption_is_sp_ne_or_the_string(tmp_path, capsys):
    # Python's a != 0 is True before symbn sees it; the README and the error say sp.Ne(a, 0),
    # and the string "a != 0" is read as Ne with the claim's symbols
    path = write(tmp_path, "nonzero.py", """
        ne = claim("ne", (a**2 - a) / a, a - 1, assume=[sp.Ne(a, 0)])
        text = claim("text", (a**2 - a) / a, a - 1, assume=["a != 0"],
                     controls=[claim("sign", sp.Abs(a) / a, 1, assume=["a != 0"],
                                     expected="REFUTED")])
    """)
    status, out, err = run(capsys, "prove", str(path), "--json", *BUDGET)
    assert status == 0, err
    results = json.loads(out)
    assert [r["verdict"]["assumptions"] for r in results] == [["a != 0"], ["a != 0"]]
    assert results[1]["controls"][0]["verdict"]["counterexample"]["constants"]["a"] \
        .startswith("-")  # a counterexample with a != 0, a < 0
    path = write(tmp_path, "python_ne.py", "c = claim('c', (a**2 - a) / a, a - 1, "
                                           "assume=[a != 0])\n")
    status, out, err = run(capsys, "prove", str(path))
    assert status == 2 and out == "" and "write sp.Ne(a, 0) or the string 'a != 0'" in err, err
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "`sp.Ne(a, 0)`" in readme and "`a != 0`, or a string" not in readme
