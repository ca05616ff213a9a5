"""symbn's kernels against PyTorch, JAX, HIPS autograd and the complex-step method.

Every backend named in SYMBN_REQUIRED_BACKENDS (default: all of them) must be installed:
a missing one fails here instead of being skipped silently (the README's test command
installs them all).
"""

import os

import numpy as np
import pytest

from symbn import Mean, compile_kernel, derivative, derive_batchnorm
from symbn.backends import BACKENDS, get_backend
from symbn.backends.compare import GRID, TOLERANCE, Case, compare, run_checks
from symbn.bn.batchnorm import x as x_symbol
from symbn.bn.conventions import FLAX, KERAS, PYTORCH
from symbn.kernels import KernelInputError
from symbn.kernels import batchnorm as kernels

pytestmark = pytest.mark.integration  # runs PyTorch, JAX and autograd

REQUIRED = os.environ.get("SYMBN_REQUIRED_BACKENDS", ",".join(BACKENDS)).split(",")


@pytest.mark.parametrize("name", REQUIRED)
def test_required_backend_is_installed(name):
    assert get_backend(name).unavailable_reason() is None


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BACKENDS))
def test_kernels_match_backend_over_the_grid(name):
    backend = get_backend(name)
    if backend.unavailable_reason() is not None and name not in REQUIRED:
        pytest.skip(backend.unavailable_reason())
    rows = run_checks([backend], GRID)
    assert rows and not any(r.skipped for r in rows)
    failed = [r for r in rows if not r.passed]
    assert not failed, failed[:5]
    quantities = {r.quantity for r in rows}
    assert {"y", "dx", "dgamma", "dbeta", "hvp", "eval y"} <= quantities
    if backend.convention is not None:
        assert {"running mean", "running var"} <= quantities
    assert {r.dtype for r in rows} >= {"float64"}
    assert all(r.max_rel <= TOLERANCE[r.dtype] for r in rows)


def test_missing_backend_is_reported_as_skipped_with_reason():
    class Missing(type(get_backend("autograd"))):
        name, modules, requirement = "missing", ("no_such_framework_xyz",), "no-such-framework"

    rows = run_checks([Missing()], GRID[:1])
    assert len(rows) == 1 and "no-such-framework is not installed" in rows[0].skipped


def test_vacuous_references_never_pass():
    assert compare(np.zeros(4), np.zeros(4), 1e-12)[2] is False
    assert compare(np.ones(4), np.ones(4), 1e-12)[2] is False
    # a constant upstream gradient makes dx numerically zero: flagged, not passed
    a = Case((8, 3), 1e-5).inputs("float64")
    torch_dx = get_backend("torch").train(a["x"], np.ones_like(a["g"]), a["gamma"], a["beta"],
                                          1e-5)["dx"]
    ours = kernels.train(a["x"], np.ones_like(a["g"]), a["gamma"], a["beta"], 1e-5)["dx"]
    assert "vacuous" in compare(ours, torch_dx, 1e-12)[3]


@pytest.mark.parametrize("hold", ["mean", "variance"])
def test_a_wrong_kernel_fails_the_same_comparison(hold):
    bn = derive_batchnorm()
    held = Mean(x_symbol) if hold == "mean" else Mean((x_symbol - Mean(x_symbol)) ** 2)
    wrong = compile_kernel({"dx": derivative(bn.loss, x_symbol, hold=[held])}, "wrong")
    a = Case((16, 3), 1e-5).inputs("float64")
    reference = get_backend("torch").train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)["dx"]
    right = kernels.train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)["dx"]
    assert compare(right, reference, TOLERANCE["float64"])[2] is True
    got = wrong(x=a["x"], g=a["g"], gamma=a["gamma"].reshape(1, 3), epsilon=1e-5, axes=(0,))
    max_abs, max_rel, passed, _ = compare(got["dx"], reference, TOLERANCE["float64"])
    assert passed is False and max_rel > 1e-3


