"""Claims of your own: stating them in a Python file, and collecting them from files.

A claims file is a Python module that states claims with :func:`claim` (or builds
:class:`~symbn.identities.record.Identity` records directly, as the catalogue does).
``symbn prove PATH...`` and ``symbn report PATH...`` collect them as pytest collects tests:

- a **file** (``*.py``) is imported as a module, its folder first on ``sys.path`` (so it can
  import its neighbours); its ``if __name__ == "__main__":`` block does not run, and what
  it prints while imported goes to stderr (stdout is the command's, e.g. its ``--json``).
  A file must not exit when imported: ``sys.exit`` is one error message, but ``os._exit``
  ends the command itself, and cannot be caught.  Collected:
  every module-level name that does not start with ``_`` and is bound to an ``Identity`` or
  to a list or tuple of them (the catalogue modules' ``IDENTITIES``), in the order the module
  defines them.  An Identity that is a control of another collected one is checked as that
  control, not on its own; the same object under two names is checked once.  A
  :class:`~symbn.normalization.Normalization` (or a list or tuple of them) is collected as
  the cells of its invariance row (:meth:`~symbn.normalization.Normalization.cells`, named
  ``<normalization>:<column>``, expected as its ``invariant_to`` declares), and ``symbn
  report`` adds its derivation, kernel and numeric checks (:func:`collect_all`).
- a **folder** is every ``*.py`` file in it and in its subfolders, in sorted path order,
  except names that start with ``_`` or ``.`` (``__init__.py``, ``__pycache__``, ``.venv``);
  a file in a folder that states no claims is skipped.

Every claim is built (with its controls and explicit forms) while it is collected, so a bad
file is found before any proving: a syntax error, a file (or folder) with no claims, a
claim that raises when built, an assumption the prover cannot apply, two claims with
one name, or a normalization declared wrongly (or without its expected invariance row) each
give one :class:`ClaimFileError` message naming the file and what to fix.

An argument of the command is a path when it ends in ``.py``, contains a ``/``, or names
an existing file or folder that is not a catalogue name or tag; anything else is a
catalogue name or tag (:func:`select`), and both can be mixed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sympy as sp

from symbn.identities.record import Claim, Identity
from symbn.prove import AssumptionError, InexactNumber, ShapeMismatch, Status, apply_assumptions
from symbn.prove.prover import check_shapes

if TYPE_CHECKING:  # loaded only by a file that declares a normalization
    from symbn.normalization import Normalization

__all__ = ["ClaimError", "ClaimFileError", "Collected", "claim", "collect", "collect_all",
           "collect_namespace", "collect_namespace_all", "is_path", "select", "select_all"]

#: a claim's name is used in file names (certificates): letters, digits, ``-``, ``_``, ``.``,
#: and ``:`` (a normalization's cell: ``<normalization>:<column>``)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*\Z")


class ClaimError(ValueError):
    """A claim stated wrongly (a bad name, an expected verdict symbn does not know, a
    control that is not a wrong variant, a side SymPy cannot read)."""


class ClaimFileError(ValueError):
    """One or more files whose claims cannot be collected: one message per file, each
    naming the file and what to fix."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("\n".join(messages))
        self.messages = tuple(messages)


def _side(value: Any, name: str, which: str) -> Any:
    """A side of a claim: an expression (a string is parsed by SymPy) or, for a list or
    tuple, an immutable matrix, so the cache keys on its exact form."""
    try:
        if isinstance(value, (list, tuple, sp.MatrixBase)):
            return sp.ImmutableMatrix(value)
        return sp.sympify(value, strict=not isinstance(value, str))
    except (sp.SympifyError, SyntaxError, TypeError, ValueError) as error:
        raise ClaimError(f"claim {name!r}: {which} is a {type(value).__name__} SymPy cannot "
                         f"read as an expression or matrix ({type(error).__name__})") from None


