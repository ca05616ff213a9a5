"""A normalization of your own, declared by its formula: derived, proved, compiled, checked.

A declaration names the output ``y`` of one generic value ``x`` in the general batch form
(statistics are :class:`~symbn.core.Mean` over the reduction set), the reduction set
(``over="batch"``: one statistic per channel over the batch, as BatchNorm; ``"features"``:
one per sample over its features, as LayerNorm and RMSNorm), the learnable parameters, and
the *held* quantities: symbols in ``y`` whose value is a formula of the statistics but
which the backward pass treats as constants (a stop-gradient, as Batch Renormalization's
r and d; Ioffe 2017, section 3)::

    renorm = Normalization("batch-renorm", gamma * ((x - mu) / s * r + d) + beta,
                           params=(gamma, beta), held={r: s / sigma_r, d: (mu - mu_r) / sigma_r})

From it symbn

* derives y, dx and each parameter's gradient from L = sum_i g_i y_i with
  :func:`symbn.core.derivative` (through every statistic; a held symbol is a constant
  while differentiating, replaced by its definition afterwards) -- :meth:`derivation`;
* proves the cells of its row of the invariance matrix (the columns, and how each acts on
  the reduction set, are :mod:`symbn.identities.invariance`'s) -- :meth:`invariance`;
* compiles the derivation with :func:`symbn.kernels.compile_kernel` -- :meth:`kernel`;
* checks the kernel against PyTorch's or JAX's autograd applied to the same formula, printed
  for that framework by SymPy's printers (``Mean`` as the framework's mean over the
  reduction axis, a held quantity through ``detach`` / ``stop_gradient``) -- :meth:`check`.

Declared with its expected invariance row (``invariant_to=``) at module level in a claims
file, it runs through the command (:mod:`symbn.claims`): ``symbn prove FILE`` checks its
:meth:`cells` (Identity records, named ``<name>:<column>``) and shows its row of the
invariance table; ``symbn report FILE`` adds :meth:`report_part` (declaration and
derivation), :meth:`kernel` and :meth:`check_rows` (PyTorch and JAX).

A parameter that is a plain symbol is one value per kept position (per channel for
``over="batch"``): its gradient is a batch scalar.  A parameter declared with
:func:`symbn.core.sample_symbols` is one value per element (LayerNorm's per-feature gamma
for ``over="features"``): its gradient is per element.  Other free symbols (eps, running
statistics, clip bounds) are constants, given one value per kept position.  A held quantity
may clip (``Min``/``Max``), as Batch Renormalization does.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from symbn.backends.compare import TOLERANCE, CheckRow, compare
from symbn.bn.batchnorm import eps as _eps
from symbn.bn.batchnorm import g as _g
from symbn.bn.batchnorm import gradients
from symbn.bn.batchnorm import x as _x
from symbn.core import (Mean, N, SampleSymbol, centred_form, depends_on_sample, explicit_symbols,
                        instantiate)
from symbn.display import Displayable
from symbn.identities.invariance import EFFECTS, MATRIX, SOURCE, TRANSFORMS, per_value
from symbn.identities.record import CheckedIdentity, Claim, Identity, check, control
from symbn.kernels import Kernel, compile_kernel
from symbn.prove import Status, Verdict, apply_assumptions
from symbn.prove.prover import FACTS, lacking_facts
from symbn.report.data import checked_data
from symbn.report.document import Math, Paragraph, Section, check_section, matrix_sections

#: The reduction sets a declaration may name -> the invariance-matrix row whose effects of
#: the transformations it shares (a transformation acts on the values a statistic is taken
#: over; which values those are is all that matters).
REDUCTIONS = {"batch": "batchnorm", "features": "layernorm"}
#: The axis of an (N, C) input each reduction set is taken over, in :meth:`check`.
AXIS = {"batch": 0, "features": 1}
#: a per-value effect -> the other one: the wrong variant of a cell invariant to it
PER_VALUE = {"scale-each": "shift-each", "shift-each": "scale-each"}
BACKENDS = ("torch", "jax")
#: the frameworks' names, as the messages say them
FRAMEWORK = {"torch": "PyTorch", "jax": "JAX"}


class DeclarationError(ValueError):
    """A normalization declaration symbn cannot use: the message says what and how to fix it."""


class UnprintableError(DeclarationError):
    """The formula uses a function SymPy's printer for ``backend`` cannot print (named by
    ``function``): that framework's check cannot run."""

    def __init__(self, message: str, function: str, backend: str) -> None:
        super().__init__(message)
        self.function, self.backend = function, backend


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class NormalizationDerivation(Displayable):
    """y, dx and {parameter: gradient} of a declared normalization, general batch form.

    ``held`` says how the held quantities were treated: True (as declared, constants while
    differentiating) or False (differentiated through: the stop-gradient forgotten).
    """

    name: str
    y: sp.Expr
    dx: sp.Expr
    gradients: Mapping[sp.Symbol, sp.Expr]
    held: bool

    @property
    def outputs(self) -> dict[str, sp.Expr]:
        """{"y": y, "dx": dx, "d<param>": gradient}: the kernel's outputs."""
        return {"y": self.y, "dx": self.dx,
                **{f"d{p}": d for p, d in self.gradients.items()}}

    def document(self) -> Section:
        """y, dx (collected by centred sample variables) and each parameter's gradient."""
        how = ("held quantities are constants in the backward pass" if self.held else
               "held quantities differentiated through (the stop-gradient forgotten)")
        return Section(f"{self.name}: derivation", (
            Paragraph(f"L = sum_i g_i y_i, differentiated through every batch statistic; {how}."),
            Math("y", self.y), Math("dL/dx", centred_form(self.dx)),
            *(Math(f"dL/d{p}", d) for p, d in self.gradients.items())),
            data={"name": self.name, "held": self.held,
                  **{output: sp.sstr(e) for output, e in self.outputs.items()}})


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class NumericCheck(Displayable):
    """A kernel against a framework's autograd on the same formula: one row per output."""

    name: str
    backend: str
    rows: tuple[CheckRow, ...]
    #: max |reference| per output, in the rows' order: how far from zero each reference is
    reference_max: tuple[float, ...]
    #: the arrays both sides were given, by name (x, g, parameters, constants)
    inputs: Mapping[str, np.ndarray]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def max_rel(self) -> dict[str, float]:
        return {r.quantity: r.max_rel for r in self.rows}

    def document(self) -> Section:
        """The rows as the report's table of numeric checks, titled with the outcome."""
        table = check_section(self.rows)
        outcome = "passed" if self.passed else "FAILED"
        return Section(f"{self.name} against {self.backend} autograd of the same formula: "
                       f"{outcome}", (table,), data=table.data, ok=table.ok)


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class Normalization(Displayable):
    """A normalization declared by its formula (see the module docstring).

    ``y``: the output of the generic value ``x``; ``params``: learnable parameters;
    ``held``: {symbol in y: its definition}, constants for the backward pass; ``over``:
    ``"batch"`` or ``"features"``; ``eps``: the symbol set to 0 where scale invariance is
    proved (as the invariance matrix does; the exact law for eps > 0 is a rescaled eps);
    ``invariant_to``: the expected invariance row, the columns of :data:`TRANSFORMS` it is
    invariant to (``()`` for none; every other cell is expected REFUTED), or None (not
    declared: :meth:`invariance` reports what the prover finds; a claims file needs it).
    """

    name: str
    y: sp.Expr
    params: tuple[sp.Symbol, ...] = ()
    held: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    over: str = "batch"
    x: SampleSymbol = _x
    eps: sp.Symbol = _eps
    invariant_to: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _validate_types(self)
        object.__setattr__(self, "y", sp.sympify(self.y))
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "held", dict(self.held))
        if self.invariant_to is not None:
            invariant = (self.invariant_to,) if isinstance(self.invariant_to, str) \
                else tuple(self.invariant_to)
            object.__setattr__(self, "invariant_to", invariant)
        _validate(self)

    def __hash__(self) -> int:
        return hash((self.name, self.y, self.params, tuple(self.held.items()), self.over,
                     self.invariant_to))

    def document(self) -> Section:
        """The declaration: formula, reduction set, parameters, held quantities, constants."""
        names = ", ".join(map(str, self.params)) or "none"
        constants = ", ".join(map(str, self.constants)) or "none"
        return Section(f"{self.name}: a normalization over the {self.over}", (
            Paragraph(f"input {self.x}; parameters {names}; constants {constants}"),
            Math("y", self.y),
            *(Math(f"{h} (held: a constant in the backward pass)", definition)
              for h, definition in self.held.items())),
            data={"name": self.name, "over": self.over, "input": str(self.x),
                  "y": sp.sstr(self.y), "params": [str(p) for p in self.params],
                  "held": {str(h): sp.sstr(d) for h, d in self.held.items()},
                  "constants": [str(c) for c in self.constants],
                  "invariant_to": None if self.invariant_to is None else list(self.invariant_to)})

    def report_part(self) -> Section:
        """Its declaration and derivation, as ``symbn report FILE`` shows them (its
        invariance row is in the report's table, its kernel and checks in theirs)."""
        declaration, derivation = self.document(), self.derivation().document()
        return Section(f"A normalization of your own: {self.name}", (declaration, derivation),
                       data={"declaration": declaration.data, "derivation": derivation.data})

    @property
    def forward(self) -> sp.Expr:
        """y with every held quantity replaced by its definition: the value the layer outputs."""
        return self.y.xreplace(self.held)

    @property
    def constants(self) -> tuple[sp.Symbol, ...]:
        """The free symbols of y and of the held definitions that are neither x, parameters
        nor held (eps, running statistics), in name order."""
        free = self.y.free_symbols.union(*(sp.sympify(d).free_symbols
                                           for d in self.held.values()))
        free -= {self.x, N, *self.params, *self.held}
        return tuple(sorted(free, key=str))

    def derivation(self, *, held: bool = True) -> NormalizationDerivation:
        """y, dx, d<param> from L = sum_i g_i y_i, through every batch statistic.

        ``held=False`` differentiates through the held quantities too: a wrong derivation
        (the stop-gradient forgotten), to show that :meth:`check` can fail."""
        return _derive(self, held)

    def kernel(self, *, held: bool = True) -> Kernel:
        """The derivation compiled to NumPy: outputs y, dx, d<param>."""
        return _kernel(self, held)

    def cells(self) -> tuple[Identity, ...]:
        """The cells of its invariance row as the records the catalogue uses, named
        ``<name>:<column>``, expected as :attr:`invariant_to` declares: a cell expected
        PROVED carries its wrong variant (eps > 0 for a scaling, each value moved
        differently otherwise), which must be REFUTED, and, when it holds by Mean's
        linearity as built, its forms on m = 2, 3 explicit samples; a cell expected REFUTED
        is a wrong variant itself.  ``symbn prove FILE`` checks these.  A DeclarationError
        when the row is not declared."""
        if self.invariant_to is None:
            raise DeclarationError(
                f"{self.name}: declare the invariance row you expect, invariant_to=(...): "
                f"the transformations it is invariant to, among {', '.join(map(repr, TRANSFORMS))}"
                " (() for none); Normalization.invariance() shows what the prover finds")
        invariant = [TRANSFORMS[column] in self.invariant_to for column in range(len(TRANSFORMS))]
        return tuple(_cell_identity(self, column, invariant) for column in range(len(TRANSFORMS)))

    def invariance(self, *, budget: float = 10.0) -> list[CheckedIdentity]:
        """Each cell of this normalization's row of the invariance matrix, proved or refuted.

        With :attr:`invariant_to` declared, the :meth:`cells` checked (a cell not as
        declared is not as expected).  Without it, a cell is what the prover finds (PROVED
        or REFUTED; UNDECIDED is reported as such and counts as not as expected), backed as
        the catalogue's cells are: a PROVED cell's wrong variant must be REFUTED, and a cell
        that holds by Mean's linearity as built is re-proved on m = 2, 3 explicit samples."""
        if self.invariant_to is not None:
            return [check(cell, budget=budget) for cell in self.cells()]
        kinds = MATRIX[REDUCTIONS[self.over]][1]
        verdicts = [_claim(self, kind, True).prove(budget) for kind in kinds]
        invariant = [v.status is not Status.REFUTED for v in verdicts]
        return [_found_cell(self, column, verdicts[column], invariant, budget)
                for column in range(len(TRANSFORMS))]

    def invariance_document(self, *, budget: float = 10.0,
                            with_rows: Sequence[CheckedIdentity] = ()) -> Section:
        """The row as the invariance table of the report (after ``with_rows``: catalogue
        cells, e.g. BatchNorm's, to read it beside)."""
        return matrix_sections([checked_data(c) for c in
                                [*with_rows, *self.invariance(budget=budget)]])[0]

    def check(self, backend: str = "torch", *, held: bool = True, shape: tuple[int, int] = (6, 5),
              seed: int = 0, constants: Mapping[sp.Symbol | str, Any] | None = None
              ) -> NumericCheck:
        """The kernel of :meth:`derivation` (``held`` as there) against ``backend``'s autograd
        of the declared formula, float64, on an (N, C) input reduced over :data:`AXIS`.

        x, the upstream gradient g, the parameters and the constants are random (fixed
        ``seed``; g never constant, positive symbols get positive values); an output passes
        when max |kernel - reference| / max |reference| <= 1e-12 and the reference is
        neither zero nor constant.  ``constants`` fixes some constants (a scalar or one value
        per kept position, e.g. a clip bound), each by its symbol or its name, instead of
        drawing them."""
        return _check(self, backend, held, shape, seed, dict(constants or {}))

    def check_rows(self) -> list[CheckRow]:
        """:meth:`check` against each of :data:`BACKENDS`, as the report's rows: a backend
        that is not installed is one row saying so (not run, never a pass), and a check
        that raises is one failed row saying what it raised."""
        rows: list[CheckRow] = []
        for backend in BACKENDS:
            case = f"{self.name} against {backend} autograd of the same formula"
            try:
                importlib.import_module(backend)
            except ImportError as error:
                rows.append(CheckRow(backend, case, "all outputs", "float64",
                                     skipped=f"not run: {backend} is not installed ({error})"))
                continue
            except Exception as error:  # noqa: BLE001 -- installed but broken: a failure
                rows.append(CheckRow(backend, case, "all outputs", "float64",
                                     note=f"importing {backend} raised {type(error).__name__}: "
                                          f"{error}"))
                continue
            try:
                rows += self.check(backend).rows
            except UnprintableError as error:  # not run, never a pass
                rows.append(CheckRow(backend, case, "all outputs", "float64",
                                     skipped=f"not run: cannot print {error.function} for "
                                             f"{FRAMEWORK[backend]} (SymPy's "
                                             f"{FRAMEWORK[backend]} printer has no "
                                             f"{error.function})"))
            except Exception as error:  # noqa: BLE001 -- a failed check, not a crash
                rows.append(CheckRow(backend, case, "all outputs", "float64",
                                     note=f"the check raised {type(error).__name__}: {error}"))
        return rows


