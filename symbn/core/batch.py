"""The general batch form: expressions valid for every batch size N at once.

An expression speaks about one *generic* sample through per-sample variables
(:class:`SampleSymbol`, e.g. the input ``x`` and the upstream gradient ``g``) and
about the whole batch through means ``Mean(f(x))`` = (1/N) sum_i f(x_i).  Everything
else (gamma, beta, eps, N) is a batch constant.

Three rules make this a calculus:

* ``Mean`` is linear, and batch constants factor out of it (done on construction);
* differentiating sample j's value with respect to sample j's variable goes *through*
  the batch statistics: d/dx_j Mean_i f(x_i) = f'(x_j)/N  (the Kronecker delta
  collapses the sum) -- see :func:`derivative`;
* reducing over the batch turns each monomial of the generic sample into a moment
  atom (x -> Mean(x), x*g -> Mean(x*g)) -- see :func:`moment_form`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sympy as sp

from symbn.core import rewrite

#: The batch size: the number of values a statistic is taken over (N*H*W for BN2d).
N = sp.Symbol("N", integer=True, positive=True)


class SampleSymbol(sp.Symbol):
    """A per-sample variable: the value of one generic sample of the batch.

    Real unless told otherwise.  A plain :class:`sympy.Symbol` is a batch constant.
    """

    def __new__(cls, name: str, **assumptions: Any) -> SampleSymbol:
        assumptions.setdefault("real", True)
        symbol: SampleSymbol = super().__new__(cls, name, **assumptions)
        return symbol


def sample_symbols(names: str, **assumptions: Any) -> tuple[SampleSymbol, ...]:
    """Declare per-sample variables, e.g. ``x, g = sample_symbols("x g")``."""
    return tuple(SampleSymbol(name, **assumptions) for name in names.split())


def depends_on_sample(expr: Any) -> bool:
    """True when ``expr`` varies from sample to sample (a sample variable outside any Mean)."""
    if isinstance(expr, SampleSymbol):
        return True
    if isinstance(expr, Mean) or not isinstance(expr, sp.Basic):
        return False
    return any(depends_on_sample(arg) for arg in expr.args)


class Mean(sp.Function):
    """Mean over the batch, ``Mean(f) = (1/N) * sum_i f(x_i, g_i, ...)``.

    Evaluates on construction by linearity: sums split, batch-constant factors come
    out, and the mean of a batch constant is that constant.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if not depends_on_sample(arg):
            return arg
        if arg.is_Add:
            return sp.Add(*[cls(term) for term in arg.args])
        if arg.is_Mul:
            constant = [f for f in arg.args if not depends_on_sample(f)]
            if constant:
                varying = [f for f in arg.args if depends_on_sample(f)]
                return sp.Mul(*constant) * cls(sp.Mul(*varying))
        return None

    def _eval_derivative(self, s: sp.Symbol) -> sp.Expr:
        if isinstance(s, SampleSymbol):
            # sympy's chain rule knows nothing of the batch; refuse rather than be wrong.
            raise TypeError(
                f"d/d{s} of {self} couples all samples: use symbn.derivative(expr, {s})"
            )
        return Mean(self.args[0].diff(s))

    def _eval_is_real(self) -> bool | None:
        real: bool | None = self.args[0].is_real
        return real

    # The mean of nonnegative values is nonnegative (of positive values, positive: N >= 1),
    # so SymPy keeps knowing that Var(x) >= 0 and that Abs(Var(x)) = Var(x).
    def _eval_is_extended_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_nonnegative else None

    def _eval_is_extended_positive(self) -> bool | None:
        return True if self.args[0].is_extended_positive else None

    def _eval_is_extended_nonpositive(self) -> bool | None:
        return True if self.args[0].is_extended_nonpositive else None

    def _eval_is_extended_negative(self) -> bool | None:
        return True if self.args[0].is_extended_negative else None

    def _latex(self, printer: Any, exp: object = None) -> str:
        tex = rf"\operatorname{{E}}_B\left[{printer._print(self.args[0])}\right]"
        return tex if exp is None else f"{tex}^{{{exp}}}"


