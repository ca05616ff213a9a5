"""A normalization declared by its formula: derived, proved, compiled and checked against
PyTorch's and JAX's autograd of the same formula (symbn.normalization).

torch and jax are required here: a missing backend fails these tests, it is not skipped.
"""

import dataclasses
import io
import json
import re
import runpy
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from rich.console import Console

from symbn import Mean, batch_var, derive_batchnorm, eps, prove, sample_symbols, standardize, x
from symbn.bn.batchnorm import beta, gamma
from symbn.bn.family import rms_normalize
from symbn.core import N
from symbn.cli import main, run_claims
from symbn.identities.invariance import MATRIX, TRANSFORMS
from symbn.identities.mock import FAMILIES, branches, p, q, t
from symbn.normalization import DeclarationError, Normalization
from symbn.prove import Status
from symbn.report.terminal import render
from symbn.testing import assert_as_expected

BACKENDS = ("torch", "jax")
r, d = sp.symbols("r d", real=True)
mu_r = sp.Symbol("mu_r", real=True)
sigma_r = sp.Symbol("sigma_r", positive=True)
s = sp.sqrt(batch_var(x) + eps)
gamma_w, beta_w = sample_symbols("gamma_w beta_w")

#: Batch Renormalization (Ioffe 2017), r and d unclipped and held.
RENORM = Normalization("batch-renorm", gamma * ((x - Mean(x)) / s * r + d) + beta,
                       params=(gamma, beta),
                       held={r: s / sigma_r, d: (Mean(x) - mu_r) / sigma_r})
r_max, d_max = sp.symbols("r_max d_max", positive=True)
#: ... and clipped, r in [1/r_max, r_max] and d in [-d_max, d_max], as the paper trains it.
CLIPPED = Normalization("batch-renorm-clipped", RENORM.y, params=(gamma, beta), held={
    r: sp.Min(sp.Max(s / sigma_r, 1 / r_max), r_max),
    d: sp.Min(sp.Max((Mean(x) - mu_r) / sigma_r, -d_max), d_max)})
#: clip bounds under which the check's data (seed 0) is clipped on some channels, not others
CLIP_BOUNDS = {r_max: 1.3, d_max: 0.4}
#: The odd extension of sqrt(u + 1/4) - 1/2 of symbn.identities.mock, written without
#: branches: sign(x) (sqrt(e^q |x| + 1/4) - 1/2) = e^q x / (sqrt(e^q |x| + 1/4) + 1/2).
SQRT_SHIFT = Normalization(
    "sqrt-shift",
    sp.exp(p + q) * x / (sp.sqrt(sp.exp(q) * sp.Abs(x) + sp.Rational(1, 4)) + sp.Rational(1, 2)),
    params=(p, q))
BATCH_RMS = Normalization("batch-rms", gamma * rms_normalize(x) + beta, params=(gamma, beta))
LAYERNORM = Normalization("my-layernorm", gamma_w * standardize(x) + beta_w,
                          params=(gamma_w, beta_w), over="features")


def _statuses(norm):
    return tuple(c.verdict.status for c in norm.invariance())


def _expected_row(row):
    return tuple(Status.PROVED if holds else Status.REFUTED for holds in MATRIX[row][2])


# -- derivation ----------------------------------------------------------------------------

def test_batch_renorm_dx_is_r_times_batchnorms_and_not_batchnorms():
    dx = RENORM.derivation().dx
    bn = derive_batchnorm()
    assert prove(dx, (s / sigma_r) * bn.dx).status is Status.PROVED
    assert prove(dx, bn.dx).status is Status.REFUTED


def test_differentiating_the_held_quantities_gives_another_dx():
    assert prove(RENORM.derivation(held=False).dx, RENORM.derivation().dx).status \
        is Status.REFUTED


def test_clipped_batch_renorm_is_r_times_batchnorm_and_is_batchnorm_before_relaxing():
    dx, bn = CLIPPED.derivation().dx, derive_batchnorm()
    assert prove(dx, CLIPPED.held[r] * bn.dx).status is Status.PROVED
    assert prove(dx, bn.dx).status is Status.REFUTED
    # r_max = 1, d_max = 0 (the start of training): exactly BatchNorm, forward and backward
    start = {r_max: 1, d_max: 0}
    assert prove(CLIPPED.forward.xreplace(start), bn.y).status is Status.PROVED
    assert prove(dx.xreplace(start), bn.dx).status is Status.PROVED


