"""The verify runner on the code people write: the whole family, layouts found by trying,
cache-style pairs, NumPy/PyTorch/JAX functions, and user code that misbehaves.

Each complaint of issue 11 that the runner answers has a test here, on the small fixtures in
tests/fixtures/verify_runner/.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symbn.verify import VerifyError, get_kind, verify

HERE = Path(__file__).resolve().parent / "fixtures" / "verify_runner"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "verify"
sys.path[:0] = [str(HERE), str(EXAMPLES)]


def run(*args, cwd=HERE):
    return subprocess.run([sys.executable, "-m", "symbn.cli", "--no-color", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def check(target, kind, **options):
    """verify() from the fixtures' folder (targets are module:function names there)."""
    return verify(target, kind, **options)


def failing(report):
    return [c for c in report.checks if not c.passed]


# -- layouts -----------------------------------------------------------------------------------

def test_correct_nd_only_code_is_correct_and_says_3d_and_4d_were_not_supported():
    report = check("nd_only:backward", "batchnorm-backward")
    assert report.ok and not report.problems
    assert {c.layout for c in report.checks} == {"NC"}
    unsupported = [line for line in report.not_checked if "not supported" in line]
    assert [line.split()[1] for line in unsupported] == ["NCL", "NCHW"]


def test_cli_nd_only_exits_0_and_reports_the_unsupported_layouts_once():
    done = run("verify", "nd_only:forward", "--kind", "batchnorm-forward")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("layout NCHW") == 1 and "not supported" in done.stdout
    assert "verdict: correct" in done.stdout


def test_channels_last_code_with_feature_axis_minus_1_is_correct_on_nlc_and_nhwc():
    report = check("channels_last:forward", "bn-forward", feature_axis=-1)
    assert report.ok
    assert {c.layout for c in report.checks} == {"NC", "NLC", "NHWC"}
    assert run("verify", "channels_last:forward", "--kind", "bn-forward",
               "--layout", "nhwc").returncode == 0


def test_feature_axis_0_sizes_the_parameters_from_that_axis():
    report = check("channels_last:forward_axis0", "batchnorm-forward", feature_axis=0)
    assert report.ok and {c.layout for c in report.checks} == {"CN", "CNL", "CNHW"}


def test_a_named_layout_the_code_does_not_support_is_a_fault_not_a_skip():
    report = check("nd_only:forward", "bn-forward", layout="NCHW")
    assert not report.ok and report.problems
    assert not any("not supported" in line for line in report.not_checked)


def test_code_for_the_wrong_layout_is_wrong_on_the_layout_it_accepts():
    """Per-sample statistics run on (N, D) without a shape error: WRONG, and named."""
    report = check("nd_only:forward_per_sample", "bn-forward")
    assert not report.ok and report.diagnosis.name == "per-sample-statistics"