def batch_mean(expr: sp.Expr) -> sp.Expr:
    """(1/N) sum_i expr_i."""
    return Mean(expr)


def batch_sum(expr: sp.Expr) -> sp.Expr:
    """sum_i expr_i = N * Mean(expr)."""
    return N * Mean(expr)


def batch_var(expr: sp.Expr, *, unbiased: bool = False) -> sp.Expr:
    """Batch variance of ``expr``.

    Biased (the one BN normalizes with): Mean((expr - Mean(expr))**2).
    Unbiased (PyTorch's running variance): N/(N - 1) times that; needs N >= 2.
    """
    biased = Mean((expr - Mean(expr)) ** 2)
    return N / (N - 1) * biased if unbiased else biased


def freeze_means(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Dummy, Mean]]:
    """Replace the outermost batch means of ``expr`` by real dummies: (frozen, {dummy: Mean})."""
    means = {m: sp.Dummy("m", real=True) for m in expr.atoms(Mean)}
    frozen = expr.xreplace(means)  # top-down: the outermost means are replaced first
    return frozen, {d: m for m, d in means.items() if frozen.has(d)}


def derivative(expr: sp.Expr, var: sp.Symbol, *, through_stats: bool = True,
               hold: Iterable[sp.Expr] = ()) -> sp.Expr:
    """Derivative of sample j's value of ``expr`` with respect to ``var`` at sample j.

    For a per-sample ``var`` the derivative goes through every batch statistic:
    ``d/dx_j [F(x_j, M)] = dF/dx + sum_M dF/dM * dM/dx_j`` with, for ``M = Mean(h)``,
    ``dM/dx_j = (dh/dx)(x_j)/N + sum_K Mean(dh/dK) * dK/dx_j`` over h's own inner means K.
    For a batch scalar such as ``L = N*Mean(g*y)`` this is the gradient dL/dx_j.

    ``through_stats=False`` treats every batch statistic as a constant: the "naive"
    gradient of Ioffe & Szegedy (2015), section 2, which lets a bias before BN drift.
    The statistics are the means a per-sample quantity depends on; the outer mean of a
    batch-scalar loss ``N*Mean(g*y)`` is the loss's own sum, and is differentiated.
    ``hold=[Mean(x)]`` treats only the given statistics as constants (a stop-gradient),
    e.g. the classic mistake of ignoring the mean's dependence on x.

    For a batch-constant ``var`` (gamma, beta, eps) it is the ordinary derivative.
    """
    expr = sp.sympify(expr)
    held = {m: sp.Dummy("held", real=True)
            for m in (hold if through_stats else _statistics(expr))}
    expr = expr.xreplace(held)
    if isinstance(var, SampleSymbol):
        frozen, means = freeze_means(expr)
        result = sp.diff(frozen, var) + sum(
            (sp.diff(frozen, d) * _mean_derivative(m, var) for d, m in means.items()),
            sp.S.Zero,
        )
        result = _unfreeze(result, means)
    else:
        result = sp.diff(expr, var)
    return result.xreplace({d: m for m, d in held.items()})


def directional_derivative(expr: sp.Expr, var: SampleSymbol, direction: SampleSymbol) -> sp.Expr:
    """d/dt expr(var + t*direction) at t = 0: every sample moves along its own direction.

    Applied to a gradient dL/dx it is the Hessian-vector product (H v)_j = sum_k
    d^2 L / dx_j dx_k v_k, with the coupling through the batch statistics included.
    """
    t = sp.Dummy("t", real=True)
    moved = sp.sympify(expr).xreplace({var: var + t * direction})
    return sp.diff(moved, t).xreplace({t: 0})


def _statistics(expr: sp.Expr) -> set[Mean]:
    """The batch means that the per-sample quantities in ``expr`` depend on."""
    if depends_on_sample(expr):
        return set(expr.atoms(Mean))
    return set().union(*(m.args[0].atoms(Mean) for m in expr.atoms(Mean)))


