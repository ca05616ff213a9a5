"""Run the user's code: in a worker process that imports it by name, or in this process.

The worker is a fresh interpreter started as ``python worker.py FD FD`` (this file as a
script: it needs only the standard library and NumPy, so it starts in ~0.1 s, and it never
re-runs the caller's ``__main__``, so a script without an ``if __name__ == "__main__":``
guard is safe).  It imports the user's module by name, reports the outcome, then runs jobs:

* the time limit starts once the module is imported: each job (one call, or a pair's two
  calls) gets ``timeout`` seconds from when it is sent; the import has its own, generous
  limit (``IMPORT_SECONDS``: importing PyTorch can take seconds on a loaded machine);
* a worker that dies (a segfault, ``os._exit``) closes its pipe: that is seen at once and
  reported as a crash with its signal or exit status;
* inputs go in as float64 NumPy arrays and are converted to the framework's arrays in the
  worker; outputs come back as float64 NumPy arrays with their original dtype's name, so
  nothing the user's code returns needs to be picklable, and a pair's cache never leaves
  the worker.

Functions that cannot be imported by name (defined in ``__main__``: a notebook, a script)
run in this process instead (:class:`InProcess`): no time limit, no crash protection, and
the report says so.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import os
import re
import subprocess
import sys
import tempfile
import traceback
from typing import IO, Any, cast
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

import numpy as np

#: how long importing the user's module may take (not counted in the per-call limit)
IMPORT_SECONDS = 120.0
#: set in the worker's environment: symbn.verify refuses to start a worker from inside one
INSIDE_WORKER = "SYMBN_VERIFY_WORKER"
FRAMEWORKS = ("numpy", "torch", "jax")

_REFUSALS = ("ValueError", "AssertionError", "NotImplementedError", "RuntimeError", "IndexError")
_SHAPE_WORDS = re.compile(r"broadcast|shape|size of tensor|dimension|out of bounds|out of range|"
                          r"cannot reshape|mismatch|must match|incompatible|axis|\bndims?\b|"
                          r"\brank\b|\b\d-?d\b|\bdims?\b", re.IGNORECASE)


# -- the jobs (run in the worker, or in this process) --------------------------------------

@dataclass(frozen=True)
class Job:
    """One call (or a pair's forward and backward) on one case.

    ``args``: the call's arguments, arrays as float64 NumPy arrays (converted to
    ``framework``'s arrays of ``dtype`` here), other values as they are; for a pair,
    ``upstream`` is dy for the backward and ``param`` the forward's trailing dict (passed when
    the forward takes one more positional argument than ``args``); ``names``: symbn's name
    for each argument (a function whose parameters have those names gets them by name: any
    order, keyword-only eps).
    """

    framework: str
    dtype: str
    args: tuple
    upstream: np.ndarray | None = None
    param: dict | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    """A returned value as float64 (``array`` None when it is not an array)."""

    array: np.ndarray | None
    dtype: str | None
    type: str


@dataclass(frozen=True)
class Returned:
    """The shape of what came back: "single", "sequence" (items) or "mapping" (keys)."""

    form: str
    items: tuple[Leaf, ...] = ()
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallError:
    """An exception the user's code raised.  ``at_call``: a TypeError from the call itself
    (wrong arguments: no frame of the user's code ran); ``shape``: a shape/broadcast error."""

    type: str
    message: str
    traceback: str
    at_call: bool
    shape: bool
    origin: str = ""  # "file.py, line N": the innermost frame of the user's own code

    @property
    def refusal(self) -> bool:
        """An error that refuses an input the code is not written for (a shape error, an
        assert, a ValueError or NotImplementedError of its own, a framework's RuntimeError,
        an index past the rank), not a bug such as a NameError or a ZeroDivisionError."""
        return self.shape or self.type in _REFUSALS

    @property
    def line(self) -> str:
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        text = f"{self.type}: {first}" if first else self.type
        return f"{text} ({self.origin})" if self.origin else text


class PairError(Exception):
    """A pair's forward did not return (y, cache)."""


def _own_error(error: Exception) -> CallError:
    """symbn's own finding about the call (no traceback of the user's code to show)."""
    return CallError(type(error).__name__, str(error), "",
                     at_call=isinstance(error, TypeError), shape=False)


def _framework_array(a, framework: str, dtype: str):
    if framework == "numpy":
        return a.astype(dtype)
    if framework == "torch":  # a copy: in-process code that writes into x must not reach ours
        import torch
        return torch.from_numpy(np.array(a, order="C")).to(getattr(torch, dtype))
    import jax
    jax.config.update("jax_enable_x64", True)  # else float64 inputs silently become float32
    import jax.numpy as jnp
    return jnp.asarray(a, dtype=getattr(jnp, dtype))


def _leaf(value) -> Leaf:
    kind = type(value).__name__
    if hasattr(value, "detach"):  # a torch tensor (bfloat16 has no NumPy type: widen first)
        dtype = str(value.dtype).removeprefix("torch.")
        return Leaf(value.detach().cpu().double().numpy(), dtype, kind)
    if hasattr(value, "dtype") and hasattr(value, "shape"):  # NumPy, JAX
        array = np.asarray(value)
        if array.dtype.kind in "fiub" or array.dtype.name == "bfloat16":
            return Leaf(array.astype(np.float64), array.dtype.name, kind)
    return Leaf(None, None, kind)


def _export(result) -> Returned:
    if isinstance(result, (tuple, list)):
        return Returned("sequence", tuple(_leaf(v) for v in result))
    if isinstance(result, dict):
        return Returned("mapping", tuple(_leaf(v) for v in result.values()),
                        tuple(map(str, result)))
    return Returned("single", (_leaf(result),))


def positional_count(fn) -> int | None:
    """How many positional parameters ``fn`` takes (None: unknown or *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


#: other names a parameter may carry for symbn's argument (matched by name when every argument
#: finds its parameter)
_SYNONYMS = {"eps": ("epsilon", "variance_epsilon"), "groups": ("num_groups",)}


def bind(fn, names: tuple[str, ...], args: tuple) -> tuple[tuple, dict]:
    """(positional, keyword) arguments for calling ``fn`` with symbn's ``args`` named ``names``.

    When every name is a parameter of ``fn`` (or a synonym, as ``epsilon`` for ``eps``) the
    values go by name, so ``f(x, eps, gamma, beta)`` and a keyword-only ``eps`` are called
    right; otherwise they go by position, and a keyword-only parameter named like a trailing
    argument gets that one by name.  ``SignatureMismatch`` when no call can fit."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return args, {}
    keywords = {n: p for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                                 p.KEYWORD_ONLY)}
    found: dict[str, str] = {}
    for name in names:
        hit = next((n for n in (name, *_SYNONYMS.get(name, ())) if n in keywords), None)
        if hit is None or hit in found.values():
            break
        found[name] = hit
    else:
        call = (), {found[n]: a for n, a in zip(names, args)}
        return _fits(fn, params, names, *call)
    positional, keyword = list(args), cast(dict[str, Any], {})
    while positional and len(names) > len(keyword):
        name = names[len(args) - len(keyword) - 1]
        p = next((keywords[n] for n in (name, *_SYNONYMS.get(name, ()))
                  if n in keywords and keywords[n].kind is keywords[n].KEYWORD_ONLY), None)
        if p is None:
            break
        keyword[p.name] = positional.pop()
    return _fits(fn, params, names, tuple(positional), keyword)


