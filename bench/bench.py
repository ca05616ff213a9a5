"""symbn's benchmark: one command, a table, a JSON file.  Ratios are taken in one run.

    python bench/bench.py [--repeats 5] [--json bench/results.json] [--quick]

Measures (median of ``--repeats``): interpreter and import start-up, ``symbn --help`` and
``symbn list``; the whole identity catalogue end to end (``symbn prove --brief``, on every
core) cold and warm, in wall time and in CPU time (the machine is shared: wall time
counts the waits for a core, CPU time does not); the explicit-m cross-check of the
backward pass at m = 2, 4, 8, 16; refuting wrong identities (the catalogue's controls); proving
or refuting each catalogue inequality (a certificate search each); and the generated BN kernels
(forward + backward) against a hand-written NumPy BN, PyTorch's F.batch_norm, and the
memory-bandwidth floor (read x and g twice, write y and dx once) at this machine's copy
bandwidth, measured in the same run; and ``symbn verify`` end to end (a fresh interpreter,
symbn's import, the worker, every case) on a NumPy function, a PyTorch function and a
PyTorch module with running statistics from examples/verify.

The optional compiled kernels (``symbn.kernels.compiled``, extra ``compiled``) are timed at
one thread and at the default thread count, against PyTorch at both; their compile time is
measured apart, in fresh processes: cold (an empty cache) and warm (numba's disk cache).
``--kernels-only`` runs just the kernel part.  The machine (cores, versions, load) is recorded.
"""

from __future__ import annotations

import os

# OpenMP threads that spin while they wait steal the cores of a loaded machine from the
# thread doing the work: PyTorch's and numba's OpenMP both wait passively here, unless told
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import functools
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sympy as sp

from symbn import derive_batchnorm, explicit_symbols, instantiate, prove
from symbn.backends.base import numpy_batchnorm
from symbn.bn.batchnorm import x as x_symbol
from symbn.identities import CATALOGUE
from symbn.kernels import batchnorm as kernels
from symbn.prove.pool import cores

TARGETS = {"catalogue_cold_seconds": 4.0, "catalogue_warm_seconds": 1.0, "help_seconds": 0.3,
           "list_seconds": 0.3, "refute_seconds": 0.1, "explicit_m16_seconds": 10.0,
           "kernel_over_numpy": 1.1, "verify_numpy_seconds": 3.0, "verify_torch_seconds": 10.0,
           "verify_torch_module_seconds": 10.0, "inequality_seconds": 10.0,
           # the compiled path at the default thread count, the worst bench shape
           "compiled_over_floor": 2.5, "compiled_over_torch_default": 1.0,
           "compiled_reused_outputs_over_floor": 2.5}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "verify"
DEFAULT_RESULTS = Path(__file__).resolve().with_name("results.json")