#: a name: it names the kernel, the invariance cells (``<name>:<column>``) and their files
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SYMBOLS = "from symbn import x, gamma, beta, eps, Mean"


def _expression(value: Any, what: str, name: str) -> sp.Expr:
    """``value`` if it is a SymPy expression with finite coefficients, else one clear error.
    A string is refused: SymPy would read its names as its own functions ("gamma*x" is the
    Gamma function times x), not as symbn's symbols."""
    if isinstance(value, str):
        raise DeclarationError(f"{name}: {what} is the string {value!r}; write it with symbn's "
                               f"symbols as a SymPy expression ({_SYMBOLS}), not as text: "
                               "SymPy would read a name like gamma as its own function")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = sp.sympify(value)
    if not isinstance(value, sp.Expr):
        kind = ("a relation" if isinstance(value, (sp.logic.boolalg.Boolean, bool)) else
                "a matrix" if isinstance(value, sp.MatrixBase) else
                f"a {type(value).__name__}")
        raise DeclarationError(f"{name}: {what} is {kind}, not one SymPy expression; give the "
                               "output of one generic value x, e.g. gamma * (x - Mean(x)) / "
                               "sp.sqrt(batch_var(x) + eps) + beta")
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise DeclarationError(f"{name}: {what} {value} is infinite or undefined (a division "
                               "by 0 SymPy evaluated?); write a finite formula")
    undefined = value.atoms(AppliedUndef)
    if undefined:
        raise DeclarationError(f"{name}: {what} uses the undefined function(s) "
                               f"{', '.join(sorted(map(str, undefined)))}: symbn cannot "
                               "differentiate or compile them; write the formula out")
    return value


