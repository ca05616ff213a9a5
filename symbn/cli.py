"""The ``symbn`` command: a thin layer over the library; all output goes through symbn.report.

Every path and optional extra a command needs is checked before any work starts.

Exit status: 0 when every verdict (and numeric check) is the expected one, 1 when one is
not, 2 for a usage error (an unknown identity name, an unwritable output path, a missing
extra), 3 for an internal error: one line, the traceback only with ``--traceback``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from symbn import __version__

# SymPy and the prover are imported by the commands that need them: the help and the
# list of identities start without them
from symbn.identities.index import UnknownIdentity
from symbn.report import document, terminal

if TYPE_CHECKING:  # the records import SymPy
    from symbn.identities.record import Identity

#: what main() and run_claims() take besides the command line: a module's namespace to
#: collect claims from, or the claims themselves
Claims = Mapping[str, Any] | Iterable["Identity"]

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit status 2."""


def _cache(args):
    """The on-disk cache (None with --no-cache); a cache it cannot write to is used
    read-only, and said so once."""
    from symbn.cache import Cache
    if args.no_cache:
        return None
    errors = terminal.make_console(color=not args.no_color, stderr=True)
    return Cache(on_warning=lambda message: terminal.print_warning(errors, message))


def _run_identities(selected, args, console, cache):
    """Check the ``selected`` identities; each catalogue identity's report is then kept in
    the cache for a rerun that needs only its facts (symbn.report.recorded)."""
    from symbn.identities.record import check_all
    from symbn.report import recorded

    explicit = not args.no_explicit
    with terminal.progress(console, len(selected), "proving") as advance:
        results = check_all(selected, budget=args.budget, explicit=explicit,
                            cache=cache, jobs=args.jobs, done=lambda i: advance(i.name))
    if cache is not None:
        recorded.store(cache, results, budget=args.budget, explicit=explicit)
    return results


def cmd_list(args, console) -> int:
    """From the index (no SymPy), unless an argument may be a claims file or folder."""
    from symbn.identities.index import identity_facts, select_facts

    if _names_only(args):
        facts = select_facts(args.names)
    else:
        from symbn.claims import select
        facts = [identity_facts(i) for i in select(args.names)]
    terminal.render(console, document.identity_list(facts), as_json=args.json)
    return EXIT_OK


def _write_certificates(results, args, console) -> None:
    """One JSON file per PROVED claim in ``--certificates DIR``."""
    import json

    from symbn.identities.record import certificates

    if args.certificates is None:
        return
    count, missing = 0, []
    for checked in results:
        for name, data in certificates(checked).items():
            if isinstance(data, str):  # a claim the certificate format cannot express
                missing.append(name.removesuffix(".json"))
                continue
            _write(args.certificates / name, json.dumps(data, indent=1), "certificate")
            count += 1
    if not args.json:
        terminal.print_written(console, f"{count} certificates", args.certificates)
    if missing:
        terminal.print_warning(terminal.make_console(color=not args.no_color, stderr=True),
                               f"{len(missing)} PROVED claims have no certificate (a function "
                               f"the checker does not read): {', '.join(missing)}")


def _selected(args):
    """The catalogue names and tags, and the claims files and folders, on the command line
    (symbn.claims says which argument is which); with ``claims`` given to :func:`main`, those
    claims (after any the command line names).  A symbn.claims.Collected: the claims (a
    normalization's invariance cells among them) and the normalizations the files declare."""
    from symbn.claims import Collected, collect_namespace_all, select_all

    from symbn.identities.record import Identity

    if args.claims is None:
        return select_all(args.names)
    origin = args.claims.get("__file__", "<claims>") if isinstance(args.claims, Mapping) \
        else "run_claims"
    own = collect_namespace_all(args.claims, origin) if isinstance(args.claims, Mapping) \
        else Collected(list(args.claims), [])
    if not own.identities:
        raise UsageError(f"{origin}: states no claims; state one at module level, e.g. "
                         "my_claim = symbn.claim('my-claim', lhs, rhs, controls=[...]), "
                         "then run_claims(globals())")
    strays = [type(c).__name__ for c in own.identities if not isinstance(c, Identity)]
    if strays:
        raise UsageError(f"run_claims: a {strays[0]} is not a claim; give the script's "
                         "namespace, run_claims(globals()), or claims made with symbn.claim")
    named = select_all(args.names) if args.names else Collected([], [])
    return Collected([*named.identities, *own.identities],
                     [*named.normalizations, *own.normalizations])


