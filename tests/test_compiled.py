"""The compiled kernel path (numba) against the NumPy kernels it is generated from.

numba is a required test dependency (the ``compiled`` extra): without it this module fails
at import instead of skipping.
"""

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
import sympy as sp

from symbn import Mean, derivative
from symbn.bn import derive_batchnorm
from symbn.bn.batchnorm import x as x_symbol
from symbn.bn.conventions import CONVENTIONS
from symbn.core import sample_symbols
from symbn.kernels import KernelInputError, compile_kernel
from symbn.kernels import batchnorm as bn_kernels
from symbn.kernels import compiled as compiled_path
from symbn.kernels import family
from symbn.kernels.compiled import compiled
from tests.helpers import relative_error

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = {np.float64: 1e-12, np.float32: 2e-5}


def _bn_inputs(shape, axes, dtype, seed=0, offset=1.0):
    rng = np.random.default_rng(seed)
    axes = [a % len(shape) for a in axes]
    kept = [n for i, n in enumerate(shape) if i not in axes]
    batch = np.prod([shape[i] for i in axes])
    return dict(
        x=(rng.normal(size=shape) * 3 + offset).astype(dtype),
        g=rng.normal(size=shape).astype(dtype),  # random upstream gradient: never constant
        gamma=rng.uniform(0.5, 2, size=kept).astype(dtype),
        beta=rng.normal(size=kept).astype(dtype),
        # with 2 values per channel dx is pure cancellation for a tiny eps (see test_kernels)
        epsilon=0.3 if batch == 2 else 1e-5,
    )


def _assert_matches(got, want, tolerance, context):
    assert set(got) == set(want), context
    for name in want:
        assert got[name].shape == want[name].shape, (context, name)
        error = relative_error(got[name], np.asarray(want[name], dtype=np.float64))
        assert error <= tolerance, f"{context}: {name} relative error {error:.2e}"


# ---------------------------------------------------------------------------------------
# BatchNorm training, forward and backward, every layout
# ---------------------------------------------------------------------------------------

LAYOUTS = [
    ((2, 5), (0,)),                 # N = 2
    ((64, 16), (0,)),               # (N, C): channels innermost, the row-chunk loops
    ((8, 4, 5, 5), (0, 2, 3)),      # NCHW: the per-channel loops
    ((6, 5, 5, 4), (0, 1, 2)),      # NHWC: channels last
    ((6, 5, 4), (1,)),              # kept axes apart: transposed to (kept, reduced)
    ((6, 5, 4), (-3, -1)),          # negative axes
    ((3, 4, 5), (0, 1, 2)),         # everything reduced: one channel
]