class SignatureMismatch(TypeError):
    """symbn's arguments cannot be passed to the user's function: no user code ran."""


def _fits(fn, params, names, args, kwargs):
    try:
        inspect.Signature(list(params.values())).bind(*args, **kwargs)
    except TypeError as error:
        raise SignatureMismatch(f"{getattr(fn, '__name__', 'the function')}"
                                f"({', '.join(params)}) cannot take symbn's arguments "
                                f"({', '.join(names)}): {error}") from None
    return args, kwargs


def _is_tensor(value) -> bool:
    return type(value).__module__.split(".")[0] == "torch"


def _snapshot(values) -> list:
    """Copies of the array arguments, to see afterwards which ones the call changed (JAX
    arrays are immutable)."""
    return [v.clone() if _is_tensor(v) else v.copy() if isinstance(v, np.ndarray)
            else None for v in values]


def _changed(before, after) -> bool:
    if before is None:
        return False
    if _is_tensor(before):
        import torch
        return not torch.equal(torch.nan_to_num(before), torch.nan_to_num(after)) \
            or before.shape != after.shape
    return not np.array_equal(before, after, equal_nan=True)


def execute(functions: tuple, job: Job) -> tuple[Returned | tuple[Returned, Returned],
                                                  tuple[str, ...]]:
    """Run ``job``: one function, or a pair (forward, backward) -> (forward's y, gradients);
    with the names of the arguments the call modified in place (compared with copies taken
    before the call: the caller's arrays must not change)."""
    convert = lambda a: _framework_array(a, job.framework, job.dtype)  # noqa: E731
    args = tuple(convert(a) if isinstance(a, np.ndarray) else a for a in job.args)
    names = job.names or tuple(f"argument {i + 1}" for i in range(len(args)))
    before = _snapshot(args)
    if len(functions) == 1:
        positional, keyword = bind(functions[0], names, args)
        value = _export(functions[0](*positional, **keyword))
        return value, _modified(names, before, args)
    forward, backward = functions
    call = args
    if job.param is not None and positional_count(forward) in (None, len(args) + 1):
        call = (*args, dict(job.param))
    result = forward(*call)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise PairError(f"the forward returned {type(result).__name__}; a pair's forward "
                        "returns (y, cache)")
    out, cache = result
    upstream = convert(job.upstream)
    kept = _snapshot((upstream,))
    grads = _export(backward(upstream, cache))
    return (_export(out), grads), (*_modified(names, before, args),
                                   *_modified(("the upstream gradient",), kept, (upstream,)))


