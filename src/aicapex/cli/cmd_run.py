"""``aicapex run``: simulate scenarios and write a run directory."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from dataclasses import replace
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
                     "aicapex run baseline --draws 10000000 --summary-only --out runs/big",
                     "aicapex run baseline --draws 10000000 --format zarr --out runs/paths"])
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
    r.add_argument("--format", choices=["zarr", "netcdf"],
                   help="stream the full paths chunk by chunk to OUT/paths.zarr or "
                   "OUT/paths.nc, compressed, as the draws finish: memory does not grow with "
                   "--draws. results.nc, the tables and plots then come from a summary pass "
                   "of the same draws (about twice the simulation time)")
    r.add_argument("--no-compression", action="store_true",
                   help="with --format: store the paths uncompressed (larger, faster to write)")
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
    if args.format and args.summary_only:
        return "--format streams full paths; --summary-only keeps none"
    if args.no_compression and not args.format:
        return "--no-compression applies to --format (the streamed paths)"
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
    with contextlib.ExitStack() as stack:  # holds a streamed run's paths until written
        return _run(args, stack)


def _run(args, stack: contextlib.ExitStack) -> int:
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
    from ..outputs.store import FORMATS

    problem = _argument_errors(args)
    if problem:
        error(problem)
        return EXIT_BAD_INPUT
    _use_cpu_devices(args)
    if not check_out(args.out, args.overwrite):  # fail before a long simulation, not after it
        return EXIT_BAD_INPUT
    streamed = args.format is not None
    try:
        plan = plan_run(args.scenarios, draws=args.draws, seed=args.seed, dtype=args.dtype,
                        summary_only=args.summary_only,
                        fallback_to_summary=not (args.paths or streamed), streamed=streamed)
    except PathsTooLargeError as e:
        error(f"{e}; or stream them to disk with --format zarr")
        return EXIT_BAD_INPUT
    if plan.fallback:
        err.print(f"note: {plan.fallback}; running --summary-only (pass --paths to stop "
                  "instead, or --format zarr to stream them to disk)")
    try:  # a disk too small for the results, found before simulating (streamed paths
        # are compressed, but random numbers compress little: the raw size is the bound)
        check_free_space(args.out, 0 if plan.summary_only else paths_bytes(
            len(plan.scenarios), plan.draws, plan.settings.horizon_quarters, plan.dtype))
    except NoSpaceError as e:
        error(e.strerror)
        return EXIT_FAILED
    err.print(f"simulating {len(plan.scenarios)} scenario(s) ({', '.join(plan.names)}) x "
              f"{plan.draws:,} draws" + (f", streaming the paths to {args.format}"
                                         if streamed else ""))
    t0 = time.perf_counter()
    passes = [("compiling + simulating", plan)]
    if streamed:
        passes = [("compiling + writing paths", plan),
                  ("summary pass", replace(plan, summary_only=True, streamed=False))]
    live = err.is_terminal or os.environ.get("AICAPEX_PROGRESS") == "1"
    plain = None if live else PlainProgress(plan.draws * len(passes), float(os.environ.get(
        "AICAPEX_PROGRESS_SECONDS", PlainProgress.INTERVAL)))
    client = _dask_client(args.scheduler, stack)
    store = stored = None
    if streamed:
        store = _paths_holder(args.out, stack) / f"paths{FORMATS[args.format]}"
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} draws"), TimeElapsedColumn(),
                  console=err, transient=False, disable=not live) as bar:
        for label, step in passes:
            task = bar.add_task(label, total=plan.draws)

            def tick(n: int, task=task) -> None:
                interrupts.check()
                bar.update(task, advance=n,
                           description=bar.tasks[task].description.replace("compiling + ", ""))
                if plain is not None:
                    plain.advance(n)

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                ds = simulate(step, chunk_size=args.chunk_size, device=args.device,
                              common_random_numbers=not args.independent_streams,
                              antithetic=args.antithetic, progress=tick, client=client,
                              store=store if step.streamed else None,
                              compression=not args.no_compression)
            for w in caught:  # e.g. a GPU run counting without the CUDA kernel, and why
                err.print(f"note: {w.message}")
            if step.streamed:
                stored = ds
    interrupts.check()
    t1 = time.perf_counter()
    meta = RunMetadata.of(ds)
    err.print(f"simulated in {t1 - t0:.1f}s ({_compile_note(meta)}) on {meta.device} "
              f"({meta.dtype}); writing outputs", soft_wrap=True)
    bad = {k: v for k, v in nonfinite_counts(stored if stored is not None else ds).items()
           if v}
    if stored is not None:
        stored.close()  # the run directory takes the store next
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
    from ..analysis import analyze

    # implied vol, plausibility; drivers where the run kept every draw's parameters
    analysis = analyze(ds)
    tables.update(analysis["tables"])
    try:
        write_run(ds, args.out, tables=tables, overwrite=args.overwrite,
                  plots=not args.no_plots, report=args.report,
                  stores=[store] if store is not None else (), analysis=analysis)
    except OutputExistsError as e:
        error(e)
        return EXIT_BAD_INPUT
    err.print(f"wrote {args.out}/" + (f"{store.name}, " if store is not None else "")
              + "results.nc, summary.csv, tail_probabilities.csv, anchor_check.csv"
              + ", " + ", ".join(f"{k}.csv" for k in analysis["tables"])
              + ("" if args.no_plots else ", plots/") + (", report.html" if args.report else "")
              + ", manifest.json"
              + f" in {time.perf_counter() - t1:.1f}s", soft_wrap=True)
    _print_table(horizon_table(ds), ds)
    return 0


def _paths_holder(out: Path, stack: contextlib.ExitStack) -> Path:
    """A hidden directory beside ``out`` where a streamed run's store is written before the
    run directory takes it (removed with ``stack``; one left by a killed run has the prefix
    ``claim_output`` clears)."""
    import shutil
    import tempfile

    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    holder = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{out.name}-paths-",
                                   dir=out.absolute().parent))
    stack.callback(shutil.rmtree, holder, ignore_errors=True)
    return holder


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