def _validate_types(n: Normalization) -> None:
    """One clear error for a field of the wrong kind, before anything is converted."""
    if not isinstance(n.name, str) or not _NAME.match(n.name):
        raise DeclarationError(f"normalization name {n.name!r}: give a string of letters, "
                               "digits, '-' and '_', starting with a letter (it names "
                               "the kernel and the invariance cells)")
    _expression(n.y, "y", n.name)
    if isinstance(n.params, (str, sp.Basic)) or not isinstance(n.params, (tuple, list)):
        raise DeclarationError(f"{n.name}: params={n.params!r} must be a tuple of symbols, "
                               "e.g. params=(gamma, beta), or params=(gamma,) for one")
    if not isinstance(n.held, Mapping):
        raise DeclarationError(f"{n.name}: held={n.held!r} must be a dict {{symbol: its "
                               "definition}, e.g. held={r: s / sigma_r}")
    for h, definition in n.held.items():
        _expression(definition, f"the definition of held {h}", n.name)
    if not isinstance(n.over, str):
        raise DeclarationError(f"{n.name}: over={n.over!r} must be one of "
                               f"{' or '.join(repr(k) for k in REDUCTIONS)} (a string)")
    if not isinstance(n.eps, sp.Symbol):
        raise DeclarationError(f"{n.name}: eps={n.eps!r} must be the symbol eps stands for "
                               "(symbn's eps by default)")
    invariant = n.invariant_to
    if invariant is not None and not isinstance(invariant, str) and (
            not isinstance(invariant, (tuple, list))
            or not all(isinstance(t, str) for t in invariant)):
        raise DeclarationError(f"{n.name}: invariant_to={invariant!r} must be a tuple of "
                               f"column names among {', '.join(map(repr, TRANSFORMS))}")