def test_one_value_per_channel_raises_like_pytorch():
    import torch
    import torch.nn.functional as F
    a = Case((1, 3), 1e-5).inputs("float64")
    with pytest.raises(ValueError):
        F.batch_norm(torch.tensor(a["x"]), None, None, training=True)
    with pytest.raises(KernelInputError, match="more than 1 value per channel"):
        kernels.train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)
    b = Case((1, 3, 1, 1), 1e-5).inputs("float64")
    with pytest.raises(KernelInputError, match="more than 1 value per channel"):
        kernels.train(b["x"], b["g"], b["gamma"], b["beta"], 1e-5)


@pytest.mark.parametrize("eps", [0.0, -1e-5])
def test_nonpositive_eps_in_training_raises_like_pytorch(eps):
    import torch
    import torch.nn.functional as F
    a = Case((4, 3), 1e-5).inputs("float64")
    with pytest.raises(ValueError):
        F.batch_norm(torch.tensor(a["x"]), None, None, training=True, eps=eps)
    with pytest.raises(KernelInputError, match="eps must be > 0"):
        kernels.train(a["x"], a["g"], a["gamma"], a["beta"], eps)


def test_constant_channel_matches_pytorch():
    a = Case((6, 3), 1e-5).inputs("float64")
    a["x"][:, 1] = 4.2
    ours = kernels.train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)
    ref = get_backend("torch").train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)
    assert np.allclose(ours["y"][:, 1], a["beta"][1], rtol=0, atol=1e-15)
    for name in ("y", "dx", "dgamma", "dbeta"):
        assert compare(ours[name], ref[name], 1e-12)[2], name


def test_nan_and_inf_propagate_to_their_channel_like_pytorch():
    a = Case((6, 3), 1e-5).inputs("float64")
    a["x"][2, 0], a["x"][3, 2] = np.nan, np.inf
    ours = kernels.train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)
    ref = get_backend("torch").train(a["x"], a["g"], a["gamma"], a["beta"], 1e-5)
    assert np.array_equal(np.isnan(ours["y"]), np.isnan(ref["y"]))
    assert np.all(np.isnan(ours["y"][:, 0])) and np.all(np.isfinite(ours["y"][:, 1]))
    assert np.allclose(ours["dx"][:, 1], ref["dx"][:, 1], rtol=1e-12, atol=0)


def test_running_update_conventions():
    a = Case((5, 2, 3, 3), 1e-5).inputs("float64")
    mean, var = a["x"].mean(axis=(0, 2, 3)), a["x"].var(axis=(0, 2, 3))
    n = 5 * 3 * 3
    expected = {
        PYTORCH: (0.9 * a["running_mean"] + 0.1 * mean,
                  0.9 * a["running_var"] + 0.1 * var * n / (n - 1)),
        FLAX: (0.99 * a["running_mean"] + 0.01 * mean, 0.99 * a["running_var"] + 0.01 * var),
        KERAS: (0.99 * a["running_mean"] + 0.01 * mean, 0.99 * a["running_var"] + 0.01 * var),
    }
    for convention, (want_mean, want_var) in expected.items():
        got_mean, got_var = kernels.running_update(a["x"], a["running_mean"], a["running_var"],
                                                   convention)
        assert np.allclose(got_mean, want_mean, rtol=1e-13, atol=0), convention.name
        assert np.allclose(got_var, want_var, rtol=1e-13, atol=0), convention.name
    assert KERAS.eps == 1e-3 and PYTORCH.eps == FLAX.eps == 1e-5


def test_the_jax_oracle_computes_in_float64_whatever_turned_it_off():
    """Float64 is enabled on every call: something else in the process may turn it off, and
    JAX's traces would then compute float64 inputs in float32."""
    import jax

    jax_backend = get_backend("jax")
    x = np.random.default_rng(0).normal(size=(8, 3))
    jax_backend.train(x, x, np.ones(3), np.zeros(3), 1e-5)
    jax.config.update("jax_enable_x64", False)
    assert jax_backend.train(x, x, np.ones(3), np.zeros(3), 1e-5)["y"].dtype == np.float64
    assert jax.config.jax_enable_x64
