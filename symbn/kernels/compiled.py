"""The optional compiled kernel path: the same derivation, printed as loops that numba compiles.

From the general-form expressions of a NumPy :class:`~symbn.kernels.numpy_kernel.Kernel`
(the reference, which stays the default) this module generates Python source with two
passes over the data, parallel over the kept positions (channels) with ``numba.prange``:

1. the moments: every moment atom the outputs need (``Mean(x)``, ``Mean(x**2)``,
   ``Mean(g*x)``, ...) accumulated in float64 in one pass;
2. the outputs: the per-channel coefficients of ``a*(g - Mean(g)) + b*(x - Mean(x))``
   (the same rewrite as the NumPy kernel, :func:`symbn.core.centred_terms`), then one pass
   that writes every per-sample output.

One pass cannot centre before squaring, so the moments are taken of *shifted* data: every
variable whose mean appears is written as ``x = shift_x + x_s`` with ``shift_x`` near the
channel's mean (its first value moved by the mean deviation of its first ``PILOT`` values:
exact for a constant channel), and ``moment_form`` turns the nested
means into moments of ``x_s``: ``Mean((x - Mean(x))**2) = Mean(x_s**2) - Mean(x_s)**2``,
which loses only as many digits as the shift is far from the mean in standard deviations
(the shifted-data algorithm; Chan, Golub and LeVeque, "Algorithms for computing the sample
variance", 1983).  The outputs are centred the same way, ``x - Mean(x) = x_s -
Mean(x_s)``, so a large mean offset costs nothing.  The per-channel and per-element code
is printed by SymPy's Python code printer after ``cse``; only the loop nest is a template.

Layout: the input is seen as (A, K, B) blocks, K the kept positions and A x B the values
reduced (BN on (N, C): (N, C, 1); on (N, C, H, W): (N, C, H*W); LayerNorm: (1, N, C*H*W));
reduction axes that leave the kept axes apart are transposed to (1, K, A*B) first (a copy).
Two loop orders are generated: with B > 1 one channel per parallel iteration, its rows of
B contiguous values innermost, both passes back to back (the channel is often still in
cache for the second); with B = 1 (channels last) both passes stream through whole rows,
split into a fixed number of chunks, so the sums do not depend on the number of threads.
Everything accumulates and computes in float64; float32 inputs get float32 outputs.

Needs numba (``pip install 'symbn[compiled]'``).  The generated source is kept
(``CompiledKernel.source``) and written to ``$SYMBN_CACHE_DIR/compiled/``; numba caches the
machine code next to it (``cache=True``), so a second process loads instead of compiling.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from symbn.core import Mean, SampleSymbol, depends_on_sample, moment_form
from symbn.kernels.numpy_kernel import (Kernel, KernelInputError, _normalize_axes,
                                        _optimized)

#: When the channels are the innermost axis (B = 1) the rows are split into this many
#: chunks, whatever the number of threads, so the sums (and results) do not depend on it.
ROW_CHUNKS = 16
#: The shift of a channel is its first value moved by the mean deviation of its first
#: PILOT values: close to the mean, so little cancels, and exact for a constant channel.
PILOT = 64


def require_numba() -> ModuleType:
    """numba, or an ImportError that says how to install it."""
    if importlib.util.find_spec("numba") is None:
        raise ImportError("the compiled kernel path needs numba: pip install 'symbn[compiled]'")
    import numba
    return numba


def cache_directory() -> Path:
    """Where generated sources and numba's machine code live: ``<symbn cache>/compiled``."""
    from symbn.cache import default_directory
    return default_directory() / "compiled"