def _validate(n: Normalization) -> None:
    """One clear error for a declaration symbn cannot use."""
    if n.over not in REDUCTIONS:
        raise DeclarationError(
            f"{n.name}: unknown reduction set over={n.over!r}; a statistic is taken over "
            f"{' or '.join(repr(k) for k in REDUCTIONS)} (BatchNorm: 'batch', LayerNorm: "
            "'features')")
    if not isinstance(n.x, SampleSymbol):
        raise DeclarationError(f"{n.name}: the input {n.x} must be a per-sample variable "
                               "(symbn.sample_symbols), not a batch constant")
    forward = n.forward
    if n.x not in forward.atoms(SampleSymbol):
        raise DeclarationError(f"{n.name}: the formula {forward} does not depend on the input "
                               f"{n.x}; write y in terms of {n.x} (and Mean(...) of it)")
    if not depends_on_sample(forward):
        raise DeclarationError(f"{n.name}: the formula {forward} is one value per batch (a "
                               f"statistic); y must be the output of the generic value {n.x}")
    for p in n.params:
        if not isinstance(p, sp.Symbol) or p in (n.x, N):
            raise DeclarationError(f"{n.name}: parameter {p!r} must be a symbol other than the "
                                   f"input {n.x} and the batch size N")
        if p not in forward.free_symbols:
            raise DeclarationError(f"{n.name}: parameter {p} is not in the formula {forward}; "
                                   "remove it from params or use it in y")
    for h, definition in n.held.items():
        if not isinstance(h, sp.Symbol) or isinstance(h, SampleSymbol) or h in n.params:
            raise DeclarationError(f"{n.name}: held quantity {h} must be a plain symbol, not "
                                   "a parameter or a per-sample variable")
        if h not in n.y.free_symbols:
            raise DeclarationError(f"{n.name}: held quantity {h} is not in the formula {n.y}")
        if set(n.held) & sp.sympify(definition).free_symbols:
            raise DeclarationError(f"{n.name}: the definition of held {h} ({definition}) uses "
                                   "another held quantity; write it out")
        # y was built with h a batch constant (Mean pulled it out): its value must be one
        # per batch too, or the stored y is not the formula written
        if depends_on_sample(definition):
            raise DeclarationError(f"{n.name}: the definition of held {h} ({definition}) "
                                   "varies from sample to sample; a held quantity is a batch "
                                   f"statistic (every per-sample variable inside a Mean, e.g. "
                                   f"Mean({n.x}**2)), since y treats {h} as one value per batch")
        # SymPy simplified y with h's declared facts (Abs(r) -> r for r > 0): a definition
        # that does not have them makes the stored y another formula than the one written
        unmet = lacking_facts(h, definition)
        if unmet:
            kept = ", ".join(f"{fact}=True" for fact in FACTS
                             if getattr(h, f"is_{fact}") is True and fact not in unmet)
            raise DeclarationError(
                f"{n.name}: held {h} is declared {', '.join(unmet)}, but its definition "
                f"{definition} is not known to be (SymPy may already have simplified y with "
                f"{h}'s facts, e.g. Abs({h}) -> {h}); declare {h} without them, "
                f"sp.Symbol({str(h)!r}{', ' + kept if kept else ''}), or give a definition "
                "that has them")
    if _g in forward.atoms(SampleSymbol):
        raise DeclarationError(f"{n.name}: {_g} is the upstream gradient; name the formula's "
                               "variables otherwise")
    unknown = [t for t in n.invariant_to or () if t not in TRANSFORMS]
    if unknown:
        raise DeclarationError(f"{n.name}: invariant_to names {', '.join(map(repr, unknown))}, "
                               "not a column of the invariance matrix; use "
                               f"{', '.join(map(repr, TRANSFORMS))}")
    others = forward.atoms(SampleSymbol) - {n.x, *n.params}
    if others:
        raise DeclarationError(f"{n.name}: per-sample variables {sorted(map(str, others))} are "
                               "neither the input nor parameters; declare them in params")
    _printable_by_numpy(n)