def test_the_forward_replaces_held_quantities_by_their_definitions():
    assert not RENORM.forward.has(r) and not RENORM.forward.has(d)
    assert set(RENORM.constants) == {eps, mu_r, sigma_r}


def test_the_sqrt_shift_formula_is_the_mock_transform_on_both_sides():
    right, left = branches(FAMILIES["sqrt-shift"])
    assert prove(SQRT_SHIFT.forward.xreplace({x: t}), right).status is Status.PROVED
    assert prove(SQRT_SHIFT.forward.xreplace({x: -t}), left).status is Status.PROVED
    # its control: the same formula without the |x| (sqrt(e^q x + 1/4)) is not the transform
    wrong = SQRT_SHIFT.forward.xreplace({sp.Abs(x): x})
    assert prove(wrong.xreplace({x: -t}), left).status is Status.REFUTED


# -- numeric check against autograd of the same formula ----------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("norm", [RENORM, SQRT_SHIFT, BATCH_RMS, LAYERNORM], ids=lambda n: n.name)
def test_the_kernel_matches_autograd_of_the_same_formula(norm, backend):
    result = norm.check(backend)
    assert [row.quantity for row in result.rows] == ["y", "dx", *(f"d{p}" for p in norm.params)]
    assert min(result.reference_max) > 0.1  # no reference is (nearly) zero
    assert result.passed, result.rows
    assert all(row.max_rel <= 1e-12 for row in result.rows)


@pytest.mark.integration
@pytest.mark.parametrize("backend", BACKENDS)
def test_clipped_batch_renorm_matches_autograd_with_the_clip_active_on_some_channels(backend):
    result = CLIPPED.check(backend, constants=CLIP_BOUNDS)
    assert result.passed and min(result.reference_max) > 0.1, result.rows
    # not vacuous: each of r and d is below its clip on some channel, within it on another,
    # above it on a third (computed here from the check's own inputs)
    v = {k: a.ravel() if a.shape[0] == 1 else a for k, a in result.inputs.items()}
    r_value = np.sqrt(v["x"].var(axis=0) + v["epsilon"]) / v["sigma_r"]
    d_value = (v["x"].mean(axis=0) - v["mu_r"]) / v["sigma_r"]
    for value, low, high in ((r_value, 1 / 1.3, 1.3), (d_value, -0.4, 0.4)):
        assert (value < low).any() and ((low < value) & (value < high)).any() \
            and (value > high).any(), (value, low, high)


@pytest.mark.integration
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("norm", [RENORM, CLIPPED], ids=lambda n: n.name)
def test_a_held_quantity_differentiated_fails_the_check(norm, backend):
    result = norm.check(backend, held=False, constants=CLIP_BOUNDS if norm is CLIPPED else {})
    assert not result.passed
    failed = {row.quantity: row.max_rel for row in result.rows if not row.passed}
    assert list(failed) == ["dx"] and failed["dx"] > 1e-2


@pytest.mark.integration
def test_the_check_uses_a_non_constant_upstream_gradient_and_fixed_seeds():
    first, again = RENORM.check("torch", seed=3), RENORM.check("torch", seed=3)
    assert [row.max_abs for row in first.rows] == [row.max_abs for row in again.rows]
    other = RENORM.check("torch", seed=4)
    assert first.reference_max != other.reference_max


# -- invariance row -------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("norm, row", [
    (Normalization("bn", standardize(x)), "batchnorm"),
    (LAYERNORM, "layernorm"),
    (Normalization("rms", rms_normalize(x), over="features"), "rmsnorm"),
], ids=lambda v: v if isinstance(v, str) else v.name)
def test_a_declared_member_of_the_family_gets_its_catalogue_row(norm, row):
    cells = norm.invariance()
    assert tuple(c.verdict.status for c in cells) == _expected_row(row)
    assert all(c.as_expected for c in cells)  # every PROVED cell's wrong variant REFUTED


@pytest.mark.integration
def test_rms_over_the_batch_is_scale_invariant_but_not_shift_invariant():
    cells = BATCH_RMS.invariance()
    assert tuple(c.verdict.status for c in cells) == (
        Status.PROVED, Status.REFUTED, Status.PROVED, Status.PROVED, Status.REFUTED,
        Status.REFUTED)
    # a scaling holds at eps = 0 only: its control (eps > 0) is refuted
    assert cells[3].verdict.assumptions and cells[3].controls[0].verdict.status \
        is Status.REFUTED
    # proved as built, by Mean's linearity: re-proved on explicit samples
    assert [m for m, _ in cells[3].explicit] == [2, 3]
    assert all(v.status is Status.PROVED for _, v in cells[3].explicit)