# ---------------------------------------------------------------------------------------
# The symbolic part: shifted moments, coefficients, per-element expressions
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What the generated code computes, as SymPy expressions over scalar symbols.

    ``moments``: (symbol, argument) pairs, the symbol standing for the batch mean of the
    argument, a per-sample expression free of means (in shifted variables ``x_s``);
    ``coefficients`` and ``channel_outputs``: per-channel values, in moments and constants;
    ``element_outputs``: per-sample outputs, in sample values and per-channel symbols.
    """

    samples: tuple[sp.Symbol, ...]            # the arrays, in the reference's order
    constants: tuple[sp.Symbol, ...]
    shifted: dict[sp.Symbol, tuple[sp.Symbol, sp.Symbol]]  # sample -> (shift, shifted)
    moments: tuple[tuple[sp.Symbol, sp.Expr], ...]
    channel_outputs: dict[str, sp.Expr]       # batch-scalar output name -> expression
    coefficients: dict[sp.Symbol, sp.Expr]    # coefficient symbol -> expression
    element_outputs: dict[str, sp.Expr]       # per-sample output name -> expression


def plan(kernel: Kernel) -> Plan:
    """The shifted moment form of ``kernel``'s expressions (see the module docstring)."""
    expressions = kernel.expressions
    means = set().union(*(e.atoms(Mean) for e in expressions))
    centred = sorted({m.args[0] for m in means if isinstance(m.args[0], SampleSymbol)}, key=str)
    shifted = {v: (sp.Symbol(f"shift_{v}", real=True), SampleSymbol(f"{v}_s")) for v in centred}
    substituted = [e.xreplace({v: s + d for v, (s, d) in shifted.items()}) for e in expressions]
    skeletons, coefficients = _optimized(substituted)

    def raw_moments(expr: sp.Expr) -> sp.Expr:
        expr = moment_form(expr)
        nested = [m for m in expr.atoms(Mean) if m.args[0].has(Mean)]
        if nested:
            raise NotImplementedError(
                f"{kernel.name}: {nested[0]} nests a batch mean inside a non-polynomial "
                "function, which one pass of moments cannot evaluate; use the NumPy kernel")
        return expr

    coefficients = {c: raw_moments(v) for c, v in coefficients.items()}
    inline = {c: v for c, v in coefficients.items() if v.is_Atom}
    coefficients = {c: v for c, v in coefficients.items() if c not in inline}
    element_outputs: dict[str, sp.Expr] = {}
    channel_outputs: dict[str, sp.Expr] = {}
    for name, skeleton in zip(kernel.outputs, skeletons):
        target = element_outputs if depends_on_sample(skeleton) else channel_outputs
        target[name] = raw_moments(skeleton.xreplace(inline))
    atoms = sorted(set().union(*(e.atoms(Mean) for e in (*coefficients.values(),
                                                         *element_outputs.values(),
                                                         *channel_outputs.values()))),
                   key=sp.default_sort_key)
    moments = tuple((sp.Symbol(f"mom{k}", real=True), m) for k, m in enumerate(atoms))
    to_symbol = {m: s for s, m in moments}
    return Plan(kernel.samples, kernel.constants, shifted,
                tuple((s, m.args[0]) for s, m in moments),
                {n: e.xreplace(to_symbol) for n, e in channel_outputs.items()},
                {c: v.xreplace(to_symbol) for c, v in coefficients.items()},
                {n: e.xreplace(to_symbol) for n, e in element_outputs.items()})


# ---------------------------------------------------------------------------------------
# Printing: straight-line scalar code from SymPy, inside a loop-nest template
# ---------------------------------------------------------------------------------------

class _ScalarPrinter(PythonCodePrinter):
    """Python scalar code that numba compiles: ``math.sqrt``, floats, no NumPy."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True})


def _cse(named: list[tuple[Any, sp.Expr]], prefix: str
         ) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[tuple[Any, sp.Expr]]]:
    """(temporaries, [(name, reduced expression)]) by SymPy's cse."""
    if not named:
        return [], []
    replacements, reduced = sp.cse([e for _, e in named],
                                   symbols=sp.numbered_symbols(prefix, real=True))
    return replacements, [(n, r) for (n, _), r in zip(named, reduced)]


