"""Run a module verification (``--kind NAME-module``) in a child interpreter.

The child imports the user's module, says so on a pipe, runs
:func:`symbn.verify.modules.verify_module_spec` in-process and writes the pickled report (or
the usage error) to a file.  The parent sees:

* an import that raises or exits (``sys.exit``, ``os._exit``): a usage error, exit 2;
* an import that does not finish within ``IMPORT_SECONDS``: a usage error;
* a child that dies during the run (a segfault, ``os._exit``): a problem, at once;
* a run that does not finish within its limit, counted from the end of the import: a problem.

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

#: the whole run of a module may take this many times the per-call ``--timeout``
CALLS_PER_RUN = 20


def run_isolated(spec: str, kind: str, *, timeout: float, **options) -> VerifyReport:
    """``verify_module_spec(spec, kind, **options)`` in a child; ``timeout`` per call."""
    limit = CALLS_PER_RUN * timeout
    with tempfile.TemporaryDirectory(prefix="symbn-module-") as tmp:
        request, result, errors = (Path(tmp) / n for n in ("request", "result", "stderr"))
        request.write_bytes(pickle.dumps((spec, kind, options)))
        read_fd, write_fd = os.pipe()
        with open(errors, "wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "symbn.verify.module_worker", str(request), str(result),
                 str(write_fd)], pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
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
            try:
                child.wait(limit)
            except subprocess.TimeoutExpired:
                _stop(child)
                return _stopped(spec, kind, f"did not finish within {limit:g} s after the "
                                f"import ({CALLS_PER_RUN} x --timeout)")
        finally:
            os.close(read_fd)
        if not result.exists():
            return _stopped(spec, kind, f"the worker crashed ({_status(child.returncode)})"
                            f"{_last_line(errors)}")
        outcome, value = pickle.loads(result.read_bytes())
    if outcome == "usage":
        raise VerifyError(value)
    value.not_checked = [line for line in value.not_checked if line != IN_PROCESS]
    value.note_checked(f"ran in a worker process: crash protection, {limit:g} s for the whole "
                       f"run after the import ({CALLS_PER_RUN} x --timeout)")
    return value


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


def _stopped(spec, kind, why) -> VerifyReport:
    report = VerifyReport(target=spec, kind=kind)
    report.problem(why, key="stopped")
    report.note_not_checked(f"everything: not run to the end ({why})")
    return report


def _serve(request: str, result: str, fd: int) -> None:
    spec, kind, options = pickle.loads(Path(request).read_bytes())
    try:
        load_object(spec)  # imported now, so the time limit starts after it
    except VerifyError as error:
        Path(result).write_bytes(pickle.dumps(("usage", str(error))))
        return
    os.write(fd, b"I")
    try:
        report = verify_module_spec(spec, kind, isolate=False, **options)
    except VerifyError as error:
        Path(result).write_bytes(pickle.dumps(("usage", str(error))))
        return
    Path(result).write_bytes(pickle.dumps(("report", report)))


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