def _names_only(args) -> bool:
    """The command line names catalogue identities and tags only: no claims files or
    folders (a path ends in .py or contains a /), no claims given to :func:`main`."""
    return args.claims is None and not any(
        n.endswith(".py") or "/" in n or os.path.exists(n) for n in args.names)


def _recorded_sections(args, cache) -> list[document.Section] | None:
    """A rerun's report, read from the cache without SymPy (symbn.report.recorded): for
    catalogue identities, when what is shown is their facts and drawn claims (brief, or
    JSON) and nothing else is asked for; None when it is not all there."""
    if cache is None or not (args.brief or args.json) or args.certificates is not None \
            or not _names_only(args):
        return None
    from symbn.identities.index import select_facts
    from symbn.report import recorded

    names = [facts["name"] for facts in select_facts(args.names)]
    return recorded.sections(cache, names, budget=args.budget, explicit=not args.no_explicit)


def cmd_prove(args, console) -> int:
    cache = _cache(args)
    sections = _recorded_sections(args, cache)
    if sections is None:
        results = _run_identities(_selected(args).identities, args, console, cache)
        _write_certificates(results, args, console)
        sections = [document.checked_section(r, steps=not args.brief) for r in results]
    terminal.render(console, document.prove_document(sections), as_json=args.json)
    return EXIT_OK if all(s.ok for s in sections) else EXIT_UNEXPECTED


def cmd_check(args, console) -> int:
    from symbn.backends import compare, get_backend

    try:
        backends = [get_backend(name) for name in args.backend] or None
    except KeyError as error:
        raise UsageError(error.args[0]) from None
    rows = compare.run_checks(backends, compare.QUICK_GRID if args.quick else compare.GRID)
    if args.family or not args.backend:
        rows += compare.run_family_checks()
    terminal.render(console, document.check_document(rows), as_json=args.json)
    return EXIT_OK if all(r.passed or r.skipped for r in rows) else EXIT_UNEXPECTED


def cmd_verify(args, console) -> int:
    """The user's module is imported by the worker, not here: an exit or a crash at import
    cannot take symbn down, and the parent never pays for importing PyTorch or JAX."""
    from symbn.verify import VerifyError, verify
    from symbn.verify.modules import MODULE_KINDS, verify_module_spec

    try:
        if args.kind in MODULE_KINDS:  # a class or autograd function, in its own worker
            chosen = {"dtypes": args.dtypes} if args.dtypes else {}
            report = verify_module_spec(args.function, args.kind, init=args.init,
                                        convention=args.convention, layout=args.layout,
                                        feature_axis=args.feature_axis, framework=args.framework,
                                        timeout=args.timeout, **chosen)
        elif args.init or args.convention:
            raise VerifyError("--init and --convention apply to the NAME-module kinds")
        else:
            report = verify(args.function, args.kind, layout=args.layout,
                            feature_axis=args.feature_axis, framework=args.framework,
                            timeout=args.timeout, dtypes=args.dtypes,
                            traceback=getattr(args, "traceback", False))
    except VerifyError as error:
        raise UsageError(str(error)) from None
    terminal.render(console, document.verify_document(report), as_json=args.json)
    return EXIT_OK if report.ok else EXIT_UNEXPECTED


def cmd_selftest(args, console) -> int:
    from symbn.identities.soundness import run_soundness

    # the bar learns its size as the suite runs: sizing it up front would build every claim
    with terminal.progress(console, None, "refuting") as advance:
        outcome = run_soundness(args.budget, advance, _cache(args), jobs=args.jobs)
    terminal.render(console, document.soundness_document(outcome), as_json=args.json)
    return EXIT_OK if outcome.sound else EXIT_UNEXPECTED


