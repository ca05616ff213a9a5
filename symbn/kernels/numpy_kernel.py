"""Compile general-form expressions to vectorized NumPy kernels.

One derivation serves any shape and any reduction axes: every batch mean becomes
``mean(..., axis=axes, keepdims=True)`` (BN over ``(0,)`` for (N, C), over ``(0, 2, 3)``
for (N, C, H, W)), and the pointwise algebra is printed by ``sympy.lambdify(..., cse=True)``,
so a moment shared by several outputs is computed once.  The generated source is kept
on the kernel (``kernel.source``) for the report.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import inspect
import math
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from symbn.core import Mean, N, SampleSymbol, centred_terms, depends_on_sample
from symbn.display import Displayable

_AXES = sp.Symbol("axes")


class ReduceMean(sp.Function):
    """An inert batch mean for code generation.

    ``Mean`` evaluates on construction, so when ``cse`` substitutes a plain symbol for a
    per-sample subexpression inside it, ``Mean(x1**2)`` would collapse to ``x1**2``.
    """

    nargs = 1


class Fused(sp.Function):
    """An elementwise output evaluated in one pass by numexpr (the optional fused path)."""

    nargs = 1


class _KernelPrinter(NumPyPrinter):
    """NumPy printer that knows batch means (a reduction over the call's ``axes``) and
    fused outputs (one ``numexpr.evaluate`` call)."""

    def _print_ReduceMean(self, expr: sp.Expr) -> str:
        return f"mean({self._print(expr.args[0])}, axis=axes, keepdims=True)"

    def _print_Fused(self, expr: sp.Expr) -> str:
        from sympy.printing.lambdarepr import NumExprPrinter
        printed: str = NumExprPrinter().doprint(expr.args[0])
        return printed


class KernelInputError(ValueError):
    """Arrays that do not fit a kernel: the message says which and how to fix it."""


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display (its source)
class Kernel(Displayable, document="kernel"):
    """A compiled kernel: call it with arrays by name and the reduction ``axes``.

    Inputs it does not use are ignored (a missing one is an error), so one dict of
    parameters serves several kernels.

    Per-sample outputs have the input's shape; batch-scalar outputs (dgamma, dbeta)
    have the shape of the kept axes, e.g. (C,).
    """

    name: str
    outputs: tuple[str, ...]
    expressions: tuple[sp.Expr, ...]
    samples: tuple[sp.Symbol, ...]
    constants: tuple[sp.Symbol, ...]
    function: Callable[..., Any]
    source: str

    def __call__(self, *, axes: int | Iterable[int] = (0,), **values: Any) -> dict[str, np.ndarray]:
        arrays = [self._sample_array(s, values) for s in self.samples]
        shape, dtype = arrays[0].shape, arrays[0].dtype
        axes = _normalize_axes(axes, len(shape))
        kept_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
        batch_size = math.prod(shape[i] for i in axes)
        if batch_size < 2 and any(e.has(Mean) for e in self.expressions):
            raise KernelInputError(
                f"{self.name}: expected more than 1 value per channel when training, got input "
                f"shape {shape} reduced over axes {axes}; use a batch of at least 2 values, "
                "or the eval-mode kernel with running statistics")
        constants = [self._constant_array(c, values, kept_shape, dtype) for c in self.constants]
        results = self.function(*arrays, *constants, batch_size, axes)
        return {
            name: _shape_output(np.asarray(r, dtype=dtype), e, shape, axes)
            for name, e, r in zip(self.outputs, self.expressions, results)
        }

    @property
    def arguments(self) -> list[str]:
        return [str(s) for s in self.samples + self.constants]

    def _missing(self, name: str, values: Mapping[str, Any], what: str = "") -> KernelInputError:
        """The error for a missing input, naming a given one it may have been meant as."""
        unused = [given for given in values if given not in self.arguments]
        close = difflib.get_close_matches(name, unused, n=1, cutoff=0.5)
        hint = f" ({close[0]!r} was given, which it does not take)" if close else ""
        return KernelInputError(f"{self.name}: missing {what}{name}{hint}; it takes "
                                f"{self.arguments}")

    def _sample_array(self, symbol: sp.Symbol, values: Mapping[str, Any]) -> np.ndarray:
        if str(symbol) not in values:
            raise self._missing(str(symbol), values, "the per-sample input ")
        array = np.asarray(values[str(symbol)])
        # float16 too: verify runs a recipe in it (the no-float32-upcast mistake)
        if array.dtype not in (np.float16, np.float32, np.float64):
            raise KernelInputError(f"{self.name}: {symbol} has dtype {array.dtype}; "
                                   "pass float16, float32 or float64 arrays")
        return array

    def _constant_array(self, symbol: sp.Symbol, values: Mapping[str, Any],
                        kept_shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
        if str(symbol) not in values:
            raise self._missing(str(symbol), values)
        value = np.asarray(values[str(symbol)], dtype=dtype)
        if value.ndim == 0:
            return value
        if value.size == math.prod(kept_shape):
            return value.reshape(kept_shape)
        if value.ndim == len(kept_shape) and all(v in (1, k) for v, k in zip(value.shape,
                                                                              kept_shape)):
            return value  # already broadcasts over the kept positions
        raise KernelInputError(
            f"{self.name}: {symbol} has shape {value.shape}; give a scalar, one value per "
            f"kept position ({math.prod(kept_shape)} values for kept shape {kept_shape}), or "
            "an array that broadcasts to that shape")


def _normalize_axes(axes: int | Iterable[int], ndim: int) -> tuple[int, ...]:
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    if not axes or any(not -ndim <= a < ndim for a in axes):
        raise KernelInputError(f"reduction axes {axes} do not fit an input of {ndim} dimensions")
    normalized = tuple(sorted({a % ndim for a in axes}))
    if len(normalized) != len(axes):
        raise KernelInputError(f"reduction axes {axes} repeat an axis")
    return normalized


def _shape_output(result: np.ndarray, expr: sp.Expr, shape: tuple[int, ...],
                  axes: tuple[int, ...]) -> np.ndarray:
    if depends_on_sample(expr):
        return np.broadcast_to(result, shape)
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return np.broadcast_to(result, kept_shape).reshape(
        [n for i, n in enumerate(shape) if i not in axes])


def _inert(expr: sp.Expr) -> sp.Expr:
    inert: sp.Expr = expr.replace(
        lambda a: isinstance(a, Mean), lambda a: ReduceMean(a.args[0]))
    return inert


def _optimized(expressions: Iterable[sp.Expr]) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Expr]]:
    """(skeletons, {coefficient symbol: value}): each output a sum of c_k * m_k."""
    skeletons: list[sp.Expr] = []
    coefficients: dict[sp.Symbol, sp.Expr] = {}
    for e in expressions:
        terms = centred_terms(e)
        if terms is None:
            skeletons.append(e)
            continue
        total = sp.S.Zero
        for c, m in terms:
            symbol = sp.Symbol(f"c{len(coefficients)}")
            coefficients[symbol] = c
            total += symbol * m
        skeletons.append(total)
    return skeletons, coefficients


def _cse_with_coefficients(coefficients: dict[sp.Symbol, sp.Expr], fused: bool) -> Callable[..., Any]:
    """A ``cse`` for lambdify that assigns each per-channel coefficient before the outputs.

    With ``fused``, a reduction left inside an output is assigned first too: numexpr
    evaluates elementwise expressions only.
    """
    names, values = list(coefficients), [_inert(v) for v in coefficients.values()]

    def cse(exprs: Iterable[sp.Expr]) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
        replacements, reduced = sp.cse(values + list(exprs))
        outputs = reduced[len(names):]
        if fused:
            means = sorted(set().union(*(e.atoms(ReduceMean) for e in outputs)),
                           key=sp.default_sort_key)
            hoisted = {m: sp.Symbol(f"mean{k}") for k, m in enumerate(means)}
            replacements += [(symbol, m) for m, symbol in hoisted.items()]
            outputs = [e.xreplace(hoisted) for e in outputs]
        return replacements + list(zip(names, reduced[:len(names)])), outputs
    return cse


def _numexpr_module() -> ModuleType:
    return importlib.import_module("numexpr")


def compile_kernel(outputs: Mapping[str, Any], name: str = "kernel", *, optimize: bool = True,
                   fused: bool = False) -> Kernel:
    """Compile ``{output name: general-form expression}`` into one NumPy :class:`Kernel`.

    Its arguments are the per-sample variables, then the batch constants, in name order.
    With ``optimize`` each output becomes sum_k c_k * m_k (:func:`centred_terms`), the
    coefficients assigned first, so the per-element work is a few multiply-adds.  With
    ``fused`` (needs numexpr: ``pip install 'symbn[fast]'``) each per-sample output is one
    numexpr pass instead of one NumPy temporary per operation.
    """
    if fused and importlib.util.find_spec("numexpr") is None:
        raise ImportError("the fused kernel path needs numexpr: pip install 'symbn[fast]'")
    expressions = tuple(sp.sympify(e) for e in outputs.values())
    free = set().union(*(e.free_symbols for e in expressions)) | \
        set().union(*(e.atoms(SampleSymbol) for e in expressions))
    samples = tuple(sorted((s for s in free if isinstance(s, SampleSymbol)), key=str))
    if not samples:
        raise ValueError(f"{name}: the outputs depend on no per-sample variable")
    constants = tuple(sorted((s for s in free if not isinstance(s, SampleSymbol) and s != N),
                             key=str))
    skeletons, coefficients = _optimized(expressions) if optimize else (expressions, {})
    printed = [_inert(e) for e in skeletons]
    if fused:
        printed = [Fused(e) if depends_on_sample(s) else e for e, s in zip(printed, skeletons)]
    function = sp.lambdify(
        [*samples, *constants, N, _AXES], printed,
        # functools: SymPy's NumPy printer writes Min and Max (a clip) with functools.reduce
        modules=["numpy", {"functools": functools, **(
            {"numexpr": _numexpr_module()} if fused else {})}],
        printer=_KernelPrinter, docstring_limit=0,
        cse=_cse_with_coefficients(coefficients, fused) if coefficients or fused else True,
    )
    # lambdify registers the source with linecache; name the function after the kernel
    source = inspect.getsource(function).replace("_lambdifygenerated", name)
    return Kernel(name, tuple(outputs), expressions, samples, constants, function, source)
