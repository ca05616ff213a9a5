"""The normalization family against PyTorch, folding against torch.nn.utils.fusion.

torch is imported inside the tests that need it, so collecting this module stays cheap."""

import numpy as np
import pytest

from symbn.backends import get_backend
from symbn.backends.compare import TOLERANCE, _family_inputs, compare, run_family_checks
from symbn.bn.inference import fold_linear_bn
from symbn.kernels import KernelInputError
from symbn.kernels import family

pytestmark = pytest.mark.integration  # runs PyTorch


def test_every_family_member_matches_pytorch():
    rows = run_family_checks()
    assert not any(r.skipped for r in rows)
    cases = {r.case.split()[0] for r in rows}
    assert cases == {"batchnorm", "layernorm", "instancenorm", "groupnorm", "rmsnorm",
                     "weight_norm"}
    assert {r.quantity for r in rows} >= {"y", "dx", "dgamma", "dbeta", "w", "dv", "dgain"}
    failed = [r for r in rows if not r.passed]
    assert not failed, failed[:3]


@pytest.mark.parametrize("wrong,right", [("batchnorm", "layernorm"), ("instancenorm", "groupnorm"),
                                         ("layernorm", "rmsnorm")])
def test_the_wrong_reduction_fails_the_same_comparison(wrong, right):
    a = _family_inputs("layernorm" if right in ("layernorm", "rmsnorm") else "batchnorm",
                       (4, 6, 3, 3), "float64")
    reference = get_backend("torch").family(right, a["x"], a["g"], a["gamma"], a["beta"], 1e-5, 2)
    params = {k: a[k] for k in ("gamma", "beta")}
    if wrong == "batchnorm":  # per-channel parameters for the wrong one
        params = {k: np.ones(6) for k in params}
    ours = family.normalize(wrong, a["x"], a["g"], params["gamma"], params["beta"], 1e-5,
                            groups=2)
    assert compare(ours["y"], reference["y"], TOLERANCE["float64"])[2] is False


def test_family_bad_input_is_named():
    x = np.zeros((4, 6))
    with pytest.raises(KernelInputError, match="groups dividing C = 6"):
        family.normalize("groupnorm", x, x, np.ones(6), np.zeros(6), 1e-5, groups=4)
    with pytest.raises(KernelInputError, match="more than one spatial value"):
        family.normalize("instancenorm", x, x, np.ones(6), np.zeros(6), 1e-5)
    with pytest.raises(KernelInputError, match="unknown normalization"):
        family.normalize("batchnorn", x, x, np.ones(6), np.zeros(6), 1e-5)


@pytest.mark.parametrize("affine", [True, False])
def test_folding_matches_torch_fusion(affine):
    import torch
    from torch.nn.utils.fusion import fuse_linear_bn_eval, fuse_linear_bn_weights
    rng = np.random.default_rng(0)
    linear = torch.nn.Linear(5, 3, dtype=torch.float64).eval()
    bn = torch.nn.BatchNorm1d(3, affine=affine, dtype=torch.float64).eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(rng.normal(size=3)))
        bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
        if affine:
            bn.weight.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
            bn.bias.copy_(torch.tensor(rng.normal(size=3)))
    if affine:
        fused_weight, fused_bias = (p.detach() for p in
                                    (lambda f: (f.weight, f.bias))(fuse_linear_bn_eval(linear, bn)))
    else:
        # PyTorch 2.13's fuse_linear_bn_eval raises TypeError for affine=False; its weight
        # helper with gamma = 1, beta = 0 is that case by definition
        fused_weight, fused_bias = (p.detach() for p in fuse_linear_bn_weights(
            linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.eps,
            torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)))
    W, b = fold_linear_bn(linear.weight.detach().numpy().tolist(), linear.bias.detach().numpy(),
                          bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps,
                          bn.weight.detach().numpy() if affine else None,
                          bn.bias.detach().numpy() if affine else None)
    assert compare(np.array(W), fused_weight.numpy(), 1e-12)[2]
    assert compare(np.array(b), fused_bias.numpy(), 1e-12)[2]


def test_fold_is_the_same_function_the_identity_proves():
    """The catalogue proves fold-linear-bn with fold_linear_bn on symbols; the test above
    checks fold_linear_bn on arrays against PyTorch.  Both are one function: the proved
    right-hand side W' z + b', evaluated at numbers, equals the array fold applied to z."""
    from symbn import identities
    claim = identities.get("fold-linear-bn").claim()
    rng = np.random.default_rng(0)
    values = {s: (rng.uniform(0.5, 2) if s.is_positive else rng.normal())
              for s in claim.rhs.free_symbols}
    by_name = {str(s): v for s, v in values.items()}
    proved = np.array(claim.rhs.subs(values).evalf(30), dtype=float).ravel()

    def vector(prefix, n):
        return np.array([by_name[f"{prefix}{i}"] for i in range(1, n + 1)])
    W = np.array([[by_name[f"w{i}{j}"] for j in range(1, 4)] for i in range(1, 3)])
    W_folded, b_folded = fold_linear_bn(W.tolist(), vector("b", 2), vector("mu", 2),
                                        vector("var", 2), by_name["epsilon"],
                                        vector("gamma", 2), vector("beta", 2))
    arrays = np.array(W_folded) @ vector("z", 3) + np.array(b_folded)
    assert np.max(np.abs(proved)) > 1e-3
    assert compare(arrays, proved, 1e-12)[2]


@pytest.mark.parametrize("d, m", [(2, 2), (3, 3), (2, 3)])
def test_whitening_determinant_is_sympys(d, m):
    """The whitening claims take det(batch covariance) in the entries' polynomial ring:
    the same polynomial as Matrix.det, 0 exactly when m <= d."""
    import sympy as sp
    from symbn.identities.whitening import batch_covariance, determinant
    cov = batch_covariance(d, m)
    assert sp.expand(determinant(cov) - cov.det()) == 0
    assert (determinant(cov) == 0) is (m <= d)