def _mean_derivative(mean: Mean, var: SampleSymbol) -> sp.Expr:
    """d Mean(h) / d var_j, collapsing the Kronecker delta of the sample index."""
    frozen, inner = freeze_means(mean.args[0])
    result = _unfreeze(sp.diff(frozen, var), inner) / N
    for d, m in inner.items():
        result += Mean(_unfreeze(sp.diff(frozen, d), inner)) * _mean_derivative(m, var)
    return result


def _unfreeze(expr: sp.Expr, means: dict[sp.Dummy, Mean]) -> sp.Expr:
    """``expr.xreplace(means)``, where a derivative taken with respect to a frozen mean
    (f'(m) of an undefined f, kept as Derivative(f(m), m)) becomes f'(xi) at xi = Mean(...):
    a derivative with respect to an expression does not exist in SymPy."""
    def at_point(d: sp.Derivative) -> sp.Expr:
        xi = sp.Dummy("xi", real=True)
        inner = d.expr.xreplace({m: xi for m in d.variables if m in means})
        variables = [(xi if m in means else m, k) for m, k in d.variable_count]
        return sp.Subs(sp.Derivative(inner, *variables),
                       xi, next(m for m in d.variables if m in means))
    expr = expr.replace(lambda e: isinstance(e, sp.Derivative)
                        and len(set(e.variables) & set(means)) == 1, at_point)
    return expr.xreplace(means)


def _expand_polynomial(expr: sp.Expr) -> sp.Expr:
    return sp.expand(expr, power_base=False, power_exp=False, log=False)


def moment_form(expr: sp.Expr) -> sp.Expr:
    """Rewrite every batch mean as a combination of moment atoms.

    The argument of each mean (innermost first) is expanded into monomials of the
    sample variables, and linearity splits the mean:
    ``Mean((x - Mean(x))**2)`` -> ``Mean(x**2) - Mean(x)**2``.
    """
    return rewrite.replace(sp.sympify(expr), lambda e: isinstance(e, Mean),
                           lambda m: Mean(_expand_polynomial(m.args[0])))


def moment_atoms(expr: sp.Expr) -> set[Mean]:
    """The batch means that appear in ``expr`` (after :func:`moment_form`, its moments)."""
    return set(sp.sympify(expr).atoms(Mean))


def sample_variables(expr: sp.Expr) -> set[SampleSymbol]:
    """Every per-sample variable in ``expr``, inside batch means or not."""
    return set(sp.sympify(expr).atoms(SampleSymbol))


def freeze_moments(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Dummy, Mean]]:
    """(expr in moment form with each batch mean replaced by a real symbol, {symbol: mean}).

    The moment atoms are then independent symbols: an identity that holds for them
    holds for every batch, since a batch's moments are one choice of their values.
    """
    expr = moment_form(expr)
    atoms = {m: sp.Dummy(f"E[{m.args[0]}]", real=True) for m in expr.atoms(Mean)}
    return expr.xreplace(atoms), {d: m for m, d in atoms.items()}


def freeze_moments_signed(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Dummy, sp.Expr]]:
    """:func:`freeze_moments`, keeping what is known about the moments' signs.

    Each moment atom becomes a symbol that is positive / nonnegative / real when its
    argument is (Mean(x**2) >= 0, Mean(exp(x)) > 0), and carries no assumption when its
    argument may be complex (Mean(sqrt(x + 30))).  For a real sample variable whose mean
    and mean square both appear, the mean square is written Mean(x)**2 + V with V >= 0
    standing for the variance Mean((x - Mean(x))**2): a change of variables onto exactly
    the moments a batch can have, so Var(x) + eps > 0 stays known.  Returns
    (frozen, {symbol: the moment or variance it stands for}).

    A moment gets the same symbol in every call (unless ``expr`` holds that symbol
    already): SymPy then finds the frozen subexpressions, and what it deduced about
    their signs, in its cache, instead of building them again with fresh symbols.
    """
    expr = moment_form(expr)
    taken = rewrite.atoms(expr, sp.Dummy)
    atoms = {m: _unused(_moment_symbol(m), taken) for m in rewrite.atoms(expr, Mean)}
    frozen = rewrite.xreplace(expr, atoms)
    present = rewrite.atoms(frozen, sp.Dummy)
    back = {d: m for m, d in atoms.items() if d in present}
    for v in sorted(rewrite.atoms(expr, SampleSymbol), key=str):
        first, second = atoms.get(Mean(v)), atoms.get(Mean(v**2))
        if v.is_real and first is not None and second is not None and {first, second} <= set(back):
            variance = _unused(_variance_symbol(v), taken)
            frozen = rewrite.xreplace(frozen, {second: variance + first**2})
            del back[second]
            back[variance] = Mean((v - Mean(v)) ** 2)
    return frozen, back