def _unprintable(error: PrintMethodNotImplementedError) -> str:
    """The name of what a SymPy printer could not print, from its message ("Unsupported by
    <printer>: LambertW")."""
    return str(error).splitlines()[0].rpartition(": ")[2]


_NUMPY_FUNCTIONS = "write the formula with functions NumPy has (exp, log, sqrt, Abs, Min, Max, ...)"


def _printable_by_numpy(n: Normalization) -> None:
    """One clear error for a function SymPy's NumPy printer (the kernel's) cannot print, in
    the formula or in its derivative (each function's own, as the chain rule brings it in:
    LambertW' is printed with LambertW, loggamma' is polygamma), before anything is derived."""
    from sympy.printing.numpy import NumPyPrinter

    # the kernel prints a batch mean itself: what is inside it is what must print (each
    # mean a placeholder symbol, so x - Mean(x) does not collapse to 0)
    means = n.forward.atoms(Mean)
    placeholders = {m: sp.Dummy() for m in means}
    plain = [e.xreplace(placeholders) for e in (n.forward, *(m.args[0] for m in means))]
    derivatives = []
    for f in set().union(*(e.atoms(sp.Function) for e in plain)):
        for i in range(1, len(f.args) + 1):
            try:
                derivative = f.fdiff(i)
            except Exception:  # noqa: BLE001 -- no closed form: the derivation decides
                continue
            if not derivative.has(sp.Derivative):
                derivatives.append(derivative)
    for expr, where in (*((e, "the formula") for e in plain),
                        *((d, "its derivative") for d in derivatives)):
        printer = NumPyPrinter({"strict": True})
        try:
            printer.doprint(expr)
        except PrintMethodNotImplementedError as error:
            function = _unprintable(error)
            raise DeclarationError(
                f"{n.name}: {where} uses {function}, which symbn cannot print for NumPy (its "
                f"kernel; SymPy's NumPy printer has no {function}): {_NUMPY_FUNCTIONS}") from None
        # NumPy lacks some functions (erf, gamma): the printer writes Python's math.erf,
        # which takes one number, not the kernel's arrays
        if printer.module_imports.get("math"):
            scalar = sorted({type(f).__name__ for f in expr.atoms(sp.Function)
                             if NumPyPrinter().doprint(f).startswith("math.")})
            python = ", ".join(f"math.{name}" for name in sorted(printer.module_imports["math"]))
            raise DeclarationError(
                f"{n.name}: {where} uses {', '.join(scalar)}, which SymPy's NumPy printer "
                f"writes with Python's math module ({python}): one number at a time, so symbn's "
                f"NumPy kernel cannot apply it to arrays; {_NUMPY_FUNCTIONS}")