@pytest.mark.integration
def test_batch_renorm_and_sqrt_shift_are_invariant_to_nothing():
    assert _statuses(RENORM) == (Status.REFUTED,) * len(TRANSFORMS)
    assert _statuses(CLIPPED) == (Status.REFUTED,) * len(TRANSFORMS)
    assert _statuses(SQRT_SHIFT) == (Status.REFUTED,) * len(TRANSFORMS)


@pytest.mark.integration
def test_the_row_prints_as_a_row_of_the_invariance_table():
    section = BATCH_RMS.invariance_document()
    assert section.title == "The invariance matrix"
    out = io.StringIO()
    render(Console(file=out, width=200, no_color=True), section)
    text = out.getvalue()
    assert "batch-rms" in text and all(column in text for column in TRANSFORMS)
    assert "UNEXPECTED" not in text


# -- bad declarations -------------------------------------------------------------------------

@pytest.mark.parametrize("declare, names", [
    (lambda: Normalization("n", standardize(x), over="channels"), "'channels'"),
    (lambda: Normalization("n", gamma * standardize(x), params=(gamma, p)), "parameter p"),
    (lambda: Normalization("n", gamma + beta, params=(gamma, beta)), "does not depend on the input"),
    (lambda: Normalization("n", Mean(x**2)), "one value per batch"),
    (lambda: Normalization("n", standardize(x) * r, held={d: Mean(x)}), "held quantity d"),
    (lambda: Normalization("n", standardize(x) + gamma_w), "gamma_w"),
    (lambda: Normalization("n", gamma * x, params=gamma), r"params=gamma must be a tuple.*\(gamma,\)"),
    (lambda: Normalization("n", r * x, held=[r]), r"held=\[r\] must be a dict"),
    (lambda: Normalization("n", r * x, held={r: "Mean(x)"}), "held r is the string 'Mean\\(x\\)'"),
    (lambda: Normalization("n", "gamma*x", params=(gamma,)), "y is the string 'gamma\\*x'.*symbn's symbols"),
    (lambda: Normalization("n", None), "y is a NoneType, not one SymPy expression"),
    (lambda: Normalization("n", [x, x]), "y is a list, not one SymPy expression"),
    (lambda: Normalization("n", sp.Matrix([x, x + Mean(x)])), "y is a matrix"),
    (lambda: Normalization("n", sp.Le(x, 1)), "y is a relation"),
    (lambda: Normalization("n", x / 0), "infinite or undefined"),
    (lambda: Normalization("n", sp.Function("f")(x)), "undefined function"),
    (lambda: Normalization("n", x, over=["batch"]), r"over=\['batch'\] must be one of"),
    (lambda: Normalization("n", x * N, params=(N,)), "parameter N must be a symbol other than"
                                                     " the input x and the batch size N"),
    (lambda: Normalization(3, x - Mean(x)), "normalization name 3: give a string"),
    (lambda: Normalization("a b/c", x - Mean(x)), "normalization name 'a b/c'"),
    (lambda: Normalization("n", x, invariant_to=[["dataset re-scaling"]]), "invariant_to="),
    (lambda: Normalization("n", gamma * sp.LambertW((x - Mean(x))**2 + 1), params=(gamma,)),
     "n: the formula uses LambertW, which symbn cannot print for NumPy"),
    # Heaviside prints (numpy.select), its derivative DiracDelta does not
    (lambda: Normalization("n", sp.Heaviside(x - Mean(x)) * x),
     "n: its derivative uses DiracDelta, which symbn cannot print for NumPy"),
    # NumPy has no erf: SymPy prints math.erf, which takes one number, not an array (the
    # kernel raised NameError: name 'math' is not defined)
    (lambda: Normalization("n", gamma * sp.erf(x - Mean(x)) + beta, params=(gamma, beta)),
     r"n: the formula uses erf, which SymPy's NumPy printer writes with Python's math module "
     r"\(math.erf\): one number at a time, so symbn's NumPy kernel cannot apply it to arrays"),
    (lambda: Normalization("n", sp.loggamma((x - Mean(x))**2 + 1)),
     r"n: the formula uses loggamma, .*\(math.lgamma\)"),
], ids=["axis", "parameter", "no-input", "statistic", "held", "undeclared-per-sample",
        "params-not-tuple", "held-list", "held-string", "y-string", "y-none", "y-list",
        "y-matrix", "y-relation", "y-zoo", "y-undefined-function", "over-list", "param-N",
        "name-int", "name-path", "invariant-to-nested", "numpy-unprintable",
        "numpy-unprintable-derivative", "numpy-scalar-only-erf", "numpy-scalar-only-loggamma"])
