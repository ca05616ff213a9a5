"""Independent proofs on every core, results in the order asked for.

Each budgeted step of a proof already runs in a worker process (:mod:`symbn.prove.budget`),
and concurrent callers get separate workers.  So a thread per core in the calling
process, each proving its own claims, keeps one worker per core busy; the threads
themselves mostly wait for their workers' replies.  Budgets keep their meaning: each
claim's budget is the wall time of its own proof, whatever else runs; a worker killed at
a deadline is replaced by its thread's next call.

The results come back in the order of ``items`` whatever the order of completion, so
the output of a parallel run is the serial run's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["cores", "map_ordered"]

Item = TypeVar("Item")
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may run on (its affinity mask), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_ordered(fn: Callable[[Item], Result], items: Iterable[Item], *, jobs: int | None = None,
                done: Callable[[Item], None] = lambda item: None) -> list[Result]:
    """``[fn(item) for item in items]``, ``jobs`` at a time (default: :func:`cores`).

    ``done(item)`` is called in the calling thread as each item finishes (for a progress
    bar).  An exception of ``fn`` is raised here, once the items already running finish.
    """
    items = list(items)
    jobs = max(1, min(jobs or cores(), len(items)))
    if jobs == 1:
        results = []
        for item in items:
            results.append(fn(item))
            done(item)
        return results
    results_by_index: dict[int, Result] = {}
    executor = ThreadPoolExecutor(jobs, thread_name_prefix="symbn-prove")
    try:
        pending = {executor.submit(fn, item): k for k, item in enumerate(items)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=pending.__getitem__):
                k = pending.pop(future)
                results_by_index[k] = future.result()
                done(items[k])
    finally:  # on an error or Ctrl-C: nothing new starts, running proofs end at their budgets
        executor.shutdown(wait=True, cancel_futures=True)
    return [results_by_index[k] for k in range(len(items))]