def cmd_report(args, console) -> int:
    from symbn.backends import compare
    from symbn.report.export import EXPORTERS
    from symbn.report.kernels import catalogue_kernels

    selected, normalizations = _selected(args)
    results = _run_identities(selected, args, console, _cache(args))
    _write_certificates(results, args, console)
    # the kernels and numeric checks are the catalogue's BN: in the whole report only;
    # with files, those of the normalizations they declare
    whole = not args.names and args.claims is None
    kernels = catalogue_kernels() if whole else [n.kernel() for n in normalizations]
    rows = compare.run_checks(grid=compare.QUICK_GRID) + compare.run_family_checks() \
        if whole else [row for n in normalizations for row in n.check_rows()]
    report = document.report_document(results, kernels, rows,
                                      [n.report_part() for n in normalizations])
    terminal.render(console, report, as_json=args.json)
    for fmt, render in EXPORTERS.items():
        path = getattr(args, fmt)
        if path is not None:
            _write(path, render(report), f"{fmt} report")
            if not args.json:
                terminal.print_written(console, f"{fmt} report", path)
    if args.plots:
        from symbn.report.plots import write_plots
        for path in write_plots(args.plots):
            if not args.json:
                terminal.print_written(console, "plot", path)
    ok = all(r.as_expected for r in results) and all(r.passed or r.skipped for r in rows)
    return EXIT_OK if ok else EXIT_UNEXPECTED


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:  # checked before the work; the disk may still fill up
        raise UsageError(f"cannot write the {what} to {path}: {error.strerror}") from None


def _check_writable(path: Path, option: str, *, directory: bool = False) -> None:
    """A usage error naming the real cause when ``path`` cannot be written (as a file, or
    as a directory to create files in): an ancestor that is a file, a directory where a
    file is wanted, no write permission."""
    if path.exists():
        if directory != path.is_dir():
            wanted = "a directory" if directory else "a file"
            raise UsageError(f"{option} {path}: exists and is not {wanted}")
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path}: no permission to write it")
        return
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: no permission to create it in {parent}")
    _probe(path, option, directory)


def _probe(path: Path, option: str, directory: bool) -> None:
    """Create what will be written, for real: permissions alone do not tell (root, /proc,
    a read-only mount).  Parent directories stay, as the later write would create them."""
    target = path if directory else path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
        if directory:
            with tempfile.TemporaryFile(dir=target):
                pass
        else:
            path.touch()
            path.unlink()
    except OSError as error:
        raise UsageError(f"{option} {path}: cannot be written ({error.strerror})") from None


def _check_outputs(args) -> None:
    """Everything ``report`` will write, and the extras it needs, before any proving."""
    for fmt in ("markdown", "latex", "html"):
        if getattr(args, fmt, None) is not None:
            _check_writable(getattr(args, fmt), f"--{fmt}")
    if getattr(args, "plots", None) is not None:
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plots needs matplotlib: pip install 'symbn[plots]'")
        _check_writable(args.plots, "--plots", directory=True)
    if getattr(args, "certificates", None) is not None:
        _check_writable(args.certificates, "--certificates", directory=True)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):  # prove() refuses an infinite budget too
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}"
                                         + (" (a budget must be finite)" if value > 0 else ""))
    return value


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _dtypes(text: str) -> tuple[str, ...]:
    """``--dtypes float64,float32``: known dtypes, each once."""
    from symbn.verify.runner import VerifyError, parse_dtypes
    try:
        return parse_dtypes(text)
    except VerifyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    """The verify command's arguments; their choices import symbn.verify (NumPy and more),
    which no other command needs."""
    from symbn.verify.kinds import KIND_NAMES, NORMS
    from symbn.verify.layouts import NAMED
    from symbn.verify.modules import MODULE_KINDS

    p.add_argument("function", metavar="MODULE:FUNCTION[,BACKWARD]",
                   help="the function (a pair: its forward and backward, comma-separated)")
    p.add_argument("--kind", required=True, choices=(*KIND_NAMES, *MODULE_KINDS),
                   metavar="NAME-ROLE",
                   help=f"NAME: {', '.join(NORMS)}; ROLE: forward f(x, gamma, beta, eps) -> y, "
                        "backward f(x, dy, gamma, beta, eps) -> (dx, dgamma, dbeta), pair "
                        "forward(x, gamma, beta, param) -> (y, cache) + backward(dy, cache); "
                        "module: a torch nn.Module class or autograd.Function, a Flax module or "
                        "a torch/JAX function, constructed and differentiated by its framework; "
                        "bn-forward, bn-backward are aliases")
    p.add_argument("--layout", type=str.upper, choices=tuple(NAMED), metavar="LAYOUT",
                   help=f"only this layout ({', '.join(NAMED)}); default: every layout the "
                        "kind allows, those the code rejects reported as not supported")
    p.add_argument("--feature-axis", type=int, default=None, metavar="AXIS",
                   help="the channel (normalized) axis, negative allowed (default 1; -1 for "
                        "layernorm and rmsnorm; 0 for weightnorm)")
    p.add_argument("--framework", choices=("numpy", "torch", "jax"),
                   help="the arrays to call with (default: found by trying)")
    p.add_argument("--timeout", type=_positive_seconds, default=10.0, metavar="SECONDS",
                   help="time one call may take, once the module is imported (default 10); "
                        "NAME-module: each phase (train mode on a layout, second order, "
                        "training steps, eval mode) may take this per call, at least 20 times "
                        "it")
    p.add_argument("--dtypes", type=_dtypes, metavar="LIST",
                   help="the dtypes to call with, comma-separated (float64, float32, float16, "
                        "bfloat16; default: float64 and float32, and the half ones for PyTorch "
                        "and JAX code; a function is always called in float64 too); the "
                        "report says which did not run")
    p.add_argument("--init", metavar="ARGS", help="NAME-module: constructor arguments, e.g. "
                   "'num_features=3, momentum=0.2' (required ones symbn cannot infer)")
    p.add_argument("--convention", choices=("pytorch", "flax", "keras"),
                   help="batchnorm-module: the running-statistics convention (default: the "
                        "module's framework)")
    p.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                   help="show where in your code each error was raised")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_verify)


