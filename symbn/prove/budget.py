"""Run a computation under a time budget, and kill it when the budget runs out.

SymPy cannot be interrupted from inside, and a C-level loop would ignore a signal, so
each budgeted call runs in a forked child process that is killed at the deadline.  The
prover then answers UNDECIDED, never hangs.
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


def run_with_budget(fn: Callable, args: tuple, seconds: float) -> Outcome:
    """``fn(*args)`` in a forked child; Outcome(finished=False) after ``seconds``."""
    ctx = multiprocessing.get_context("fork")
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