def _modified(names, before, after) -> tuple[str, ...]:
    return tuple(n for n, b, a in zip(names, before, after) if _changed(b, a))


#: symbn's own package folder: its frames are not the user's (a user's folder may be named
#: symbn too, as a clone of this repository is).
_SYMBN_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _library_dirs() -> tuple[str, ...]:
    import sysconfig
    return tuple(os.path.abspath(sysconfig.get_paths()[k]) + os.sep
                 for k in ("stdlib", "platstdlib", "purelib", "platlib"))


def call_error(error: BaseException) -> CallError:
    """The user's exception: the traceback without symbn's and the import machinery's frames,
    and the innermost frame outside the standard library and installed packages."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if os.path.abspath(f.filename) != os.path.abspath(__file__)
              and not f.filename.startswith("<frozen ")
              and not f.filename.endswith(os.path.join("importlib", "__init__.py"))]
    libraries = _library_dirs()
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(libraries)
           and not os.path.abspath(f.filename).startswith(_SYMBN_PACKAGE)]
    text = "".join(traceback.format_list(frames)) + "".join(
        traceback.format_exception_only(type(error), error))
    origin = f"{os.path.basename(own[-1].filename)}, line {own[-1].lineno}" if own else ""
    return CallError(type(error).__name__, str(error), text,
                     at_call=isinstance(error, TypeError) and not frames,
                     shape=isinstance(error, (ValueError, RuntimeError, IndexError, TypeError))
                     and bool(_SHAPE_WORDS.search(str(error))), origin=origin)


# -- the parent's side -----------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What to run: ``names`` (one function, or a pair's forward and backward) in ``module``,
    imported with ``path`` (by default the working directory, as ``python -m`` does) first on
    sys.path, then this process's sys.path."""

    module: str
    names: tuple[str, ...]
    path: str = field(default_factory=os.getcwd)

    @property
    def label(self) -> str:
        return f"{self.module}:{','.join(self.names)}"


class TargetError(Exception):
    """The user's module or function could not be loaded: one line, exit status 2;
    ``traceback``: where the module's import failed, when it raised."""

    def __init__(self, message: str, traceback: str = ""):
        super().__init__(message)
        self.traceback = traceback


@dataclass(frozen=True)
class Outcome:
    """``status``: "done" (``value``), "raised" (``error``), "timeout" or "crashed" (``detail``)."""

    status: str
    value: object = None
    error: CallError | None = None
    detail: str = ""
    modified: tuple[str, ...] = ()  # the arguments the call changed in place


@dataclass(frozen=True)
class Loaded:
    frameworks: tuple[str, ...]  # the frameworks to try, in order (see frameworks_of)
    positional: tuple[int | None, ...]  # per function


