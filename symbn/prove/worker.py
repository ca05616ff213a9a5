"""The prover's worker process: ``python -m symbn.prove.worker``.

The caller (:mod:`symbn.prove.budget`) starts it and sends it tasks over its standard
input, one at a time; each reply comes back on its standard output.  Frames are an
8-byte big-endian length and a pickle.  A task is ``(fn, args)`` with ``fn`` a
module-level function (pickled by reference); the reply is an :class:`Outcome`.

The worker runs each task itself, so SymPy's caches stay warm from one task to the next
(the steps of one proof share most of their subexpressions).  It keeps no deadline: the
caller kills the whole worker when a task overruns its budget, and starts another.  It
never forks, and it exits when its standard input closes (the caller exited).
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import sys
import traceback
from dataclasses import dataclass
from typing import Any, BinaryIO

from symbn.pickled import loads

_HEADER = struct.Struct(">Q")


@dataclass(frozen=True)
class Outcome:
    """``finished`` False means the budget ran out; ``error`` holds the task's exception text."""

    finished: bool
    value: Any = None
    error: str | None = None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame, or None at end of stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(stream, _HEADER.unpack(header)[0])


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def run_task(frame: bytes) -> bytes:
    """The pickled Outcome of the pickled task ``(fn, args)``; an exception becomes its text."""
    try:
        fn, args = loads(frame)
        outcome = Outcome(True, fn(*args))
    except BaseException:  # noqa: BLE001 -- reported to the caller, which decides
        outcome = Outcome(True, error=traceback.format_exc(limit=3))
    try:
        return pickle.dumps(outcome)
    except Exception:  # noqa: BLE001 -- an unpicklable value is an error of the task
        return pickle.dumps(Outcome(True, error=traceback.format_exc(limit=3)))


def main() -> None:
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt frames
    protocol_in = sys.stdin.buffer
    import symbn.prove.prover  # noqa: F401 -- preload, so that the first task starts warm

    # SymPy makes millions of short-lived objects and few reference cycles: the default
    # thresholds ran the collector often enough to cost a tenth of a proof's CPU.  The
    # imported modules' objects are moved out of its sight (freeze), later ones collected
    # less often, still collected.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    write_frame(protocol_out, pickle.dumps(("ready", os.getpid())))
    while (frame := read_frame(protocol_in)) is not None:
        write_frame(protocol_out, run_task(frame))


if __name__ == "__main__":
    # run the imported module's main, so that replies pickle symbn.prove.worker.Outcome,
    # not a __main__.Outcome the caller cannot load
    from symbn.prove import worker

    worker.main()
