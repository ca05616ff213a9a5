"""symbn's benchmark: one command, a table, a JSON file.  Ratios are taken in one run.

    python bench/bench.py [--repeats 5] [--json bench/results.json] [--quick]

Measures (median of ``--repeats``): interpreter and import start-up; the whole identity
catalogue and each identity; the explicit-m cross-check of the backward pass at m = 2, 4,
8, 16; refuting wrong identities (the catalogue's controls); and the generated BN kernels
(forward + backward) against a hand-written NumPy BN, PyTorch's F.batch_norm, and the
memory-bandwidth floor (read x and g twice, write y and dx once) at this machine's copy
bandwidth, measured in the same run; and ``symbn verify`` end to end (a fresh interpreter,
symbn's import, the worker, every case) on a NumPy function, a PyTorch function and a
PyTorch module with running statistics from examples/verify.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

from symbn import derive_batchnorm, explicit_symbols, instantiate, prove
from symbn.backends.base import numpy_batchnorm
from symbn.bn.batchnorm import x as x_symbol
from symbn.identities import CATALOGUE, check
from symbn.kernels import batchnorm as kernels

TARGETS = {"catalogue_seconds": 10.0, "refute_seconds": 0.1, "explicit_m16_seconds": 10.0,
           "kernel_over_numpy": 1.1, "verify_numpy_seconds": 3.0, "verify_torch_seconds": 10.0,
           "verify_torch_module_seconds": 10.0}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "verify"


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeats):
    def run(code):
        return median_time(lambda: subprocess.run([sys.executable, "-c", code], check=True),
                           repeats)
    return {"interpreter_seconds": run("pass"), "import_symbn_seconds": run("import symbn")}


def catalogue(repeats):
    per_identity = {i.name: median_time(lambda i=i: check(i), repeats) for i in CATALOGUE}
    return {"total_seconds": sum(per_identity.values()), "per_identity_seconds": per_identity}


def refutations(repeats):
    """Time to refute each control, its claim built beforehand (building is not refuting)."""
    claims = {c.name: c.claim() for i in CATALOGUE for c in i.controls}
    times = {name: median_time(lambda c=claim: c.prove(5.0), repeats)
             for name, claim in claims.items()}
    return {"median_seconds": statistics.median(times.values()),
            "max_seconds": max(times.values()), "per_control_seconds": times}


def explicit_crosscheck(sizes, repeats):
    bn = derive_batchnorm()

    def once(m):
        loss = instantiate(bn.loss, m)
        verdict = prove(sp.diff(loss, explicit_symbols(x_symbol, m)[0]),
                        instantiate(bn.dx_closed_form, m, 0))
        if not verdict.proved:
            raise SystemExit(f"explicit cross-check at m = {m}: {verdict.status} "
                             f"({'; '.join(verdict.attempts)})")
    return {str(m): median_time(lambda m=m: once(m), repeats) for m in sizes}


def verify_timings(repeats):
    """Wall seconds of ``symbn verify`` as a user runs it; each run must find the code correct."""
    def run(target, kind, *options):
        subprocess.run([sys.executable, "-m", "symbn.cli", "verify", target, "--kind", kind,
                        *options], cwd=EXAMPLES, check=True, capture_output=True)
    return {
        "numpy_seconds": median_time(lambda: run("numpy_batchnorm:batchnorm_backward",
                                                 "batchnorm-backward"), repeats),
        "torch_seconds": median_time(lambda: run("llm_rmsnorm:rms_norm", "rmsnorm-forward"),
                                     repeats),
        "torch_module_seconds": median_time(lambda: run(
            "torch_batchnorm2d:BatchNorm2d", "batchnorm-module", "--init", "momentum=0.1"),
            repeats),
    }


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
        torch.set_num_threads(1)  # NumPy runs on one core: compare like with like

        xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(gamma, requires_grad=True)
        bt, upstream = torch.tensor(beta, requires_grad=True), torch.tensor(g)

        def torch_step():
            y = F.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
            torch.autograd.grad(y, (xt, gt, bt), upstream)
        result["torch_seconds"] = median_time(torch_step, repeats)
    except ImportError:
        result["torch_seconds"] = None
    result["symbn_over_numpy"] = result["symbn_seconds"] / result["numpy_seconds"]
    result["symbn_over_floor"] = result["symbn_seconds"] / result["floor_seconds"]
    if result["torch_seconds"]:
        result["symbn_over_torch"] = result["symbn_seconds"] / result["torch_seconds"]
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    parser.add_argument("--quick", action="store_true", help="small kernel shapes, m up to 8")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    shapes = [(4096, 1024), (256, 64, 32, 32)] if not args.quick else [(512, 64), (16, 8, 16, 16)]
    sizes = (2, 4, 8, 16) if not args.quick else (2, 4, 8)
    results = {"startup": startup(args.repeats), "catalogue": catalogue(min(args.repeats, 3)),
               "refute": refutations(args.repeats),
               "explicit_crosscheck_seconds": explicit_crosscheck(sizes, min(args.repeats, 3))}
    results["verify"] = verify_timings(min(args.repeats, 3))
    bandwidth = copy_bandwidth(256 * 2**20, args.repeats)
    results["copy_bandwidth_gb_per_s"] = bandwidth / 1e9
    results["kernels"] = {f"{'x'.join(map(str, s))} {d}": kernel_case(s, d, args.repeats, bandwidth)
                          for s in shapes for d in ("float32", "float64")}

    worst_kernel = max(k["symbn_over_numpy"] for k in results["kernels"].values())
    m16 = results["explicit_crosscheck_seconds"].get("16")
    results["targets"] = {
        "catalogue_seconds": (results["catalogue"]["total_seconds"], TARGETS["catalogue_seconds"]),
        "refute_seconds": (results["refute"]["max_seconds"], TARGETS["refute_seconds"]),
        "explicit_m16_seconds": (m16, TARGETS["explicit_m16_seconds"]),
        "kernel_over_numpy": (worst_kernel, TARGETS["kernel_over_numpy"]),
        "verify_numpy_seconds": (results["verify"]["numpy_seconds"],
                                 TARGETS["verify_numpy_seconds"]),
        "verify_torch_seconds": (results["verify"]["torch_seconds"],
                                 TARGETS["verify_torch_seconds"]),
        "verify_torch_module_seconds": (results["verify"]["torch_module_seconds"],
                                        TARGETS["verify_torch_module_seconds"]),
    }

    console = Console(width=120)
    table = Table(title="symbn benchmark (medians)")
    for column in ("measure", "value", "target", "met"):
        table.add_column(column)
    s = results["startup"]
    table.add_row("interpreter start-up", f"{s['interpreter_seconds']:.3f} s", "", "")
    table.add_row("import symbn", f"{s['import_symbn_seconds']:.3f} s", "", "")
    for name, seconds in results["catalogue"]["per_identity_seconds"].items():
        table.add_row(f"  identity {name}", f"{seconds:.3f} s", "", "")
    for m, seconds in results["explicit_crosscheck_seconds"].items():
        table.add_row(f"explicit backward cross-check m={m}", f"{seconds:.3f} s", "", "")
    table.add_row("refutation, median over controls", f"{results['refute']['median_seconds']:.4f} s",
                  "", "")
    v = results["verify"]
    table.add_row("symbn verify, a NumPy function", f"{v['numpy_seconds']:.2f} s", "", "")
    table.add_row("symbn verify, a PyTorch function", f"{v['torch_seconds']:.2f} s", "", "")
    table.add_row("symbn verify, a PyTorch nn.Module (running statistics)",
                  f"{v['torch_module_seconds']:.2f} s", "", "")
    table.add_row("copy bandwidth", f"{results['copy_bandwidth_gb_per_s']:.1f} GB/s", "", "")
    for case, k in results["kernels"].items():
        torch_ratio = f", {k['symbn_over_torch']:.2f}x torch" if "symbn_over_torch" in k else ""
        table.add_row(f"kernel {case}", f"{k['symbn_seconds'] * 1e3:.1f} ms: "
                      f"{k['symbn_over_numpy']:.2f}x numpy{torch_ratio}, "
                      f"{k['symbn_over_floor']:.1f}x floor", "", "")
        if k.get("fused_seconds"):
            table.add_row(f"  fused (numexpr) {case}", f"{k['fused_seconds'] * 1e3:.1f} ms: "
                          f"{k['fused_over_numpy']:.2f}x numpy, {k['fused_over_floor']:.1f}x floor",
                          "", "")
    for name, (value, target) in results["targets"].items():
        met = value is not None and value <= target
        table.add_row(f"TARGET {name}", "n/a" if value is None else f"{value:.3f}",
                      f"<= {target}", "yes" if met else "NO")
    console.print(table)
    args.json.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