@pytest.mark.parametrize("shape,axes", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_train_matches_the_numpy_kernel_in_every_layout(shape, axes, dtype):
    inputs = _bn_inputs(shape, axes, dtype)
    reference = bn_kernels.train_kernel()
    got = compiled(reference)(axes=axes, **inputs)
    _assert_matches(got, reference(axes=axes, **inputs), TOLERANCE[dtype], (shape, axes))
    assert all(v.dtype == dtype for v in got.values())
    if dtype == np.float32:  # and close to the float64 truth on the same float32 inputs
        exact = reference(axes=axes, **{k: np.asarray(v, np.float64) for k, v in inputs.items()})
        _assert_matches(got, exact, 1e-6, (shape, axes, "float64 truth"))


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(4096, 1024), (256, 64, 32, 32)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_train_matches_on_the_bench_shapes(shape, dtype):
    axes = (0, *range(2, len(shape)))
    inputs = _bn_inputs(shape, axes, dtype)
    got = compiled_path.train(inputs["x"], inputs["g"], inputs["gamma"], inputs["beta"],
                              inputs["epsilon"])
    want = bn_kernels.train(inputs["x"], inputs["g"], inputs["gamma"], inputs["beta"],
                            inputs["epsilon"])
    _assert_matches(got, want, TOLERANCE[dtype], shape)


def test_strided_and_broadcast_inputs():
    inputs = _bn_inputs((7, 6, 5), (0, 2), np.float64)
    reference = bn_kernels.train_kernel()
    want = reference(axes=(0, 2), **inputs)
    wide = np.zeros((7, 12, 5))
    wide[:, ::2] = inputs["g"]
    fortran = dict(inputs, x=np.asfortranarray(inputs["x"]), g=wide[:, ::2])
    _assert_matches(compiled(reference)(axes=(0, 2), **fortran), want, 1e-12, "Fortran order")
    column = dict(inputs, gamma=inputs["gamma"].reshape(1, 6, 1), beta=inputs["beta"][0])
    _assert_matches(compiled(reference)(axes=(0, 2), **column),
                    reference(axes=(0, 2), **column), 1e-12, "broadcast constants")


def test_results_do_not_depend_on_the_number_of_threads():
    """A fixed split into chunks: the same sums, bit for bit, on 1 thread or all."""
    reference = bn_kernels.train_kernel()
    default = numba.get_num_threads()
    for shape, axes in [((300, 40), (0,)), ((9, 6, 7, 7), (0, 2, 3))]:
        inputs = _bn_inputs(shape, axes, np.float64)
        try:
            numba.set_num_threads(1)
            one = compiled(reference)(axes=axes, **inputs)
        finally:
            numba.set_num_threads(default)
        every = compiled(reference)(axes=axes, **inputs)
        for name in one:
            np.testing.assert_array_equal(one[name], every[name])


@pytest.mark.parametrize("shape,axes", [((64, 16), (0,)), ((8, 4, 5, 5), (0, 2, 3))])
def test_outputs_written_into_given_arrays(shape, axes):
    inputs = _bn_inputs(shape, axes, np.float32)
    kernel = compiled(bn_kernels.train_kernel())
    fresh = kernel(axes=axes, **inputs)
    out = {"y": np.full(shape, np.nan, np.float32), "dx": np.full(shape, np.nan, np.float32)}
    reused = kernel(axes=axes, out=out, **inputs)
    for name in fresh:
        np.testing.assert_array_equal(reused[name], fresh[name])
    assert all(np.shares_memory(reused[n], out[n]) for n in out)


def test_unusable_out_arrays_are_named():
    inputs = _bn_inputs((64, 16), (0,), np.float64)
    kernel = compiled(bn_kernels.train_kernel())
    for bad in ({"y": np.empty((64, 16), np.float32)}, {"y": np.empty((16, 64)).T},
                {"y": np.empty((64, 15))}, {"dgamma": np.empty(16)}):
        with pytest.raises(KernelInputError, match="out"):
            kernel(axes=(0,), out=bad, **inputs)


# ---------------------------------------------------------------------------------------
# Edge cases: a constant channel, NaN, a large mean offset
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axes", [((50, 4), (0,)), ((6, 4, 3, 3), (0, 2, 3))])
def test_a_constant_channel_gives_beta_and_a_finite_gradient(shape, axes):
    inputs = _bn_inputs(shape, axes, np.float64)
    inputs["x"][:, 2] = 0.7
    reference = bn_kernels.train_kernel()
    got = compiled(reference)(axes=axes, **inputs)
    _assert_matches(got, reference(axes=axes, **inputs), 1e-12, "constant channel")
    # the shift is the channel's first value, so the constant channel is centred exactly
    np.testing.assert_array_equal(got["y"][:, 2], inputs["beta"][2])
    g = inputs["g"][:, 2]
    closed_form = inputs["gamma"][2] / np.sqrt(inputs["epsilon"]) * (g - g.mean())
    assert relative_error(got["dx"][:, 2], closed_form) <= 1e-12
    assert np.all(np.isfinite(got["dx"]))


@pytest.mark.parametrize("shape,axes", [((50, 4), (0,)), ((6, 4, 3, 3), (0, 2, 3))])
def test_nan_propagates_to_its_channel_only(shape, axes):
    inputs = _bn_inputs(shape, axes, np.float64)
    inputs["x"][3, 1] = np.nan
    reference = bn_kernels.train_kernel()
    got, want = compiled(reference)(axes=axes, **inputs), reference(axes=axes, **inputs)
    for name in want:
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(want[name]))
        finite = ~np.isnan(want[name])
        assert relative_error(got[name][finite], want[name][finite]) <= 1e-12
    assert np.all(np.isnan(got["y"][:, 1])) and np.all(np.isnan(got["dgamma"][1]))
    assert not np.any(np.isnan(np.delete(got["y"], 1, axis=1)))
    assert not np.any(np.isnan(got["dbeta"]))  # dbeta = sum(g) does not read x


