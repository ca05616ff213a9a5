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

import importlib
import inspect
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

import numpy as np

#: how long importing the user's module may take (not counted in the per-call limit)
IMPORT_SECONDS = 120.0
#: set in the worker's environment: symbn.verify refuses to start a worker from inside one
INSIDE_WORKER = "SYMBN_VERIFY_WORKER"
FRAMEWORKS = ("numpy", "torch", "jax")

_SHAPE_WORDS = re.compile(r"broadcast|shape|size of tensor|dimension|out of bounds|out of range|"
                          r"cannot reshape|mismatch|must match|incompatible|axis", re.IGNORECASE)


# -- the jobs (run in the worker, or in this process) --------------------------------------

@dataclass(frozen=True)
class Job:
    """One call (or a pair's forward and backward) on one case.

    ``args``: the call's arguments, arrays as float64 NumPy arrays (converted to
    ``framework``'s arrays of ``dtype`` here), other values as they are; for a pair,
    ``upstream`` is dy for the backward and ``param`` the forward's trailing dict (passed when
    the forward takes one more positional argument than ``args``).
    """

    framework: str
    dtype: str
    args: tuple
    upstream: np.ndarray | None = None
    param: dict | None = None


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
    def line(self) -> str:
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        text = f"{self.type}: {first}" if first else self.type
        return f"{text} ({self.origin})" if self.origin else text


class PairError(Exception):
    """A pair's forward did not return (y, cache)."""


def _framework_array(a, framework: str, dtype: str):
    if framework == "numpy":
        return a.astype(dtype)
    if framework == "torch":
        import torch
        return torch.from_numpy(np.ascontiguousarray(a)).to(getattr(torch, dtype))
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


def execute(functions: tuple, job: Job) -> Returned | tuple[Returned, Returned]:
    """Run ``job``: one function, or a pair (forward, backward) -> (forward's y, gradients)."""
    convert = lambda a: _framework_array(a, job.framework, job.dtype)  # noqa: E731
    args = tuple(convert(a) if isinstance(a, np.ndarray) else a for a in job.args)
    if len(functions) == 1:
        return _export(functions[0](*args))
    forward, backward = functions
    if job.param is not None and positional_count(forward) in (None, len(args) + 1):
        args = (*args, dict(job.param))
    result = forward(*args)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise PairError(f"the forward returned {type(result).__name__}; a pair's forward "
                        "returns (y, cache)")
    out, cache = result
    return _export(out), _export(backward(convert(job.upstream), cache))


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
           and os.sep + os.path.join("symbn", "") not in os.path.abspath(f.filename)]
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


@dataclass(frozen=True)
class Loaded:
    frameworks: tuple[str, ...]  # the frameworks the user's module imported
    positional: tuple[int | None, ...]  # per function


class Worker:
    """The worker process for one target."""

    isolated = True

    def __init__(self, target: Target):
        self.target = target
        self._process = None
        self._connection = None
        self._log = None
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
        self._connection.send(vars(job))
        status, value = self._receive(timeout)
        if status == "done":
            return Outcome("done", _decode(value))
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
            code = self._process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        when = "while importing the module" if importing else "while running your code"
        if code is not None and code < 0:
            import signal
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code} (os._exit, or a fatal error in native code)"
        self._log.seek(0)
        # faulthandler's dump lists the innermost frame first: the user's line that crashed
        frames = re.findall(r'File "([^"]+)", line (\d+)', self._log.read().decode(errors="replace"))
        own = [(f, n) for f, n in frames if os.path.abspath(f) != os.path.abspath(__file__)]
        where = f" ({os.path.basename(own[0][0])}, line {own[0][1]})" if own else ""
        return f"the worker process {how} {when}{where}"

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._connection.close()
            self._log.close()
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


def _frameworks_of(functions) -> tuple[str, ...]:
    """The frameworks the functions' modules use (their globals hold torch/jax objects)."""
    used = set()
    for fn in functions:
        for value in getattr(fn, "__globals__", {}).values():
            root = (getattr(value, "__name__", None) if inspect.ismodule(value)
                    else getattr(value, "__module__", None)) or ""
            used.add(root.split(".")[0])
    return tuple(f for f in ("torch", "jax") if f in used)


class InProcess:
    """Runs functions that cannot be imported by name, in this process (no time limit)."""

    isolated = False

    def __init__(self, functions: tuple):
        self.functions = functions
        self.loaded = Loaded(_frameworks_of(functions), tuple(map(positional_count, functions)))

    def launch(self) -> None:
        pass

    def start(self) -> Loaded:
        return self.loaded

    def run(self, job: Job, timeout: float) -> Outcome:
        try:
            return Outcome("done", execute(self.functions, job))
        except PairError as error:
            return Outcome("raised", error=CallError("PairError", str(error), "", False, False))
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
            return "error", f"module {module_name!r} {what} {name!r}"
        functions.append(value)
    frameworks = tuple(f for f in ("torch", "jax") if f in sys.modules)
    return "ready", (tuple(functions), frameworks)


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
            reply = ("done", _encode(execute(functions, job)))
        except PairError as error:
            reply = ("raised", vars(CallError("PairError", str(error), "", False, False)))
        except BaseException as error:  # noqa: BLE001 -- includes SystemExit from user code
            reply = ("raised", vars(call_error(error)))
        connection.send(reply)


if __name__ == "__main__":
    import faulthandler
    faulthandler.enable()  # a crash dumps the Python stack: the report names the user's line
    sys.path.pop(0)  # this file's directory: its modules must not shadow the user's
    _serve(int(sys.argv[1]), int(sys.argv[2]))