class Worker:
    """The worker process for one target."""

    isolated = True

    def __init__(self, target: Target):
        self.target = target
        # all three are set by launch() and cleared by close()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: _Duplex | None = None
        self._log: IO[bytes] | None = None
        self.loaded: Loaded | None = None

    def launch(self) -> None:
        """Start the process and its import; :meth:`start` waits for it (the caller can work
        meanwhile: importing PyTorch takes seconds)."""
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the worker
        # one thread per framework: the calls are small, and on a shared machine idle pools
        # spinning for cores cost 50-100 ms per call (measured with PyTorch on 2 cores)
        env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **os.environ, INSIDE_WORKER: "1"}
        self._process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), str(child_read), str(child_write)],
            pass_fds=(child_read, child_write), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log, env=env)
        os.close(child_read)
        os.close(child_write)
        self._connection = _Duplex(parent_read, parent_write)
        paths = list(dict.fromkeys([self.target.path, *sys.path]))  # as multiprocessing's spawn
        self._connection.send((paths, self.target.module, self.target.names))

    def start(self) -> Loaded:
        if self._process is None:
            self.launch()
        status, value = self._receive(IMPORT_SECONDS, importing=True)
        if status != "ready":
            self.close()
            raise TargetError(*((value,) if isinstance(value, str) else value))
        self.loaded = Loaded(*value)
        return self.loaded

    def run(self, job: Job, timeout: float) -> Outcome:
        """One job; after a timeout or a crash the worker is gone (the runner stops)."""
        cast(_Duplex, self._connection).send(vars(job))  # launched
        status, value = self._receive(timeout)
        if status == "done":
            return Outcome("done", _decode(value[0]), modified=value[1])
        if status == "raised":
            return Outcome("raised", error=CallError(**value))
        self.close()
        return Outcome(status, detail=value)

    def _receive(self, seconds, importing=False):
        ready = wait([self._connection.reader], seconds)
        if not ready:
            what = "importing the module" if importing else "the call"
            return "timeout", f"{what} did not finish within {seconds:g} s"
        try:
            return self._connection.recv()
        except (EOFError, OSError):
            return "crashed", self._crash_detail(importing)

    def _crash_detail(self, importing) -> str:
        try:
            code = cast(subprocess.Popen[bytes], self._process).wait(5)  # launched
        except subprocess.TimeoutExpired:
            code = None
        when = "while importing the module" if importing else "while running your code"
        if code is not None and code < 0:
            import signal
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code} (os._exit, or a fatal error in native code)"
        log = cast(IO[bytes], self._log)  # launched
        log.seek(0)
        # faulthandler's dump lists the innermost frame first: the user's line that crashed
        frames = re.findall(r'File "([^"]+)", line (\d+)', log.read().decode(errors="replace"))
        libraries = _library_dirs()  # a crash inside ctypes or NumPy: name the user's line
        own = [(f, n) for f, n in frames if os.path.abspath(f) != os.path.abspath(__file__)]
        own = [(f, n) for f, n in own if not os.path.abspath(f).startswith(libraries)] or own
        where = f" ({os.path.basename(own[0][0])}, line {own[0][1]})" if own else ""
        return f"the worker process {how} {when}{where}"

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            cast(_Duplex, self._connection).close()  # set with _process
            cast(IO[bytes], self._log).close()
            self._process = None


def _encode(value):
    """Plain tuples for the pipe: the worker runs this file as __main__, so its classes would
    not unpickle in the parent (nor the parent's in the worker without importing symbn)."""
    if isinstance(value, Returned):
        return ("returned", value.form, tuple(vars(leaf) for leaf in value.items), value.keys)
    return ("pair", _encode(value[0]), _encode(value[1]))


def _decode(value):
    if value[0] == "returned":
        return Returned(value[1], tuple(Leaf(**leaf) for leaf in value[2]), value[3])
    return _decode(value[1]), _decode(value[2])


def _root(value) -> str:
    name = (getattr(value, "__name__", None) if inspect.ismodule(value)
            else getattr(value, "__module__", None))
    return name.split(".")[0] if isinstance(name, str) else ""


def _unwrap(fn):
    """The function under functools.partial and decorators (functools.wraps)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.unwrap(fn) if callable(fn) else fn


def _names_used(fn, seen: set) -> set[str]:
    """The root modules of the globals ``fn``'s code refers to, following the functions of
    the user's own module that it calls (and nested functions and lambdas)."""
    fn = _unwrap(fn)
    code, space = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if code is None or space is None or fn in seen:
        return set()
    seen.add(fn)
    used, codes = set(), [code]
    while codes:
        c = codes.pop()
        codes.extend(k for k in c.co_consts if inspect.iscode(k))
        for name in c.co_names:
            value = space.get(name)
            if value is None:
                continue
            if inspect.isfunction(value) and value.__module__ == fn.__module__:
                used |= _names_used(value, seen)
            else:
                used.add(_root(value))
    return used


