"""The prover's worker process: ``python -m symbn.prove.worker``.

The caller (:mod:`symbn.prove.budget`) starts it once and sends it tasks over its standard
input; each reply comes back on its standard output.  Frames are an 8-byte big-endian
length and a pickle.  A task is ``(fn, args, seconds)`` with ``fn`` a module-level
function (pickled by reference); the reply is an :class:`Outcome` pickled by the process
that ran the task, forwarded as bytes.

Where ``os.fork`` exists, the worker forks one child per task and kills it at the
deadline: the worker is single-threaded (it has imported only SymPy and symbn's prover,
never the caller's JAX or PyTorch), so forking it is safe, and a child starts in
milliseconds with the prover already imported.  Elsewhere the worker runs the task
itself, and the caller kills and replaces the whole worker when the budget runs out.
The worker exits when its standard input closes (the caller exited).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

_HEADER = struct.Struct(">Q")


@dataclass(frozen=True)
class Outcome:
    """``finished`` False means the budget ran out; ``error`` holds the task's exception text."""

    finished: bool
    value: Any = None
    error: str | None = None


def write_frame(stream, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream) -> bytes | None:
    """The next frame, or None at end of stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    payload = _read_exactly(stream, _HEADER.unpack(header)[0])
    if payload is None:
        return None
    return payload


def _read_exactly(stream, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def run_task(fn, args) -> bytes:
    """The pickled Outcome of ``fn(*args)``; an exception becomes its text."""
    try:
        outcome = Outcome(True, fn(*args))
    except BaseException:  # noqa: BLE001 -- reported to the caller, which decides
        outcome = Outcome(True, error=traceback.format_exc(limit=3))
    try:
        return pickle.dumps(outcome)
    except Exception:  # noqa: BLE001 -- an unpicklable value is an error of the task
        return pickle.dumps(Outcome(True, error=traceback.format_exc(limit=3)))


def _forked(fn, args, seconds: float, stdin_fd: int) -> bytes:
    """Run the task in a forked child; the pickled Outcome, or Outcome(False) at the deadline."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write, leave without running the worker's cleanup
        os.close(read_end)
        try:
            data = run_task(fn, args)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + seconds
    chunks, done = [], False
    try:
        while not done:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_end, stdin_fd], [], [], left)
            if stdin_fd in ready and read_end not in ready:
                os.kill(pid, signal.SIGKILL)
                sys.exit(0)  # the caller is gone
            if read_end in ready:
                chunk = os.read(read_end, 1 << 20)
                if chunk:
                    chunks.append(chunk)
                else:
                    done = True
    finally:
        os.close(read_end)
        if not done:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not done:
        return pickle.dumps(Outcome(False))
    if not chunks:
        return pickle.dumps(Outcome(True, error="the worker's child process died"))
    return b"".join(chunks)


def main() -> None:
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt frames
    protocol_in = sys.stdin.buffer
    import symbn.prove.prover  # noqa: F401 -- preload: every task then starts warm

    write_frame(protocol_out, pickle.dumps(("ready", os.getpid())))
    while True:
        frame = read_frame(protocol_in)
        if frame is None:
            return
        try:
            fn, args, seconds = pickle.loads(frame)
        except Exception:  # noqa: BLE001
            write_frame(protocol_out, pickle.dumps(
                Outcome(True, error=traceback.format_exc(limit=3))))
            continue
        if hasattr(os, "fork"):
            reply = _forked(fn, args, seconds, protocol_in.fileno())
        else:
            reply = run_task(fn, args)
        write_frame(protocol_out, reply)


if __name__ == "__main__":
    # run the imported module's main, so that replies pickle symbn.prove.worker.Outcome,
    # not a __main__.Outcome the caller cannot load
    from symbn.prove import worker

    worker.main()
