"""Sums of squares with batch means: a numerical search, then an exact certificate.

A polynomial ``T`` in batch constants (symbols, moment atoms Mean(monomial), square-root
symbols) is shown nonnegative by writing it as

    T = sum_blocks  tau * w^T G w,     G positive semidefinite, exactly rational,

where ``tau`` is a product of positive symbols (1, eps, ...) and ``w`` a vector of pairs
(b, u): a batch-constant monomial b times a per-sample monomial u.  The quadratic form
is read with the batch mean: ``w_i w_j`` stands for ``b_i b_j Mean(u_i u_j)`` (Mean(1) = 1),
so each block is a nonnegative combination of batch means of squares,
``Mean((sum_i l_i b_i u_i)**2) >= 0``: Var >= 0 and Cauchy-Schwarz are such terms, and a
block whose u are all 1 is a sum of squares of batch constants.

When the coefficient equations fix every Gram entry (a quadratic form in its own
monomials), their one solution is taken exactly and no search runs.  Otherwise the Gram
matrices are found by a semidefinite program (Clarabel, imported only here and only when
a search runs), rounded to rationals, projected exactly onto the
coefficient equations, and accepted only if a rational LDL^T decomposition shows each one
positive semidefinite: G = sum_k d_k l_k l_k^T with d_k >= 0.  The caller verifies the
resulting identity again from the claim itself; nothing numerical is ever reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy as sp

#: denominators tried when rounding the numerical Gram matrices (small ones first: an
#: exact certificate with small denominators is found exactly, not approximately)
DENOMINATORS = (1, 2, 4, 6, 12, 24, 60, 120, 720, 5040, 10**4, 10**6, 10**8)
#: a Gram diagonal below this is taken to be 0 and its basis element dropped
ZERO_DIAGONAL = 1e-7


@dataclass(frozen=True)
class Pair:
    """One basis element b*u: a batch-constant monomial b and a per-sample monomial u."""

    constant: sp.Expr
    sample: sp.Expr


@dataclass(frozen=True)
class Block:
    """tau * w^T G w: ``multiplier`` tau (a product of positive symbols, or 1), basis w."""

    multiplier: sp.Expr
    basis: tuple[Pair, ...]


@dataclass(frozen=True)
class Square:
    """coefficient * multiplier * Mean(base**2) (``in_mean``) or * base**2."""

    coefficient: sp.Rational
    multiplier: sp.Expr
    base: sp.Expr
    in_mean: bool


#: a polynomial as {exponents: coefficient}, the exponents in one ring's gens
Polynomial = dict[tuple[int, ...], Fraction]


class Problem:
    """The coefficient equations of ``T = sum_blocks tau * w^T G w``.

    ``target``: T; ``entry(k, i, j)``: the polynomial block k's Gram entry (i, j) (i <= j)
    multiplies, tau * b_i b_j Mean(u_i u_j) (times 2 off the diagonal), written in the
    ring's variables with the square roots' relations used.  All in the same ring.
    """

    def __init__(self, target: Polynomial, blocks: Sequence[Block],
                 entry: Callable[[int, int, int], Polynomial]):
        self.blocks = list(blocks)
        self.target = dict(target)
        self.entries: list[tuple[int, int, int]] = []  # (block, i, j), i <= j
        self.columns: list[Polynomial] = []
        for k, block in enumerate(self.blocks):
            for i, j in _upper(len(block.basis)):
                self.entries.append((k, i, j))
                self.columns.append(entry(k, i, j))
        self.monomials = sorted(set(self.target).union(*self.columns))

    def equations(self, keep: Sequence[int]) -> tuple[flint.fmpq_mat, flint.fmpq_mat]:
        """(A, c) with A q = c over the entries ``keep``."""
        rows = len(self.monomials)
        A = flint.fmpq_mat(rows, len(keep))
        c = flint.fmpq_mat(rows, 1)
        index = {m: r for r, m in enumerate(self.monomials)}
        for col, e in enumerate(keep):
            for m, v in self.columns[e].items():
                A[index[m], col] = flint.fmpq(v.numerator, v.denominator)
        for m, v in self.target.items():
            c[index[m], 0] = flint.fmpq(v.numerator, v.denominator)
        return A, c


def _upper(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i, n)]


def solve(problem: Problem) -> list[tuple[Block, Gram]] | None:
    """Exact PSD Gram matrices for ``problem``, or None (infeasible, or not made exact)."""
    every = list(range(len(problem.entries)))
    determined = _determined(problem, every)
    if determined is not None:  # the equations fix every entry: nothing to search
        grams = _grams(problem, every, determined)
        return grams if all(_ldl(g) is not None for _, g in grams) else None
    numeric = _numeric(problem, every)
    if numeric is None:
        return None
    keep = [e for e, (k, i, j) in enumerate(problem.entries)
            if numeric[(k, i, i)] > ZERO_DIAGONAL and numeric[(k, j, j)] > ZERO_DIAGONAL]
    A, c = problem.equations(keep)
    rows = _independent_rows(A)
    A = _rows(A, rows)
    c = _rows(c, rows)
    for denominator in DENOMINATORS:
        q = flint.fmpq_mat(len(keep), 1, [_round(numeric[problem.entries[e]], denominator)
                                            for e in keep])
        projected = _project(A, c, q)
        if projected is None:
            return None
        grams = _grams(problem, keep, projected)
        if all(_ldl(g) is not None for _, g in grams):
            return grams
    return None


def _determined(problem: Problem, entries: list[int]) -> flint.fmpq_mat | None:
    """The one solution of the coefficient equations when they have exactly one (a
    quadratic form's Gram matrix in its monomials, say), exactly; None when they leave
    entries free or have none (the SDP then searches, and finds none)."""
    A, c = problem.equations(entries)
    rows = _independent_rows(A)
    if len(rows) != len(entries):
        return None
    try:
        q = _rows(A, rows).solve(_rows(c, rows))
    except ZeroDivisionError:
        return None
    residual = A * q - c
    return q if all(residual[r, 0] == 0 for r in range(residual.nrows())) else None


class SolverMissing(ImportError):
    """The optional solver (extra ``sos``) is not installed; the message says how to add it."""


def _numeric(problem: Problem, entries: list[int]) -> dict[tuple[int, int, int], float] | None:
    """The SDP's Gram entries by (block, i, j), both orders; None when it finds none.

    Clarabel directly (no modelling layer: cvxpy's import alone took longer than most
    searches): the variables are each block's Gram matrix in Clarabel's scaled
    upper-triangle vector (column-major, off-diagonal entries times sqrt(2)), constrained
    to the PSD cone, and the coefficient equations are a zero cone; no objective, so the
    interior-point method ends near the centre of the feasible set, which rounds well.
    """
    import numpy as np  # only for a search: a verdict read from the cache needs none

    try:  # the solver is an optional extra: loaded only for a search
        import clarabel
        from scipy import sparse
    except ImportError as missing:
        raise SolverMissing(f"the semidefinite solver is not installed ({missing.name}): "
                            "pip install 'symbn[sos]'") from None

    offsets, size = [], 0
    for block in problem.blocks:
        offsets.append(size)
        size += len(block.basis) * (len(block.basis) + 1) // 2

    def position(k: int, i: int, j: int) -> int:
        return offsets[k] + j * (j + 1) // 2 + i  # i <= j, column-major upper triangle

    index = {m: r for r, m in enumerate(problem.monomials)}
    used = {index[m] for e in entries for m in problem.columns[e]}
    if any(index[m] not in used for m, v in problem.target.items() if v != 0):
        return None  # a monomial of the target no basis element can make
    rows = {r: n for n, r in enumerate(sorted(used))}
    data, row_of, col_of = [], [], []
    for e in entries:
        k, i, j = problem.entries[e]
        scale = 1.0 if i == j else 1 / math.sqrt(2)
        for m, v in problem.columns[e].items():
            data.append(float(v) * scale)
            row_of.append(rows[index[m]])
            col_of.append(position(k, i, j))
    equations = sparse.csc_matrix((data, (row_of, col_of)), shape=(len(rows), size))
    A = sparse.vstack([equations, -sparse.identity(size, format="csc")], format="csc")
    b = np.concatenate([np.array([float(problem.target.get(problem.monomials[r], 0))
                                  for r in sorted(rows)]), np.zeros(size)])
    cones = [clarabel.ZeroConeT(len(rows))] + [
        clarabel.PSDTriangleConeT(len(block.basis)) for block in problem.blocks]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solution = clarabel.DefaultSolver(sparse.csc_matrix((size, size)), np.zeros(size), A, b,
                                      cones, settings).solve()
    if solution.status not in (clarabel.SolverStatus.Solved, clarabel.SolverStatus.AlmostSolved):
        return None
    x = np.asarray(solution.x)
    found: dict[tuple[int, int, int], float] = {}
    for k, block in enumerate(problem.blocks):
        for i, j in _upper(len(block.basis)):
            value = float(x[position(k, i, j)]) * (1.0 if i == j else 1 / math.sqrt(2))
            found[(k, i, j)] = found[(k, j, i)] = value
    return found


def _round(value: float, denominator: int) -> flint.fmpq:
    return flint.fmpq(round(value * denominator), denominator)


def _independent_rows(A: flint.fmpq_mat) -> list[int]:
    """Row indices of A that span its row space (the pivots of A^T's echelon form)."""
    reduced, rank = A.transpose().rref()
    pivots, col = [], 0
    for r in range(rank):
        while reduced[r, col] == 0:
            col += 1
        pivots.append(col)
    return pivots


def _rows(M: flint.fmpq_mat, rows: list[int]) -> flint.fmpq_mat:
    out = flint.fmpq_mat(len(rows), M.ncols())
    for r, src in enumerate(rows):
        for c in range(M.ncols()):
            out[r, c] = M[src, c]
    return out


def _project(A: flint.fmpq_mat, c: flint.fmpq_mat, q: flint.fmpq_mat) -> flint.fmpq_mat | None:
    """The exact orthogonal projection of q onto {A q = c} (A of full row rank)."""
    if A.nrows() == 0:
        return q
    residual = A * q - c
    if all(residual[r, 0] == 0 for r in range(residual.nrows())):
        return q
    try:
        y = (A * A.transpose()).solve(residual)
    except ZeroDivisionError:
        return None
    return q - A.transpose() * y


#: a Gram matrix, exactly: rows of rationals
Gram = list[list[flint.fmpq]]


def _grams(problem: Problem, keep: list[int], q: flint.fmpq_mat) -> list[tuple[Block, Gram]]:
    """Each block's exact Gram matrix (dropped entries 0)."""
    sizes = [len(b.basis) for b in problem.blocks]
    mats = [[[flint.fmpq(0)] * n for _ in range(n)] for n in sizes]
    for col, e in enumerate(keep):
        k, i, j = problem.entries[e]
        mats[k][i][j] = mats[k][j][i] = q[col, 0]
    return list(zip(problem.blocks, mats))


def _ldl(G: Gram) -> list[tuple[flint.fmpq, list[flint.fmpq]]] | None:
    """G = sum_k d_k l_k l_k^T with d_k > 0, exactly; None when G is not PSD."""
    n = len(G)
    M = [list(row) for row in G]
    found: list[tuple[flint.fmpq, list[flint.fmpq]]] = []
    for p in range(n):
        d = M[p][p]
        if d < 0:
            return None
        if d == 0:
            if any(M[p][j] != 0 for j in range(p, n)):
                return None
            continue
        column = [M[i][p] for i in range(n)]
        l_vec = [flint.fmpq(0)] * p + [column[i] / d for i in range(p, n)]
        found.append((d, l_vec))
        for i in range(p, n):
            for j in range(p, n):
                M[i][j] -= column[i] * column[j] / d
    return found


def squares(grams: list[tuple[Block, Gram]]) -> list[Square]:
    """The certificate's terms: each Gram matrix's LDL^T as d_k * tau * Mean((l_k . w)^2),
    or a plain square when every u in it is 1."""
    terms: list[Square] = []
    for block, G in grams:
        decomposition = _ldl(G)
        assert decomposition is not None, "solve() returns PSD matrices only"
        for d, l_vec in decomposition:
            used = [(c, pair) for c, pair in zip(l_vec, block.basis) if c != 0]
            in_mean = any(pair.sample != 1 for _, pair in used)
            base = sp.Add(*[_rational(c) * pair.constant * pair.sample for c, pair in used])
            terms.append(Square(_rational(d), block.multiplier, base, in_mean))
    return terms


def _rational(q: flint.fmpq) -> sp.Rational:
    return sp.Rational(int(q.p), int(q.q))
