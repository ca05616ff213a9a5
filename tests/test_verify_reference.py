"""The pieces the runner stands on: the kinds, the layouts and their canonical view, the
expected outputs (against PyTorch's own layers, on every layout), the tolerance rule."""

import numpy as np
import pytest

from symbn.verify.kinds import ALIASES, KINDS, NORMS, UnknownKind, get_kind
from symbn.verify.layouts import LayoutError, from_canonical, layouts_for, to_canonical
from symbn.verify.precision import UNIT_ROUNDOFF, round_to, tolerance
from symbn.verify.reference import reference_outputs

EPS = 1e-5


def test_every_member_has_forward_backward_and_pair_and_the_old_names_still_work():
    assert set(KINDS) == {f"{n}-{r}" for n in NORMS for r in ("forward", "backward", "pair")}
    assert get_kind("bn-forward") is KINDS["batchnorm-forward"]
    assert get_kind("bn-backward") is KINDS["batchnorm-backward"]
    assert set(ALIASES) == {"bn-forward", "bn-backward"}
    with pytest.raises(UnknownKind, match="NAME one of batchnorm"):
        get_kind("batchnorm-sideways")


def test_signatures_name_the_arguments_and_outputs():
    assert get_kind("batchnorm-backward").signature == \
        "f(x, dy, gamma, beta, eps) -> (dx, dgamma, dbeta)"
    assert get_kind("rmsnorm-forward").signature == "f(x, weight, eps) -> y"
    assert get_kind("groupnorm-forward").signature == "f(x, groups, gamma, beta, eps) -> y"
    assert get_kind("weightnorm-backward").signature == "f(v, dw, g) -> (dv, dg)"
    pair = get_kind("layernorm-pair")
    assert pair.outputs == ("y", "dx", "dgamma", "dbeta")
    assert "backward(dy, cache) -> (dx, dgamma, dbeta)" in pair.signature


@pytest.mark.parametrize("axis,names", [
    (None, ["NC", "NCL", "NCHW"]), (1, ["NC", "NCL", "NCHW"]), (-1, ["NC", "NLC", "NHWC"]),
    (0, ["CN", "CNL", "CNHW"]), (2, ["NLC", "NHCW"]), (3, ["NHWC"]), (-4, ["CNHW"]),
])
def test_layouts_for_every_valid_feature_axis(axis, names):
    assert [lay.name for lay in layouts_for(NORMS["batchnorm"], axis)] == names


def test_layout_names_and_errors():
    assert [lay.name for lay in layouts_for(NORMS["layernorm"])] == ["NC", "BTC"]
    assert [lay.name for lay in layouts_for(NORMS["weightnorm"])] == ["OI", "OIHW"]
    assert layouts_for(NORMS["batchnorm"], name="nhwc")[0].feature_axis == 3
    for bad in ({"feature_axis": 4}, {"feature_axis": -5}, {"name": "NCDHW"},
                {"name": "NCHW", "feature_axis": -1}):
        with pytest.raises(LayoutError):
            layouts_for(NORMS["batchnorm"], **bad)


@pytest.mark.parametrize("norm", sorted(NORMS))
def test_canonical_view_round_trips_on_every_layout(norm):
    rng = np.random.default_rng(0)
    for axis in range(-4, 4):
        try:
            layouts = layouts_for(NORMS[norm], axis)
        except LayoutError:
            continue
        for lay in layouts:
            x = rng.normal(size=lay.shape((2, 6, 3, 5)[:lay.ndim]))
            canonical = to_canonical(x, lay, NORMS[norm])
            channels = x.shape[lay.feature_axis]
            assert canonical.shape[0 if norm == "weightnorm" else -1 if NORMS[norm].statistics
                                   == "last" else 1] == channels
            assert np.array_equal(from_canonical(canonical, lay, NORMS[norm], x.shape), x)


