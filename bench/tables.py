"""The README's benchmark tables, written from ``bench/results.json`` (never typed).

    python bench/tables.py [--json bench/results.json] [--readme README.md]

rewrites the part of the README between ``<!-- bench tables: begin -->`` and
``<!-- bench tables: end -->``; ``python bench/bench.py`` calls it after each run.  A test
checks that the README's tables are the ones the recorded results give.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- bench tables: begin -->", "<!-- bench tables: end -->"

#: each target's words in the README: (what is measured, its unit: "s" or "x")
TARGET_WORDS = {
    "catalogue_cold_seconds": ("cold catalogue, every core (`symbn prove --brief --no-cache`)", "s"),
    "catalogue_warm_seconds": ("warm catalogue (every verdict cached)", "s"),
    "help_seconds": ("`symbn --help`", "s"),
    "list_seconds": ("`symbn list`", "s"),
    "refute_seconds": ("refuting a control (the slowest)", "s"),
    "explicit_m16_seconds": ("explicit backward cross-check, m = 16", "s"),
    "inequality_seconds": ("an inequality, proved or refuted (the slowest)", "s"),
    "verify_numpy_seconds": ("`symbn verify`, a NumPy function", "s"),
    "verify_torch_seconds": ("`symbn verify`, a PyTorch function", "s"),
    "verify_torch_module_seconds": ("`symbn verify`, a PyTorch module", "s"),
    "kernel_over_numpy": ("generated NumPy kernel / hand-written NumPy (worst shape)", "x"),
    "compiled_over_floor": ("compiled, as called / bandwidth floor (worst shape, every core)", "x"),
    "compiled_reused_outputs_over_floor": (
        "compiled, into reused outputs / floor (worst shape, every core)", "x"),
    "compiled_over_torch_default": (
        "compiled / PyTorch at its default thread count (worst shape)", "x"),
}
#: the CPU seconds shown beside a target's wall seconds, where the results have them
_CPU = {"catalogue_cold_seconds": ("catalogue", "cold"),
        "catalogue_warm_seconds": ("catalogue", "warm"),
        "verify_numpy_seconds": ("verify", "numpy_cpu_seconds"),
        "verify_torch_seconds": ("verify", "torch_cpu_seconds"),
        "verify_torch_module_seconds": ("verify", "torch_module_cpu_seconds")}


def _load(machine: dict) -> str:
    before, after = machine["load_average_1_5_15"][0], machine.get("load_average_after", [None])[0]
    return f"load {before:.1f} before" + (f", {after:.1f} after" if after is not None else "")


def _cpu(results: dict, name: str) -> str:
    if name not in _CPU:
        return ""
    part, key = _CPU[name]
    value = results.get(part, {}).get(key)
    seconds = value.get("cpu_seconds") if isinstance(value, dict) else value
    return "" if seconds is None else f" ({seconds:.1f} s CPU)"


def targets_table(results: dict) -> str:
    """Every target: its limit, the measured value, their ratio, met or not."""
    lines = ["| target | limit | measured | measured / limit | met |", "|---|---|---|---|---|"]
    for name, (value, limit) in results["targets"].items():
        words, unit = TARGET_WORDS[name]
        if value is None:
            lines.append(f"| {words} | <= {limit:g} {unit} | not measured | | **no** |")
            continue
        shown = (f"{value:.{2 if value >= 1 else 3}f} s{_cpu(results, name)}" if unit == "s"
                 else f"{value:.2f}x")
        met = "yes" if value <= limit else "**no**"
        lines.append(f"| {words} | <= {limit:g}{' s' if unit == 's' else 'x'} | {shown} | "
                     f"{value / limit:.2f}x | {met} |")
    for name, why in results.get("not_measured", {}).items():
        lines.append(f"| {TARGET_WORDS[name][0]} | | not measured: {why} | | **no** |")
    return "\n".join(lines)


def _ms(seconds: float | None, floor: float) -> str:
    return "" if seconds is None else f"{seconds * 1e3:.1f} ms ({seconds / floor:.2f}x)"


def kernels_table(results: dict) -> str:
    """Forward + backward BN per shape: the floor, the NumPy kernel, the compiled path at
    one thread and every core (as called and into reused outputs), PyTorch at both."""
    lines = ["| case | floor | NumPy kernel | compiled, 1 thread / every core | "
             "same, into reused outputs | PyTorch, 1 thread / default |",
             "|---|---|---|---|---|---|"]
    for case, k in results.get("kernels", {}).items():
        floor = k["floor_seconds"]
        compiled = (f"{_ms(k.get('compiled_1_thread_seconds'), floor)} / "
                    f"{_ms(k.get('compiled_seconds'), floor)}") if k.get("compiled_seconds") else \
            "not measured"
        reused = (f"{_ms(k.get('compiled_reused_outputs_1_thread_seconds'), floor)} / "
                  f"{_ms(k.get('compiled_reused_outputs_seconds'), floor)}") \
            if k.get("compiled_seconds") else "not measured"
        torch = (f"{_ms(k.get('torch_seconds'), floor)} / "
                 f"{_ms(k.get('torch_default_seconds'), floor)}") if k.get("torch_seconds") \
            else "not measured"
        lines.append(f"| {case} | {floor * 1e3:.1f} ms | {_ms(k['symbn_seconds'], floor)} | "
                     f"{compiled} | {reused} | {torch} |")
    return "\n".join(lines)


def machine_line(results: dict) -> str:
    """Where and when: cores, versions, and each part's load."""
    machine = results.get("machine_prover") or results.get("machine_kernels") or results["machine"]
    v = machine["versions"]
    versions = ", ".join(f"{name} {v[name]}" for name in ("python", "sympy", "numpy", "numba",
                                                           "torch") if v.get(name))
    parts = [f"{part} part at {_load(results[f'machine_{part}'])}"
             for part in ("prover", "kernels") if f"machine_{part}" in results]
    copy = results.get("copy_bandwidth_gb_per_s")
    return (f"Measured on {machine['cores']} cores ({versions}); "
            + ("; ".join(parts) or _load(machine))
            + (f"; copy bandwidth {copy:.1f} GB/s." if copy else "."))