def _sides(lhs: Any, rhs: Any, name: str) -> tuple[Any, Any, str]:
    """(lhs, rhs, relation) of ``claim(name, lhs, rhs)`` or ``claim(name, a <= b)``."""
    evaluated = isinstance(lhs, (bool, sp.logic.boolalg.BooleanAtom))
    if not isinstance(lhs, sp.core.relational.Relational) and not evaluated:
        return _side(lhs, name, "lhs"), _side(rhs, name, "rhs"), "=="
    if not (isinstance(rhs, (int, sp.Integer)) and rhs == 0):
        raise ClaimError(f"claim {name!r}: a relation (lhs <= rhs, Eq(lhs, rhs)) is the whole "
                         "claim: give no rhs after it")
    if evaluated:
        raise ClaimError(f"claim {name!r}: its relation is {lhs}: SymPy decided it before symbn "
                         "saw it; give the sides, claim(name, lhs, rhs), or keep the relation "
                         "unevaluated: sp.Le(lhs, rhs, evaluate=False) (sp.Lt, sp.Ge, sp.Gt alike)")
    if isinstance(lhs, sp.Eq):
        return _side(lhs.lhs, name, "lhs"), _side(lhs.rhs, name, "rhs"), "=="
    from symbn.prove.inequality import split

    try:
        left, right, relation = split(lhs)
    except (TypeError, ValueError) as error:
        raise ClaimError(f"claim {name!r}: {error}") from None
    return _side(left, name, "lhs"), _side(right, name, "rhs"), relation


def _expected(value: Status | str, name: str) -> Status:
    try:
        return Status.named(value)
    except ValueError as error:
        raise ClaimError(f"claim {name!r}: expected={error}") from None


