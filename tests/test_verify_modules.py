"""Framework objects under ``symbn verify``: PyTorch modules and autograd Functions, JAX
functions, Flax modules; running statistics against conventions whose oracles are the real
layers (torch.nn.BatchNorm*, flax.linen.BatchNorm, keras.layers.BatchNormalization)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbn.bn.conventions import CONVENTIONS
from symbn.verify import conventions as oracles
from symbn.verify.modules import parse_init, verify_module
from symbn.verify.running import expected_running, running_mistakes, training_batches
from symbn.verify.runner import VerifyError

pytestmark = pytest.mark.integration  # runs PyTorch, JAX, Flax and Keras

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "modules"
sys.path.insert(0, str(FIXTURES))
import jax_modules  # noqa: E402
import review_modules  # noqa: E402
import torch_modules  # noqa: E402


def keys(report):
    return {p.key for p in report.problems}


def outputs_checked(report, mode):
    return {c.output for c in report.checks if c.mode == mode}


# -- the conventions, as the real layers run them -----------------------------------------

@pytest.mark.parametrize("name", ["pytorch", "flax", "keras"])
def test_convention_table_is_what_the_real_layer_does(name):
    observed, table = oracles.observe(name), CONVENTIONS[name]
    assert observed.eps == table.eps
    assert observed.new_weight == pytest.approx(table.new_weight, rel=1e-6)  # Keras: float32
    assert observed.unbiased_running_var is table.unbiased_running_var
    assert observed.feature_axis == table.feature_axis
    assert (observed.initial_mean, observed.initial_var) == (0.0, 1.0)


@pytest.mark.parametrize("name", ["pytorch", "flax", "keras"])
def test_oracle_layer_agrees_with_the_derivation_and_not_with_the_wrong_conventions(name):
    convention = CONVENTIONS[name]
    batches = training_batches((2, 4, 5, 6), -1)
    x_eval = batches.pop()
    rng = np.random.default_rng(3)
    gamma, beta = rng.uniform(0.5, 2, 6), rng.normal(size=6)
    run = oracles.run_oracle(name, batches, x_eval, feature_axis=-1,
                             new_weight=convention.new_weight, eps=convention.eps,
                             initial_mean=np.zeros(6), initial_var=np.ones(6), gamma=gamma,
                             beta=beta)
    tol = 1e-13 if run.dtype == "float64" else 1e-6
    mean, var = expected_running(convention, batches, np.zeros(6), np.ones(6), -1)
    assert np.ptp(mean) > 0.01 and np.ptp(var) > 0.01  # not trivially constant
    assert np.max(np.abs(run.running_mean - mean)) <= tol * np.max(np.abs(mean))
    assert np.max(np.abs(run.running_var - var)) <= tol * np.max(np.abs(var))
    for mistake in running_mistakes(convention):
        wrong = expected_running(mistake.convention, batches, np.zeros(6), np.ones(6), -1)
        error = max(np.max(np.abs(run.running_mean - wrong[0])) / np.max(np.abs(mean)),
                    np.max(np.abs(run.running_var - wrong[1])) / np.max(np.abs(var)))
        assert error > 1000 * tol, mistake.name


# -- PyTorch ------------------------------------------------------------------------------

@pytest.mark.parametrize("module", [torch_modules.BatchNorm2d, "torch.nn.BatchNorm2d"])
def test_correct_batchnorm2d_module_passes_and_says_what_was_checked(module):
    if isinstance(module, str):
        import torch
        module = torch.nn.BatchNorm2d
    report = verify_module(module)
    assert report.ok and not report.problems and report.diagnosis is None
    assert outputs_checked(report, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}
    assert outputs_checked(report, "running") == {"running mean", "running var"}
    assert outputs_checked(report, "eval") == {"y"}
    assert {c.layout for c in report.checks} == {"NCHW"}
    text = "\n".join(report.checked)
    assert "second order on NCHW" in text and "unbiased n/(n-1) running variance" in text
    assert "momentum 0.1 (its momentum attribute, the pytorch default)" in text
    assert "confirmed by torch.nn.BatchNorm{1,2,3}d" in text
    not_checked = "\n".join(report.not_checked)
    assert "layout NC: not supported" in not_checked and "layout NCL: not supported" in not_checked


def test_biased_running_var_and_eval_batch_stats_are_wrong_with_both_mistakes_named():
    report = verify_module(torch_modules.BiasedEvalBatchStats)
    assert not report.ok
    assert keys(report) == {"running-var-biased", "eval-uses-batch-stats"}
    failed = {(c.mode, c.output) for c in report.checks if not c.passed}
    assert failed == {("running", "running var"), ("eval", "y")}  # train mode is right


def test_running_statistics_are_checked_in_every_dtype_train_mode_ran_in():
    # float64 alone called a module that updates with the biased variance in float32 correct
    report = verify_module(torch_modules.BiasedRunningFloat32)
    assert not report.ok and keys(report) == {"running-var-biased"}
    assert report.problems[0].cases == ("NCHW float32",)
    running = {(c.dtype, c.output, c.passed) for c in report.checks if c.mode == "running"}
    assert running == {("float64", "running mean", True), ("float64", "running var", True),
                       ("float32", "running mean", True), ("float32", "running var", False)}
    text = "\n".join(report.checked)
    assert "training steps on NCHW, float32" in text and "running statistics on NCHW, float32" \
        in text
    for half in ("float16", "bfloat16"):  # train mode ran in them: said not checked
        assert any(line.startswith(f"running statistics and eval mode in {half}: not checked")
                   for line in report.not_checked)
    good = verify_module(torch_modules.BatchNorm2d, dtypes=("float64", "float32"))
    assert good.ok, good.problems
    assert {(c.dtype, c.mode) for c in good.checks if c.mode in ("running", "eval")} == {
        (d, m) for d in ("float64", "float32") for m in ("running", "eval")}
    assert not any("running" in line for line in good.not_checked)


def test_keras_momentum_in_a_pytorch_module_is_named():
    report = verify_module(torch_modules.KerasMomentum)
    assert not report.ok and keys(report) == {"momentum-keras-way"}
    failed = {(c.mode, c.output) for c in report.checks if not c.passed}
    assert failed == {("running", "running mean"), ("running", "running var"), ("eval", "y")}


def test_eval_mode_that_updates_the_running_statistics_is_named():
    # its first eval output is right: only the state it leaves, and a second call, show it
    report = verify_module(torch_modules.UpdatesInEval)
    assert not report.ok and keys(report) == {"eval-updates-running-stats"}
    assert not any(not c.passed for c in report.checks)  # the first eval output is right
    [problem] = report.problems
    for moved in ("eval y, second call", "running mean after eval", "running var after eval"):
        assert f"{moved} moved by" in problem.message
    good = verify_module(torch_modules.BatchNorm2d)
    assert any("that it leaves them as they were, and gives the same y on a second call" in line
               for line in good.checked)


def test_a_module_that_ignores_the_sign_of_its_weight_is_wrong():
    report = verify_module(torch_modules.AbsWeight)
    assert not report.ok
    assert {("train", "y"), ("train", "dx"), ("train", "dgamma")} <= {
        (c.mode, c.output) for c in report.checks if not c.passed}
    assert "parameters: gamma of both signs, |gamma| in [0.25, 2]; beta from N(0, 1)" \
        in report.checked


def test_at_momentum_one_half_the_conventions_coincide_and_the_report_says_so():
    report = verify_module(torch_modules.KerasMomentum, init={"momentum": 0.5})
    assert report.ok  # m old + (1 - m) new is (1 - m) old + m new
    assert any(line.startswith("the momentum convention: at momentum 0.5")
               for line in report.not_checked)


def test_verify_takes_the_module_kinds_too(monkeypatch):
    from symbn.verify import verify
    by_object = verify(torch_modules.UpdatesInEval, "batchnorm-module", dtypes=("float64",))
    assert not by_object.ok and keys(by_object) == {"eval-updates-running-stats"}
    monkeypatch.chdir(FIXTURES)  # a name is imported in a worker, from the working folder
    by_name = verify("torch_modules:BatchNorm2d", "batchnorm-module", dtypes=("float64",))
    assert by_name.ok, by_name.problems
    with pytest.raises(VerifyError, match="unknown module kind 'softmax-module'"):
        verify(torch_modules.BatchNorm2d, "softmax-module")


def test_without_float64_second_order_and_the_parameters_are_not_claimed():
    # "second order on : ... float64" and "has no gamma or beta parameter" were reported
    report = verify_module(torch_modules.BatchNorm2d, dtypes=("float32",))
    assert report.ok, report.problems
    text = "\n".join(report.checked)
    assert "second order" not in text and "no gamma or beta" not in "\n".join(report.not_checked)
    assert "second order and the diagnosis: they run in float64, which was not among the " \
        "dtypes asked for" in report.not_checked


def test_every_layout_the_module_accepts_is_verified():
    report = verify_module(torch_modules.NoUnbiasedAnyLayout)
    assert {c.layout for c in report.checks if c.mode == "train"} == {"NC", "NCL", "NCHW"}
    assert keys(report) == {"running-var-biased"}


def test_running_statistics_and_eval_mode_run_on_every_layout_train_mode_ran_on():
    sys.path.insert(0, str(FIXTURES.parent))
    from corpus import torch_modules as corpus_modules
    good = verify_module(corpus_modules.BatchNorm1d, dtypes=("float64",))
    assert good.ok, good.problems
    for mode in ("running", "eval"):
        assert {c.layout for c in good.checks if c.mode == mode} == {"NC", "NCL", "NCHW"}
    text = "\n".join(good.checked)
    assert "training steps on NC, NCL, NCHW" in text
    assert "eval mode: y with the running statistics on NC, NCL, NCHW" in text
    # eval mode right on 3-D and 4-D input, batch statistics on (N, C): wrong, on NC alone
    bad = verify_module(corpus_modules.BatchNorm1dEvalWrongOn2D, dtypes=("float64",))
    assert not bad.ok and keys(bad) == {"eval-uses-batch-stats"}
    assert bad.problems[0].cases == ("NC",)
    assert {(c.mode, c.output, c.layout) for c in bad.checks if not c.passed} == {
        ("eval", "y", "NC")}


def test_pytorch_module_against_the_keras_convention_is_not_correct():
    import torch
    report = verify_module(torch.nn.BatchNorm1d, convention="keras")
    assert not report.ok
    # eps 1e-5 where Keras has 1e-3; its momentum attribute, 0.1, is the weight of the new
    # value (PyTorch's way), and the running variance is unbiased, as PyTorch's
    assert keys(report) == {"eps-default", "running-var-unbiased+momentum-pytorch-way"}


def test_momentum_from_init_is_the_expected_one():
    import torch
    assert verify_module(torch.nn.BatchNorm2d, init=parse_init("momentum=0.3")).ok
    report = verify_module(torch_modules.KerasMomentum, init={"momentum": 0.3})
    assert "momentum 0.3 (from --init; the pytorch default is 0.1)" in "\n".join(report.checked)
    assert keys(report) == {"momentum-keras-way"}


def test_autograd_function_backward_and_second_order():
    report = verify_module(torch_modules.BatchNormFunction)
    assert report.ok
    assert outputs_checked(report, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}
    assert any("not applicable" in line and "running statistics" in line
               for line in report.not_checked)


def test_autograd_function_with_a_wrong_backward_is_diagnosed():
    report = verify_module(torch_modules.MissingMeanTermFunction)
    assert not report.ok
    failed = {c.output for c in report.checks if not c.passed}
    assert failed == {"dx", "hvp"}
    assert report.diagnosis is not None and report.diagnosis.name == "ignores-mean"


def test_once_differentiable_function_says_second_order_did_not_run():
    report = verify_module(torch_modules.OnceDifferentiableFunction)
    assert report.ok and "hvp" not in outputs_checked(report, "train")
    assert any(line.startswith("second order: not run") for line in report.not_checked)


def test_function_on_tensors_is_differentiated_by_torch():
    report = verify_module(torch_modules.batchnorm_tensors)
    assert report.ok and report.framework == "PyTorch"
    assert "hvp" in outputs_checked(report, "train")


# -- JAX and Flax -------------------------------------------------------------------------

def test_jax_function_channels_last():
    report = verify_module(jax_modules.batchnorm, feature_axis=-1, dtypes=("float64",))
    assert report.ok and report.framework == "JAX"
    assert {c.layout for c in report.checks} == {"NC", "NLC", "NHWC"}
    assert outputs_checked(report, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}


def test_jax_function_with_eps_outside_the_root_is_diagnosed():
    report = verify_module(jax_modules.batchnorm_eps_outside, feature_axis=-1,
                           dtypes=("float64",))
    assert not report.ok and report.diagnosis.name == "eps-outside-sqrt"


def test_flax_batchnorm_layer_passes_with_running_statistics():
    import flax.linen as nn
    report = verify_module(nn.BatchNorm, dtypes=("float64",), init={"use_fast_variance": False})
    assert report.ok, report.problems
    assert outputs_checked(report, "running") == {"running mean", "running var"}
    assert "flax convention: momentum 0.99 (its momentum attribute, the flax default)" in "\n".join(report.checked)


def test_flax_default_one_pass_variance_fails_the_mean_offset_case():
    """Flax's norms default to use_fast_variance=True: Mean(x^2) - Mean(x)^2, which loses
    about 8 digits when |mean| = 1e4 std (the mean-offset stress case)."""
    import flax.linen as nn
    report = verify_module(nn.BatchNorm, dtypes=("float64",))
    assert not report.ok
    assert {c.mode for c in report.checks if not c.passed} == {"mean offset"}
    assert report.diagnosis.name == "one-pass-variance"


def test_flax_module_from_scratch_correct_and_wrong():
    assert verify_module(jax_modules.BatchNorm, dtypes=("float64",)).ok
    report = verify_module(jax_modules.UnbiasedRunningVar, dtypes=("float64",))
    assert not report.ok and keys(report) == {"running-var-unbiased"}


# -- bad input ----------------------------------------------------------------------------

def test_init_must_be_keyword_literals():
    assert parse_init("num_features=3, momentum=0.2") == {"num_features": 3, "momentum": 0.2}
    for bad in ("3", "momentum=", "eps=torch.tensor(1)"):
        with pytest.raises(VerifyError, match="--init"):
            parse_init(bad)


def test_a_required_constructor_argument_symbn_cannot_infer_is_a_usage_error():
    import torch

    class NeedsSize(torch.nn.Module):
        def __init__(self, size):
            super().__init__()

    with pytest.raises(VerifyError, match="--init 'size=...'"):
        verify_module(NeedsSize)


def test_statistics_never_updated_and_no_statistics_at_all():
    report = verify_module(torch_modules.NeverUpdated)
    assert not report.ok and keys(report) == {"running-stats-never-updated"}
    report = verify_module(torch_modules.NoRunningStats)
    assert not report.ok and keys(report) == {"no-running-stats", "eval-uses-batch-stats"}


def test_keras_convention_module_checked_against_the_keras_layer():
    report = verify_module(torch_modules.KerasStyle, convention="keras")
    assert report.ok, report.problems
    text = "\n".join(report.checked)
    assert "momentum 0.99 (the keras default)" in text and "biased running variance" in text
    assert "keras.layers.BatchNormalization" in text and "float32" in text
    # the same module is wrong under PyTorch's convention
    assert not verify_module(torch_modules.KerasStyle).ok


# -- the command line ---------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "symbn.cli", "--no-color", *args],
                          capture_output=True, text=True, cwd=FIXTURES, timeout=600)


def test_cli_module_kinds():
    good = run("verify", "torch.nn:BatchNorm2d", "--kind", "batchnorm-module")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "verdict: correct" in good.stdout and "layout NC: not supported" in good.stdout
    bad = run("verify", "torch_modules:BiasedEvalBatchStats", "--kind", "batchnorm-module")
    assert bad.returncode == 1
    assert "running-var-biased" in bad.stdout and "eval-uses-batch-stats" in bad.stdout
    usage = run("verify", "torch.nn:BatchNorm2d", "--kind", "batchnorm-module", "--init", "3")
    assert usage.returncode == 2 and "--init" in usage.stderr and "Traceback" not in usage.stderr
    mixed = run("verify", "torch_modules:batchnorm_tensors", "--kind", "bn-forward",
                "--init", "eps=1")
    assert mixed.returncode == 2 and "NAME-module" in mixed.stderr


# -- the rest of the family ---------------------------------------------------------------

@pytest.mark.parametrize("name,norm", [("LayerNorm", "layernorm"), ("GroupNorm", "groupnorm"),
                                       ("RMSNorm", "rmsnorm")])
def test_pytorch_family_modules_with_second_order(name, norm):
    import torch
    report = verify_module(getattr(torch.nn, name), norm=norm)
    assert report.ok, report.problems
    params = {"rmsnorm": {"dweight"}}.get(norm, {"dgamma", "dbeta"})
    assert outputs_checked(report, "train") == {"y", "dx", "hvp"} | params


def test_family_second_order_is_wrong_for_a_wrong_layernorm():
    good = verify_module(torch_modules.layernorm_tensors, norm="layernorm")
    assert good.ok and "hvp" in outputs_checked(good, "train")
    bad = verify_module(torch_modules.layernorm_unbiased, norm="layernorm")
    failed = {c.output for c in bad.checks if not c.passed}
    assert {"y", "dx", "hvp"} <= failed
    assert bad.diagnosis.name == "unbiased-variance"


def test_family_hvp_derivation_agrees_with_the_batchnorm_kernel():
    from symbn.kernels import batchnorm as bn_kernels
    from symbn.verify.second_order import family_hvp
    rng = np.random.default_rng(5)
    x, dy, v = (rng.normal(size=(4, 3, 2, 5)) for _ in range(3))
    gamma = rng.uniform(0.5, 2, 3)
    want = bn_kernels.hvp(x, dy, v, gamma, 1e-3)
    got = family_hvp("batchnorm", x, dy, v, gamma, 1e-3)
    assert np.max(np.abs(want)) > 1e-3
    assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
    wrong = family_hvp("batchnorm", x, dy, v, gamma, 1e-1)  # another eps: must differ
    assert np.max(np.abs(wrong - want)) > 1e-6 * np.max(np.abs(want))


@pytest.mark.parametrize("name,norm", [("LayerNorm", "layernorm"), ("GroupNorm", "groupnorm")])
def test_flax_family_modules(name, norm):
    import flax.linen as nn
    report = verify_module(getattr(nn, name), norm=norm, dtypes=("float64",),
                           init={"use_fast_variance": False})
    assert report.ok, report.problems
    assert {c.layout for c in report.checks} >= {"NC"}
    assert outputs_checked(report, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}


# -- the worker process -------------------------------------------------------------------

def test_module_kinds_run_in_a_worker_that_survives_the_user_code(monkeypatch):
    from symbn.verify.modules import verify_module_spec
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(VerifyError, match=r"sys.exit\(0\)"):
        verify_module_spec("exits_at_import:BatchNorm", "batchnorm-module")
    crashed = verify_module_spec("misbehaving:Segfaults", "batchnorm-module")
    assert not crashed.ok and crashed.problems[0].message.startswith(
        "the worker crashed during eval mode (signal SIGSEGV)")
    assert outputs_checked(crashed, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}
    hung = verify_module_spec("misbehaving:Hangs", "batchnorm-module", timeout=2,
                              layout="NCHW", dtypes=("float64",))
    # the hang is in eval mode: the train-mode and second-order results before it are kept
    assert not hung.ok and [p.key for p in hung.problems] == ["stopped"]
    assert hung.problems[0].message == "eval mode did not finish within 40 s (20 x --timeout)"
    assert outputs_checked(hung, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}
    assert all(c.passed for c in hung.checks)
    assert any(line.startswith("running statistics and eval mode: not run to the end (eval "
                               "mode did not finish") for line in hung.not_checked)
    assert not any("running statistics" in line for line in hung.checked)
    good = verify_module_spec("torch_modules:BatchNorm2d", "batchnorm-module")
    assert good.ok and any(line.startswith("ran in a worker process") for line in good.checked)
    assert not any("ran in this process" in line for line in good.not_checked)


def test_an_object_constructed_by_the_user_keeps_its_channels_eps_and_momentum():
    import torch
    report = verify_module(torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.3))
    assert report.ok, report.problems
    assert {c.case.split(" ")[0] for c in report.checks if c.mode == "train"} == {
        "2x3x4x5", "4x3x3x3"}
    assert all("eps=0.001" in c.case for c in report.checks if c.mode == "train")
    assert "momentum 0.3 (the object's; the pytorch default is 0.1), eps 0.001" in \
        "\n".join(report.checked)
    with pytest.raises(VerifyError, match="momentum=None .* the keras convention has none"):
        verify_module(torch.nn.BatchNorm2d, init={"momentum": None}, convention="keras")


def test_layout_and_feature_axis_choose_what_runs():
    report = verify_module(torch_modules.NoUnbiasedAnyLayout, layout="NCL")
    assert {c.layout for c in report.checks} == {"NCL"}
    assert "running statistics" in "\n".join(report.checked)
    channels_last = verify_module(jax_modules.batchnorm, feature_axis=-1, layout="NHWC",
                                  dtypes=("float64",))
    assert channels_last.ok and {c.layout for c in channels_last.checks} == {"NHWC"}


def test_a_numpy_function_is_not_a_module():
    def numpy_bn(x, gamma, beta, eps):
        return x

    with pytest.raises(VerifyError, match="NAME-forward or NAME-backward"):
        verify_module(numpy_bn)


# -- findings of the adversarial review ---------------------------------------------------

@pytest.mark.parametrize("module", [review_modules.GammaIgnored4D, review_modules.GammaIgnored1D])
def test_parameters_of_any_per_channel_shape_are_randomized_so_ignoring_them_is_wrong(module):
    report = verify_module(module, layout="NCHW", dtypes=("float64",))
    assert not report.ok
    assert set(report.diagnosis.mistakes) == {"gamma-ignored", "beta-ignored"}
    failed = {c.output for c in report.checks if c.mode == "train" and not c.passed}
    assert {"y", "dgamma", "dbeta"} <= failed
    assert not any("no gamma or beta parameter" in line for line in report.not_checked)


def test_a_correct_module_with_parameters_and_buffers_shaped_1c11_is_correct():
    report = verify_module(review_modules.Buffers4D, layout="NCHW", dtypes=("float64",))
    assert report.ok, report.problems
    assert outputs_checked(report, "train") == {"y", "dx", "dgamma", "dbeta", "hvp"}
    assert outputs_checked(report, "running") == {"running mean", "running var"}


def test_running_statistics_kept_as_plain_attributes_are_named_as_such():
    report = verify_module(review_modules.PlainAttrStats, layout="NCHW", dtypes=("float64",))
    assert keys(report) == {"plain-tensor-stats"}
    message = report.problems[0].message
    assert message.startswith("running_mean and running_var: plain tensor attributes, not "
                              "registered buffers")
    assert "self.register_buffer" in message
    assert all(c.passed for c in report.checks)  # the update itself is right


def test_no_running_statistics_are_not_listed_as_checked():
    report = verify_module(torch_modules.NoRunningStats, layout="NCHW", dtypes=("float64",))
    assert "no-running-stats" in keys(report)
    assert not any(line.startswith("running statistics:") for line in report.checked)
    assert any(line.startswith("running statistics: not compared") for line in
               report.not_checked)


@pytest.mark.parametrize("module,text", [
    (review_modules.OwnMomentum, "momentum 0.01 (its momentum attribute; the pytorch default "
                                 "is 0.1)"),
    (review_modules.FixedMomentum, "momentum 0.05 (its momentum attribute; the pytorch default "
                                   "is 0.1)"),
    (review_modules.CumulativeAverage, "momentum None (its momentum attribute): a cumulative "
                                       "average, weight 1/k at step k")])
def test_the_module_own_momentum_is_the_expected_one(module, text):
    report = verify_module(module, layout="NCHW", dtypes=("float64",))
    assert report.ok, report.problems
    assert outputs_checked(report, "running") == {"running mean", "running var"}
    assert text in "\n".join(report.checked)


def test_a_running_update_with_another_momentum_than_the_stated_one_is_wrong():
    # the module says 0.01 but updates with 0.1: read from the attribute, the check fails
    class SaysOtherMomentum(torch_modules.BatchNorm2d):
        def forward(self, x):
            stated, self.momentum = self.momentum, 0.1
            try:
                return super().forward(x)
            finally:
                self.momentum = stated

    module = SaysOtherMomentum(6, momentum=0.01)
    report = verify_module(module, layout="NCHW", dtypes=("float64",))
    assert not report.ok
    assert {"running mean differs", "running var differs"} <= keys(report)


def test_the_feature_size_from_init_sizes_every_case():
    report = verify_module(review_modules.LayerNormNdim, norm="layernorm",
                           init=parse_init("ndim=6"), dtypes=("float64",))
    assert report.ok, report.problems
    assert {c.case.split(" ")[0].split("x")[-1] for c in report.checks} == {"6"}


def test_an_assumed_momentum_that_does_not_fit_says_how_to_give_the_module_its_own():
    report = verify_module(review_modules.HiddenMomentum, layout="NCHW", dtypes=("float64",))
    assert {"running mean differs", "running var differs"} <= keys(report)
    messages = [p.message for p in report.problems if p.key == "running mean differs"]
    assert messages[0].endswith(
        "symbn assumed momentum 0.1 (the pytorch default), as HiddenMomentum has no momentum "
        "attribute; if it uses another, give the module a momentum attribute")


def test_a_feature_size_under_an_unknown_name_is_read_from_the_constructed_module():
    report = verify_module(review_modules.LayerNormOtherName, norm="layernorm",
                           init={"width_of_features": 6}, dtypes=("float64",))
    assert report.ok, report.problems
    assert {c.case.split(" ")[0].split("x")[-1] for c in report.checks} == {"6"}


def test_a_per_channel_parameter_of_an_unknown_name_is_said_not_checked():
    report = verify_module(review_modules.ExtraScale, layout="NCHW", dtypes=("float64",))
    assert report.ok, report.problems  # alpha stays 1
    assert any(line.startswith("parameter alpha (one value per channel): neither the scale nor "
                               "the shift") for line in report.not_checked)