def compile_line(results: dict) -> str:
    """The compiled BN kernel's build time (2 loop orders x 2 dtypes, in fresh processes)."""
    times = results.get("compiled_compile_seconds")
    if not times:
        return "The compiled kernel's build time was not measured (numba is not installed)."
    return (f"Building the compiled BN kernel (2 loop orders x 2 dtypes) took "
            f"{times['cold']['total_seconds']:.1f} s with an empty cache and "
            f"{times['warm']['total_seconds']:.1f} s in a new process with numba's disk cache "
            f"({times['warm']['generate_seconds']:.1f} s of it building the derivation).")


def tables(results: dict) -> str:
    """The README's block: the machine, the kernels, their build time, every target."""
    return "\n\n".join([machine_line(results), kernels_table(results), compile_line(results),
                         targets_table(results)])


def with_tables(readme: str, results: dict) -> str:
    """``readme`` with its block between the markers replaced by :func:`tables`."""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"the README has no {BEGIN} ... {END} block to fill")
    return pattern.sub(lambda _: f"{BEGIN}\n{tables(results)}\n{END}", readme)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--readme", type=Path, default=HERE.parent / "README.md")
    args = parser.parse_args(argv)
    try:
        readme, results = args.readme.read_text(), json.loads(args.json.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: cannot read the README or the results ({error}); run "
                         "python bench/bench.py first, or give --json and --readme") from None
    written = with_tables(readme, results)
    if written == readme:
        print(f"{args.readme}'s benchmark tables are those of {args.json} already")
        return
    args.readme.write_text(written)
    print(f"wrote the benchmark tables of {args.json} into {args.readme}")


if __name__ == "__main__":
    main()