def generate_source(kernel: Kernel, p: Plan) -> str:
    """The module source: the entry points ``<name>_inner`` (B > 1) and ``<name>_rows``
    (B = 1), each two parallel passes around four loop bodies that SymPy prints."""
    code = _ScalarPrinter().doprint
    name = kernel.name
    samples = [code(s) for s in p.samples]
    inputs = [f"in_{v}" for v in samples]
    element_out = [f"out_{o}" for o in p.element_outputs]
    channel_out = [f"out_{o}" for o in p.channel_outputs]
    shifts = [(code(v), code(shift)) for v, (shift, _) in p.shifted.items()]
    shift_names = [s for _, s in shifts]
    first = inputs[0]

    moment_temps, moment_exprs = _cse([(code(s), m) for s, m in p.moments], "tmom")
    channel_temps, channel_exprs = _cse(
        list(p.coefficients.items()) + [(sp.Symbol(f"out_{n}_value"), e)
                                        for n, e in p.channel_outputs.items()], "tch")
    element_temps, element_exprs = _cse(list(p.element_outputs.items()), "tel")
    moment_symbols = set().union(set(), *(m.free_symbols for _, m in p.moments))
    element_symbols = set().union(set(), *(e.free_symbols for e in p.element_outputs.values()))
    # what the per-sample outputs read per channel: coefficients, moments, constants
    per_channel = [code(s) for s in sorted(element_symbols, key=str)
                   if not isinstance(s, SampleSymbol)]
    per_channel_args = per_channel + [s for s in shift_names if s not in per_channel]
    moments = [code(s) for s, _ in p.moments]

    def loads(used: set[sp.Basic], index: str, shift_of: Callable[[str], str]) -> list[str]:
        """Read the sample values a body uses (a shifted one minus its channel's shift)."""
        lines = []
        for s, v in zip(p.samples, samples):
            shifted = s in p.shifted and p.shifted[s][1] in used
            if s in used or shifted:
                lines.append(f"{v} = float(in_{v}[{index}])")
            if shifted:
                shift, d = p.shifted[s]
                lines.append(f"{code(d)} = {v} - {shift_of(code(shift))}")
        return lines

    def straight(temps: list[tuple[sp.Symbol, sp.Expr]], exprs: list[tuple[Any, sp.Expr]],
                 target: Callable[[Any], str], op: str = "=") -> list[str]:
        return [f"{code(t)} = {code(v)}" for t, v in temps] + \
            [f"{target(n)} {op} {code(e)}" for n, e in exprs]

    def indent(lines: list[str], depth: int) -> list[str]:
        return ["    " * depth + line for line in lines]

    def call(function: str, *groups: Iterable[str]) -> str:
        return f"{function}({', '.join(a for g in groups for a in g)})"

    channel_code = straight(channel_temps, channel_exprs, lambda n: n) + \
        [f"out_{o}[k] = out_{o}_value" for o in p.channel_outputs]
    jit = "@numba.njit(cache=True, error_model='numpy'{})"
    src = [f'"""{name}: generated by symbn.kernels.compiled from the general-form '
           'derivation."""', "import math", "", "import numba", "import numpy as np", ""]

    # ---- B > 1: a channel per parallel iteration; each (a, k) row of B values is contiguous
    if p.moments:
        src += ["", "# one contiguous row of a channel: the partial sum of every moment, in",
                "# float64 (reassociation only lets the compiler keep several partial sums)",
                jit.format(", fastmath={'reassoc'}"),
                f"def {name}_row_moments({', '.join(inputs + shift_names)}):"]
        src += indent([f"part_{m} = 0.0" for m in moments] +
                      [f"for b in range({first}.shape[0]):"], 1)
        src += indent(loads(moment_symbols, "b", str) +
                      straight(moment_temps, moment_exprs, lambda n: f"part_{n}", "+="), 2)
        src += indent([f"return ({''.join(f'part_{m}, ' for m in moments)})"], 1)
    if p.element_outputs:
        src += ["", "", "# one contiguous row of a channel: every per-sample output",
                jit.format(""),
                f"def {name}_row_outputs({', '.join(inputs + element_out + per_channel_args)}):"]
        src += indent([f"for b in range({first}.shape[0]):"], 1)
        src += indent(loads(element_symbols, "b", str) +
                      straight(element_temps, element_exprs, lambda n: f"out_{n}[b]"), 2)
    arguments = inputs + [f"in_{code(c)}" for c in p.constants] + element_out + channel_out
    src += ["", "", jit.format(", parallel=True"), f"def {name}_inner({', '.join(arguments)}):",
            f"    A, K, B = {first}.shape", "    N = float(A * B)", "    for k in numba.prange(K):"]
    body = [f"{code(c)} = in_{code(c)}[k]" for c in p.constants]
    for v, s in shifts:  # the first value, moved to the mean of the first PILOT values
        body += [f"{s} = float(in_{v}[0, k, 0])", "pilot = 0.0",
                 f"for b in range(min(B, {PILOT})):",
                 f"    pilot += float(in_{v}[0, k, b]) - {s}",
                 f"{s} += pilot / min(B, {PILOT})"]
    def rows_of(arrays: Iterable[str]) -> list[str]:
        return [f"{a}[a, k]" for a in arrays]
    if p.moments:
        # the rows' partial sums are added with Kahan's compensation: a channel can hold
        # millions of values, and a sum like Mean(g_s*x_s) may nearly cancel afterwards
        body += [f"{m} = 0.0" for m in moments] + [f"{m}_lost = 0.0" for m in moments]
        body += ["for a in range(A):"]
        body += indent([f"part = {call(f'{name}_row_moments', rows_of(inputs), shift_names)}"], 1)
        for j, m in enumerate(moments):
            body += indent([f"term = part[{j}] - {m}_lost", f"total = {m} + term",
                            f"{m}_lost = (total - {m}) - term", f"{m} = total"], 1)
        body += [f"{m} /= N" for m in moments]
    body += channel_code
    if p.element_outputs:
        body += ["for a in range(A):",
                 "    " + call(f"{name}_row_outputs", rows_of(inputs + element_out),
                               per_channel_args)]
    src += indent(body, 2)

    # ---- B = 1, a 2-D (A, K): a row is contiguous across channels, so both passes stream
    # through rows, in a fixed number of chunks (the same sums on any number of threads).
    # The partial sums (written in the loop over channels) are interleaved, sum j of channel
    # k at k*J + j with J a literal: distances the compiler can see, so it proves the loop
    # free of dependences and vectorizes it; values only read are planar (P, K), unit stride.
    S, J, P = max(len(shifts), 1), max(len(moments), 1), max(len(per_channel_args), 1)
    if p.moments:
        src += ["", "", "# rows a0..a1, every channel: the partial sums of every moment",
                jit.format(""),
                f"def {name}_chunk_moments({', '.join(inputs)}, shift, acc, a0, a1):"]
        src += indent(["for a in range(a0, a1):", f"    for k in range({first}.shape[1]):"], 1)
        src += indent(loads(moment_symbols, "a, k",
                            lambda s: f"shift[k * {S} + {shift_names.index(s)}]") +
                      straight(moment_temps, moment_exprs,
                               lambda n: f"acc[k * {J} + {moments.index(n)}]", "+="), 3)
    if p.element_outputs:
        src += ["", "", "# rows a0..a1, every channel: every per-sample output",
                jit.format(""),
                f"def {name}_chunk_outputs({', '.join(inputs + element_out)}, channel, a0, a1):"]
        src += indent(["for a in range(a0, a1):", f"    for k in range({first}.shape[1]):"], 1)
        src += indent([f"{s} = channel[{i}, k]" for i, s in enumerate(per_channel_args)] +
                      loads(element_symbols, "a, k", str) +
                      straight(element_temps, element_exprs, lambda n: f"out_{n}[a, k]"), 3)
    src += ["", "", jit.format(", parallel=True"),
            f"def {name}_rows({', '.join(arguments)}, chunk):",
            f"    A, K = {first}.shape", "    N = float(A)", "    chunks = (A + chunk - 1) // chunk"]
    body = [f"shift = np.zeros(K * {S})"]
    if shifts:  # as in the B > 1 loops, the first row moved by the first PILOT rows' mean
        body += [f"pilot = np.zeros(K * {S})", "for k in range(K):"]
        body += [f"    shift[k * {S} + {i}] = in_{v}[0, k]" for i, (v, _) in enumerate(shifts)]
        body += [f"for a in range(min(A, {PILOT})):", "    for k in range(K):"]
        body += [f"        pilot[k * {S} + {i}] += in_{v}[a, k] - shift[k * {S} + {i}]"
                 for i, (v, _) in enumerate(shifts)]
        body += ["for k in range(K):"]
        body += [f"    shift[k * {S} + {i}] += pilot[k * {S} + {i}] / min(A, {PILOT})"
                 for i, _ in enumerate(shifts)]
    if p.moments:
        body += [f"partial = np.zeros((chunks, K * {J}))",
                 "for c in numba.prange(chunks):",
                 "    " + call(f"{name}_chunk_moments", inputs,
                               ["shift", "partial[c]", "c * chunk", "min(A, (c + 1) * chunk)"])]
    body += [f"channel = np.empty(({P}, K))",
             "for k in numba.prange(K):"]
    per = [f"{code(c)} = in_{code(c)}[k]" for c in p.constants]
    per += [f"{s} = shift[k * {S} + {i}]" for i, s in enumerate(shift_names)]
    if p.moments:
        per += [f"{m} = 0.0" for m in moments] + ["for c in range(chunks):"]
        per += [f"    {m} += partial[c, k * {J} + {j}]" for j, m in enumerate(moments)]
        per += [f"{m} /= N" for m in moments]
    per += channel_code + [f"channel[{i}, k] = {s}" for i, s in enumerate(per_channel_args)]
    body += indent(per, 1)
    if p.element_outputs:
        body += ["for c in numba.prange(chunks):",
                 "    " + call(f"{name}_chunk_outputs", inputs, element_out,
                               ["channel", "c * chunk", "min(A, (c + 1) * chunk)"])]
    src += indent(body, 1)
    return "\n".join(src) + "\n"