_SELECTOR_HELP = ("catalogue identity names or tags (default: all), and claims files or "
                  "folders (a path ends in .py or contains a /): every module-level claim, "
                  "as pytest collects tests")


def build_parser(*, verify: bool = True) -> argparse.ArgumentParser:
    """The command line; with ``verify=False`` the verify command has no arguments (enough
    for any other command, and for the list of commands)."""
    parser = _Parser(prog="symbn", description="Symbolic verification of batch normalization.")
    parser.add_argument("--no-color", action="store_true", help="plain output, no colour")
    parser.add_argument("--version", action="version", version=f"symbn {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="on an internal error, print the full traceback")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def proof_options(p):
        p.add_argument("--budget", type=_positive_seconds, default=5.0, metavar="SECONDS",
                       help="time each claim's proof may take, search included (default 5)")
        p.add_argument("--no-explicit", action="store_true",
                       help="skip the explicit-batch-size cross-checks")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--no-cache", action="store_true",
                       help="recompute derivations and verdicts instead of reading the cache")
        p.add_argument("--jobs", type=_positive_count, default=None, metavar="N",
                       help="claims proved at once, each in its own worker process "
                            "(default: one per core); the output is the same")

    p = commands.add_parser("list", help="list the identities (and the claims of your files)")
    p.add_argument("names", nargs="*", metavar="NAME_OR_TAG_OR_PATH", help=_SELECTOR_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("prove", help="prove identities (all, or by name or tag) and the "
                            "claims in your files and folders")
    p.add_argument("names", nargs="*", metavar="NAME_OR_TAG_OR_PATH", help=_SELECTOR_HELP)
    p.add_argument("--brief", action="store_true", help="verdicts without derivation steps")
    p.add_argument("--certificates", type=Path, metavar="DIR", help="also write one JSON "
                   "certificate per PROVED claim (check them with python -m symbn.certify DIR)")
    proof_options(p)
    p.set_defaults(func=cmd_prove)

    p = commands.add_parser("check", help="compare the kernels with PyTorch, JAX, autograd, "
                            "complex step")
    p.add_argument("--backend", action="append", default=[], metavar="NAME",
                   help="only this backend (repeatable): torch, jax, autograd, complex-step")
    p.add_argument("--quick", action="store_true", help="a smaller grid")
    p.add_argument("--family", action="store_true", help="with --backend: also check the "
                   "normalization family (LayerNorm, GroupNorm, ...) against PyTorch")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_check)

    p = commands.add_parser("verify", help="check your own normalization code and diagnose "
                            "its mistake")
    if verify:
        _verify_arguments(p)


    p = commands.add_parser("selftest", help="the soundness suite: wrong claims must all be "
                            "REFUTED")
    proof_options(p)
    p.set_defaults(func=cmd_selftest)

    p = commands.add_parser("report", help="the whole story: derivations, verdicts, kernels")
    p.add_argument("names", nargs="*", metavar="NAME_OR_TAG_OR_PATH", help=_SELECTOR_HELP
                   + "; with any, the report holds only those claims (no kernels or numeric "
                   "checks)")
    proof_options(p)
    for fmt, what in (("markdown", "Markdown with LaTeX math"), ("latex", "a standalone LaTeX "
                      "document"), ("html", "a standalone HTML page, math in MathML")):
        p.add_argument(f"--{fmt}", type=Path, metavar="PATH", help=f"also write {what}")
    p.add_argument("--plots", type=Path, metavar="DIR",
                   help="also write PNG plots (needs: pip install 'symbn[plots]')")
    p.add_argument("--certificates", type=Path, metavar="DIR", help="also write one JSON "
                   "certificate per PROVED claim (check them with python -m symbn.certify DIR)")
    p.set_defaults(func=cmd_report)
    for name, sub in commands.choices.items():  # the global options, after the command too
        sub.set_defaults(command_parser=sub)
        sub.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS,
                         help="plain output, no colour")
        if name != "verify":  # verify's own --traceback also shows where your code raised
            sub.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                             help="on an internal error, print the full traceback")
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse's parser; with --json on the command line, its usage errors (an unknown
    --kind, a bad --dtypes) are on stdout as JSON too, as symbn's own are."""

    json_output = False

    def error(self, message: str) -> NoReturn:
        if _Parser.json_output:
            print(_json_error([f"{self.prog}: {message}"]))
        super().error(message)


