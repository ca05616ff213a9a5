"""Independent proofs on every core: the parallel run's output is the serial run's."""

import operator
import os
import threading
import time

import pytest

from symbn import identities
from symbn.identities.record import check_all
from symbn.prove.budget import run_with_budget
from symbn.prove.pool import cores, map_ordered

# generous: the outcome must not depend on the machine's load
BUDGET = 60.0


def test_cores_is_the_affinity_mask_where_there_is_one():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert cores() == expected >= 1


def test_results_come_in_input_order_whatever_finishes_first():
    finished = []

    def slow_first(k):
        time.sleep(0.2 if k == 0 else 0.0)  # item 0 finishes last
        finished.append(k)
        return k * k

    seen = []
    assert map_ordered(slow_first, range(6), jobs=3, done=seen.append) == [0, 1, 4, 9, 16, 25]
    assert sorted(seen) == list(range(6))  # done once per item, as each finishes
    assert finished[-1] == 0


def test_items_really_run_at_once():
    """Two items that each wait for the other can only finish when both run together."""
    barrier = threading.Barrier(2, timeout=30)
    assert map_ordered(lambda k: barrier.wait() is not None and k, [1, 2], jobs=2) == [1, 2]


def test_an_error_of_one_item_is_raised():
    def fail_on_two(k):
        if k == 2:
            raise ValueError("item two")
        return k

    with pytest.raises(ValueError, match="item two"):
        map_ordered(fail_on_two, range(4), jobs=2)


def test_a_worker_killed_at_its_deadline_does_not_disturb_the_others():
    tasks = [(time.sleep, (60,), 0.5), (operator.add, (1, 2), BUDGET),
             (time.sleep, (60,), 0.5), (operator.mul, (3, 4), BUDGET)]
    outcomes = map_ordered(lambda task: run_with_budget(*task), tasks, jobs=2)
    assert [o.finished for o in outcomes] == [False, True, False, True]
    assert [o.value for o in outcomes[1::2]] == [3, 12]
    # the killed workers were replaced: the next call is answered
    assert run_with_budget(operator.add, (2, 2), BUDGET).value == 4


def _verdicts(checked):
    """Every verdict of a checked identity, what it says (not how long it took)."""
    def said(v):
        return (v.status, v.method, v.domain, v.assumptions, str(v.counterexample))
    return ((checked.identity.name, said(checked.verdict)),
            [_verdicts(c) for c in checked.controls],
            [(m, said(v)) for m, v in checked.explicit])


def test_a_parallel_run_gives_the_serial_runs_verdicts_in_the_same_order():
    subset = identities.select(["bias", "relu-positive-homogeneity", "scale-invariance"])
    assert len(subset) >= 5 and sum(len(i.controls) for i in subset) >= 6
    serial = check_all(subset, budget=BUDGET, jobs=1)
    parallel = check_all(subset, budget=BUDGET, jobs=2)
    assert [c.identity.name for c in parallel] == [i.name for i in subset]
    assert [_verdicts(c) for c in parallel] == [_verdicts(c) for c in serial]
    assert all(c.as_expected for c in parallel)
