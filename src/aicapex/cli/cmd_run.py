"""``aicapex run``: simulate scenarios and write a run directory."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from pathlib import Path

from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..runtime import interrupts
from .console import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    PlainProgress,
    add_cache_flag,
    add_command,
    check_out,
    err,
    error,
    labelled,
    out,
)

DEFAULT_CPU_DEVICES = min(os.cpu_count() or 1, 4)
"""CPU devices a run uses unless told (``--cpu-devices``): one per core, at most 4 (each
device holds two chunks in flight). One SPMD program runs a chunk on each, compiled once; on
the 2-core development machine two devices ran summary mode ~15% faster than one."""


def add_parser(sub) -> None:
    r = add_command(sub, "run", "simulate scenarios and write results, summary and plots",
                    "Simulate one or more scenarios in one batch (common random numbers by "
                    "default, so differences between scenarios are the scenarios') and write "
                    "a run directory: results.nc, summary tables (CSV), plots and, with "
                    "--report, report.html. Nothing complete-looking is left if it fails.",
                    ["aicapex run baseline --out runs/base",
                     "aicapex run baseline credit_stress my.yaml --draws 100000 --out runs/cmp",
                     "aicapex run baseline --draws 10000000 --summary-only --out runs/big"])
    r.add_argument("scenarios", nargs="+", metavar="SCENARIO_OR_FILE",
                   help="built-in scenario names (see `aicapex list`) or YAML files")
    r.add_argument("--draws", type=int, help="draws per scenario (default: the scenario's)")
    r.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    r.add_argument("--out", required=True, type=Path, help="output directory")
    r.add_argument("--dtype", choices=["float32", "float64"], help="floating-point precision")
    r.add_argument("--device", choices=["cpu", "gpu"], help="JAX device (default: JAX's)")
    r.add_argument("--chunk-size", type=int,
                   help="draws per compiled chunk (default: 16384 on CPU, 8192 with "
                   "--summary-only; 131072 on a GPU, with --summary-only 2097152 for one "
                   "scenario, halved per fourfold scenarios down to 524288)")
    r.add_argument("--cpu-devices", type=int, metavar="N",
                   help="split the CPU into N XLA devices that run chunks side by side "
                   f"(default: one per core, at most {DEFAULT_CPU_DEVICES} here); "
                   "results do not depend on N")
    r.add_argument("--independent-streams", action="store_true",
                   help="give each scenario its own random numbers instead of common ones")
    r.add_argument("--antithetic", action="store_true",
                   help="antithetic variates: each draw paired with its mirror image (half the "
                   "random-number cost; the draws are then not independent)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    r.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    r.add_argument("--report", action="store_true",
                   help="also write a self-contained report.html")
    r.add_argument("--summary-only", action="store_true",
                   help="keep quantiles, moments and tail probabilities only (accumulated "
                   "chunk by chunk: memory does not grow with --draws)")
    r.add_argument("--paths", action="store_true",
                   help="insist on full paths: without it, a run whose paths would not fit in "
                   "memory runs --summary-only instead (and says so); with it, such a run "
                   "stops before it starts")
    r.add_argument("--allow-nonfinite", action="store_true",
                   help="write results even if some values are NaN or infinite")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the draws as tasks on a Dask cluster (e.g. tcp://host:8786; "
                   "needs the dask extra, and aicapex on every worker); results are "
                   "bit-identical to a local run")
    add_cache_flag(r)


def _argument_errors(args) -> str | None:
    """What is wrong with the flags that only the CLI has (draws, seed and dtype are the
    plan's: ``api.plan_run`` checks them)."""
    for flag, value in (("--chunk-size", args.chunk_size), ("--cpu-devices", args.cpu_devices)):
        if value is not None and value < 1:
            return f"{flag} must be at least 1"
    if args.cpu_devices is not None and args.device == "gpu":
        return "--cpu-devices applies to --device cpu, not gpu"
    if args.paths and args.summary_only:
        return "--paths and --summary-only exclude each other"
    if args.scheduler and (args.device or args.cpu_devices):
        return "--scheduler runs on the cluster's workers: --device and --cpu-devices do not apply"
    return None


def _dask_client(address: str | None, stack: contextlib.ExitStack):
    """A Dask client of the scheduler at ``address`` (closed with ``stack``), or None."""
    if address is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--scheduler needs Dask's distributed package: pip install "
                           "'aicapex[dask]'") from None
    try:
        return stack.enter_context(Client(address, timeout="10s"))
    except OSError as e:
        raise RuntimeError(f"no Dask scheduler answered at {address}: {e}") from None