# ---------------------------------------------------------------------------------------
# Loading (with numba's on-disk cache) and calling
# ---------------------------------------------------------------------------------------

def _load(name: str, source: str) -> ModuleType:
    """Import ``source`` from a file named by its digest, so numba can cache next to it."""
    require_numba()
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    directory = cache_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}_{digest}.py"
    if not path.exists():  # content-addressed: an existing file is this source, unchanged
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w") as f:
            f.write(source)
        os.replace(temporary, path)
    module_name = f"symbn_compiled_{name}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None  # a .py path always has a loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Blocks:
    """How an input of ``shape`` reduced over ``axes`` is laid out as (A, K, B)."""

    shape: tuple[int, ...]
    axes: tuple[int, ...]
    order: tuple[int, ...] | None  # a transposition to (kept, reduced) when needed

    @property
    def kept(self) -> tuple[int, ...]:
        return tuple(i for i in range(len(self.shape)) if i not in self.axes)

    @property
    def block_shape(self) -> tuple[int, int, int]:
        kept = self.kept
        if self.order is not None or not kept:
            k = math.prod(self.shape[i] for i in kept)
            return 1, k, math.prod(self.shape) // max(k, 1)
        return (math.prod(self.shape[:kept[0]]), math.prod(self.shape[i] for i in kept),
                math.prod(self.shape[kept[-1] + 1:]))

    def view(self, array: np.ndarray) -> np.ndarray:
        array = np.broadcast_to(array, self.shape)
        if self.order is not None:
            array = np.transpose(array, self.order)
        return np.reshape(array, self.block_shape)

    def unview(self, array: np.ndarray) -> np.ndarray:
        if self.order is None:
            return array.reshape(self.shape)
        transposed = array.reshape([self.shape[i] for i in self.order])
        return np.ascontiguousarray(np.transpose(transposed, np.argsort(self.order)))


