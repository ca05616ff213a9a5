"""BN's backward pass, derived by differentiating through the batch statistics.

symbn derives dL/dx for L = sum_i g_i BN(x_i) (g the upstream gradient) for every batch
size N at once. Proved here: it equals the textbook closed form, the gradients of a batch
sum to zero, and at eps = 0 they are orthogonal to xhat. The controls are the classic
mistakes: treating the batch statistics as constants, and forgetting that eps > 0 breaks
the orthogonality.

Source: Ioffe & Szegedy 2015, section 3; Kratzert 2016 for the closed form.
Run: python proofs/backward.py  (or: symbn prove proofs/backward.py)
"""

import sys

from symbn import Mean, batch_sum, claim, derivative, derive_batchnorm, eps, run_claims, x

bn = derive_batchnorm()  # bn.y, bn.loss, bn.dx, bn.dx_closed_form, bn.xhat, ...
naive_dx = derivative(bn.loss, x, through_stats=False)  # Mean(x) and Var(x) held constant

closed_form = claim(
    "dx-closed-form", bn.dx, bn.dx_closed_form,
    statement="dL/dx = gamma/s (g - Mean(g) - xhat Mean(g xhat)), s = sqrt(Var(x) + eps)",
    source="Ioffe & Szegedy 2015, section 3; Kratzert 2016",
    steps=[("forward y", bn.y), ("loss L = sum_i g_i y_i", bn.loss),
           ("dL/dx_j through Mean(x) and Var(x)", bn.dx), ("closed form", bn.dx_closed_form)],
    explicit_sizes=(2, 3),
    controls=[claim("dx-holding-the-mean", derivative(bn.loss, x, hold=[Mean(x)]),
                    bn.dx_closed_form, expected="REFUTED",
                    statement="differentiating with Mean(x) held constant gives the same")],
)

sums_to_zero = claim(
    "dx-sums-to-zero", batch_sum(bn.dx), 0,
    statement="sum_j dL/dx_j = 0: BN's output does not change when every input shifts alike",
    source="Ioffe & Szegedy 2015, section 3",
    controls=[claim("naive-dx-sums-to-zero", batch_sum(naive_dx), 0, expected="REFUTED",
                    statement="the gradient with the statistics held constant sums to 0 too")],
)

orthogonal = claim(
    "dx-orthogonal-to-xhat", batch_sum(bn.dx * bn.xhat), 0, where={eps: 0},
    statement="sum_j dL/dx_j xhat_j = 0 at eps = 0: BN's output does not change when the "
              "inputs are scaled",
    source="Ioffe & Szegedy 2015, section 3",
    controls=[claim("dx-orthogonal-with-eps", batch_sum(bn.dx * bn.xhat), 0, expected="REFUTED",
                    statement="the same for eps > 0")],
)

if __name__ == "__main__":
    sys.exit(run_claims(globals()))