def test_a_bad_declaration_gets_one_clear_error(declare, names):
    with pytest.raises(DeclarationError, match=names) as error:
        declare()
    assert str(error.value).count("\n") == 0


def test_a_held_quantity_that_varies_per_sample_is_refused():
    # y is built with r a batch constant (Mean(r*x) = r*Mean(x)): a per-sample definition
    # would be silently misread as x - x**2*Mean(x)
    with pytest.raises(DeclarationError, match=r"held r \(x\*\*2\) varies from sample to "
                                               "sample.*batch statistic"):
        Normalization("perx2", x - Mean(r * x), held={r: x**2})
    # a batch statistic is fine
    assert Normalization("ok", x - r * Mean(x), held={r: Mean(x**2)}).forward \
        == x - Mean(x**2) * Mean(x)


@pytest.mark.parametrize("facts, definition, unmet", [
    ({"positive": True}, Mean(x), "positive, nonnegative, nonzero"),
    ({"nonnegative": True}, Mean(x), "nonnegative"),
    ({"negative": True}, Mean(x**2), "negative, nonpositive, nonzero"),
    ({"nonzero": True}, Mean(x), "nonzero"),
    ({"integer": True}, Mean(x**2), "integer"),
], ids=["positive", "nonnegative", "negative", "nonzero", "integer"])
def test_a_held_definition_must_have_its_symbols_declared_facts(facts, definition, unmet):
    # SymPy drops Abs(h) for a positive h as y is built: a definition that is not positive
    # would be stored (and checked) as another formula than the one written
    h = sp.Symbol("h", **facts)
    with pytest.raises(DeclarationError, match=rf"held h is declared {unmet}, but its "
                       rf"definition {re.escape(str(definition))} is not known to be.*declare h "
                       "without them") as error:
        Normalization("held-facts", gamma * x * sp.Abs(h) + beta, params=(gamma, beta),
                      held={h: definition})
    assert str(error.value).count("\n") == 0


def test_a_held_definition_with_its_symbols_facts_is_accepted():
    h = sp.Symbol("h", positive=True)
    n = Normalization("held-pos", gamma * x * sp.Abs(h) + beta, params=(gamma, beta),
                      held={h: sp.sqrt(batch_var(x) + eps)})
    assert n.forward == gamma * x * sp.sqrt(batch_var(x) + eps) + beta
    assert n.check("torch").passed


def test_a_cell_invariant_to_a_per_value_scale_gets_the_other_per_value_move_as_its_control():
    # sign(x) is invariant to every positive scale, common or per value: each such cell's
    # wrong variant is the per-value shift (it used to be the nonexistent 'scale-each-each')
    sgn = Normalization("sgn", gamma * x / sp.Abs(x), params=(gamma,))
    cells = sgn.invariance(budget=60)
    assert [c.verdict.status for c in cells] == [
        Status.PROVED, Status.REFUTED, Status.PROVED, Status.PROVED, Status.REFUTED,
        Status.PROVED]
    for c in cells:
        assert c.as_expected, c.identity.name
        if c.verdict.status is Status.PROVED:
            (control,) = c.controls
            assert control.identity.name.endswith("-shift-each")
            assert control.verdict.status is Status.REFUTED
    declared = dataclasses.replace(sgn, invariant_to=tuple(
        t for t, c in zip(TRANSFORMS, cells) if c.verdict.status is Status.PROVED))
    assert all(c.as_expected for c in declared.invariance(budget=60))


SINC = Normalization("sinc-norm", gamma * sp.sinc(x - Mean(x)) + beta, params=(gamma, beta))