@pytest.mark.parametrize("shape,axes", [((512, 3), (0,)), ((16, 3, 4, 4), (0, 2, 3))])
def test_a_large_mean_offset_costs_no_digits(shape, axes):
    """x = 2**20 + z, with z on a grid where the sum is exact: BN is shift invariant, so
    the kernel on x must give what the reference gives on z.  A one-pass scheme of raw
    moments (Mean(x**2) - Mean(x)**2) loses about 2**40 * 1e-16 of the variance here."""
    rng = np.random.default_rng(3)
    z = np.round(rng.normal(size=shape) * 2**30) / 2**30
    x = 2.0**20 + z
    assert np.array_equal(x - 2.0**20, z)  # the offset input is exact
    inputs = dict(_bn_inputs(shape, axes, np.float64), x=x)
    reference = bn_kernels.train_kernel()
    got = compiled(reference)(axes=axes, **inputs)
    _assert_matches(got, reference(axes=axes, **dict(inputs, x=z)), 1e-12, "offset 2**20")
    # the control: the textbook one-pass formula fails the same tolerance by far
    raw = (x**2).mean(axis=axes) - x.mean(axis=axes) ** 2
    assert relative_error(raw, z.var(axis=axes)) > 1e-9


# ---------------------------------------------------------------------------------------
# The family, eval mode, running statistics, HVP
# ---------------------------------------------------------------------------------------

FAMILY_CASES = [("batchnorm", (6, 4, 3, 3), None), ("batchnorm", (32, 5), None),
                ("layernorm", (4, 6, 3, 3), None), ("layernorm", (8, 10), None),
                ("instancenorm", (4, 6, 3, 3), None), ("groupnorm", (4, 6, 3, 3), 2),
                ("rmsnorm", (4, 6, 3, 3), None), ("rmsnorm", (8, 10), None)]