def _parse(argv: list[str]) -> argparse.Namespace:
    """The arguments; an unknown option is reported with its command's usage (argparse
    itself reports it with the top-level one, which does not show the command's options)."""
    parser = build_parser(verify="verify" in argv)
    _Parser.json_output = "--json" in argv
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None, *, claims: Claims | None = None) -> int:
    """The command; ``claims`` (for :func:`run_claims`): claims to prove besides those the
    command line names, or a module's namespace to collect them from."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parse(argv)
    args.claims = claims
    console = terminal.make_console(color=not args.no_color)
    errors = terminal.make_console(color=not args.no_color, stderr=True)
    try:
        _check_outputs(args)
        return args.func(args, console)
    except (UnknownIdentity, UsageError) as error:
        return _usage_error(args, console, errors, [str(error)])
    except Exception as error:  # noqa: BLE001 -- a bug in symbn: one line, status 3
        loaded = sys.modules.get("symbn.claims")  # a bad claims file is a usage error
        if loaded is not None and isinstance(error, loaded.ClaimFileError):
            return _usage_error(args, console, errors, list(error.messages))
        if args.traceback:
            errors.print(traceback.format_exc(), markup=False, highlight=False)
        terminal.print_error(errors, f"internal error: {type(error).__name__}: {error}"
                             + ("" if args.traceback else " (run with --traceback for details)"))
        return EXIT_INTERNAL


def _usage_error(args, console, errors, messages: list[str]) -> int:
    """Each message on stderr; with --json, the error on stdout too, so that a reader of the
    JSON gets it rather than an empty output."""
    for message in messages:
        terminal.print_error(errors, message)
    if getattr(args, "json", False):
        console.print(_json_error(messages), highlight=False, soft_wrap=True)
    return EXIT_USAGE


def _json_error(messages: list[str]) -> str:
    """A usage error as the JSON a --json reader gets on stdout."""
    import json

    return json.dumps({"error": "\n".join(messages), "exit_status": EXIT_USAGE})


def run_claims(claims: Claims, argv: Sequence[str] | None = None) -> int:
    """``symbn prove`` of ``claims`` from a script: ``sys.exit(run_claims(globals()))``.

    ``claims``: a module's namespace (``globals()``), collected as ``symbn prove FILE``
    collects a file (symbn.claims), or the claims themselves.  ``argv``: the prove options
    (default: the script's own command line, so ``python my_claims.py --json --budget 30``
    works).  Prints the derivations and verdicts; returns the exit status: 0 when every
    verdict is the expected one, 1 when one is not, 2 for a bad claim or no claims."""
    if claims is None or isinstance(claims, (str, bytes)) or not isinstance(
            claims, (Mapping, Iterable)):
        # None would mean "no claims given": main() would prove the whole catalogue
        terminal.print_error(terminal.make_console(stderr=True),
                             f"run_claims({claims!r}): give the script's namespace, "
                             "sys.exit(run_claims(globals())), or a list of claims")
        return EXIT_USAGE
    return main(["prove", *(sys.argv[1:] if argv is None else argv)], claims=claims)


if __name__ == "__main__":
    sys.exit(main())