@pytest.mark.integration
def test_a_function_one_framework_cannot_print_is_a_declaration_error_and_a_not_run_row():
    """SymPy prints sinc for NumPy and JAX, not for PyTorch: check("torch") says so (it
    used to raise SymPy's PrintMethodNotImplementedError), and the report's PyTorch row is
    "not run", never a pass, while JAX's rows run."""
    with pytest.raises(DeclarationError, match=r"sinc-norm: cannot print sinc for PyTorch "
                                               r"\(SymPy's PyTorch printer has no sinc\)"):
        SINC.check("torch")
    assert SINC.check("jax").passed
    rows = SINC.check_rows()
    torch_rows = [row for row in rows if row.backend == "torch"]
    assert len(torch_rows) == 1 and not torch_rows[0].passed
    assert torch_rows[0].skipped.startswith("not run: cannot print sinc for PyTorch")
    jax_rows = [row for row in rows if row.backend == "jax"]
    assert [row.quantity for row in jax_rows] == ["y", "dx", "dgamma", "dbeta"]
    assert all(row.passed for row in jax_rows)


def test_a_function_numpy_cannot_print_in_a_file_is_one_message_exit_2(tmp_path, capsys):
    """symbn report FILE on LambertW: it used to be 'internal error:
    PrintMethodNotImplementedError', exit 3."""
    path = _write(tmp_path, DECLARE + 'weird = Normalization("weird", gamma * sp.LambertW((x - '
                  'Mean(x))**2 + 1) + beta, params=(gamma, beta), invariant_to=())\n')
    status, out, err = _run(capsys, "report", path)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: {path}:5: weird: the formula uses LambertW, which symbn "
                          "cannot print for NumPy"), err


def test_a_check_is_named_as_declared_not_as_its_kernel():
    # the kernel's name is an identifier (my_bn2); the report's rows said my_bn2 too
    checked = Normalization("my-bn2", standardize(x)).check("torch")
    assert checked.name == "my-bn2" and checked.rows[0].case.startswith("my-bn2 6x5")


def test_an_unknown_backend_is_named():
    with pytest.raises(DeclarationError, match="'tensorflow'"):
        RENORM.check("tensorflow")


def test_a_fixed_value_for_something_not_a_constant_is_named():
    with pytest.raises(DeclarationError, match="gamma is not a constant"):
        RENORM.check("torch", constants={gamma: 1.0})


def test_a_constant_is_fixed_by_its_name_too():
    # matched by name, as prove's where= is; the message used to say "epsilon is not a
    # constant ...; its constants are epsilon"
    by_name = BATCH_RMS.check("torch", constants={"epsilon": 1e-3})
    by_symbol = BATCH_RMS.check("torch", constants={eps: 1e-3})
    assert by_name.passed and np.all(by_name.inputs["epsilon"] == 1e-3)
    assert by_name.max_rel == by_symbol.max_rel
    with pytest.raises(DeclarationError, match="shape"):
        BATCH_RMS.check("torch", constants={"epsilon": [1.0, 2.0]})


# -- display --------------------------------------------------------------------------------

@pytest.mark.integration
def test_declaration_derivation_and_check_display_themselves():
    text = str(RENORM)
    assert "batch-renorm: a normalization over the batch" in text and "held" in text
    assert "dL/dgamma" in str(RENORM.derivation())
    result = RENORM.check("torch")
    assert "dx" in str(result) and "pass" in str(result)
    for shown in (RENORM, RENORM.derivation(), result):
        assert "\n" not in repr(shown) and repr(shown).startswith(f"<{type(shown).__name__} ")
        assert shown._repr_html_()


# -- in a claims file, through the command ---------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "my_normalization.py"
README = (ROOT / "README.md").read_text()
BUDGET = ("--budget", "60")  # a budget no strategy needs on a loaded machine
DECLARE = """\
import sympy as sp
from symbn import Mean, batch_var, beta, eps, gamma, x
from symbn.bn.family import rms_normalize
from symbn.normalization import Normalization
"""
RENORM_FILE = DECLARE + """
r, d = sp.symbols("r d", real=True)
mu_r, sigma_r = sp.Symbol("mu_r", real=True), sp.Symbol("sigma_r", positive=True)
s = sp.sqrt(batch_var(x) + eps)
renorm = Normalization("batch-renorm", gamma * ((x - Mean(x)) / s * r + d) + beta,
                       params=(gamma, beta), held={r: s / sigma_r, d: (Mean(x) - mu_r) / sigma_r},
                       invariant_to=())
"""