def _use_cpu_devices(args) -> None:
    """``--cpu-devices N``, else the default split, unless the user configured host devices
    or JAX already runs in this process (then its devices stay as they are). Only CPU runs see
    it: where the default device is a GPU, that is what runs."""
    from ..api import use_cpu_devices

    if args.cpu_devices is not None:
        use_cpu_devices(args.cpu_devices)
        args.device = "cpu"  # also where JAX's default is a GPU
        return
    if args.device == "gpu" or "xla_force_host_platform_device_count" in os.environ.get(
            "XLA_FLAGS", "") or "JAX_NUM_CPU_DEVICES" in os.environ:
        return
    with contextlib.suppress(RuntimeError):  # JAX already runs in this process
        use_cpu_devices(DEFAULT_CPU_DEVICES)


def run(args) -> int:
    from ..api import PathsTooLargeError, nonfinite_counts, paths_bytes, plan_run, simulate
    from ..calibration.check import run_anchor_table
    from ..outputs import (
        NoSpaceError,
        OutputExistsError,
        RunMetadata,
        check_free_space,
        horizon_table,
        write_run,
    )

    problem = _argument_errors(args)
    if problem:
        error(problem)
        return EXIT_BAD_INPUT
    _use_cpu_devices(args)
    if not check_out(args.out, args.overwrite):  # fail before a long simulation, not after it
        return EXIT_BAD_INPUT
    try:
        plan = plan_run(args.scenarios, draws=args.draws, seed=args.seed, dtype=args.dtype,
                        summary_only=args.summary_only, fallback_to_summary=not args.paths)
    except PathsTooLargeError as e:
        error(e)
        return EXIT_BAD_INPUT
    if plan.fallback:
        err.print(f"note: {plan.fallback}; running --summary-only (pass --paths to stop "
                  "instead)")
    try:  # a disk too small for the results, found before simulating
        check_free_space(args.out, 0 if plan.summary_only else paths_bytes(
            len(plan.scenarios), plan.draws, plan.settings.horizon_quarters, plan.dtype))
    except NoSpaceError as e:
        error(e.strerror)
        return EXIT_FAILED
    err.print(f"simulating {len(plan.scenarios)} scenario(s) ({', '.join(plan.names)}) x "
              f"{plan.draws:,} draws")
    t0 = time.perf_counter()
    live = err.is_terminal or os.environ.get("AICAPEX_PROGRESS") == "1"
    plain = None if live else PlainProgress(plan.draws, float(os.environ.get(
        "AICAPEX_PROGRESS_SECONDS", PlainProgress.INTERVAL)))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} draws"), TimeElapsedColumn(),
                  console=err, transient=False, disable=not live) as bar:
        task = bar.add_task("compiling + simulating", total=plan.draws)

        def tick(n: int) -> None:
            interrupts.check()
            bar.update(task, advance=n, description="simulating")
            if plain is not None:
                plain.advance(n)

        with warnings.catch_warnings(record=True) as caught, contextlib.ExitStack() as stack:
            warnings.simplefilter("always", RuntimeWarning)
            ds = simulate(plan, chunk_size=args.chunk_size, device=args.device,
                          common_random_numbers=not args.independent_streams,
                          antithetic=args.antithetic, progress=tick,
                          client=_dask_client(args.scheduler, stack))
    for w in caught:  # e.g. a GPU run counting without the CUDA kernel, and why
        err.print(f"note: {w.message}")
    interrupts.check()
    t1 = time.perf_counter()
    meta = RunMetadata.of(ds)
    err.print(f"simulated in {t1 - t0:.1f}s ({_compile_note(meta)}) on {meta.device} "
              f"({meta.dtype}); writing outputs", soft_wrap=True)
    bad = {k: v for k, v in nonfinite_counts(ds).items() if v}
    if bad:
        listing = ", ".join(f"{k}: {v:,}" for k, v in bad.items())
        if not args.allow_nonfinite:
            error(f"the run produced non-finite values ({listing}); nothing was written. "
                  "Check the scenario's parameters and paths, or pass --allow-nonfinite to "
                  "write them anyway.")
            return EXIT_FAILED
        err.print(labelled("warning:", "yellow", f" non-finite values ({listing}); written "
                           "because of --allow-nonfinite"))
    tables = {"anchor_check": run_anchor_table(ds, plan.scenarios)}
    try:
        write_run(ds, args.out, tables=tables, overwrite=args.overwrite,
                  plots=not args.no_plots, report=args.report)
    except OutputExistsError as e:
        error(e)
        return EXIT_BAD_INPUT
    err.print(f"wrote {args.out}/results.nc, summary.csv, tail_probabilities.csv, "
              "anchor_check.csv"
              + ("" if args.no_plots else ", plots/") + (", report.html" if args.report else "")
              + ", manifest.json"
              + f" in {time.perf_counter() - t1:.1f}s", soft_wrap=True)
    _print_table(horizon_table(ds), ds)
    return 0


