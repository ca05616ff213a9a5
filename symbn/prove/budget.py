"""Run a computation under a time budget, and kill it when the budget runs out.

SymPy cannot be interrupted from inside, and a C-level loop would ignore a signal, so
each budgeted call runs in another process that is killed at the deadline.  The prover
then answers UNDECIDED, never hangs.

That process is never a fork of the caller, which may hold threads (JAX, PyTorch, a
notebook's): it is a worker started with ``python -m symbn.prove.worker``
(:mod:`symbn.prove.worker`), a fresh interpreter that imports only SymPy and symbn and
never the caller's ``__main__``, so a plain script calling ``prove`` needs no
``if __name__ == "__main__"`` guard, and ``import symbn`` works where fork does not exist.
The worker runs the tasks itself and keeps SymPy's caches warm between them; a task that
overruns its budget is stopped by killing its worker, and a replacement starts at once in
the background, so its start-up (about a second) is rarely waited for.

``fn`` must be a module-level function (it is pickled by reference); its arguments and
result must pickle, as SymPy expressions do.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Callable, cast

from symbn.pickled import loads
from symbn.prove.worker import Outcome, read_frame, write_frame

__all__ = ["Outcome", "run_with_budget"]

#: Beyond the task's own budget, how long the caller waits for a reply that is on its way.
GRACE_SECONDS = 0.2
#: How long a new worker may take to import SymPy and the prover.
START_SECONDS = 120.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_THREAD_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


class _Worker:
    """One ``python -m symbn.prove.worker`` process and a thread reading its replies."""

    command = (sys.executable, "-m", "symbn.prove.worker")

    def __init__(self) -> None:
        env = dict(os.environ)
        # the worker imports this very symbn, wherever the caller found it
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        # no BLAS thread pools: NumPy comes in with symbn, the worker never needs it, and a
        # worker per caller thread must not multiply the threads
        env.update({name: "1" for name in _THREAD_POOLS})
        # a proof rebuilds the same subexpressions many times: SymPy's caches of 1000
        # entries per function thrash on the catalogue's larger claims (unless the user
        # sized them)
        env.setdefault("SYMPY_CACHE_SIZE", "10000")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the worker
        self.process = subprocess.Popen(
            list(self.command), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, env=env)
        self._replies: queue.Queue[bytes | None] = queue.Queue()
        self._ready = False
        threading.Thread(target=self._read, daemon=True).start()

    def wait_ready(self) -> None:
        """Block until the worker has imported the prover; _WorkerDied if it cannot."""
        if not self._ready:
            if self._reply(START_SECONDS) in (None, _TIMEOUT):
                raise _WorkerDied(self._stop_and_explain())
            self._ready = True

    def _read(self) -> None:
        while True:
            frame = read_frame(cast(BinaryIO, self.process.stdout))  # a PIPE: never None
            self._replies.put(frame)
            if frame is None:
                return

    def _reply(self, seconds: float | None) -> object:
        """The next reply; _TIMEOUT if none came in time; None if the worker is gone."""
        try:
            frame = self._replies.get(timeout=seconds)
        except queue.Empty:
            return _TIMEOUT
        return None if frame is None else loads(frame)

    def run(self, fn: Callable[..., object], args: tuple[object, ...], seconds: float) -> Outcome:
        """Raises _WorkerDied when the worker does not answer (it is then stopped)."""
        payload = pickle.dumps((fn, args))  # may raise: the worker is untouched
        self.wait_ready()
        write_frame(cast(BinaryIO, self.process.stdin), payload)  # a PIPE: never None
        try:
            reply = self._reply(None if math.isinf(seconds) else seconds + GRACE_SECONDS)
        except BaseException:  # Ctrl-C while waiting: the task is abandoned with its worker
            self.stop()
            raise
        if reply is _TIMEOUT:
            self.stop()
            _start_spare()
            return Outcome(False)
        if reply is None:
            raise _WorkerDied(self._stop_and_explain())
        return cast(Outcome, reply)  # the worker replies with an Outcome

    def _stop_and_explain(self) -> str:
        self.stop()
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self.process.returncode}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class _WorkerDied(Exception):
    pass


_TIMEOUT = object()
_idle: list[_Worker] = []
_lock = threading.Lock()


_last = threading.local()  # the worker this thread used last


def _take() -> _Worker:
    """An idle worker, preferably the one this thread used last: a claim built there is
    proved there, where SymPy's caches already hold its subexpressions."""
    with _lock:
        mine = getattr(_last, "worker", None)
        if mine is not None and any(w is mine for w in _idle):
            _idle[:] = [w for w in _idle if w is not mine]
            return cast(_Worker, mine)
        if _idle:
            _last.worker = _idle.pop()
            return cast(_Worker, _last.worker)
    _last.worker = _Worker()
    return cast(_Worker, _last.worker)


def _give_back(worker: _Worker) -> None:
    with _lock:
        _idle.append(worker)


def _start_spare() -> None:
    """A replacement for a killed worker, importing while the caller goes on."""
    with contextlib.suppress(OSError):  # else the next call starts one and says why it cannot
        _give_back(_Worker())


@atexit.register
def _stop_all() -> None:
    with _lock:
        while _idle:
            _idle.pop().stop()


def run_with_budget(fn: Callable[..., object], args: tuple[object, ...], seconds: float) -> Outcome:
    """``fn(*args)`` in the worker; Outcome(finished=False) after ``seconds``.

    Thread-safe: concurrent calls use separate workers.  A worker that dies or stops
    answering is replaced, and the call reports an error or a timeout, never hangs.
    """
    try:
        worker = _take()
    except (_WorkerDied, OSError) as error:
        return Outcome(True, error=f"the prover's worker process did not start: {error}")
    try:
        outcome = worker.run(fn, args, seconds)
    except _WorkerDied as error:
        return Outcome(True, error=f"the prover's worker process died: {error}")
    except (OSError, EOFError) as error:
        worker.stop()
        return Outcome(True, error=f"the prover's worker process failed: {error}")
    except Exception as error:  # noqa: BLE001 -- the task or its result does not pickle
        outcome = Outcome(True, error=f"cannot pass the task to the worker: {error}")
    if worker.alive:
        _give_back(worker)
    return outcome