def _run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _write(tmp_path, text, name="norm.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_readmes_normalization_file_is_examples_my_normalization():
    """The README shows the file itself; its commands are run below."""
    assert f"```python\n{EXAMPLE.read_text()}```" in README


def _readme_commands():
    """The README's symbn command lines on examples/my_normalization.py, as arguments."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [shlex.split(line.split(" #")[0])[1:] for block in blocks
            for line in block.splitlines() if "my_normalization.py" in line]


@pytest.mark.integration
def test_the_readmes_commands_on_a_normalization_file_run(capsys, monkeypatch):
    """list, prove and report of examples/my_normalization.py, as the README writes them
    (from the repository's root), each as expected: 0, and in JSON what the README says."""
    monkeypatch.chdir(ROOT)
    commands = {words[0]: words for words in _readme_commands()}
    assert sorted(commands) == ["list", "prove", "report"]
    cells = [f"batch-rms:{t.replace(' ', '-')}" for t in TRANSFORMS]
    expected = ["PROVED", "REFUTED", "PROVED", "PROVED", "REFUTED", "REFUTED"]

    status, out, _ = _run(capsys, *commands["list"], "--json")
    listed = json.loads(out)
    assert status == 0 and [c["name"] for c in listed] == cells
    assert [c["expected"] for c in listed] == expected
    assert all(c["controls"] for c in listed if c["expected"] == "PROVED")

    status, out, _ = _run(capsys, *commands["prove"], *BUDGET)
    assert status == 0, out
    table = out[out.index("The invariance matrix"):]
    assert "batch-rms" in table and "UNEXPECTED" not in out
    status, out, _ = _run(capsys, *commands["prove"], "--json", *BUDGET)
    proved = json.loads(out)
    assert status == 0 and [c["name"] for c in proved] == cells
    assert [c["verdict"]["status"] for c in proved] == expected
    # each PROVED cell's wrong variant is REFUTED
    assert all(k["verdict"]["status"] == "REFUTED" for c in proved for k in c["controls"])
    assert sum(len(c["controls"]) for c in proved) == expected.count("PROVED")

    status, out, _ = _run(capsys, *commands["report"], "--json", *BUDGET)
    report = json.loads(out)
    assert status == 0, report["summary"]
    (part,) = report["derivations"]
    assert part["declaration"]["invariant_to"] == list(BATCH_RMS_INVARIANT)
    assert part["derivation"]["dx"] == sp.sstr(BATCH_RMS.derivation().dx)
    assert list(report["kernels"]) == ["batch_rms"]
    assert [(c["backend"], c["quantity"]) for c in report["checks"]] == [
        (b, q) for b in BACKENDS for q in ("y", "dx", "dgamma", "dbeta")]
    assert all(c["passed"] and c["max_rel"] <= 1e-12 for c in report["checks"])
    assert report["summary"]["numeric checks passed"] == 8
    assert report["summary"]["backends skipped"] == 0


@pytest.mark.integration
def test_the_normalization_file_runs_as_a_script(capsys):
    """python examples/my_normalization.py: run_claims(globals()) proves its row as
    symbn prove does (its namespace here, its main block not run)."""
    namespace = runpy.run_path(str(EXAMPLE))
    status = run_claims(namespace, ["--json", *BUDGET])
    proved = json.loads(capsys.readouterr().out)
    assert status == 0 and [c["name"] for c in proved] == [
        f"batch-rms:{t.replace(' ', '-')}" for t in TRANSFORMS]


@pytest.mark.integration
def test_each_declared_cell_is_as_expected_in_pytest():
    """The README's sentence: assert_as_expected(cell) for each of batch_rms.cells()."""
    declared = runpy.run_path(str(EXAMPLE))["batch_rms"]
    checked = [assert_as_expected(cell) for cell in declared.cells()]
    assert [c.verdict.status for c in checked] == [c.verdict.status for c in
                                                   BATCH_RMS.invariance()]
    with pytest.raises(AssertionError, match="dataset-re-centering is REFUTED"):
        wrong = dataclasses.replace(declared, invariant_to=("dataset re-centering",))
        assert_as_expected(wrong.cells()[TRANSFORMS.index("dataset re-centering")])


BATCH_RMS_INVARIANT = ("weight matrix re-scaling", "weight vector re-scaling",
                       "dataset re-scaling")


@pytest.mark.integration
def test_a_wrongly_expected_cell_exits_1(tmp_path, capsys):
    """Declared invariant to a shift it is not invariant to, and not to the scalings it is
    invariant to: those cells read UNEXPECTED in the table, the others do not."""
    path = _write(tmp_path, DECLARE + 'wrong = Normalization("batch-rms", gamma * rms_normalize(x)'
                  ' + beta, params=(gamma, beta), invariant_to=("dataset re-centering",))\n')
    status, out, _ = _run(capsys, "prove", path, *BUDGET)
    assert status == 1
    row = out[out.index("The invariance matrix"):].replace("\n", " ")
    assert row.count("UNEXPECTED") == 4, row  # three scalings PROVED, the shift REFUTED
    status, out, _ = _run(capsys, "prove", path, "--json", *BUDGET)
    cells = {c["name"].split(":")[1]: c for c in json.loads(out)}
    assert status == 1
    shift = cells["dataset-re-centering"]
    assert (shift["expected"], shift["verdict"]["status"]) == ("PROVED", "REFUTED")
    scaling = cells["dataset-re-scaling"]
    assert (scaling["expected"], scaling["verdict"]["status"]) == ("REFUTED", "PROVED")


@pytest.mark.integration
def test_a_failed_numeric_check_exits_1(tmp_path, capsys, monkeypatch):
    """The report's check run on the derivation that differentiates r and d (the
    stop-gradient forgotten): dx fails against both frameworks, the status is 1."""
    original = Normalization.check
    monkeypatch.setattr(Normalization, "check",
                        lambda self, backend, **kw: original(self, backend, held=False, **kw))
    status, out, _ = _run(capsys, "report", _write(tmp_path, RENORM_FILE), "--json", *BUDGET)
    report = json.loads(out)
    assert status == 1
    assert report["summary"]["unexpected"] == 0  # the invariance row is as declared
    failed = [(c["backend"], c["quantity"]) for c in report["checks"] if not c["passed"]]
    assert failed == [("torch", "dx"), ("jax", "dx")]


@pytest.mark.integration
def test_a_missing_backend_is_reported_as_not_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax now raises ImportError
    status, out, _ = _run(capsys, "report", _write(tmp_path, RENORM_FILE), "--json", *BUDGET)
    report = json.loads(out)
    jax_rows = [c for c in report["checks"] if c["backend"] == "jax"]
    assert len(jax_rows) == 1 and not jax_rows[0]["passed"]
    assert jax_rows[0]["skipped"].startswith("not run: jax is not installed")
    assert report["summary"]["backends skipped"] == 1
    assert report["summary"]["numeric checks passed"] == 4  # torch's: y, dx, dgamma, dbeta
    status, out, _ = _run(capsys, "report", _write(tmp_path, RENORM_FILE), *BUDGET)
    assert status == 0 and "skipped:" in out and "backends skipped" in out


@pytest.mark.parametrize("text, message", [
    (DECLARE + 'n = Normalization("undeclared", gamma * rms_normalize(x), params=(gamma,))\n',
     ": normalization undeclared: declare the invariance row you expect"),
    (DECLARE + 'n = Normalization("typo", rms_normalize(x), invariant_to=("dataset rescaling",))\n',
     ":5: typo: invariant_to names 'dataset rescaling', not a column"),
    (DECLARE + 'n = Normalization("n", rms_normalize(x), invariant_to=())\n'
     'm = Normalization("n", rms_normalize(x) + 1, invariant_to=())\n',
     "name clash: two claims are named 'n:weight-matrix-re-scaling'"),
], ids=["undeclared-row", "unknown-column", "one-name-twice"])
def test_a_bad_normalization_in_a_file_is_one_message_exit_2(tmp_path, capsys, text, message):
    path = _write(tmp_path, text)
    status, out, err = _run(capsys, "prove", path)
    assert status == 2 and out == ""
    first = err.strip().splitlines()[0]
    assert first.startswith(f"error: {path}") or first.startswith("error: name clash"), err
    assert message in err.replace("\n", " ") or message in err, err


def test_a_normalization_named_as_a_catalogue_row_cannot_join_that_row(tmp_path, capsys):
    """With the catalogue's invariance cells selected too, its row would mix two tables'."""
    path = _write(tmp_path, DECLARE + 'batchnorm = Normalization("batchnorm", rms_normalize(x),'
                  ' invariant_to=())\n')
    status, out, err = _run(capsys, "prove", path, "invariance")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: name clash: 'batchnorm' names both a normalization of your "
                          "files and a row of the catalogue's invariance table"), err