def _compile_note(meta) -> str:
    """What the first chunk's time was: compilation, cache loads, the CUDA kernel's build."""
    t = meta.timings
    from_cache = meta.programs_from_cache > 0
    what = ("JAX compile" if not from_cache else "programs loaded from the compilation cache"
            if meta.programs_compiled <= 0 else "JAX compile and cache loads")
    note = (f"{what} ~{t.compile_estimate:.1f}s" if t.compile_estimate == t.compile_estimate
            else f"first chunk incl. {what} {t.first_chunk:.1f}s")
    if meta.histogram_counting == "cuda":
        from ..sim.engine import kernels

        note += (f"; CUDA histogram kernel ready in {kernels.load_seconds():.1f}s"
                 if kernels.load_seconds() > 1.0 else "; histograms by the CUDA kernel")
    return note


def _print_table(table, ds) -> None:
    when = str(ds["time"].values[-1])[:10]
    start = ds["index_level"].attrs.get("start_value", float("nan"))
    # fits 80 columns: two-line headers, and no column narrower than its values
    rows = [[str(name), f"{r['index median']:,.0f}",
             f"{r['index 5%']:,.0f}-{r['index 95%']:,.0f}", f"{r['P(drawdown>20%)']:.1%}",
             f"{r['Mag-10 weight median']:.1%}", f"{r['platform earnings change median']:+.1%}"]
            for name, r in table.iterrows()]
    t = Table(title=f"At the horizon ({when}); index start {start:,.0f}", box=box.SIMPLE_HEAD,
              title_justify="left", pad_edge=False)
    heads = ["scenario", "index\nmedian", "index\n5%-95%", "P(DD\n>20%)", "Mag-10\nweight",
             "platform\nearnings"]
    widths = [max(*(len(row[i]) for row in rows), *map(len, h.split()))
              for i, h in enumerate(heads)]
    names = [row[0] for row in rows]
    numbered = sum(widths) + 2 * len(widths) > out.width  # names too long for one line
    if numbered:  # rows by number, and the names below the table, whole
        heads[0] = "#"
        rows = [[str(k + 1), *row[1:]] for k, row in enumerate(rows)]
        widths[0] = len(rows[-1][0])
    for i, head in enumerate(heads):
        t.add_column(head, justify="left" if i == 0 else "right", no_wrap=True,
                     min_width=widths[i])
    for row in rows:
        t.add_row(*row)
    out.print(t)
    if numbered:
        for k, name in enumerate(names):
            out.print(f"{k + 1:>{widths[0]}} {name}", soft_wrap=True)