def median_time(fn, repeats, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def command_times(args, repeats, env=None):
    """Median wall and CPU seconds of the ``symbn`` command with ``args``, a fresh process
    each time.  CPU is the process's and its children's (the prover's workers), user and
    system: what the run costs whatever the load, where wall time counts the waits for a
    core of a busy machine too."""
    script = Path(sys.executable).with_name("symbn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "symbn.cli"]
    walls, cpus, unexpected = [], [], 0
    for _ in range(repeats):
        before, start = os.times(), time.perf_counter()
        done = subprocess.run(command + list(args), stdout=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        # 1: a verdict other than the expected one (on a busy machine, a budget that ran
        # out: UNDECIDED), still a timed run, and counted; anything else is a failure
        if done.returncode not in (0, 1):
            raise subprocess.CalledProcessError(done.returncode, done.args)
        unexpected += done.returncode == 1
        after = os.times()
        cpus.append(after.children_user - before.children_user
                    + after.children_system - before.children_system)
    return {"seconds": statistics.median(walls), "cpu_seconds": statistics.median(cpus),
            "runs_with_unexpected_verdicts": unexpected}


def startup(repeats):
    def run(code):
        return median_time(lambda: subprocess.run([sys.executable, "-c", code], check=True),
                           repeats)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SYMBN_CACHE_DIR": cache}
        command_times(["list"], 1, env)  # the index of identities, written once
        return {"interpreter_seconds": run("pass"), "import_symbn_seconds": run("import symbn"),
                "help": command_times(["--help"], 2 * repeats, env),
                "list": command_times(["list"], 2 * repeats, env)}


def catalogue(repeats):
    """``symbn prove --brief`` over the whole catalogue, end to end: cold (``--no-cache``:
    every claim built and proved) and warm (every verdict read from a filled cache), on
    every core (the prover's default).  Cold also without the inequalities (their
    sum-of-squares search loads cvxpy in each worker), for comparison with earlier runs."""
    equalities = [i.name for i in CATALOGUE if "inequality" not in i.tags]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SYMBN_CACHE_DIR": cache}
        cold = command_times(["prove", "--brief", "--no-cache"], repeats, env)
        cold_equalities = (command_times(["prove", "--brief", "--no-cache", *equalities],
                                         repeats, env)
                           if len(equalities) < len(CATALOGUE) else None)
        command_times(["prove", "--brief"], 1, env)  # fills the cache
        warm = command_times(["prove", "--brief"], repeats, env)
    return {"cold": cold, "warm": warm, "cold_without_inequalities": cold_equalities,
            "jobs": cores()}


def refutations(repeats):
    """Time to refute each control, its claim built beforehand (building is not refuting)."""
    claims = {c.name: c.claim() for i in CATALOGUE for c in i.controls}
    times = {name: median_time(lambda c=claim: c.prove(5.0), repeats)
             for name, claim in claims.items()}
    return {"median_seconds": statistics.median(times.values()),
            "max_seconds": max(times.values()), "per_control_seconds": times}


def inequalities(repeats):
    """Time to prove (with a certificate) or refute each catalogue inequality, its controls
    and its explicit sizes, the claim built beforehand; each must take <= 10 s."""
    claims = {}
    for identity in CATALOGUE:
        if "inequality" in identity.tags:
            claims[identity.name] = identity.claim()
            claims.update({c.name: c.claim() for c in identity.controls})
            claims.update({f"{identity.name}-m{m}": identity.explicit_claim(m)
                           for m in identity.explicit_sizes})
    times = {name: median_time(lambda c=claim: c.prove(60.0), repeats)
             for name, claim in claims.items()}
    return {"max_seconds": max(times.values()), "per_claim_seconds": times}


def explicit_crosscheck(sizes, repeats):
    bn = derive_batchnorm()

    def once(m):
        loss = instantiate(bn.loss, m)
        # a budget well past the target: the time is what is measured (and compared)
        verdict = prove(sp.diff(loss, explicit_symbols(x_symbol, m)[0]),
                        instantiate(bn.dx_closed_form, m, 0), budget=60.0)
        if not verdict.proved:
            raise SystemExit(f"explicit cross-check at m = {m}: {verdict.status} "
                             f"({'; '.join(verdict.attempts)})")
    return {str(m): median_time(lambda m=m: once(m), repeats) for m in sizes}


def verify_timings(repeats):
    """``symbn verify`` as a user runs it (each run must find the code correct): median wall
    seconds, and the CPU seconds of symbn and its worker together (on a machine others load,
    the wall time is mostly waiting for a core; the CPU time is what the run itself costs)."""
    import resource

    def once(args):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symbn.cli", "verify", *args], cwd=EXAMPLES,
                       check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    cases = {"numpy": ("numpy_batchnorm:batchnorm_backward", "--kind", "batchnorm-backward"),
             "torch": ("llm_rmsnorm:rms_norm", "--kind", "rmsnorm-forward"),
             "torch_module": ("torch_batchnorm2d:BatchNorm2d", "--kind", "batchnorm-module",
                              "--init", "momentum=0.1")}
    results = {}
    for name, args in cases.items():
        runs = [once(args) for _ in range(repeats)]
        results[f"{name}_seconds"] = statistics.median(w for w, _ in runs)
        results[f"{name}_cpu_seconds"] = statistics.median(c for _, c in runs)
    return results


def copy_bandwidth(nbytes, repeats):
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    seconds = median_time(lambda: np.copyto(dst, src), repeats)
    return 2 * src.nbytes / seconds  # read + write


def kernel_case(shape, dtype, repeats, bandwidth):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    channels = shape[1]
    gamma = rng.uniform(0.5, 2, channels).astype(dtype)
    beta = rng.normal(size=channels).astype(dtype)
    result = {
        "symbn_seconds": median_time(lambda: kernels.train(x, g, gamma, beta, 1e-5), repeats),
        "numpy_seconds": median_time(lambda: numpy_batchnorm(x, g, gamma, beta, 1e-5), repeats),
        "floor_seconds": 6 * x.nbytes / bandwidth,
    }
    try:
        result["fused_seconds"] = median_time(
            lambda: kernels.train(x, g, gamma, beta, 1e-5, fused=True), repeats)
        result["fused_over_floor"] = result["fused_seconds"] / result["floor_seconds"]
        result["fused_over_numpy"] = result["fused_seconds"] / result["numpy_seconds"]
    except ImportError:
        result["fused_seconds"] = None
    try:
        import torch
        import torch.nn.functional as F
        default = torch_default_threads()

        xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(gamma, requires_grad=True)
        bt, upstream = torch.tensor(beta, requires_grad=True), torch.tensor(g)

        def torch_step():
            y = F.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
            torch.autograd.grad(y, (xt, gt, bt), upstream)
        torch.set_num_threads(default)
        result["torch_default_seconds"] = median_time(torch_step, repeats)
        torch.set_num_threads(1)  # NumPy runs on one core: compare like with like
        result["torch_seconds"] = median_time(torch_step, repeats)
    except ImportError:
        result["torch_seconds"] = result["torch_default_seconds"] = None
    result.update(compiled_case(x, g, gamma, beta, repeats, result))
    result["symbn_over_numpy"] = result["symbn_seconds"] / result["numpy_seconds"]
    result["symbn_over_floor"] = result["symbn_seconds"] / result["floor_seconds"]
    if result["torch_seconds"]:
        result["symbn_over_torch"] = result["symbn_seconds"] / result["torch_seconds"]
    return result


@functools.cache
def torch_default_threads():
    """PyTorch's own thread count, read before the bench sets it to 1."""
    import torch
    return torch.get_num_threads()


def compiled_case(x, g, gamma, beta, repeats, peers):
    """The compiled path at 1 thread and numba's default, with its ratios to the peers."""
    try:
        import numba

        from symbn.kernels import compiled
    except ImportError:
        return {"compiled_seconds": None}
    compiled.train(x, g, gamma, beta, 1e-5)  # compiled (or loaded) outside the timing
    default = numba.config.NUMBA_NUM_THREADS
    out = {"compiled_threads": default}
    # the floor has no room for the OS zeroing fresh pages for y and dx: timed both ways
    reused = {"y": np.empty_like(x), "dx": np.empty_like(x)}
    for threads, suffix in ((1, "_1_thread"), (default, "")):
        numba.set_num_threads(threads)
        out[f"compiled{suffix}_seconds"] = median_time(
            lambda: compiled.train(x, g, gamma, beta, 1e-5), repeats)
        out[f"compiled_reused_outputs{suffix}_seconds"] = median_time(
            lambda: compiled.train(x, g, gamma, beta, 1e-5, out=reused), repeats)
    # On a loaded machine wall time counts the waits for a core; CPU time at one thread does
    # not, so its ratio to a copy of the floor's bytes, in CPU time too, is what load hides
    numba.set_num_threads(1)
    source = np.ones(3 * x.nbytes // 8)
    target = np.empty_like(source)  # a copy of 3 arrays moves the floor's 6 arrays of bytes
    out["compiled_reused_outputs_1_thread_cpu_over_copy_cpu"] = median_time(
        lambda: compiled.train(x, g, gamma, beta, 1e-5, out=reused), repeats, time.process_time
    ) / median_time(lambda: np.copyto(target, source), repeats, time.process_time)
    numba.set_num_threads(default)
    for suffix in ("_1_thread", ""):
        out[f"compiled_reused_outputs{suffix}_over_floor"] = (
            out[f"compiled_reused_outputs{suffix}_seconds"] / peers["floor_seconds"])
    out["compiled_over_floor"] = out["compiled_seconds"] / peers["floor_seconds"]
    out["compiled_1_thread_over_floor"] = out["compiled_1_thread_seconds"] / peers["floor_seconds"]
    out["compiled_over_numpy"] = out["compiled_seconds"] / peers["numpy_seconds"]
    if peers["torch_seconds"]:
        out["compiled_over_torch_default"] = out["compiled_seconds"] / peers["torch_default_seconds"]
        out["compiled_1_thread_over_torch_1_thread"] = (out["compiled_1_thread_seconds"]
                                                        / peers["torch_seconds"])
    return out


COMPILE_SCRIPT = """
import json, sys, time
import numpy as np
from symbn.kernels import batchnorm, compiled
start = time.perf_counter()
compiled.compiled(batchnorm.train_kernel())
out = {"generate_seconds": time.perf_counter() - start}
for shape in [(64, 32), (4, 8, 4, 4)]:
    for dtype in ("float32", "float64"):
        x = np.random.default_rng(0).normal(size=shape).astype(dtype)
        args = (x, x[::-1].copy(), np.ones(shape[1], dtype), np.zeros(shape[1], dtype), 1e-5)
        start = time.perf_counter()
        compiled.train(*args)
        first = time.perf_counter() - start
        start = time.perf_counter()
        compiled.train(*args)
        out["x".join(map(str, shape)) + " " + dtype] = first - (time.perf_counter() - start)
print(json.dumps(out))
"""


def compile_times():
    """Seconds to build the compiled BN kernel in a fresh process: generating the source,
    then each loop order and dtype's first call less a second call; cold, then warm."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return None
    with tempfile.TemporaryDirectory(prefix="symbn-bench-cache-") as directory:
        env = {**os.environ, "SYMBN_CACHE_DIR": directory}

        def run():
            done = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], check=True, env=env,
                                  capture_output=True, text=True)
            times = json.loads(done.stdout)
            return {"total_seconds": sum(times.values()), **times}
        return {"cold": run(), "warm": run()}


def machine():
    """The machine the figures come from, and how busy it was."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "sympy": sp.__version__}
    for name in ("numba", "torch", "numexpr"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    return {"cores": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "system": platform.platform(), "versions": versions,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "load_average_1_5_15": os.getloadavg()}


def other_targets(results):
    """The targets of the prover, the catalogue and verify."""
    m16 = results["explicit_crosscheck_seconds"].get("16")
    return {
        "catalogue_cold_seconds": (results["catalogue"]["cold"]["seconds"],
                                   TARGETS["catalogue_cold_seconds"]),
        "catalogue_warm_seconds": (results["catalogue"]["warm"]["seconds"],
                                   TARGETS["catalogue_warm_seconds"]),
        "help_seconds": (results["startup"]["help"]["seconds"], TARGETS["help_seconds"]),
        "list_seconds": (results["startup"]["list"]["seconds"], TARGETS["list_seconds"]),
        "refute_seconds": (results["refute"]["max_seconds"], TARGETS["refute_seconds"]),
        "inequality_seconds": (results["inequalities"]["max_seconds"],
                               TARGETS["inequality_seconds"]),
        "explicit_m16_seconds": (m16, TARGETS["explicit_m16_seconds"]),
        "verify_numpy_seconds": (results["verify"]["numpy_seconds"],
                                 TARGETS["verify_numpy_seconds"]),
        "verify_torch_seconds": (results["verify"]["torch_seconds"],
                                 TARGETS["verify_torch_seconds"]),
        "verify_torch_module_seconds": (results["verify"]["torch_module_seconds"],
                                        TARGETS["verify_torch_module_seconds"]),
    }




def other_rows(table, results):
    s = results["startup"]
    table.add_row("interpreter start-up", f"{s['interpreter_seconds']:.3f} s", "", "")
    table.add_row("import symbn", f"{s['import_symbn_seconds']:.3f} s", "", "")
    c = results["catalogue"]
    for what, t in (("symbn --help", s["help"]), ("symbn list", s["list"]),
                    (f"catalogue cold ({c['jobs']} jobs)", c["cold"]),
                    (f"  cold without the inequalities ({c['jobs']} jobs)",
                     c.get("cold_without_inequalities")),
                    (f"catalogue warm ({c['jobs']} jobs)", c["warm"])):
        if t is None:
            continue
        unexpected = t["runs_with_unexpected_verdicts"]
        table.add_row(what, f"{t['seconds']:.2f} s wall, {t['cpu_seconds']:.2f} s CPU"
                      + (f" ({unexpected} runs with unexpected verdicts)" if unexpected else ""),
                      "", "")
    for m, seconds in results["explicit_crosscheck_seconds"].items():
        table.add_row(f"explicit backward cross-check m={m}", f"{seconds:.3f} s", "", "")
    table.add_row("refutation, median over controls", f"{results['refute']['median_seconds']:.4f} s",
                  "", "")
    for name, seconds in results["inequalities"]["per_claim_seconds"].items():
        table.add_row(f"inequality {name}", f"{seconds:.2f} s", "", "")
    v = results["verify"]
    for name, what in (("numpy", "a NumPy function"), ("torch", "a PyTorch function"),
                       ("torch_module", "a PyTorch nn.Module (running statistics)")):
        table.add_row(f"symbn verify, {what}", f"{v[f'{name}_seconds']:.2f} s wall, "
                      f"{v[f'{name}_cpu_seconds']:.2f} s CPU", "", "")


def compiled_row(case, k):
    """One table row: the compiled path at 1 thread and at the default, against the peers."""
    n = k["compiled_threads"]
    text = (f"{k['compiled_1_thread_seconds'] * 1e3:.1f} ms at 1 thread, "
            f"{k['compiled_seconds'] * 1e3:.1f} ms at {n}: {k['compiled_over_floor']:.2f}x floor "
            f"({k['compiled_1_thread_over_floor']:.2f}x at 1), "
            f"{k['compiled_over_numpy']:.2f}x numpy; into reused outputs "
            f"{k['compiled_reused_outputs_1_thread_over_floor']:.2f}x floor at 1, "
            f"{k['compiled_reused_outputs_over_floor']:.2f}x at {n} (CPU time at 1 thread: "
            f"{k['compiled_reused_outputs_1_thread_cpu_over_copy_cpu']:.2f}x the floor's copy)")
    if "compiled_over_torch_default" in k:
        text += (f", {k['compiled_over_torch_default']:.2f}x torch at {n} "
                 f"({k['torch_default_seconds'] * 1e3:.1f} ms), "
                 f"{k['compiled_1_thread_over_torch_1_thread']:.2f}x torch at 1 "
                 f"({k['torch_seconds'] * 1e3:.1f} ms)")
    return f"  compiled (numba) {case}", text


def merged(path, results, part):
    """``results`` of one part over the figures already in ``path`` (the other part's, from
    their own run): each part's machine record (and load) is kept under ``machine_<part>``."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = {}
    targets = {**old.get("targets", {}), **results["targets"]}
    merged = {**old, **results, "targets": targets, f"machine_{part}": results["machine"]}
    if "machine" in old and "machine_kernels" not in old and part == "prover":
        merged["machine_kernels"] = old["machine"]  # a file a --kernels-only run wrote
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--quick", action="store_true", help="small kernel shapes, m up to 8")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--kernels-only", action="store_true",
                      help="only the kernels (and the compiled path's compile time)")
    part.add_argument("--prover-only", action="store_true",
                      help="only start-up, the catalogue, refutations, the explicit "
                           "cross-check and verify")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    shapes = [(4096, 1024), (256, 64, 32, 32)] if not args.quick else [(512, 64), (16, 8, 16, 16)]
    sizes = (2, 4, 8, 16) if not args.quick else (2, 4, 8)
    results = {"machine": machine()}
    if not args.kernels_only:
        results.update({
            "startup": startup(args.repeats), "catalogue": catalogue(min(args.repeats, 3)),
            "refute": refutations(args.repeats), "inequalities": inequalities(min(args.repeats, 3)),
            "explicit_crosscheck_seconds": explicit_crosscheck(sizes, min(args.repeats, 3))})
        results["verify"] = verify_timings(min(args.repeats, 3))
    results["targets"] = {}
    if not args.prover_only:
        bandwidth = copy_bandwidth(256 * 2**20, args.repeats)
        results["copy_bandwidth_gb_per_s"] = bandwidth / 1e9
        results["kernels"] = {f"{'x'.join(map(str, s))} {d}":
                              kernel_case(s, d, args.repeats, bandwidth)
                              for s in shapes for d in ("float32", "float64")}
        results["compiled_compile_seconds"] = compile_times()
        worst_kernel = max(k["symbn_over_numpy"] for k in results["kernels"].values())
        results["targets"]["kernel_over_numpy"] = (worst_kernel, TARGETS["kernel_over_numpy"])
    results["machine"]["load_average_after"] = os.getloadavg()
    compiled_cases = [k for k in results.get("kernels", {}).values()
                      if k.get("compiled_seconds")]
    if compiled_cases:
        results["targets"]["compiled_over_floor"] = (
            max(k["compiled_over_floor"] for k in compiled_cases), TARGETS["compiled_over_floor"])
    if compiled_cases:
        results["targets"]["compiled_reused_outputs_over_floor"] = (
            max(k["compiled_reused_outputs_over_floor"] for k in compiled_cases),
            TARGETS["compiled_reused_outputs_over_floor"])
    if compiled_cases and all("compiled_over_torch_default" in k for k in compiled_cases):
        results["targets"]["compiled_over_torch_default"] = (
            max(k["compiled_over_torch_default"] for k in compiled_cases),
            TARGETS["compiled_over_torch_default"])
    if not args.kernels_only:
        results["targets"].update(other_targets(results))
    if not args.prover_only and not compiled_cases:  # a target not measured is said so
        results["not_measured"] = {
            name: "numba is not installed: pip install 'symbn[compiled]'"
            for name in ("compiled_over_floor", "compiled_reused_outputs_over_floor",
                         "compiled_over_torch_default")}

    console = Console(width=120)
    table = Table(title="symbn benchmark (medians)")
    for column in ("measure", "value", "target", "met"):
        table.add_column(column)
    if not args.kernels_only:
        other_rows(table, results)
    if not args.prover_only:
        table.add_row("copy bandwidth", f"{results['copy_bandwidth_gb_per_s']:.1f} GB/s", "", "")
    for case, k in results.get("kernels", {}).items():
        torch_ratio = f", {k['symbn_over_torch']:.2f}x torch" if "symbn_over_torch" in k else ""
        table.add_row(f"kernel {case}", f"{k['symbn_seconds'] * 1e3:.1f} ms: "
                      f"{k['symbn_over_numpy']:.2f}x numpy{torch_ratio}, "
                      f"{k['symbn_over_floor']:.1f}x floor", "", "")
        if k.get("fused_seconds"):
            table.add_row(f"  fused (numexpr) {case}", f"{k['fused_seconds'] * 1e3:.1f} ms: "
                          f"{k['fused_over_numpy']:.2f}x numpy, {k['fused_over_floor']:.1f}x floor",
                          "", "")
        if k.get("compiled_seconds"):
            table.add_row(*compiled_row(case, k), "", "")
    compile_seconds = results.get("compiled_compile_seconds")
    if compile_seconds:
        table.add_row("compiled BN kernel: build (2 loop orders x 2 dtypes)",
                      f"{compile_seconds['cold']['total_seconds']:.1f} s cold, "
                      f"{compile_seconds['warm']['total_seconds']:.1f} s from the disk cache",
                      "", "")
    m = results["machine"]
    table.add_row("machine", f"{m['cores']} cores, load {m['load_average_1_5_15'][0]:.1f} before, "
                  f"{m['load_average_after'][0]:.1f} after", "", "")
    for name, (value, target) in results["targets"].items():
        met = value is not None and value <= target
        table.add_row(f"TARGET {name}",
                      "n/a" if value is None else f"{value:.3f} ({value / target:.2f}x target)",
                      f"<= {target}", "yes" if met else "NO")
    for name, why in results.get("not_measured", {}).items():
        table.add_row(f"TARGET {name}", f"not measured: {why}", f"<= {TARGETS[name]}", "NO")
    console.print(table)
    if args.kernels_only or args.prover_only:  # the other part's figures are kept
        results = merged(args.json, results, "kernels" if args.kernels_only else "prover")
    args.json.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {args.json}")
    if args.json.resolve() == DEFAULT_RESULTS:  # the recorded results are the README's
        import tables

        tables.main(["--json", str(args.json)])


if __name__ == "__main__":
    main()