@pytest.mark.parametrize("name,shape,groups", FAMILY_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_family_members_match(name, shape, groups, dtype):
    rng = np.random.default_rng(1)
    lay = family.layout(name, shape, groups)
    values = dict(x=(rng.normal(size=lay.view) * 2 + 3).astype(dtype),
                  g=rng.normal(size=lay.view).astype(dtype),
                  gamma_w=np.broadcast_to(rng.uniform(0.5, 2, lay.param_view).astype(dtype),
                                          lay.view),
                  beta_w=np.broadcast_to(rng.normal(size=lay.param_view).astype(dtype), lay.view),
                  epsilon=1e-5)
    reference = family.rms_kernel() if name == "rmsnorm" else family.standardize_kernel()
    _assert_matches(compiled(reference)(axes=lay.axes, **values),
                    reference(axes=lay.axes, **values), TOLERANCE[dtype], (name, shape))


def test_weight_norm_matches():
    rng = np.random.default_rng(2)
    values = dict(v=rng.normal(size=(5, 7)), dw=rng.normal(size=(5, 7)),
                  gain=rng.uniform(0.5, 2, (5, 1)))
    reference = family.weight_norm_kernel()
    _assert_matches(compiled(reference)(axes=(1,), **values), reference(axes=(1,), **values),
                    1e-12, "weight norm")


@pytest.mark.parametrize("shape,axes", [((16, 5), (0,)), ((16, 5, 4), (0, 2)), ((1, 5), (0,))])
def test_eval_mode_matches(shape, axes):
    rng = np.random.default_rng(4)
    kept = [n for i, n in enumerate(shape) if i not in axes]
    values = dict(x=rng.normal(size=shape), gamma=rng.uniform(0.5, 2, kept),
                  beta=rng.normal(size=kept), epsilon=1e-5, mu_r=rng.normal(size=kept),
                  sigma2_r=rng.uniform(0.5, 2, kept))
    reference = bn_kernels.eval_kernel()
    assert not compiled(reference).plan.moments  # eval mode reads x once
    _assert_matches(compiled(reference)(axes=axes, **values), reference(axes=axes, **values),
                    1e-12, "eval")


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_running_statistics_match(convention):
    rng = np.random.default_rng(5)
    values = dict(x=rng.normal(size=(20, 3, 2)) + 4, mu_r=rng.normal(size=3),
                  sigma2_r=rng.uniform(0.5, 2, 3))
    reference = bn_kernels.running_kernel(CONVENTIONS[convention])
    _assert_matches(compiled(reference)(axes=(0, 2), **values),
                    reference(axes=(0, 2), **values), 1e-12, convention)


def test_hessian_vector_product_matches():
    rng = np.random.default_rng(6)
    values = dict(x=rng.normal(size=(16, 5, 4)), g=rng.normal(size=(16, 5, 4)),
                  v=rng.normal(size=(16, 5, 4)), gamma=rng.uniform(0.5, 2, 5), epsilon=1e-5)
    reference = bn_kernels.hvp_kernel()
    _assert_matches(compiled(reference)(axes=(0, 2), **values), reference(axes=(0, 2), **values),
                    1e-12, "hvp")


def test_a_wrong_derivation_compiles_to_a_kernel_that_fails_the_comparison():
    """The comparison has teeth: dx that ignores the batch statistics, compiled the same way."""
    bn = derive_batchnorm()
    wrong = compile_kernel({"y": bn.y, "dx": derivative(bn.loss, x_symbol, through_stats=False),
                            "dgamma": bn.dgamma, "dbeta": bn.dbeta}, "batchnorm_no_stats")
    inputs = _bn_inputs((64, 8), (0,), np.float64)
    got = compiled(wrong)(axes=(0,), **inputs)
    assert relative_error(got["dx"], bn_kernels.train_kernel()(axes=(0,), **inputs)["dx"]) > 1e-3


# ---------------------------------------------------------------------------------------
# Generated source, input errors, the disk cache
# ---------------------------------------------------------------------------------------

def test_source_is_generated_from_the_derivation_and_kept():
    kernel = compiled(bn_kernels.train_kernel())
    source = kernel.source
    assert "numba.prange" in source and "math.sqrt(epsilon + mom2 - tch0)" in source
    # the moments are shifted: centred outputs read x - shift_x, never x - Mean(x)
    assert "x_s = x - shift_x" in source
    assert [str(m) for _, m in kernel.plan.moments] == ["g_s", "x_s", "x_s**2", "g_s*x_s"]
    compile(source, "<generated>", "exec")


def test_a_mean_inside_a_non_polynomial_function_is_refused():
    x, g = sample_symbols("x g")
    relu = compile_kernel({"y": x - Mean(sp.Max(0, x - Mean(x)))}, "relu_mean")
    with pytest.raises(NotImplementedError, match="one pass of moments"):
        compiled(relu)


def test_bad_input_is_named():
    kernel = compiled(bn_kernels.train_kernel())
    inputs = _bn_inputs((1, 4), (0,), np.float64)
    with pytest.raises(KernelInputError, match="more than 1 value per channel"):
        kernel(axes=(0,), **inputs)
    with pytest.raises(KernelInputError, match="dtype int64"):
        kernel(axes=(0,), **dict(inputs, x=np.ones((1, 4), dtype=np.int64)))
    with pytest.raises(KernelInputError, match="missing beta"):
        kernel(axes=(0,), x=np.ones((3, 4)), g=np.ones((3, 4)))
    with pytest.raises(KernelInputError, match="eps must be > 0"):
        compiled_path.train(inputs["x"], inputs["g"], inputs["gamma"], inputs["beta"], 0.0)


def test_machine_code_is_cached_on_disk(tmp_path):
    """A second process loads the machine code (numba's cache) instead of compiling."""
    script = ("import numpy as np\n"
              "from symbn.kernels import batchnorm, compiled\n"
              "x = np.random.default_rng(0).normal(size=(8, 3))\n"
              "compiled.train(x, x[::-1].copy(), np.ones(3), np.zeros(3), 1e-5)\n"
              "inner, rows = compiled.compiled(batchnorm.train_kernel()).dispatchers\n"
              "print(sum(rows.stats.cache_hits.values()), sum(rows.stats.cache_misses.values()))\n")
    env = {**os.environ, "SYMBN_CACHE_DIR": str(tmp_path)}

    def run():
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        return [int(n) for n in done.stdout.split()]
    assert run() == [0, 1]  # compiled
    assert run() == [1, 0]  # loaded
    assert list((tmp_path / "compiled").glob("batchnorm_train_*.py"))


def test_without_numba_the_message_says_how_to_install(monkeypatch):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else real_find_spec(name, *a))
    with pytest.raises(ImportError, match=r"symbn\[compiled\]"):
        compiled_path.require_numba()
