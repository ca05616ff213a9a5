"""Run a computation under a time budget, and kill it when the budget runs out.

SymPy cannot be interrupted from inside, and a C-level loop would ignore a signal, so
each budgeted call runs in a child process that is killed at the deadline.  The prover
then answers UNDECIDED, never hangs.

The child is forked: it starts at once with SymPy's caches warm, and (unlike spawn or a
fork server) it does not re-import the caller's main script, so a plain script calling
``prove`` needs no ``if __name__ == "__main__"`` guard.  Forking a multithreaded caller
(JAX warns about it) is safe here because the child runs only SymPy and never touches the
framework whose threads were left behind.
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


_CONTEXT = multiprocessing.get_context("fork")


def run_with_budget(fn: Callable, args: tuple, seconds: float) -> Outcome:
    """``fn(*args)`` in a forked child; Outcome(finished=False) after ``seconds``."""
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