@functools.cache
def _derive(n: Normalization, held: bool) -> NormalizationDerivation:
    # Held quantities are plain symbols while differentiating (constants: their derivative
    # is 0), replaced by their definitions afterwards; held=False replaces them first.
    y = n.y if held else n.forward
    d = gradients(y, (n.x, *n.params), _g)
    return NormalizationDerivation(
        name=n.name if held else f"{n.name} (held quantities differentiated)",
        y=n.forward, dx=d[n.x].xreplace(n.held),
        gradients={p: d[p].xreplace(n.held) for p in n.params}, held=held)


@functools.cache
def _kernel(n: Normalization, held: bool) -> Kernel:
    name = n.name.replace("-", "_") + ("" if held else "_held_differentiated")
    try:
        return compile_kernel(_derive(n, held).outputs, name)
    except PrintMethodNotImplementedError as error:
        function = _unprintable(error)
        raise DeclarationError(f"{n.name}: its derivation uses {function}, which symbn cannot "
                               f"print for NumPy (its kernel; SymPy's NumPy printer has no "
                               f"{function})") from None


# -- invariance ---------------------------------------------------------------------------

def _moved(expr: sp.Expr, x: sp.Symbol, kind: str) -> sp.Expr:
    """``expr`` with every value of ``x`` transformed by the effect ``kind``."""
    return expr.xreplace({x: EFFECTS[kind](x)})


def _claim(n: Normalization, kind: str, at_eps_zero: bool) -> Claim:
    before = n.forward
    after = _moved(before, n.x, kind)
    where = {n.eps: 0} if kind.startswith("scale") and at_eps_zero and before.has(n.eps) else {}
    return Claim(after, before, where=where,
                 steps=(("after the transformation", after), ("before", before)))


def _explicit_claim(n: Normalization, kind: str, m: int) -> Claim:
    """The claim on m explicit samples, each transformed one by one (no Mean rules)."""
    before = instantiate(n.forward, m)
    after = before.xreplace({s: EFFECTS[kind](s) for s in explicit_symbols(n.x, m)})
    where = {n.eps: 0} if kind.startswith("scale") and before.has(n.eps) else {}
    return Claim(after, before, where=where)


def _built_as_zero(claim: Claim) -> bool:
    """lhs - rhs is 0 once built (by Mean's linearity, as the prover's construction finds):
    only explicit forms, built from plain sums, then check the cell."""
    (lhs, rhs), _ = apply_assumptions((claim.lhs, claim.rhs), claim.where, claim.assume)
    return sp.sympify(lhs - rhs) == 0


def _wrong_kind(kind: str, invariant_kinds: set[str]) -> str:
    """The move of a cell's wrong variant: each value moved differently (per_value), unless
    the normalization is invariant to that too (sign(x) is invariant to a positive scale of
    each value) or the move is per-value already: then the other per-value move.  Invariance
    to both per-value moves would make y independent of x, which a declaration is not."""
    if kind in PER_VALUE:
        return PER_VALUE[kind]
    each = per_value(kind)
    return PER_VALUE[each] if each in invariant_kinds else each