def frameworks_of(functions, imported=()) -> tuple[str, ...]:
    """The frameworks to call ``functions`` with, in order: the ones their own code refers to
    (``np.sqrt`` -> numpy; a NumPy function in a module that also imports torch is NumPy
    code), else the frameworks their module imported (``imported``) then NumPy."""
    used = set().union(*(_names_used(fn, set()) for fn in functions))
    named = tuple(f for f in FRAMEWORKS[1:] if f in used)
    if named or "numpy" in used:
        return (*named, *(("numpy",) if "numpy" in used else ()))
    return tuple(dict.fromkeys((*imported, "numpy")))


class InProcess:
    """Runs functions that cannot be imported by name, in this process (no time limit)."""

    isolated = False

    def __init__(self, functions: tuple):
        self.functions = functions
        imported = tuple(f for f in FRAMEWORKS[1:] if f in {
            _root(v) for fn in functions for v in getattr(_unwrap(fn), "__globals__", {}).values()})
        self.loaded = Loaded(frameworks_of(functions, imported),
                             tuple(map(positional_count, functions)))

    def launch(self) -> None:
        pass

    def start(self) -> Loaded:
        return self.loaded

    def run(self, job: Job, timeout: float) -> Outcome:
        try:
            value, modified = execute(self.functions, job)
            return Outcome("done", value, modified=modified)
        except (PairError, SignatureMismatch) as error:
            return Outcome("raised", error=_own_error(error))
        except (Exception, SystemExit) as error:  # noqa: BLE001 -- the user's, reported
            return Outcome("raised", error=call_error(error))

    def close(self) -> None:
        pass


class _Duplex:
    """Two one-way pipes as one pickling connection (the worker's stdout stays the user's)."""

    def __init__(self, read_fd, write_fd):
        self.reader = Connection(read_fd, writable=False)
        self.writer = Connection(write_fd, readable=False)

    def send(self, obj):
        self.writer.send(obj)

    def recv(self):
        return self.reader.recv()

    def close(self):
        self.reader.close()
        self.writer.close()


# -- the worker process ----------------------------------------------------------------------

def _load(paths, module_name, names):
    sys.path[:] = list(dict.fromkeys([*paths, *sys.path]))
    try:
        module = importlib.import_module(module_name)
    except SystemExit as stop:
        return "error", (f"module {module_name!r} called sys.exit({stop.code!r}) while being "
                         "imported: move that code under if __name__ == \"__main__\":")
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            return "error", f"cannot import module {module_name!r}: {error}"
        return "error", f"importing {module_name!r} raised ModuleNotFoundError: {error}"
    except BaseException as error:  # noqa: BLE001 -- the user's module failed while importing
        failure = call_error(error)
        return "error", (f"importing {module_name!r} raised {failure.line}", failure.traceback)
    functions = []
    for name in names:
        value = module
        for part in name.split("."):
            value = getattr(value, part, None)
        if not callable(value):
            what = "has no function" if value is None else "has a non-callable"
            return "error", f"module {module_name!r} {what} {name!r}{did_you_mean(module, name)}"
        functions.append(value)
    imported = tuple(f for f in FRAMEWORKS[1:] if f in sys.modules)
    return "ready", (tuple(functions), frameworks_of(functions, imported))


def did_you_mean(module, name: str) -> str:
    """" (did you mean 'bn_forward'?)" for a misspelled ``name`` of ``module``, else ""."""
    public = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
    close = difflib.get_close_matches(name, public, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _serve(read_fd: int, write_fd: int) -> None:
    connection = _Duplex(read_fd, write_fd)
    paths, module_name, names = connection.recv()
    status, value = _load(paths, module_name, names)
    if status != "ready":
        connection.send((status, value))
        return
    functions, frameworks = value
    connection.send(("ready", (frameworks, tuple(map(positional_count, functions)))))
    while True:
        try:
            job = Job(**connection.recv())
        except EOFError:
            return
        try:
            value, modified = execute(functions, job)
            reply: tuple[str, Any] = ("done", (_encode(value), modified))
        except (PairError, SignatureMismatch) as error:
            reply = ("raised", vars(_own_error(error)))
        except BaseException as error:  # noqa: BLE001 -- includes SystemExit from user code
            reply = ("raised", vars(call_error(error)))
        connection.send(reply)


if __name__ == "__main__":
    import faulthandler
    faulthandler.enable()  # a crash dumps the Python stack: the report names the user's line
    sys.path.pop(0)  # this file's directory: its modules must not shadow the user's
    _serve(int(sys.argv[1]), int(sys.argv[2]))
