"""The batch as noise: expectations of the batch statistics over iid samples."""

from __future__ import annotations


import sympy as sp

from symbn.bn.batchnorm import x
from symbn.core import Mean, N, batch_var, explicit_symbols, instantiate, moment_form
from symbn.identities.record import Claim, Identity, control

SOURCE = "the sampling distribution of the mean and variance; Ioffe & Szegedy 2015, section 3.1"
mu = sp.Symbol("mu", real=True)
sigma2 = sp.Symbol("sigma2", positive=True)
_RAW = {1: mu, 2: sigma2 + mu**2}  # E[x], E[x^2] of one sample


def _raw_moment(monomial):
    power = sp.degree(monomial, x)
    if monomial != x**power or power not in _RAW:
        raise ValueError(f"iid expectation knows E[x] and E[x^2] only, not E[{monomial}]")
    return _RAW[power]


def iid_expectation(expr):
    """E[expr] for iid samples with mean mu and variance sigma2; expr polynomial in moments.

    One mean: E[Mean(f)] = E[f].  Two: E[Mean(f) Mean(h)] = E[f h]/N + (1 - 1/N) E[f] E[h]
    (the i = j terms and the i != j terms of the double sum).
    """
    expr = sp.expand(moment_form(expr))
    atoms = sorted(expr.atoms(Mean), key=sp.default_sort_key)
    poly = sp.Poly(expr, *atoms) if atoms else None
    if poly is None:
        return expr
    total = sp.S.Zero
    for powers, coefficient in poly.terms():
        factors = [a.args[0] for a, p in zip(atoms, powers) for _ in range(p)]
        if len(factors) > 2:
            raise ValueError("iid expectation handles products of at most two means")
        if not factors:
            total += coefficient
        elif len(factors) == 1:
            total += coefficient * _raw_moment(factors[0])
        else:
            f, h = factors
            total += coefficient * (_raw_moment(sp.expand(f * h)) / N
                                    + (1 - 1 / N) * _raw_moment(f) * _raw_moment(h))
    return total


def explicit_iid_expectation(expr, m):
    """E[expr] for an explicit polynomial in x0..x{m-1}, sample by sample."""
    xs = explicit_symbols(x, m)
    poly = sp.Poly(sp.expand(expr), *xs)
    total = sp.S.Zero
    for powers, coefficient in poly.terms():
        term = coefficient
        for p in powers:
            term *= {0: 1, **_RAW}[p] if p <= 2 else sp.nan
        total += term
    return total


def _claim(statistic, value):
    return Claim(iid_expectation(statistic), value, steps=(("statistic", statistic),
                                                         ("its expectation", iid_expectation(statistic))))


def _explicit(statistic, value):
    return lambda m: Claim(explicit_iid_expectation(instantiate(statistic, m), m),
                           value.subs(N, m))


IDENTITIES = (
    Identity(
        name="batch-mean-unbiased", title="The batch mean is unbiased",
        statement="E[mu_B] = mu for iid samples", source=SOURCE, tags=("noise",),
        build=lambda: _claim(Mean(x), mu), explicit_sizes=(2, 3),
        explicit=_explicit(Mean(x), mu),
        controls=(control("batch-mean-biased", "E[mu_B] = (N-1)/N mu",
                          lambda: _claim(Mean(x), (N - 1) / N * mu)),),
    ),
    Identity(
        name="batch-mean-variance", title="The batch mean fluctuates as sigma^2/N",
        statement="Var(mu_B) = E[(mu_B - mu)^2] = sigma^2/N", source=SOURCE, tags=("noise",),
        build=lambda: _claim((Mean(x) - mu) ** 2, sigma2 / N), explicit_sizes=(2, 3),
        explicit=_explicit((Mean(x) - mu) ** 2, sigma2 / N),
        controls=(control("batch-mean-variance-sqrt", "Var(mu_B) = sigma^2/sqrt(N)",
                          lambda: _claim((Mean(x) - mu) ** 2, sigma2 / sp.sqrt(N))),),
    ),
    Identity(
        name="batch-variance-biased", title="The batch variance is biased by (N-1)/N",
        statement="E[sigma_B^2] = (N-1)/N sigma^2: why running variances are stored unbiased",
        source=SOURCE, tags=("noise",),
        build=lambda: _claim(batch_var(x), (N - 1) / N * sigma2), explicit_sizes=(2, 3),
        explicit=_explicit(batch_var(x), (N - 1) / N * sigma2),
        controls=(control("batch-variance-unbiased", "E[sigma_B^2] = sigma^2",
                          lambda: _claim(batch_var(x), sigma2)),),
    ),
    Identity(
        name="batch-variance-corrected", title="N/(N-1) corrects the bias",
        statement="E[N/(N-1) sigma_B^2] = sigma^2 (PyTorch's running variance)",
        source=SOURCE, tags=("noise",),
        build=lambda: _claim(batch_var(x, unbiased=True), sigma2),
        controls=(control("batch-variance-overcorrected", "E[(N+1)/N sigma_B^2] = sigma^2",
                          lambda: _claim((N + 1) / N * batch_var(x), sigma2)),),
    ),
)