def _cell_identity(n: Normalization, column: int, row: Sequence[bool]) -> Identity:
    """The cell at ``column`` as an Identity, expected PROVED (``row[column]``; with its
    wrong variant and, when 0 as built, explicit forms) or REFUTED (a wrong variant
    itself); ``row``: which cells of the row are invariant (declared or found)."""
    kinds = MATRIX[REDUCTIONS[n.over]][1]
    kind, transform, invariant = kinds[column], TRANSFORMS[column], row[column]
    name = f"{n.name}:{transform.replace(' ', '-')}"
    statement = (f"{n.name} is {'' if invariant else 'not '}invariant to {transform} "
                 f"(acts on its reduction set as: {kind})")
    tags, table = ("invariance", n.name), ("invariance", n.name, transform)
    claim = _claim(n, kind, True)
    if not invariant:
        return dataclasses.replace(control(name, statement, lambda: claim), source=SOURCE,
                                   tags=tags, table=table)
    scales = kind.startswith("scale") and n.forward.has(n.eps)
    if scales:
        wrong = control(f"{name}-eps", f"{statement}, also for eps > 0",
                        lambda: _claim(n, kind, False))
    else:
        other = _wrong_kind(kind, {k for k, holds in zip(kinds, row) if holds})
        wrong = (control(f"{name}-per-value", f"{n.name} is invariant when each value moves "
                         "differently", lambda: _claim(n, other, True))
                 if other == per_value(kind) else
                 control(f"{name}-{other}", f"{n.name} is invariant when each value moves as "
                         f"{other} instead", lambda: _claim(n, other, True)))
    return Identity(name=name, title=f"{n.name}: {transform}", statement=statement,
                    build=lambda: claim, controls=(wrong,),
                    explicit_sizes=(2, 3) if _built_as_zero(claim) else (),
                    explicit=lambda m: _explicit_claim(n, kind, m), source=SOURCE,
                    tags=tags, table=table)


def _found_cell(n: Normalization, column: int, verdict: Verdict, row: Sequence[bool],
                budget: float) -> CheckedIdentity:
    """The cell with no declared expectation, its ``verdict`` found (``row``: which cells
    were not refuted), backed as the verdict requires (a PROVED cell's wrong variant and
    explicit forms checked)."""
    claim = _claim(n, MATRIX[REDUCTIONS[n.over]][1][column], True)
    identity = _cell_identity(n, column, row)
    if verdict.status is Status.REFUTED:
        return CheckedIdentity(identity, claim, verdict, (), ())
    return CheckedIdentity(
        identity, claim, verdict,
        tuple(check(c, budget=budget, explicit=False) for c in identity.controls),
        tuple((m, identity.explicit_claim(m).prove(budget)) for m in identity.explicit_sizes))


# -- the numeric check against a framework's autograd ------------------------------------

@functools.cache
def _printer(backend: str) -> type:
    """SymPy's PyTorch or JAX printer, with a batch mean printed as the framework's mean over
    the reduction axes.  Built on first use: SymPy's PyTorch printer imports torch."""
    if backend == "torch":
        from sympy.printing.pytorch import TorchPrinter

        class TorchMeanPrinter(TorchPrinter):
            def _print_Mean(self, expr: sp.Expr) -> str:
                return f"torch.mean({self._print(expr.args[0])}, dim=axes, keepdim=True)"
        return TorchMeanPrinter
    from sympy.printing.numpy import JaxPrinter

    class JaxMeanPrinter(JaxPrinter):
        def _print_Mean(self, expr: sp.Expr) -> str:
            return f"jax.numpy.mean({self._print(expr.args[0])}, axis=axes, keepdims=True)"
    return JaxMeanPrinter


_AXES = sp.Symbol("axes")


