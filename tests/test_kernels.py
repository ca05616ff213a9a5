"""Generated NumPy kernels against a hand-written NumPy BN."""

import numpy as np
import pytest

import symbn
from symbn import Mean, compile_kernel, derivative
from symbn.bn.batchnorm import x
from tests.helpers import numpy_batchnorm, relative_error

BN = symbn.derive_batchnorm()
KERNEL = compile_kernel({"y": BN.y, "dx": BN.dx, "dgamma": BN.dgamma, "dbeta": BN.dbeta},
                        "batchnorm_train")
CASES = [((2, 5), (0,)), ((3, 4), (0,)), ((1024, 3), (0,)),
         ((2, 3, 4, 5), (0, 2, 3)), ((1000, 2, 2, 2), (0, 2, 3)), ((5, 3, 7, 7), (0, 2, 3))]


def _inputs(shape, axes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    channels = [n for i, n in enumerate(shape) if i not in axes]
    batch = np.prod([shape[i] for i in axes])
    # With 2 values per channel dx is O(eps/var) (see the N = 2 degeneracy), so a tiny eps
    # makes it pure cancellation; a larger eps keeps the comparison well conditioned.
    eps = 0.3 if batch == 2 else 1e-5
    return dict(
        x=(rng.normal(size=shape) * 3 + 1).astype(dtype),
        g=rng.normal(size=shape).astype(dtype),  # random upstream gradient: never constant
        gamma=rng.uniform(0.5, 2, size=channels).astype(dtype),
        beta=rng.normal(size=channels).astype(dtype),
        epsilon=eps,
    )


@pytest.mark.parametrize("shape,axes", CASES)
def test_kernel_matches_numpy_float64(shape, axes):
    inputs = _inputs(shape, axes, np.float64)
    got = KERNEL(axes=axes, **inputs)
    want = numpy_batchnorm(inputs["x"], inputs["g"], inputs["gamma"], inputs["beta"],
                           inputs["epsilon"], axes)
    for name in want:
        assert got[name].shape == np.shape(want[name]), name
        assert got[name].dtype == np.float64
        assert relative_error(got[name], want[name]) <= 1e-12, name


@pytest.mark.parametrize("shape,axes", CASES)
def test_kernel_matches_numpy_float32(shape, axes):
    inputs = _inputs(shape, axes, np.float32)
    got = KERNEL(axes=axes, **inputs)
    want = numpy_batchnorm(*(np.asarray(inputs[k], dtype=np.float64)
                             for k in ("x", "g", "gamma", "beta")), inputs["epsilon"], axes)
    for name in want:
        assert got[name].dtype == np.float32
        assert relative_error(got[name], want[name]) <= 1e-4, name


def test_wrong_backward_kernel_differs():
    wrong = compile_kernel({"dx": derivative(BN.loss, x, hold=[Mean(x)])}, "wrong")
    inputs = _inputs((64, 3), (0,), np.float64)
    want = numpy_batchnorm(inputs["x"], inputs["g"], inputs["gamma"], inputs["beta"],
                           inputs["epsilon"], (0,))
    assert relative_error(wrong(axes=(0,), **inputs)["dx"], want["dx"]) > 1e-2


def test_the_kept_source_is_the_code_that_runs():
    namespace = dict(KERNEL.function.__globals__)
    exec(KERNEL.source, namespace)
    rerun = namespace[KERNEL.name]
    inputs = _inputs((6, 3), (0,), np.float64)
    args = [inputs[str(s)] for s in KERNEL.samples]
    args += [np.reshape(inputs[str(c)], (1, -1)) if np.ndim(inputs[str(c)]) else inputs[str(c)]
             for c in KERNEL.constants]
    want = KERNEL.function(*args, 6, (0,))
    got = rerun(*args, 6, (0,))
    assert len(got) == len(KERNEL.outputs)
    for a, b in zip(got, want):
        assert np.array_equal(a, b)


def test_each_distinct_batch_reduction_runs_once(monkeypatch):
    reduced = []
    real_mean = KERNEL.function.__globals__["mean"]

    def recording_mean(array, *args, **kwargs):
        reduced.append(np.array(array, copy=True))
        return real_mean(array, *args, **kwargs)
    monkeypatch.setitem(KERNEL.function.__globals__, "mean", recording_mean)
    KERNEL(axes=(0,), **_inputs((16, 3), (0,), np.float64))
    assert len(reduced) >= 2  # at least Mean(x) and Mean(g)
    for i, a in enumerate(reduced):
        for b in reduced[i + 1:]:
            assert not (a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=0)), \
                "the same batch mean is computed twice"


def test_one_value_per_channel_is_a_clear_error():
    inputs = _inputs((1, 3), (0,), np.float64)
    with pytest.raises(symbn.KernelInputError, match="more than 1 value per channel"):
        KERNEL(axes=(0,), **inputs)


def test_bad_inputs_are_named():
    inputs = _inputs((4, 3), (0,), np.float64)
    with pytest.raises(symbn.KernelInputError, match="gamma has shape"):
        KERNEL(axes=(0,), **{**inputs, "gamma": np.ones(5)})
    with pytest.raises(symbn.KernelInputError, match="missing"):
        KERNEL(axes=(0,), **{k: v for k, v in inputs.items() if k != "g"})
    # an input under another name is unused (one dict serves several kernels): named
    renamed = {("eps" if k == "epsilon" else k): v for k, v in inputs.items()}
    with pytest.raises(symbn.KernelInputError, match=r"missing epsilon \('eps' was given, "
                       r"which it does not take\); it takes"):
        KERNEL(axes=(0,), **renamed)
    with pytest.raises(symbn.KernelInputError, match="axes"):
        KERNEL(axes=(2,), **inputs)


def test_fused_numexpr_path_matches_the_default_kernel():
    from symbn.kernels import batchnorm as bn_kernels
    for shape, axes in CASES[2:4]:
        inputs = _inputs(shape, axes, np.float64)
        args = [inputs[k] for k in ("x", "g", "gamma", "beta")] + [inputs["epsilon"]]
        fused = bn_kernels.train(*args, fused=True)
        want = numpy_batchnorm(*args, axes)
        for name in want:
            assert relative_error(fused[name], want[name]) <= 1e-12, name
    assert "numexpr.evaluate" in bn_kernels.train_kernel(True).source


def test_fused_path_without_numexpr_says_how_to_install(monkeypatch):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numexpr" else real_find_spec(name, *a))
    with pytest.raises(ImportError, match=r"symbn\[fast\]"):
        compile_kernel({"y": BN.y}, "y", fused=True)
