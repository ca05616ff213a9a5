"""Run a computation under a time budget, and kill it when the budget runs out.

SymPy cannot be interrupted from inside, and a C-level loop would ignore a signal, so
each budgeted call runs in a child process that is killed at the deadline.  The prover
then answers UNDECIDED, never hangs.

Children come from a fork server (started once, with SymPy and symbn preloaded), not from
forking the caller: the caller may be multithreaded (JAX, PyTorch), and forking such a
process can deadlock the child.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Outcome:
    """``finished`` False means the budget ran out; ``error`` holds a child's exception text."""

    finished: bool
    value: Any = None
    error: str | None = None


def _child(conn, fn, args):
    try:
        conn.send(Outcome(True, fn(*args)))
    except BaseException:  # reported to the parent, which decides
        conn.send(Outcome(True, error=traceback.format_exc(limit=3)))
    finally:
        conn.close()
        os._exit(0)  # skip atexit handlers inherited from the parent


_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["symbn.prove.strategies"])


def run_with_budget(fn: Callable, args: tuple, seconds: float) -> Outcome:
    """``fn(*args)`` in a child process; Outcome(finished=False) after ``seconds``.

    ``fn`` and ``args`` must be picklable (a module-level function, SymPy expressions).
    """
    ctx = _CONTEXT
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, fn, args), daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                return receiver.recv()
            except EOFError:
                return Outcome(True, error="the worker process died")
        return Outcome(False)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
