"""``aicapex run``: simulate scenarios and write a run directory (``workflow.run`` does the
work; this module parses the flags and prints)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..runtime import interrupts
from ..runtime.cores import DEFAULT_CPU_DEVICES
from .console import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    PlainProgress,
    add_cache_flag,
    add_command,
    err,
    error,
    info,
    out,
)

CLAIMS_OUTPUT = True
"""The workflow holds ``--out`` itself (``workflow.run``), so ``main`` does not."""


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
    r.add_argument("--json", action="store_true",
                   help="print the closing table as JSON (every scenario) instead of a table")
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
                   help="write results even if some values are NaN or infinite, or outside "
                   "their output's physical range")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the draws as tasks on a Dask cluster (e.g. tcp://host:8786; "
                   "needs the dask extra, and aicapex on every worker); results are "
                   "bit-identical to a local run")
    add_cache_flag(r)


def run(args) -> int:
    from ..api import RunSettingError
    from ..outputs import NoSpaceError, OutputExistsError, horizon_table
    from ..workflow import ResultsCheckError, run

    live = (err.is_terminal or os.environ.get("AICAPEX_PROGRESS") == "1") and not info.quiet
    passes = 2 if args.format else 1
    plain = None if live or info.quiet else PlainProgress(0, float(os.environ.get(
        "AICAPEX_PROGRESS_SECONDS", PlainProgress.INTERVAL)))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} draws"), TimeElapsedColumn(),
                  console=err, transient=False, disable=not live) as bar:

        def progress(label: str, total: int):
            task = bar.add_task(label, total=total)
            if plain is not None:
                plain.total = total * passes

            def tick(n: int) -> None:
                interrupts.check()
                bar.update(task, advance=n,
                           description=bar.tasks[task].description.replace("compiling + ", ""))
                if plain is not None:
                    plain.advance(n)
            return tick

        try:
            done = run(args.scenarios, args.out, draws=args.draws, seed=args.seed,
                       dtype=args.dtype, device=args.device, chunk_size=args.chunk_size,
                       cpu_devices=args.cpu_devices,
                       common_random_numbers=not args.independent_streams,
                       antithetic=args.antithetic, summary_only=args.summary_only,
                       paths=args.paths, format=args.format,
                       compression=not args.no_compression, plots=not args.no_plots,
                       report=args.report, overwrite=args.overwrite,
                       allow_nonfinite=args.allow_nonfinite, scheduler=args.scheduler,
                       progress=progress, on_note=lambda m: info.print(f"note: {m}",
                                                                       soft_wrap=True),
                       on_status=lambda m: info.print(m, soft_wrap=True))
        except (RunSettingError, OutputExistsError) as e:
            error(e)
            return EXIT_BAD_INPUT
        except (NoSpaceError, ResultsCheckError) as e:
            error(e.strerror if isinstance(e, NoSpaceError) else e)
            return EXIT_FAILED
    if args.json:
        print(json.dumps(table_json(horizon_table(done.dataset), done.dataset, done.out),
                         indent=1, allow_nan=False))
    else:
        _print_table(horizon_table(done.dataset), done.dataset, done.out)
    return 0


JSON_COLUMNS = {"index median": "index_median", "index 5%": "index_p05",
                "index 95%": "index_p95", "P(drawdown>20%)": "p_drawdown_20",
                "Mag-10 weight median": "mag10_weight_median",
                "platform earnings change median": "platform_earnings_change_median"}
"""The closing table's columns (``summary.horizon_table``) by their names in ``--json``."""


def table_json(table, ds, where) -> dict:
    """``run --json``: the closing table of every scenario, with the horizon's date, the
    index's start and the run directory; probabilities and changes as decimals, a value
    that is not finite as null."""
    def plain(v) -> float | None:
        return float(v) if v == v and abs(v) != float("inf") else None

    start = ds["index_level"].attrs.get("start_value")
    return {"out": str(where), "horizon": str(ds["time"].values[-1])[:10],
            "index_start": None if start is None else plain(start),
            "scenarios": [{"scenario": str(name),
                           **{JSON_COLUMNS[k]: plain(v) for k, v in row.items()}}
                          for name, row in table.iterrows()]}


TABLE_ROWS = 40
"""Scenarios the closing table shows at most: a larger run (a sweep of up to 1,000 points)
shows its first and last ``TABLE_ROWS // 2`` and says where the rest are."""


def _print_table(table, ds, where=None) -> None:
    when = str(ds["time"].values[-1])[:10]
    start = ds["index_level"].attrs.get("start_value", float("nan"))
    n_all = len(table)
    shown = (list(range(n_all)) if n_all <= TABLE_ROWS else
             [*range(TABLE_ROWS // 2), *range(n_all - TABLE_ROWS // 2, n_all)])
    # fits 80 columns: two-line headers, and no column narrower than its values
    rows = [[str(name), f"{r['index median']:,.0f}",
             f"{r['index 5%']:,.0f}-{r['index 95%']:,.0f}", f"{r['P(drawdown>20%)']:.1%}",
             f"{r['Mag-10 weight median']:.1%}", f"{r['platform earnings change median']:+.1%}"]
            for name, r in table.iloc[shown].iterrows()]
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
        rows = [[str(k + 1), *row[1:]] for k, row in zip(shown, rows, strict=True)]
        widths[0] = len(rows[-1][0])
    for i, head in enumerate(heads):
        t.add_column(head, justify="left" if i == 0 else "right", no_wrap=True,
                     min_width=widths[i])
    for j, row in enumerate(rows):
        if j == TABLE_ROWS // 2 and n_all > TABLE_ROWS:
            t.add_row("...", *[""] * (len(heads) - 1))
        t.add_row(*row)
    out.print(t)
    if numbered:
        for k, name in zip(shown, names, strict=True):
            out.print(f"{k + 1:>{widths[0]}} {name}", soft_wrap=True)
    if n_all > TABLE_ROWS:
        out.print(f"{n_all:,} scenarios, {n_all - len(shown):,} not shown: every one is in "
                  f"{'summary.csv' if where is None else Path(where) / 'summary.csv'}",
                  soft_wrap=True, highlight=False)
