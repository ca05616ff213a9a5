"""The tolerance rule C u sqrt(n) (1 + r) against real implementations: correct ones stay well
inside it in every dtype and stress case, and the numerical mistakes it is there to catch
fall outside it."""

import sys
from pathlib import Path

import pytest

from symbn.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures" / "verify_runner"))

CORRECT = [
    ("nd_only:backward", "batchnorm-backward", None),
    ("channels_last:forward", "batchnorm-forward", -1),
    ("pairs:batchnorm_forward,batchnorm_backward", "batchnorm-pair", None),
    ("pairs:layernorm_forward,layernorm_backward", "layernorm-pair", None),
    ("family_numpy:rmsnorm_backward", "rmsnorm-backward", None),
    ("family_numpy:groupnorm", "groupnorm-forward", None),
    ("family_numpy:instancenorm", "instancenorm-forward", None),
    ("family_numpy:weightnorm_backward", "weightnorm-backward", None),
    ("torch_fns:batchnorm_backward", "batchnorm-backward", None),
    ("torch_fns:layernorm_backward", "layernorm-backward", None),
]


@pytest.mark.parametrize("target,kind,axis", CORRECT)
def test_correct_code_stays_within_a_quarter_of_the_bound(target, kind, axis):
    report = verify(target, kind, feature_axis=axis)
    assert report.ok, report.problems
    worst = max(report.checks, key=lambda c: c.max_rel / c.tolerance)
    assert worst.max_rel / worst.tolerance < 0.25, worst


def test_one_pass_variance_is_far_outside_the_bound_in_float64():
    report = verify("torch_fns:batchnorm_one_pass", "bn-forward", layout="NC",
                    dtypes=("float64",))
    offset = [c for c in report.checks if c.mode == "mean offset"]
    assert offset and all(c.max_rel > 10 * c.tolerance for c in offset)
    assert all(c.passed for c in report.checks if c.mode == "train")


def test_float16_statistics_are_far_outside_the_bound_for_large_values():
    report = verify("torch_fns:batchnorm_in_input_dtype", "bn-forward", layout="NC",
                    dtypes=("float16",))
    [large] = [c for c in report.checks if c.mode == "large values"]
    # the channels whose variance overflows are wrong by their own O(1) size, relative to
    # the largest |y| of any channel (their gammas may be smaller than another's)
    assert large.max_rel > 0.25 and large.max_rel > 3 * large.tolerance
