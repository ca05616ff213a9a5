"""Run a module verification (``--kind NAME-module``) in a child interpreter.

The child imports the user's module, says so on a pipe, runs
:func:`symbn.verify.modules.verify_module_spec` in-process and writes the pickled report (or
the usage error) to a file.  The parent sees:

* an import that raises or exits (``sys.exit``, ``os._exit``): a usage error, exit 2;
* an import that does not finish within ``IMPORT_SECONDS``: a usage error;
* a child that dies during the run (a segfault, ``os._exit``): a problem, at once;
* a phase (train mode on one layout, second order, the training steps, eval mode) that does
  not finish within its limit: a problem naming the phase.  Each phase may take ``--timeout``
  per call it makes, and at least ``CALLS_PER_RUN`` times ``--timeout`` (the framework's
  first call compiles); the child tells the parent on a pipe as each phase starts, with the
  report so far, so what finished before a hang or a crash stays in the report.

The user's prints go nowhere (the report is the only output); its last stderr lines are kept
for a crash's message.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symbn.verify.model import VerifyReport
from symbn.verify.modules import IN_PROCESS, load_object, verify_module_spec
from symbn.verify.runner import VerifyError
from symbn.verify.worker import IMPORT_SECONDS, INSIDE_WORKER

#: a phase of a module's run may take at least this many times the per-call ``--timeout``
CALLS_PER_RUN = 20


def run_isolated(spec: str, kind: str, *, timeout: float, **options) -> VerifyReport:
    """``verify_module_spec(spec, kind, **options)`` in a child; ``timeout`` per call."""
    with tempfile.TemporaryDirectory(prefix="symbn-module-") as tmp:
        request, result, errors, partial = (Path(tmp) / n for n in
                                            ("request", "result", "stderr", "partial"))
        request.write_bytes(pickle.dumps((spec, kind, options)))
        read_fd, write_fd = os.pipe()
        with open(errors, "wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "symbn.verify.module_worker", str(request), str(result),
                 str(write_fd), str(partial)], pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, cwd=os.getcwd(),
                env={**os.environ, INSIDE_WORKER: "1", "PYTHONPATH": _pythonpath()})
        os.close(write_fd)
        try:
            imported = _wait_readable(read_fd, IMPORT_SECONDS)
            if not imported or not os.read(read_fd, 1):
                _stop(child)
                if result.exists():
                    raise VerifyError(pickle.loads(result.read_bytes())[1])
                if imported:  # the pipe closed: the child ended while importing
                    raise VerifyError(f"importing {spec.partition(':')[0]!r} ended the "
                                         f"process ({_status(child.returncode)})"
                                         f"{_last_line(errors)}")
                raise VerifyError(f"importing {spec.partition(':')[0]!r} did not finish "
                                     f"within {IMPORT_SECONDS:g} s")
            phase, calls = "setting up", 0
            while _wait_readable(read_fd, max(calls, CALLS_PER_RUN) * timeout):
                if not os.read(read_fd, 1):
                    break  # the child ended
                phase, calls, _ = pickle.loads(partial.read_bytes())
            else:
                _stop(child)
                seconds = max(calls, CALLS_PER_RUN) * timeout
                return _stopped(spec, kind, partial, phase, f"{phase} did not finish within "
                                f"{seconds:g} s ({max(calls, CALLS_PER_RUN)} x --timeout)",
                                timeout)
            child.wait()
        finally:
            os.close(read_fd)
        if not result.exists():
            return _stopped(spec, kind, partial, phase, f"the worker crashed during {phase} "
                            f"({_status(child.returncode)}){_last_line(errors)}", timeout)
        outcome, value = pickle.loads(result.read_bytes())
    if outcome == "usage":
        raise VerifyError(value)
    return _in_worker(value, timeout)


def _in_worker(report: VerifyReport, timeout: float) -> VerifyReport:
    report.not_checked = [line for line in report.not_checked if line != IN_PROCESS]
    report.note_checked(f"ran in a worker process: crash protection; each phase (train mode on "
                        f"a layout, second order, training steps, eval mode) within --timeout "
                        f"({timeout:g} s) per call, at least {CALLS_PER_RUN} x --timeout")
    return report


def _pythonpath() -> str:
    here = str(Path(__file__).resolve().parents[2])  # symbn's own root, for a source checkout
    return os.pathsep.join(p for p in (here, os.getcwd(), os.environ.get("PYTHONPATH")) if p)


def _wait_readable(fd, seconds) -> bool:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            return True
    return False


def _stop(child) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()


def _status(code) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit status {code}"


def _last_line(path: Path) -> str:
    lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    return f"; its last words: {lines[-1].strip()}" if lines else ""


def _stopped(spec, kind, partial: Path, phase: str, why, timeout: float) -> VerifyReport:
    """The report of what finished before the phase that hung or crashed, and that problem."""
    if partial.exists():
        report = pickle.loads(partial.read_bytes())[2]
        # the running statistics are compared after eval mode: both are lost with either
        lost = ("running statistics and eval mode" if phase in ("training steps", "eval mode")
                else f"{phase} and what follows it")
        report.note_not_checked(f"{lost}: not run to the end ({why})")
        _in_worker(report, timeout)
    else:
        report = VerifyReport(target=spec, kind=kind)
        report.note_not_checked(f"everything: not run to the end ({why})")
    report.problem(why, key="stopped")
    return report


def _progress(fd: int, partial: str):
    """Tell the parent a phase starts: the report so far in ``partial``, then a byte on the
    pipe (written whole before the byte, so the parent never reads half a file)."""
    def progress(phase: str, calls: int, report: VerifyReport) -> None:
        tmp = f"{partial}.tmp"
        Path(tmp).write_bytes(pickle.dumps((phase, calls, report)))
        os.replace(tmp, partial)
        os.write(fd, b"P")
    return progress


def _serve(request: str, result: str, fd: int, partial: str) -> None:
    spec, kind, options = pickle.loads(Path(request).read_bytes())
    try:
        load_object(spec)  # imported now, so the time limit starts after it
    except VerifyError as error:
        Path(result).write_bytes(pickle.dumps(("usage", str(error))))
        return
    os.write(fd, b"I")
    try:
        report = verify_module_spec(spec, kind, isolate=False,
                                    progress=_progress(fd, partial), **options)
    except VerifyError as error:
        Path(result).write_bytes(pickle.dumps(("usage", str(error))))
        return
    Path(result).write_bytes(pickle.dumps(("report", report)))


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