@pytest.mark.parametrize("options,message", [
    (("--feature-axis", "4"), "feature axis 4 fits no batchnorm input"),
    (("--feature-axis", "-5"), "use an axis from -4 to 3"),
    (("--layout", "NHWC", "--feature-axis", "1"), "contradicts layout NHWC"),
    (("--layout", "NC", "--kind", "instancenorm-forward"), "not the 2-D layout NC"),
    # a weight layout for an activation norm, and the reverse
    (("--layout", "OI"), "layout OI is not a batchnorm layout"),
    (("--layout", "NC", "--kind", "weightnorm-forward"), "layout NC is not a weightnorm layout"),
])
def test_a_bad_axis_or_layout_is_a_usage_error_in_one_line(options, message):
    args = ["verify", "nd_only:forward", *options]
    if "--kind" not in options:
        args += ["--kind", "bn-forward"]
    done = run(*args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_instancenorm_takes_no_2d_layout_and_btc_names_its_channels_last_3d_layout():
    with pytest.raises(VerifyError, match="not the 2-D layout NC"):
        check("family_numpy:instancenorm", "instancenorm-forward", layout="NC")
    report = check("channels_last:forward", "bn-forward", layout="BTC")
    assert report.ok and {c.layout for c in report.checks} == {"NLC"}


# -- the family --------------------------------------------------------------------------------

@pytest.mark.parametrize("target,kind,layouts", [
    ("family_numpy:layernorm", "layernorm-forward", {"NC", "BTC"}),
    ("family_numpy:rmsnorm", "rmsnorm-forward", {"NC", "BTC"}),
    ("family_numpy:rmsnorm_backward", "rmsnorm-backward", {"NC", "BTC"}),
    ("family_numpy:groupnorm", "groupnorm-forward", {"NC", "NCL", "NCHW"}),
    ("family_numpy:instancenorm", "instancenorm-forward", {"NCL", "NCHW"}),
    ("family_numpy:weightnorm", "weightnorm-forward", {"OI", "OIHW"}),
    ("family_numpy:weightnorm_backward", "weightnorm-backward", {"OI", "OIHW"}),
])
def test_each_member_of_the_family_verifies(target, kind, layouts):
    report = check(target, kind)
    assert report.ok, report.problems
    assert {c.layout for c in report.checks} == layouts
    assert {c.output for c in report.checks} == set(get_kind(kind).outputs)


def test_a_wrong_member_is_wrong():
    report = check("family_numpy:rmsnorm_subtracts_mean", "rmsnorm-forward")
    assert not report.ok and failing(report)


# -- cache-style pairs -------------------------------------------------------------------------

def test_cs231n_pair_is_verified_together_with_the_bn_param_dict():
    report = check("pairs:batchnorm_forward,batchnorm_backward", "batchnorm-pair")
    assert report.ok
    assert {c.output for c in report.checks} == {"y", "dx", "dgamma", "dbeta"}


def test_llm_c_pair_without_eps_is_verified_and_the_assumed_eps_is_stated():
    report = check("pairs:layernorm_forward,layernorm_backward", "layernorm-pair")
    assert report.ok and {c.layout for c in report.checks} == {"NC", "BTC"}
    assert any("assumed to be 1e-05" in line for line in report.not_checked)


def test_a_weight_norm_pair_gets_no_eps_and_no_assumption_about_one():
    report = check("pairs:weightnorm_forward,weightnorm_backward", "weightnorm-pair")
    assert report.ok and {c.output for c in report.checks} == {"w", "dv", "dg"}
    assert not any("eps" in line for line in report.not_checked)


def test_nd_code_that_silently_misreads_3d_inputs_is_wrong_and_told_how_to_scope_it():
    """CS231n's LayerNorm reduces axis 1: right for (N, D), silently wrong for (B, T, C)."""
    target = "pairs:cs231n_layernorm_forward,cs231n_layernorm_backward"
    report = check(target, "layernorm-pair")
    assert not report.ok
    advice = [p for p in report.problems if p.message.startswith("right on NC but wrong on BTC")]
    assert len(advice) == 1 and "--layout" in advice[0].message
    shapes = [p for p in report.problems if "has shape" in p.message]
    assert len(shapes) == 2  # dgamma and dbeta, each once whatever the case's shape
    assert check(target, "layernorm-pair", layout="NC").ok


def test_a_wrong_pair_backward_is_diagnosed():
    report = check("pairs:batchnorm_forward,batchnorm_backward_missing_1_over_n",
                   "batchnorm-pair")
    assert not report.ok and report.diagnosis.name == "missing-1/N"
    assert {c.output for c in failing(report)} == {"dx"}


def test_a_pair_forward_without_a_cache_gets_the_expected_signature():
    report = check("pairs:forward_without_cache,batchnorm_backward", "batchnorm-pair",
                   layout="NC")
    problem, hint = report.problems
    assert "returns (y, cache)" in problem.message and len(problem.cases) > 1
    assert "backward(dy, cache) -> (dx, dgamma, dbeta)" in hint.message


@pytest.mark.parametrize("target,kind", [
    ("nd_only:backward_dict", "batchnorm-backward"),
    ("pairs:batchnorm_forward,batchnorm_backward_dict", "batchnorm-pair"),
])
def test_gradients_may_come_back_as_a_dict_by_name(target, kind):
    assert check(target, kind, layout="NC").ok


def test_too_few_gradients_is_one_problem_naming_the_signature():
    [problem] = check("nd_only:backward_two", "batchnorm-backward", layout="NC").problems
    assert problem.message == ("the function returned 2 values; symbn expects "
                               "f(x, dy, gamma, beta, eps) -> (dx, dgamma, dbeta)")


def test_a_pair_kind_needs_two_functions():
    done = run("verify", "pairs:batchnorm_forward", "--kind", "batchnorm-pair")
    assert done.returncode == 2 and "module:forward,backward" in done.stderr


# -- frameworks and precision ------------------------------------------------------------------

def test_pytorch_functions_are_detected_and_checked_in_half_precision_too():
    report = check("torch_fns:batchnorm_backward", "bn-backward")
    assert report.ok and report.framework == "torch"
    assert {c.dtype for c in report.checks} == {"float64", "float32", "float16", "bfloat16"}
    stress = {c.mode for c in report.checks} - {"train"}
    assert stress == {"mean offset", "large values", "tiny eps", "constant channel"}
    assert max(c.max_rel / c.tolerance for c in report.checks) < 0.25  # the rule's margin


def test_one_pass_variance_fails_the_mean_offset_case_it_was_made_for():
    report = check("torch_fns:batchnorm_one_pass", "bn-forward", layout="NC")
    assert not report.ok
    assert any("in the mean offset case" in p.message for p in report.problems) or any(
        c.mode == "mean offset" for c in failing(report))


def test_float16_arithmetic_is_caught_by_the_large_values_and_tiny_eps_cases():
    report = check("torch_fns:batchnorm_in_input_dtype", "bn-forward", layout="NC")
    assert {(c.mode, c.dtype) for c in failing(report)} == {("large values", "float16")}
    [nan] = report.problems
    assert "NaN or inf" in nan.message and "tiny eps" in nan.message
    assert all(c.passed for c in report.checks if c.dtype in ("float64", "float32"))


def test_dtypes_from_the_command_line_and_what_was_left_out_is_said():
    done = run("verify", "torch_fns:batchnorm_in_input_dtype", "--kind", "bn-forward",
               "--layout", "NC", "--dtypes", "float64,float32", "--json")
    assert done.returncode == 0, done.stdout + done.stderr  # wrong in float16 alone
    facts = json.loads(done.stdout)
    assert {w["dtype"] for w in facts["worst"]} == {"float64", "float32"}
    assert "float16, bfloat16: not among the dtypes asked for" in facts["not_checked"]
    bad = run("verify", "torch_fns:batchnorm_in_input_dtype", "--kind", "bn-forward",
              "--dtypes", "float8")
    assert bad.returncode == 2 and "give dtypes among float64, float32" in bad.stderr


def test_dtypes_in_python_as_a_string_or_a_list_and_a_bad_one_is_named():
    as_text = check("torch_fns:batchnorm_in_input_dtype", "bn-forward", layout="NC",
                    dtypes="float64,float32")
    assert as_text.ok and {c.dtype for c in as_text.checks} == {"float64", "float32"}
    with pytest.raises(VerifyError, match=r"dtypes \['float65'\]: give dtypes among float64"):
        check("torch_fns:batchnorm_in_input_dtype", "bn-forward", dtypes=["float65"])


def test_with_json_a_command_line_error_is_json_too():
    done = run("verify", "torch_fns:batchnorm_in_input_dtype", "--kind", "batchnrom-forward",
               "--json")
    assert done.returncode == 2 and "invalid choice" in json.loads(done.stdout)["error"]
    path = run("verify", "/x/mybn.py", "--kind", "bn-forward")
    assert path.returncode == 2 and "is a path: give the module's name and the function, " \
        "mybn:FUNCTION" in path.stderr


def test_an_output_in_another_dtype_is_a_problem_for_each_dtype_once():
    report = check("torch_fns:batchnorm_float32_out", "bn-forward", layout="NC")
    messages = sorted(p.message.split(" (")[0] for p in report.problems)
    assert messages == [f"y has dtype float32 for {d} inputs"
                        for d in ("bfloat16", "float16", "float64")]


def test_llm_rmsnorm_that_promotes_is_correct_and_one_that_always_uses_float32_is_not():
    good = check("llm_rmsnorm:rms_norm", "rmsnorm-forward", layout="BTC")
    assert good.ok and good.framework == "torch"
    bad = check("torch_fns:rmsnorm", "rmsnorm-forward", layout="BTC")
    assert {c.dtype for c in failing(bad)} == {"float64"}


def test_jax_functions_are_detected():
    report = check("jax_fns:layernorm_backward", "layernorm-backward", layout="NC",
                   dtypes=("float64", "float32"), stress=False)
    assert report.ok and report.framework == "jax"


def test_numpy_code_says_half_precision_was_not_checked():
    report = check("nd_only:forward", "bn-forward", layout="NC")
    assert report.framework == "numpy"
    assert any(line.startswith("float16, bfloat16") for line in report.not_checked)


# -- saying what was checked -------------------------------------------------------------------

def test_every_report_lists_what_was_and_was_not_checked():
    report = check("nd_only:forward", "bn-forward")
    checked = " | ".join(report.checked)
    for word in ("outputs y", "layouts: NC", "dtypes: float64, float32", "mode: training",
                 "stress cases: mean offset"):
        assert word in checked
    missing = " | ".join(report.not_checked)
    for word in ("gradients", "running statistics", "second order", "NCHW"):
        assert word in missing


def test_nothing_checked_is_never_correct():
    report = check("robust:raises_inside", "bn-forward", layout="NC")
    assert not report.ok and not report.checks and not report.checked


# -- running user code robustly ----------------------------------------------------------------

def test_a_segfault_is_reported_as_a_crash_at_once_with_the_users_line():
    report = check("robust:segfaults", "bn-forward")
    [problem] = report.problems
    assert "killed by SIGSEGV" in problem.message and "robust.py, line" in problem.message
    assert len(problem.cases) == 1
    assert any("not run (stopped after the worker crashed)" in n for n in report.not_checked)


def test_os_exit_is_reported_as_a_crash():
    [problem] = check("robust:exits", "bn-forward").problems
    assert "exited with status 3" in problem.message


def test_a_function_that_cannot_take_the_arguments_is_not_verified_exit_2_with_the_signature():
    """Review finding 9: no user code ran, so no verdict; --json still gets a JSON object."""
    done = run("verify", "robust:three_arguments", "--kind", "bn-forward", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error.startswith("not verified: signature mismatch: three_arguments(x, gamma, beta)")
    assert error.endswith("symbn calls f(x, gamma, beta, eps) -> y")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_an_error_is_one_problem_with_its_cases_and_traceback_shows_the_users_line():
    report = check("robust:raises_inside", "bn-forward", layout="NC")
    problem, hint = report.problems  # three different eps in the message, one fault
    assert "robust.py, line 27" in problem.message and len(problem.cases) == 10
    assert hint.message.startswith("no call gave outputs to compare; symbn calls f(x, gamma")
    done = run("verify", "robust:raises_inside", "--kind", "bn-forward", "--layout", "NC",
               "--traceback")
    assert 'raise ValueError(f"eps={eps} is not allowed here")' in done.stdout


@pytest.mark.parametrize("module,message", [
    ("exits_at_import", "called sys.exit(0) while being imported"),
    ("raises_at_import", "raised RuntimeError: config.yaml not found (raises_at_import.py, "
                         "line 3)"),
    ("noguard_script", "put that call under if __name__"),
])
def test_a_module_that_exits_or_raises_at_import_is_a_usage_error(module, message):
    done = run("verify", f"{module}:forward", "--kind", "bn-forward")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_time_limit_starts_after_the_import():
    """The module sleeps 4 s at import; each call has 2 s and needs milliseconds."""
    report = check("slow_import:forward", "bn-forward", layout="NC", timeout=2.0)
    assert report.ok


def test_a_script_without_a_main_guard_verifies_its_own_function_in_process():
    done = subprocess.run([sys.executable, "noguard_script.py"], capture_output=True,
                          text=True, cwd=HERE, timeout=600)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0] == "ok", done.stdout + done.stderr
    assert any("ran in this process" in line for line in lines)


def test_a_function_defined_in_main_runs_in_process():
    cell = {"__name__": "__main__"}
    exec("import numpy as np\n"  # noqa: S102 -- a notebook cell's function, in __main__
         "def forward(x, gamma, beta, eps):\n"
         "    mu = x.mean(0)\n"
         "    return gamma * (x - mu) / np.sqrt(x.var(0) + eps) + beta\n", cell)
    report = verify(cell["forward"], "bn-forward", layout="NC")
    assert report.ok
    assert any("ran in this process" in line for line in report.not_checked)


# -- review findings (tests/fixtures/verify_runner/: one fixture per finding) -------------------

@pytest.mark.parametrize("name", ["forward_unpack", "forward_assert", "forward_raise"])
def test_nd_code_that_refuses_other_ranks_its_own_way_is_correct_on_nc(name):
    """Finding 3: a layout on which every call raises before any output is not supported."""
    report = check(f"rank_checks:{name}", "batchnorm-forward")
    assert report.ok and not report.problems, report.problems
    assert {c.layout for c in report.checks} == {"NC"}
    unsupported = [line for line in report.not_checked if "not supported" in line]
    assert [line.split()[1] for line in unsupported] == ["NCL", "NCHW"]
    assert all("rank_checks.py, line" in line for line in unsupported)


def test_a_btc_only_llm_c_pair_is_correct_and_nc_is_not_supported():
    report = check("rank_checks:layernorm_forward,layernorm_backward", "layernorm-pair")
    assert report.ok and {c.layout for c in report.checks} == {"BTC"}
    assert any(line.startswith("layout NC ") and "not supported" in line
               for line in report.not_checked)


def test_an_error_on_every_rank_is_a_fault_not_unsupported_layouts():
    report = check("rank_checks:forward_name_error", "batchnorm-forward")
    assert not report.ok and not any("not supported" in n for n in report.not_checked)
    problem, hint = report.problems
    assert problem.message.startswith("raised NameError") and "rank_checks.py" in problem.message
    assert hint.message == ("no call gave outputs to compare; symbn calls "
                            "f(x, gamma, beta, eps) -> y")


@pytest.mark.parametrize("name,kind", [("layernorm", "layernorm-forward"),
                                       ("batchnorm_via_helper", "batchnorm-forward")])
def test_numpy_code_in_a_module_that_imports_torch_is_called_with_numpy(name, kind):
    """Finding 4: the framework is the one the function's own code refers to (np.sqrt, also
    through a helper of its module), not whatever the module imported."""
    report = check(f"numpy_in_torch_module:{name}", kind)
    assert report.framework == "numpy"
    assert report.ok, (report.problems, failing(report))


def test_groupnorm_that_ignores_its_groups_argument_is_wrong_and_named():
    """Finding 2: the number of groups varies (2 and 3), so a hard-coded 2 is caught."""
    wrong = check("groups_ignored:group_norm_two_groups", "groupnorm-forward")
    assert not wrong.ok
    assert {c.case.split()[-1] for c in failing(wrong)} == {"groups=3"}
    assert any("ignores its groups argument" in p.message for p in wrong.problems)
    right = check("groups_ignored:group_norm", "groupnorm-forward")
    assert right.ok and any(c.case.endswith("groups=3") for c in right.checks)


@pytest.mark.parametrize("name,kind,arguments", [
    ("forward_subtracts_in_place", "batchnorm-forward", "argument x"),
    ("forward_scales_gamma", "batchnorm-forward", "argument gamma"),
    ("backward_zeroes_after", "batchnorm-backward", "argument dy"),
    ("torch_forward_in_place", "batchnorm-forward", "argument x"),
])
def test_code_that_changes_its_callers_arrays_is_wrong_with_one_problem(name, kind, arguments):
    """Finding 8: the values are right (computed before the damage), the caller's arrays not."""
    report = check(f"in_place:{name}", kind, layout="NC", dtypes=("float64", "float32"))
    assert not report.ok
    assert all(c.passed for c in report.checks) and report.checks
    [problem] = report.problems
    assert problem.message.startswith(f"modifies its {arguments} in place")
    assert len(problem.cases) > 5


def test_a_keyword_only_eps_and_eps_second_are_called_by_name():
    """Finding 9: parameters named as symbn's arguments get them by name."""
    for name in ("keyword_only_eps", "eps_second"):
        report = check(f"signatures:{name}", "batchnorm-forward", layout="NC")
        assert report.ok, (name, report.problems)


def test_a_function_without_eps_is_not_verified_rather_than_wrong():
    with pytest.raises(VerifyError, match=r"not verified: signature mismatch: no_eps\(x, gamma"):
        check("signatures:no_eps", "batchnorm-forward")


def test_returning_none_names_the_output_without_a_hint_about_argument_order():
    report = check("signatures:returns_none", "batchnorm-forward", layout="NC")
    [problem] = report.problems
    assert problem.message == "y is not an array (NoneType)"


def test_a_usage_error_with_json_prints_a_json_error_object():
    """Finding 13."""
    done = run("verify", "nd_only:forward", "--kind", "bn-forward", "--layout", "OI", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {"error": done.stderr.strip().removeprefix("error: "),
                                       "exit_status": 2}


def test_case_labels_say_the_eps_and_groups_the_code_got():
    """Finding 11: no eps on weight norm's cases; a pair forward keeping its own eps is run
    (and labelled) with the eps assumed; the table shows a failing case's numbers."""
    weight = check("pairs:weightnorm_forward,weightnorm_backward", "weightnorm-pair")
    assert weight.checks and not any("eps" in c.case for c in weight.checks)
    own = check("rank_checks:layernorm_forward,layernorm_backward", "layernorm-pair")
    assert {c.case.split("eps=")[1].split()[0] for c in own.checks} == {"1e-05"}


def test_the_table_shows_a_failing_case_and_one_case_is_singular():
    """Finding 11: the worst case per output is a failing one when any failed (a passing
    stress case can have a larger error under its larger tolerance); "in 1 case"."""
    from symbn.report.data import verify_data
    wrong = check("groups_ignored:group_norm_two_groups", "groupnorm-forward", layout="NC")
    for worst in verify_data(wrong)["worst"]:
        assert not worst["passed"] and worst["case"].endswith("groups=3")
    done = run("verify", "robust:segfaults", "--kind", "bn-forward")
    assert "(in 1 case: " in done.stdout


def test_a_crash_inside_a_library_names_the_users_line():
    [problem] = check("crash_in_library:forward", "bn-forward").problems
    assert "killed by SIGSEGV" in problem.message
    assert problem.message.endswith("(crash_in_library.py, line 9)")


def test_code_naming_no_framework_says_when_another_framework_gives_other_values():
    """Finding 4: methods only (x.var) in a module importing torch: checked on tensors, where
    x.var is unbiased (WRONG), and the report says NumPy arrays give other values."""
    report = check("numpy_in_torch_module:batchnorm_methods_only", "batchnorm-forward",
                   layout="NC", dtypes=("float64",), stress=False)
    assert report.framework == "torch" and not report.ok
    assert report.diagnosis.name == "unbiased-variance"
    assert any(n.startswith("NumPy arrays: the code also runs on them and gives other values")
               and "--framework numpy" in n for n in report.not_checked)
    assert check("numpy_in_torch_module:batchnorm_methods_only", "batchnorm-forward",
                 layout="NC", framework="numpy").ok