def _torch_outputs(kind, lay, a):
    """PyTorch's layers on the same inputs, moved to the same layout: the oracle."""
    import torch  # here, not at the top: collecting the suite should not import torch
    import torch.nn.functional as F
    n = kind.norm
    fa = lay.feature_axis
    xt = torch.tensor(a[n.input], requires_grad=True)
    ps = {p: torch.tensor(a[p], requires_grad=True) for p in n.params}
    channels = a[n.input].shape[fa]
    if n.name in ("batchnorm", "instancenorm", "groupnorm"):
        xc = xt.movedim(fa, 1)
        y = {"batchnorm": lambda: F.batch_norm(xc, None, None, ps["gamma"], ps["beta"], True,
                                               0.1, EPS),
             "instancenorm": lambda: F.instance_norm(xc, weight=ps["gamma"], bias=ps["beta"],
                                                     eps=EPS),
             "groupnorm": lambda: F.group_norm(xc, 2, ps["gamma"], ps["beta"], EPS)}[n.name]()
        y = y.movedim(1, fa)
    elif n.name == "layernorm":
        y = F.layer_norm(xt.movedim(fa, -1), (channels,), ps["gamma"], ps["beta"], EPS)
        y = y.movedim(-1, fa)
    elif n.name == "rmsnorm":
        y = F.rms_norm(xt.movedim(fa, -1), (channels,), ps["weight"], EPS).movedim(-1, fa)
    else:
        rows = xt.movedim(fa, 0)
        norms = rows.reshape(channels, -1).norm(dim=1).reshape((-1,) + (1,) * (rows.ndim - 1))
        y = (rows * ps["g"].reshape(norms.shape) / norms).movedim(0, fa)
    upstream = torch.tensor(a["d" + n.output])
    grads = torch.autograd.grad(y, (xt, *ps.values()), upstream)
    return {n.output: y.detach().numpy(), "d" + n.input: grads[0].numpy(),
            **{"d" + p: g.numpy() for p, g in zip(ps, grads[1:])}}


@pytest.mark.parametrize("norm", sorted(NORMS))
def test_reference_outputs_agree_with_pytorch_on_every_layout(norm):
    kind = get_kind(f"{norm}-pair")
    rng = np.random.default_rng(1)
    axes = (0,) if norm == "weightnorm" else (None, -1)
    for axis in axes:
        for lay in layouts_for(kind.norm, axis):
            shape = lay.shape((4, 6, 3, 5)[:lay.ndim])
            a = {kind.norm.input: rng.normal(size=shape) * 2 + 0.5,
                 "d" + kind.norm.output: rng.normal(size=shape)}
            for p in kind.norm.params:
                a[p] = rng.uniform(0.5, 2, shape[lay.feature_axis])
            ours = reference_outputs(kind, lay, a, eps=EPS, groups=2)
            theirs = _torch_outputs(kind, lay, a)
            assert set(ours) == set(theirs)
            for name, value in theirs.items():
                scale = np.max(np.abs(value))
                assert scale > 1e-3 and np.ptp(value) > 0, "a trivial oracle proves nothing"
                assert np.max(np.abs(ours[name] - value)) / scale < 1e-12, (lay.name, name)


def test_unit_roundoff_is_half_the_machine_epsilon_of_each_dtype():
    import torch
    for name in ("float64", "float32", "float16", "bfloat16"):
        assert UNIT_ROUNDOFF[name] == torch.finfo(getattr(torch, name)).eps / 2


def test_rounding_to_bfloat16_matches_pytorch():
    import torch
    x = np.random.default_rng(2).normal(size=1000) * 10
    assert np.array_equal(round_to(x, "bfloat16"),
                          torch.tensor(x).to(torch.bfloat16).double().numpy())


def test_the_tolerance_grows_with_the_sum_and_the_centring_ratio():
    base = tolerance("float32", 16, 0.0)
    assert tolerance("float32", 64, 0.0) == pytest.approx(2 * base)
    assert tolerance("float32", 16, 1.0) == pytest.approx(2 * base)
    assert tolerance("float64", 16, 0.0) < 1e-13 < tolerance("float32", 1, 0.0)