def _translated(n: Normalization, backend: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(y(x, params, constants, held, N, axes), held(x, params, constants, N, axes)): the
    declared formula and the held definitions, printed for ``backend`` by SymPy."""
    printer = _printer(backend)
    inputs = [n.x, *n.params, *n.constants]
    held = list(n.held)
    # functools: SymPy's printers write Min and Max (a clip) with functools.reduce
    modules = [backend, {"functools": functools}]
    try:
        y = sp.lambdify([*inputs, *held, N, _AXES], n.y, modules=modules, printer=printer)
        definitions = sp.lambdify([*inputs, N, _AXES], [n.held[h] for h in held],
                                  modules=modules, printer=printer)
    except PrintMethodNotImplementedError as error:
        function, other = _unprintable(error), FRAMEWORK[next(b for b in BACKENDS if b != backend)]
        raise UnprintableError(f"{n.name}: cannot print {function} for {FRAMEWORK[backend]} "
                               f"(SymPy's {FRAMEWORK[backend]} printer has no {function}), so "
                               f"its autograd cannot be run on the formula; check against "
                               f"{other}'s autograd instead", function, backend) from None
    return y, definitions


def _random_inputs(n: Normalization, shape: tuple[int, int], seed: int) -> dict[str, np.ndarray]:
    """x, g (both non-constant), per-element parameters of x's shape, per-position parameters
    and constants of the kept shape; positive symbols get values in [0.5, 2]."""
    rng = np.random.default_rng(seed)
    axis = AXIS[n.over]
    kept = tuple(1 if i == axis else k for i, k in enumerate(shape))

    def draw(s: sp.Symbol, size: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(0.5, 2.0, size) if s.is_positive else rng.normal(size=size)
    values = {"x": rng.normal(size=shape) * 1.5 + 0.4, "g": rng.normal(size=shape)}
    for s in (*n.params, *n.constants):
        values[str(s)] = draw(s, shape if isinstance(s, SampleSymbol) else kept)
    return values


def _reference_torch(n: Normalization, values: dict[str, np.ndarray],
                     axis: int) -> dict[str, np.ndarray]:
    import torch

    y_of, held_of = _translated(n, "torch")
    tensors = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}
    leaves = [tensors[str(s)].requires_grad_() for s in (n.x, *n.params)]
    inputs = [*leaves, *(tensors[str(c)] for c in n.constants)]
    size = values["x"].shape[axis]
    definitions = held_of(*inputs, size, (axis,))
    y = y_of(*inputs, *(d.detach() for d in definitions), size, (axis,))
    y = y.expand(values["x"].shape)
    grads = torch.autograd.grad((tensors["g"] * y).sum(), leaves)
    return {"y": y.detach().numpy(), **{name: d.numpy() for name, d in zip(
        ["dx", *(f"d{p}" for p in n.params)], grads)}}


def _reference_jax(n: Normalization, values: dict[str, np.ndarray],
                   axis: int) -> dict[str, np.ndarray]:
    import jax

    jax.config.update("jax_enable_x64", True)
    y_of, held_of = _translated(n, "jax")
    constants = [jax.numpy.asarray(values[str(c)]) for c in n.constants]
    size, shape = values["x"].shape[axis], values["x"].shape

    def forward(*leaves: Any) -> Any:
        definitions = held_of(*leaves, *constants, size, (axis,))
        return jax.numpy.broadcast_to(y_of(*leaves, *constants, *(
            jax.lax.stop_gradient(d) for d in definitions), size, (axis,)), shape)
    leaves = [jax.numpy.asarray(values[str(s)]) for s in (n.x, *n.params)]
    y, pullback = jax.vjp(forward, *leaves)
    grads = pullback(jax.numpy.asarray(values["g"]))
    return {"y": np.asarray(y), **{name: np.asarray(d) for name, d in zip(
        ["dx", *(f"d{p}" for p in n.params)], grads)}}


def _check(n: Normalization, backend: str, held: bool, shape: tuple[int, int], seed: int,
           constants: dict[sp.Symbol | str, Any]) -> NumericCheck:
    if backend not in BACKENDS:
        raise DeclarationError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    values = _random_inputs(n, shape, seed)
    names = {str(c) for c in n.constants}
    for c, value in constants.items():
        # matched by name, as prove's where= is: "epsilon" and a Symbol("epsilon") both work
        name = c if isinstance(c, str) else getattr(c, "name", None)
        if name not in names:
            raise DeclarationError(f"{n.name}: {c} is not a constant of the formula; its "
                                   f"constants are {', '.join(sorted(names)) or 'none'} (give "
                                   "each by its symbol or its name)")
        try:
            values[name] = np.broadcast_to(np.asarray(value, dtype=np.float64),
                                           values[name].shape).copy()
        except (TypeError, ValueError):
            raise DeclarationError(f"{n.name}: constants={{{name}: {value!r}}}: give a number "
                                   "or one value per kept position (shape "
                                   f"{values[name].shape})") from None
    axis = AXIS[n.over]
    start = time.perf_counter()
    # The reference always runs the formula as declared: held quantities stop the gradient.
    reference = {"torch": _reference_torch, "jax": _reference_jax}[backend](n, values, axis)
    kernel = _kernel(n, held)
    actual = kernel(axes=(axis,), **values)
    seconds = time.perf_counter() - start
    case = f"{'x'.join(map(str, shape))} over {n.over} (axis {axis}), seed {seed}"
    name = _derive(n, held).name  # as declared (the kernel's is an identifier: my_bn for my-bn)
    rows, scales = [], []
    for output in kernel.outputs:
        expected = np.reshape(reference[output], np.shape(actual[output]))
        max_abs, max_rel, passed, note = compare(actual[output], expected, TOLERANCE["float64"])
        rows.append(CheckRow(backend, f"{name} {case}", output, "float64", max_abs,
                             max_rel, TOLERANCE["float64"], passed, seconds, note))
        scales.append(float(np.max(np.abs(expected))))
    return NumericCheck(name, backend, tuple(rows), tuple(scales), values)


__all__ = ["AXIS", "BACKENDS", "DeclarationError", "Normalization", "NormalizationDerivation",
           "NumericCheck", "REDUCTIONS"]