@functools.lru_cache(maxsize=1024)
def _moment_symbol(mean: Mean) -> sp.Dummy:
    """The symbol a moment is frozen to, with the sign its argument has."""
    return sp.Dummy(f"E[{mean.args[0]}]", **_sign_of(mean.args[0]))


@functools.lru_cache(maxsize=1024)
def _variance_symbol(v: SampleSymbol) -> sp.Dummy:
    """The symbol Var(v) = Mean(v**2) - Mean(v)**2 >= 0 is frozen to."""
    return sp.Dummy(f"Var[{v}]", nonnegative=True)


def _unused(symbol: sp.Dummy, taken: set[sp.Basic]) -> sp.Dummy:
    """``symbol``, or a fresh one like it where the expression holds it already (a
    frozen expression given back): two meanings never share one symbol."""
    return symbol if symbol not in taken else sp.Dummy(symbol.name, **symbol.assumptions0)


def _sign_of(h: sp.Expr) -> dict[str, bool]:
    if h.is_extended_positive:
        return {"positive": True}
    if h.is_extended_nonnegative:
        return {"nonnegative": True}
    return {"real": True} if h.is_extended_real else {}


def large_batch_limit(expr: sp.Expr, order: int = 0) -> sp.Expr:
    """lim_{N -> oo} N**order * expr, with every batch moment held fixed."""
    frozen, atoms = freeze_moments(expr)
    return sp.limit(N**order * frozen, N, sp.oo).xreplace(atoms)


def centred_terms(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]] | None:
    """``expr`` as [(c_k, m_k)]: monomials m_k of centred sample variables, or None.

    The coefficients c_k hold only batch statistics and constants, so a kernel computes
    them once per channel, and the per-element work is a few multiply-adds: dx becomes
    a*(g - Mean(g)) + b*(x - Mean(x)).  A sample variable v whose mean appears is
    centred, v = (v - Mean(v)) + Mean(v), which keeps the textbook form's numerics (no
    k*x - k*mu cancellation).  An exact rewrite; None where ``expr`` is not polynomial in
    the sample variables (e.g. a ReLU) or is a batch scalar.
    """
    if not depends_on_sample(expr):
        return None
    frozen, means = freeze_means(expr)
    mean_of = {m.args[0]: d for d, m in means.items()}
    variables, centring = [], {}
    for v in sorted(frozen.atoms(SampleSymbol), key=str):
        if v in mean_of:
            centred = sp.Dummy(f"{v}_c", real=True)
            frozen = frozen.xreplace({v: centred + mean_of[v]})
            centring[centred] = v - Mean(v)
            variables.append(centred)
        else:
            variables.append(v)
    try:
        poly = sp.Poly(frozen, *variables)
    except sp.PolynomialError:
        return None
    return [(sp.cancel(c).xreplace(means),
             sp.Mul(*[v**e for v, e in zip(variables, exps)]).xreplace(centring))
            for exps, c in poly.terms()]


def centred_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` collected by centred sample variables, coefficients factored: the readable
    form of a derivation, e.g. dx = gamma (g - Mean(g))/s + gamma (x - Mean(x)) (...)/s^3."""
    terms = centred_terms(expr)
    return expr if terms is None else sp.Add(*[sp.factor(c) * m for c, m in terms])