def blocks(shape: tuple[int, ...], axes: tuple[int, ...]) -> Blocks:
    kept = [i for i in range(len(shape)) if i not in axes]
    contiguous = not kept or kept == list(range(kept[0], kept[-1] + 1))
    return Blocks(tuple(shape), tuple(axes),
                  None if contiguous else tuple(kept) + tuple(axes))


@dataclass(frozen=True)
class CompiledKernel:
    """The compiled counterpart of a NumPy :class:`Kernel`: same call, same outputs.

    ``kernel(axes=..., **values)`` takes what the reference takes (same checks and
    messages) and returns the same dict.  Floats are accumulated and combined in float64;
    a float32 input gets float32 outputs.
    """

    reference: Kernel
    plan: Plan
    source: str
    module: ModuleType = field(repr=False)

    @property
    def name(self) -> str:
        return self.reference.name

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.reference.outputs

    @property
    def dispatchers(self) -> tuple[Any, Any]:
        """The numba dispatchers (their ``stats`` say whether the disk cache was used)."""
        return (getattr(self.module, f"{self.name}_inner"),
                getattr(self.module, f"{self.name}_rows"))

    def __call__(self, *, axes: int | Iterable[int] = (0,),
                 out: Mapping[str, np.ndarray] | None = None, **values: Any
                 ) -> dict[str, np.ndarray]:
        """``out`` (optional): arrays to write per-sample outputs into, by name, like NumPy's
        ``out=``; reusing them saves the operating system's zeroing of fresh pages, which
        for large arrays costs about as much as the kernel itself."""
        ref = self.reference
        arrays = [ref._sample_array(s, values) for s in ref.samples]
        shape, dtype = arrays[0].shape, arrays[0].dtype
        axes = _normalize_axes(axes, len(shape))
        layout = blocks(shape, axes)
        a, k, b = layout.block_shape
        if a * b < 2 and self.plan.moments:
            raise KernelInputError(
                f"{self.name}: expected more than 1 value per channel when training, got "
                f"input shape {shape} reduced over axes {axes}; use a batch of at least 2 "
                "values, or the eval-mode kernel with running statistics")
        kept_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
        views = [layout.view(np.asarray(x, dtype=dtype)) for x in arrays]
        constants = [self._per_channel(ref._constant_array(c, values, kept_shape, dtype),
                                       kept_shape, layout) for c in ref.constants]
        element = {o: self._output(o, (out or {}).get(o), shape, dtype, layout)
                   for o in self.plan.element_outputs}
        unknown = sorted(set(out or {}) - set(self.plan.element_outputs))
        if unknown:
            raise KernelInputError(f"{self.name}: out= names {unknown}; it can hold the "
                                   f"per-sample outputs {list(self.plan.element_outputs)}")
        channel = {o: np.empty(k, dtype) for o in self.plan.channel_outputs}
        inner, rows = self.dispatchers
        arguments = (*views, *constants, *element.values(), *channel.values())
        if b == 1:  # 2-D views: a unit stride the compiler can see
            rows(*[v.reshape(a, k) if v.ndim == 3 else v for v in arguments],
                 max(1, -(-a // ROW_CHUNKS)))
        else:
            inner(*arguments)
        kept_dims = [n for i, n in enumerate(shape) if i not in axes]
        result = {o: layout.unview(r) for o, r in element.items()}
        result.update({o: r.reshape(kept_dims) for o, r in channel.items()})
        return {o: result[o] for o in self.outputs}

    def _output(self, name: str, given: np.ndarray | None, shape: tuple[int, ...],
                dtype: np.dtype[Any], layout: Blocks) -> np.ndarray:
        """A fresh (A, K, B) array for output ``name``, or the caller's, viewed as one."""
        if given is None:
            return np.empty(layout.block_shape, dtype)
        if (not isinstance(given, np.ndarray) or given.shape != shape or given.dtype != dtype
                or not given.flags.c_contiguous or not given.flags.writeable
                or layout.order is not None):
            raise KernelInputError(
                f"{self.name}: out[{name!r}] must be a writable C-contiguous {dtype} array of "
                f"shape {shape}, and the reduction must keep adjacent axes; got "
                f"{getattr(given, 'dtype', type(given).__name__)} "
                f"{getattr(given, 'shape', '')}")
        return given.reshape(layout.block_shape)

    @staticmethod
    def _per_channel(value: np.ndarray, kept_shape: tuple[int, ...], layout: Blocks
                     ) -> np.ndarray:
        """A constant as float64 per kept position, in the kernel's K order."""
        full = np.broadcast_to(value, kept_shape)
        kept = full.reshape([kept_shape[i] for i in layout.kept]) if layout.kept else full
        return np.ascontiguousarray(kept, dtype=np.float64).reshape(-1)


@functools.cache
def compiled(kernel: Kernel) -> CompiledKernel:
    """The compiled counterpart of ``kernel``, generated from its expressions."""
    bad = [o for o in kernel.outputs if not o.isidentifier()]
    if bad:
        raise ValueError(f"{kernel.name}: output names must be identifiers, got {bad}")
    p = plan(kernel)
    source = generate_source(kernel, p)
    return CompiledKernel(kernel, p, source, _load(kernel.name, source))


def train(x: np.ndarray, g: np.ndarray, gamma: Any, beta: Any, eps: float, *,
          feature_axis: int = 1, out: Mapping[str, np.ndarray] | None = None
          ) -> dict[str, np.ndarray]:
    """``symbn.kernels.batchnorm.train`` on the compiled path: y, dx, dgamma, dbeta
    (``out``: arrays to reuse for y and dx, see :meth:`CompiledKernel.__call__`)."""
    from symbn.kernels import batchnorm
    batchnorm._check_eps(eps)
    return compiled(batchnorm.train_kernel())(x=x, g=g, gamma=gamma, beta=beta, epsilon=eps,
                                              axes=batchnorm._axes(x, feature_axis), out=out)