def claim(name: str, lhs: Any, rhs: Any = 0, *, statement: str | None = None,
          title: str | None = None, source: str = "not given", where: Mapping | None = None,
          assume: Iterable[Any] = (), expected: Status | str = Status.PROVED,
          controls: Identity | Iterable[Identity] = (), tags: Iterable[str] = (),
          steps: Iterable[tuple[str, Any]] = (), explicit_sizes: Iterable[int] = ()) -> Identity:
    """The claim ``lhs == rhs`` (or an inequality ``claim(name, lhs <= rhs)``, with ``<``,
    ``>=``, ``>``) as an :class:`~symbn.identities.record.Identity`, the record the
    catalogue uses.

    ``where`` substitutes values (``{eps: 0}``), ``assume`` gives sign conditions
    (``[gamma > 0]`` or ``"gamma > 0"``), as :func:`symbn.prove` takes them.  ``expected``
    is the verdict it must get (``"PROVED"``, ``"REFUTED"`` or ``"UNDECIDED"``).
    ``controls`` are wrong variants (one, or a list) that must be REFUTED (state each with
    ``claim(..., expected="REFUTED")``): a control shows the prover can say no to a claim
    close to yours.  ``steps`` are (label, expression) pairs shown as the derivation;
    ``explicit_sizes`` cross-checks a general-form claim (with ``Mean``) at those batch
    sizes, both sides instantiated with explicit samples.  Lists and tuples are matrices.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ClaimError(f"claim name {name!r}: use letters, digits, '-', '_' and '.', "
                         "starting with a letter or digit (it names the certificate file)")
    left, right, relation = _sides(lhs, rhs, name)
    try:
        check_shapes(left, right, who=f"claim {name!r}")
    except ShapeMismatch as error:
        raise ClaimError(str(error)) from None
    controls = (controls,) if isinstance(controls, Identity) else tuple(controls)
    for c in controls:
        if not isinstance(c, Identity):
            raise ClaimError(f"claim {name!r}: controls= holds a {type(c).__name__}; give "
                             "claims, each stated with claim(..., expected='REFUTED')")
        if c.expected is not Status.REFUTED:
            raise ClaimError(f"claim {name!r}: its control {c.name!r} is expected {c.expected};"
                             " a control is a wrong variant: state it with expected='REFUTED'")
    text = statement or f"{sp.sstr(left)} {relation} {sp.sstr(right)}"
    built = Claim(left, right, dict(where or {}), tuple(assume),
                  tuple((label, _side(expr, name, f"step {label!r}")) for label, expr in steps),
                  relation)
    return Identity(name=name, title=title or text, statement=text, source=source,
                    build=lambda: built, tags=tuple(tags), expected=_expected(expected, name),
                    controls=controls, explicit_sizes=tuple(explicit_sizes))


# -- collection ---------------------------------------------------------------------------

def _with_controls(identity: Identity) -> Iterable[Identity]:
    yield identity
    for c in identity.controls:
        yield from _with_controls(c)


class Collected(NamedTuple):
    """What files state: their claims (a normalization's cells among them, in its place)
    and their normalizations (for the report's derivations, kernels and numeric checks)."""

    identities: list[Identity]
    normalizations: list[Normalization]


def collect_namespace(namespace: Mapping[str, Any], origin: str,
                      built: dict[int, Identity] | None = None) -> list[Identity]:
    """The claims a module's namespace states (see the module docstring for the rule),
    each built; ``origin`` names the file in error messages.  ``built`` maps claims
    already built (by id) to their built form: a claim imported by two files is one."""
    return collect_namespace_all(namespace, origin, built).identities


def _normalization_type() -> type | None:
    """symbn.normalization.Normalization when the module is loaded (a file that declares a
    normalization has imported it), else None: collecting claims does not load it."""
    module = sys.modules.get("symbn.normalization")
    return None if module is None else module.Normalization


def _declaration_error() -> type[Exception]:
    """symbn.normalization.DeclarationError when that module is loaded (else ClaimError:
    nothing else can raise it)."""
    module = sys.modules.get("symbn.normalization")
    return ClaimError if module is None else module.DeclarationError


def collect_namespace_all(namespace: Mapping[str, Any], origin: str,
                          built: dict[int, Identity] | None = None) -> Collected:
    """:func:`collect_namespace`, and the normalizations the namespace declares: each one's
    invariance cells (:meth:`~symbn.normalization.Normalization.cells`) are its claims."""
    built = {} if built is None else built
    normalization = _normalization_type()
    found: dict[int, Identity] = {}
    normalizations: dict[int, Any] = {}
    for variable, value in namespace.items():
        if variable.startswith("_"):
            continue
        values = value if isinstance(value, (list, tuple)) and value else (value,)
        if all(isinstance(v, Identity) for v in values):
            for v in values:
                found.setdefault(id(v), v)
        elif normalization is not None and all(isinstance(v, normalization) for v in values):
            for v in values:
                if id(v) not in normalizations:
                    normalizations[id(v)] = v
                    for cell in _cells(v, origin):
                        found.setdefault(id(cell), cell)
    controls = {id(c) for i in found.values() for c in list(_with_controls(i))[1:]}
    for key, identity in found.items():
        if key not in controls:
            _built(identity, origin, built)
    return Collected([built[key] for key in found if key not in controls],
                     list(normalizations.values()))


def _cells(normalization: Normalization, origin: str) -> tuple[Identity, ...]:
    """A normalization's invariance cells; its DeclarationError names ``origin``."""
    from symbn.normalization import DeclarationError

    if not isinstance(normalization.name, str) or not _NAME.match(normalization.name):
        raise ClaimFileError([f"{origin}: normalization name {normalization.name!r}: use "
                              "letters, digits, '-', '_' and '.', starting with a letter or "
                              "digit"])
    try:
        return normalization.cells()
    except DeclarationError as error:
        raise ClaimFileError([f"{origin}: normalization {error}"]) from None


def _built(identity: Identity, origin: str, built: dict[int, Identity]) -> Identity:
    """``identity`` with its claim, its explicit forms and its controls built now, so an
    error is found while collecting: a ClaimFileError naming ``origin``.  ``built`` maps
    the claims already built (by id) to their built form: a control shared by two claims
    is built once, and stays one claim (not two of one name)."""
    if id(identity) in built:
        return built[id(identity)]
    name = identity.name
    if not isinstance(name, str) or not _NAME.match(name):
        raise ClaimFileError([f"{origin}: claim name {name!r}: use letters, digits, '-', '_' "
                              "and '.', starting with a letter or digit"])
    try:
        made = identity.claim()
        if not isinstance(made, Claim):
            raise ClaimError(f"its build returned a {type(made).__name__}, not a Claim")
        sides, _ = apply_assumptions((made.lhs, made.rhs), made.where, made.assume)
        if made.relation != "==":
            from symbn.prove.inequality import require_real

            require_real(sides[0] - sides[1])
        explicit = {m: identity.explicit_claim(m) for m in identity.explicit_sizes}
    except (AssumptionError, ClaimError, InexactNumber) as error:
        raise ClaimFileError([f"{origin}: claim {name!r}: {error}"]) from None
    except Exception as error:  # noqa: BLE001 -- the user's code: one message, no traceback
        raise ClaimFileError([f"{origin}{_where(error, origin)}: claim {name!r} raised "
                              f"{type(error).__name__} when built: {error}"]) from None
    built[id(identity)] = dataclasses.replace(
        identity, build=lambda: made,
        explicit=explicit.__getitem__ if explicit else identity.explicit,
        controls=tuple(_built(c, origin, built) for c in identity.controls))
    return built[id(identity)]


def _where(error: BaseException, origin: str) -> str:
    """``:N``: the last line of ``origin`` the error passed through, if any."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__)
             if os.path.abspath(f.filename) == os.path.abspath(origin)]
    return f":{lines[-1]}" if lines else ""


def _import(path: Path) -> dict[str, Any]:
    """The namespace of the module at ``path``, imported under a private name (two files
    with one name in different folders do not clash)."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"symbn_claims_{digest}_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ClaimFileError([f"{path}: cannot be imported as a Python module"])
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(module_name, None)
        raise ClaimFileError([f"{error.filename or path}:{error.lineno}: syntax error: "
                              f"{error.msg}; fix the file"]) from None
    except SystemExit:
        sys.modules.pop(module_name, None)
        raise ClaimFileError([f"{path}: exits when imported; put a script's work under "
                              "if __name__ == \"__main__\":"]) from None
    except (ClaimError, _declaration_error()) as error:  # a claim or normalization stated wrongly
        sys.modules.pop(module_name, None)
        raise ClaimFileError([f"{path}{_where(error, str(path))}: {error}"]) from None
    except Exception as error:  # noqa: BLE001 -- the user's code: one message, no traceback
        sys.modules.pop(module_name, None)
        raise ClaimFileError([f"{path}{_where(error, str(path))}: importing it raised "
                              f"{type(error).__name__}: {error}; fix the file"]) from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return vars(module)


def _files(path: Path) -> list[Path]:
    """A file, or the claims files of a folder (the module docstring's rule)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.py")
                      if not any(part.startswith(("_", ".")) for part in
                                 p.relative_to(path).parts))
    if not path.exists():
        raise ClaimFileError([f"{path}: no such file or folder"])
    if path.suffix != ".py":
        raise ClaimFileError([f"{path}: not a Python file (a claims file ends in .py)"])
    return [path]


def collect(paths: Iterable[str | os.PathLike[str]]) -> list[Identity]:
    """The claims stated in ``paths`` (files and folders), in order, each built.

    Raises ClaimFileError with one message per bad file (or folder without claims) and
    per name used twice."""
    return collect_all(paths).identities


def collect_all(paths: Iterable[str | os.PathLike[str]]) -> Collected:
    """:func:`collect`, and the normalizations the files declare."""
    found: list[tuple[Identity, str]] = []
    normalizations: dict[int, Normalization] = {}
    messages: list[str] = []
    built: dict[int, Identity] = {}
    imported: dict[Path, int] = {}  # claims per file: a file named twice is imported once
    for path in map(Path, paths):
        try:
            files = _files(path)
        except ClaimFileError as error:
            messages += error.messages
            continue
        in_folder = path.is_dir()
        count = 0
        for file in files:
            if file.resolve() in imported:
                count += imported[file.resolve()]
                continue
            imported[file.resolve()] = 0
            try:
                # what the file prints (importing it, building its claims) goes to stderr:
                # stdout is the command's (its --json)
                with contextlib.redirect_stdout(sys.stderr):
                    claims, declared = collect_namespace_all(_import(file), str(file), built)
            except ClaimFileError as error:
                messages += error.messages
                continue
            normalizations.update((id(n), n) for n in declared)
            if not claims and not in_folder:
                messages.append(f"{file}: states no claims; state one at module level, e.g. "
                                "my_claim = symbn.claim('my-claim', lhs, rhs, controls=[...])")
            found += [(c, str(file)) for c in claims]
            count += len(claims)
            imported[file.resolve()] = len(claims)
        if in_folder and count == 0 and not any(m.startswith(str(path)) for m in messages):
            messages.append(f"{path}: no claims in any of its {len(files)} Python files")
    messages += _clashes(found)
    if messages:
        raise ClaimFileError(messages)
    unique: dict[int, Identity] = {}
    for identity, _ in found:
        unique.setdefault(id(identity), identity)
    return Collected(list(unique.values()), list(normalizations.values()))


def _clashes(found: Sequence[tuple[Identity, str]]) -> list[str]:
    """One message per name given to two different claims (controls included)."""
    seen: dict[str, tuple[Identity, str]] = {}
    messages = []
    for top, origin in found:
        for identity in _with_controls(top):
            first = seen.setdefault(identity.name, (identity, origin))
            if first[0] is not identity:
                where = (f"twice in {origin}" if first[1] == origin
                         else f"in {first[1]} and in {origin}")
                messages.append(f"name clash: two claims are named {identity.name!r}, {where}; "
                                "give each claim its own name")
    return messages


def is_path(argument: str, known: Iterable[str] = ()) -> bool:
    """Whether a command-line argument names a claims file or folder rather than a
    catalogue name or tag (``known``)."""
    return (argument.endswith(".py") or "/" in argument or os.sep in argument
            or (argument not in set(known) and os.path.exists(argument)))


def select(selectors: Sequence[str] = ()) -> list[Identity]:
    """Catalogue identities by name or tag (all for no selector) and the claims of the
    files and folders among ``selectors``: the catalogue's first, in its order, then the
    files' in the order given.  UnknownIdentity for a name that matches nothing,
    ClaimFileError for a bad file or a name used twice."""
    return select_all(selectors).identities


def select_all(selectors: Sequence[str] = ()) -> Collected:
    """:func:`select`, and the normalizations the files among ``selectors`` declare."""
    from symbn import identities

    known = set(identities.names()) | set(identities.tags())
    paths = [s for s in selectors if is_path(s, known)]
    names = [s for s in selectors if not is_path(s, known)]
    catalogue = identities.select(names) if names or not paths else []
    own, normalizations = collect_all(paths) if paths else Collected([], [])
    clashes = sorted({i.name for top in own for i in _with_controls(top)}
                     & {i.name for top in catalogue for i in _with_controls(top)})
    if clashes:
        raise ClaimFileError([f"name clash: {', '.join(map(repr, clashes))}: each names both "
                              "a claim of your files and a catalogue identity you selected; "
                              "rename yours"])
    rows = sorted({i.table[:2] for i in own if i.table}
                  & {i.table[:2] for i in catalogue if i.table})
    if rows:  # one row of a table would mix two normalizations' cells
        raise ClaimFileError([f"name clash: {', '.join(repr(row) for _, row in rows)} "
                              f"{'names' if len(rows) == 1 else 'name'} both "
                              "a normalization of your files and a row of the catalogue's "
                              f"{rows[0][0]} table you selected; rename yours"])
    return Collected([*catalogue, *own], normalizations)
