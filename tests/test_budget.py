"""The prover's worker: budgets hold, results and errors come back, and the caller is
never forked (scripts without a __main__ guard, callers holding JAX threads, no fork)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import sympy as sp

from symbn.prove.budget import run_with_budget
from symbn.prove.worker import Outcome

ROOT = Path(__file__).resolve().parents[1]
a = sp.Symbol("a")


def spin_forever():
    while True:
        pass


def double(value):
    return 2 * value


def test_a_task_that_never_ends_is_killed_at_its_budget():
    run_with_budget(double, (1,), 60)  # a started worker, so the timing below is the task's
    start = time.perf_counter()
    outcome = run_with_budget(spin_forever, (), 1.0)
    elapsed = time.perf_counter() - start
    assert not outcome.finished
    assert elapsed < 1.0 + 15  # the budget plus a generous allowance for a loaded machine
    assert run_with_budget(double, (21,), 60).value == 42  # the worker survives


def test_values_come_back_exactly():
    outcome = run_with_budget(sp.expand, ((a + 1) ** 3,), 60)
    assert outcome.finished and outcome.error is None
    assert outcome.value == a**3 + 3 * a**2 + 3 * a + 1


def test_an_exception_comes_back_as_its_text():
    outcome = run_with_budget(int, ("not a number",), 60)
    assert outcome.finished and "ValueError" in outcome.error


def test_a_task_that_cannot_be_sent_is_an_error_not_a_crash():
    outcome = run_with_budget(lambda: 1, (), 60)
    assert outcome.finished and "cannot pass the task" in outcome.error
    assert run_with_budget(double, (2,), 60).value == 4


def test_concurrent_calls_from_threads_get_their_own_results():
    results = {}

    def call(k):
        results[k] = run_with_budget(double, (k,), 120).value
    threads = [threading.Thread(target=call, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: 2 * k for k in range(4)}


def _run_script(tmp_path, text):
    script = tmp_path / "script.py"
    script.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)


def test_plain_script_without_main_guard_holding_jax_threads(tmp_path):
    done = _run_script(tmp_path, (
        "import jax.numpy as jnp\n"
        "import sympy as sp\n"
        "from symbn import prove\n"
        "print(float(jnp.ones(3).sum()))  # JAX's threads are running\n"
        "x = sp.Symbol('x')\n"
        "print(prove((x + 1)**2, x**2 + 2*x + 1, budget=120).status)\n"
        "print(prove((x + 1)**2, x**2 + 1, budget=120).status)\n"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3.0", "PROVED", "REFUTED"]
    assert "fork" not in done.stderr


def test_symbn_imports_and_proves_where_fork_does_not_exist(tmp_path):
    done = _run_script(tmp_path, (
        "import os\n"
        "del os.fork\n"
        "import sympy as sp\n"
        "from symbn import prove\n"
        "x = sp.Symbol('x')\n"
        "print(prove((x - 1)*(x + 1), x**2 - 1, budget=120).status)\n"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["PROVED"]


def test_a_runaway_task_costs_its_worker_and_a_spare_takes_over():
    from symbn.prove import budget
    assert run_with_budget(double, (3,), 60).value == 6
    with budget._lock:
        before = {w.process.pid for w in budget._idle}
    assert run_with_budget(spin_forever, (), 1.0).finished is False
    with budget._lock:
        spares = {w.process.pid for w in budget._idle} - before
    assert spares  # started when the runaway was killed, importing in the background
    assert run_with_budget(double, (4,), 60).value == 8


def test_the_worker_runs_no_thread_pools():
    from symbn.prove import budget
    run_with_budget(double, (1,), 60)
    with budget._lock:
        pids = [w.process.pid for w in budget._idle]
    assert pids
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        threads = int(next(line.split()[1] for line in status.splitlines()
                           if line.startswith("Threads:")))
        assert threads == 1, f"worker {pid} runs {threads} threads"


def test_an_undecided_verdict_says_when_the_budget_left_it_so():
    """Out of time before any strategy ran: the headline names the budget, not the
    strategies (which did not run)."""
    from symbn.bn.batchnorm import derive_batchnorm
    from symbn.prove import Status, prove

    bn = derive_batchnorm()
    verdict = prove(bn.dx, bn.dx_closed_form, budget=1e-6)
    assert verdict.status is Status.UNDECIDED and verdict.timed_out
    assert verdict.method.startswith("the time budget ran out before"), verdict.method


def _extended_search_out_of_time(monkeypatch, module, search):
    """The extended counterexample search (``search`` in ``module``) runs out of time; every
    other budgeted step runs as usual."""
    real = module.run_with_budget
    monkeypatch.setattr(module, "run_with_budget", lambda fn, args, seconds: (
        Outcome(False) if fn is search else real(fn, args, seconds)))


def test_only_the_extended_search_out_of_time_is_said_as_such(monkeypatch):
    """Every strategy ran and failed: the headline says so, and the verdict, which a longer
    search might have turned into REFUTED, is known to depend on the load (not cached)."""
    from symbn.prove import Status, prove, prover

    _extended_search_out_of_time(monkeypatch, prover, prover._find)
    k = sp.Symbol("k", integer=True, positive=True)
    verdict = prove(sp.Sum(1 / k**2, (k, 1, sp.oo)), sp.pi**2 / 6 + sp.exp(-1000), budget=60)
    assert verdict.status is Status.UNDECIDED and verdict.timed_out
    assert verdict.method == "no strategy reduced the residual to 0", verdict.method
    assert verdict.attempts[-1] == "extended counterexample search: the time budget ran out"


def test_an_inequality_whose_extended_search_ran_out_is_not_cached(monkeypatch):
    from symbn.prove import Status, inequality

    _extended_search_out_of_time(monkeypatch, inequality, inequality._extended)
    x, y = sp.symbols("x y", real=True)
    motzkin = x**4 * y**2 + x**2 * y**4 + 1 - 3 * x**2 * y**2  # >= 0, not a sum of squares
    verdict = inequality.prove_inequality(sp.Ge(motzkin, 0, evaluate=False), budget=60)
    assert verdict.status is Status.UNDECIDED and verdict.timed_out, verdict.attempts


def test_an_undecided_matrix_says_another_entry_ran_out_of_time(monkeypatch):
    """Entry 0 is undecided on its own; entry 1 ran out of time (a longer search might have
    refuted it, and the matrix with it): the matrix's verdict says so, and is not cached."""
    from symbn.prove import Status, prove, prover

    k = sp.Symbol("k", integer=True, positive=True)
    basel = sp.Sum(1 / k**2, (k, 1, sp.oo))
    decided = sp.pi**2 / 6 + sp.exp(-1000)
    real = prover.run_with_budget
    monkeypatch.setattr(prover, "run_with_budget", lambda fn, args, seconds: (
        (Outcome(True, (None, [])) if args[1] == decided else Outcome(False))
        if fn is prover._find else real(fn, args, seconds)))
    verdict = prove(sp.Matrix([[basel, basel]]),
                    sp.Matrix([[decided, sp.pi**2 / 6 + sp.exp(-2000)]]), budget=60)
    assert verdict.status is Status.UNDECIDED and verdict.method.startswith("entry 0:")
    assert "entry 1: extended counterexample search: the time budget ran out" in verdict.attempts
    assert verdict.timed_out
