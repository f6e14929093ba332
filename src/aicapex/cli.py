"""The ``aicapex`` command line.

    aicapex run baseline capex_slowdown --draws 20000 --seed 1 --out runs/nov
    aicapex list | aicapex params | aicapex validate my.yaml | aicapex plot runs/nov
    aicapex calibrate --check | aicapex calibrate --fit --out fit/ | aicapex replay --out rp/

Exit status: 0 success, 1 a run failed, 2 bad input (a scenario or an argument).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import interrupts

# Without rich markup: messages carry paths, names and errors, whose bracketed text rich would
# read as style tags and drop ("pip install 'aicapex[cuda]'", "[and 2 more problems]", a path
# like "runs/[a]"). Colour comes from ``_labelled``'s styled label instead.
err = Console(stderr=True, highlight=False, markup=False)
out = Console(width=None if sys.stdout.isatty() else 120, markup=False)


def _labelled(label: str, style: str, rest: str) -> Text:
    """``label`` in ``style`` followed by ``rest`` as written."""
    return Text.assemble((label, style), rest)


def _error(message: object) -> None:
    """``error: message`` on stderr, the label in red, the message as written."""
    err.print(_labelled("error:", "red", f" {message}"), soft_wrap=True)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aicapex", description=(
        "Monte Carlo scenarios of the AI-capex cycle: capex -> depreciation and AI revenue -> "
        "earnings -> valuations -> S&P 500."))
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="simulate scenarios and write results, summary and plots")
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
    _cache_flag(r)

    sub.add_parser("list", help="list built-in scenarios with their descriptions")
    sub.add_parser("params", help="list model parameters with their default priors")

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+", metavar="FILE")

    rp = sub.add_parser("report", help="write RUN_DIR/report.html for a finished run")
    rp.add_argument("run_dir", type=Path)

    c = sub.add_parser("calibrate", help="check the baseline against the anchor figures "
                       "(--check) or fit parameters to historical data (--fit)")
    mode = c.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true",
                      help="simulate a scenario (default baseline) and compare it with every "
                      "anchor it can express; exit 1 if one fails")
    mode.add_argument("--fit", action="store_true",
                      help="fit the stochastic parameters to history (needs the calibration "
                      "extra) and print/write the estimates with standard errors")
    c.add_argument("--scenario", default="baseline", help="scenario to check (--check)")
    c.add_argument("--draws", type=int, default=20_000, help="draws (--check; default 20000)")
    c.add_argument("--seed", type=int, default=0, help="random seed (--check; default 0)")
    c.add_argument("--out", type=Path, help="directory for anchor_check.csv (--check) or "
                   "fitted.yaml and fit.csv (--fit)")
    c.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    _cache_flag(c)

    rl = sub.add_parser("replay", help="run a historical scenario and place the realised "
                        "S&P 500 and Nasdaq in its distribution")
    rl.add_argument("scenario", nargs="?", default="dotcom_2000",
                    help="scenario starting at a historical date (default dotcom_2000)")
    rl.add_argument("--out", required=True, type=Path,
                    help="directory for replay.csv, replay_summary.csv and replay.png")
    rl.add_argument("--draws", type=int, default=20_000, help="draws (default 20000)")
    rl.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    rl.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    _cache_flag(rl)

    pl = sub.add_parser("plot", help="(re)draw the plots of a finished run")
    pl.add_argument("run_dir", type=Path)
    pl.add_argument("--format", choices=["png", "svg", "pdf"], default="png")
    return p


def _cache_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-compile-cache", action="store_true",
                   help="do not keep compiled programs on disk (default: kept in "
                   "$AICAPEX_CACHE_DIR/jax or ~/.cache/aicapex/jax, so a later run of the same "
                   "shapes skips JAX compilation; AICAPEX_COMPILE_CACHE=0 also turns it off)")


def _compile_cache(args) -> None:
    """Turn JAX's on-disk compilation cache on for commands that simulate, unless told not to
    or the user set JAX's own cache directory (JAX then uses that). A cache that cannot be
    created costs a note, not the run."""
    if (getattr(args, "no_compile_cache", True) or os.environ.get("AICAPEX_COMPILE_CACHE") == "0"
            or os.environ.get("JAX_COMPILATION_CACHE_DIR")):
        return
    from .api import default_compile_cache_dir, use_compile_cache

    try:
        use_compile_cache()
    except OSError as e:
        err.print(f"note: no compilation cache ({default_compile_cache_dir()}: {e}); "
                  "every run compiles afresh")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Ctrl-C and SIGTERM unwind through the writers, so partial outputs are removed on the way
    # out; they are also recorded, and raised again where a gc callback swallowed them.
    interrupts.clear()
    interrupts.install()
    from .scenarios.loader import ScenarioError

    try:
        _compile_cache(args)
        return _COMMANDS[args.command](args)
    except ScenarioError as e:
        _error(e)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print(_labelled("interrupted", "red", ": no output was written"))
        return 130
    except SystemExit as e:
        if e.code not in (0, None):
            err.print(_labelled("terminated", "red", f" (signal {int(e.code) - 128}): no "
                                "output was written"))
        raise
    except Exception as e:
        if args.debug:
            raise
        from .api import PathsTooLargeError

        if isinstance(e, PathsTooLargeError):  # e.g. calibrate or replay with huge --draws
            _error(e)
            return EXIT_BAD_INPUT
        _error(f"{type(e).__name__}: {e}")
        return EXIT_FAILED


def _cmd_list(args) -> int:
    from .scenarios.loader import builtin_names, load_scenario

    for name in builtin_names():
        desc = " ".join(load_scenario(name).scenario.description.split())
        print(f"{name}\t{desc}")
    return 0


def _cmd_params(args) -> int:
    from .calibration import default_priors
    from .sim.parameters import PARAMETERS

    priors = default_priors()
    t = Table("section", "name", "default prior", "unit", "source", "meaning")
    for p in PARAMETERS:
        pr = priors[p.name]
        t.add_row(p.section, p.name, str(pr.spec), p.unit, pr.source, p.doc)
    out.print(t)
    return 0


def _cmd_validate(args) -> int:
    from .scenarios.loader import ScenarioError, load_scenario

    bad = 0
    for f in args.files:
        if not Path(f).is_file():
            _error(f"{f}: no such file")
            bad += 1
            continue
        try:
            s = load_scenario(f).scenario
            out.print(_labelled("ok", "green", f" {f}: {s.name}"), highlight=False)
        except ScenarioError as e:
            _error(e)
            bad += 1
    return EXIT_BAD_INPUT if bad else 0


def _open_run(run_dir: Path):
    import xarray as xr

    nc = run_dir / "results.nc"
    if not nc.is_file():
        _error(f"{nc} not found; is {run_dir} a finished run?")
        return None
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        return ds.load()


def _cmd_report(args) -> int:
    from .outputs.report import write_report

    ds = _open_run(args.run_dir)
    if ds is None:
        return EXIT_BAD_INPUT
    print(write_report(ds, args.run_dir))
    return 0


def _cmd_plot(args) -> int:
    from .outputs.plots import write_plots

    ds = _open_run(args.run_dir)
    if ds is None:
        return EXIT_BAD_INPUT
    paths = write_plots(ds, args.run_dir / "plots", fmt=args.format)
    for p in paths:
        print(p)
    return 0


def _cmd_run(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .api import (
        PathsTooLargeError,
        _loaded,
        check_paths_fit,
        enable_x64_if,
        nonfinite_counts,
        simulate,
    )
    from .outputs.summary import horizon_table
    from .outputs.writers import OutputExistsError, write_run

    if args.draws is not None and args.draws < 1:
        _error("--draws must be at least 1")
        return EXIT_BAD_INPUT
    if args.chunk_size is not None and args.chunk_size < 1:
        _error("--chunk-size must be at least 1")
        return EXIT_BAD_INPUT
    if args.cpu_devices is not None:
        if args.cpu_devices < 1:
            _error("--cpu-devices must be at least 1")
            return EXIT_BAD_INPUT
        if args.device == "gpu":
            _error("--cpu-devices applies to --device cpu, not gpu")
            return EXIT_BAD_INPUT
        from .api import use_cpu_devices

        use_cpu_devices(args.cpu_devices)
        args.device = "cpu"  # also where JAX's default is a GPU
    elif args.device != "gpu":
        _default_cpu_devices()
    out_dir: Path = args.out
    if not _check_out(args):  # fail before a long simulation, not after it
        return EXIT_BAD_INPUT
    loaded = _loaded(args.scenarios)
    draws = args.draws or loaded[0].scenario.settings.draws
    dtype = args.dtype or loaded[0].scenario.settings.dtype
    enable_x64_if(dtype)
    summary_only = args.summary_only
    if args.paths and summary_only:
        _error("--paths and --summary-only exclude each other")
        return EXIT_BAD_INPUT
    if not summary_only:
        try:
            check_paths_fit(len(loaded), draws, loaded[0].scenario.settings.horizon_quarters,
                            dtype)
        except PathsTooLargeError as e:
            if args.paths:
                _error(e)
                return EXIT_BAD_INPUT
            err.print(f"note: {e}; running --summary-only (pass --paths to stop instead)")
            summary_only = True
    names = ", ".join(s.scenario.name for s in loaded)
    err.print(f"simulating {len(loaded)} scenario(s) ({names}) x {draws:,} draws")
    t0 = time.perf_counter()
    live = err.is_terminal or os.environ.get("AICAPEX_PROGRESS") == "1"
    plain = None if live else PlainProgress(draws, float(os.environ.get(
        "AICAPEX_PROGRESS_SECONDS", PlainProgress.INTERVAL)))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} draws"), TimeElapsedColumn(),
                  console=err, transient=False, disable=not live) as bar:
        task = bar.add_task("compiling + simulating", total=draws)

        def tick(n: int) -> None:
            interrupts.check()
            bar.update(task, advance=n, description="simulating")
            if plain is not None:
                plain.advance(n)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            ds = simulate(loaded, draws=args.draws, seed=args.seed, dtype=args.dtype,
                          chunk_size=args.chunk_size, device=args.device,
                          common_random_numbers=not args.independent_streams,
                          summary_only=summary_only, antithetic=args.antithetic,
                          progress=tick)
    for w in caught:  # e.g. a GPU run counting without the CUDA kernel, and why
        err.print(f"note: {w.message}")
    interrupts.check()
    t1 = time.perf_counter()
    compile_s = ds.attrs.get("compile_seconds_estimate", float("nan"))
    first_s = ds.attrs.get("first_chunk_seconds", float("nan"))
    from_cache = ds.attrs.get("jax_programs_from_cache", -1) > 0
    what = ("JAX compile" if not from_cache else "programs loaded from the compilation cache"
            if ds.attrs.get("jax_programs_compiled", -1) <= 0 else "JAX compile and cache loads")
    jit = (f"{what} ~{compile_s:.1f}s" if compile_s == compile_s else
           f"first chunk incl. {what} {first_s:.1f}s")
    if ds.attrs.get("histogram_counting") == "cuda":
        from . import kernels
        jit += (f"; CUDA histogram kernel ready in {kernels.load_seconds():.1f}s"
                if kernels.load_seconds() > 1.0 else "; histograms by the CUDA kernel")
    err.print(f"simulated in {t1 - t0:.1f}s ({jit}) on {ds.attrs['device']} "
              f"({ds.attrs['dtype']}); writing outputs", soft_wrap=True)
    bad = {k: v for k, v in nonfinite_counts(ds).items() if v}
    if bad:
        listing = ", ".join(f"{k}: {v:,}" for k, v in bad.items())
        if not args.allow_nonfinite:
            _error(f"the run produced non-finite values ({listing}); nothing was written. "
                   "Check the scenario's parameters and paths, or pass --allow-nonfinite to "
                   "write them anyway.")
            return EXIT_FAILED
        err.print(_labelled("warning:", "yellow", f" non-finite values ({listing}); written "
                            "because of --allow-nonfinite"))
    try:
        write_run(ds, out_dir, overwrite=args.overwrite, plots=not args.no_plots,
                  report=args.report)
    except OutputExistsError as e:
        _error(e)
        return EXIT_BAD_INPUT
    err.print(f"wrote {out_dir}/results.nc, summary.csv, tail_probabilities.csv, "
              "anchor_check.csv"
              + ("" if args.no_plots else ", plots/") + (", report.html" if args.report else "")
              + ", manifest.json"
              + f" in {time.perf_counter() - t1:.1f}s", soft_wrap=True)
    _print_table(horizon_table(ds), ds)
    return 0


class PlainProgress:
    """Progress for logs and CI (no terminal): a line at most every ``interval`` seconds."""

    INTERVAL = 15.0

    def __init__(self, total: int, interval: float = INTERVAL):
        self.total, self.interval, self.done = total, interval, 0
        self.t0 = self.last = time.perf_counter()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last < self.interval or self.done >= self.total:
            return
        self.last = now
        elapsed = now - self.t0
        left = elapsed * (self.total - self.done) / self.done
        err.print(f"progress: {self.done:,}/{self.total:,} draws ({self.done / self.total:.0%})"
                  f" in {elapsed:.0f}s, ~{left:.0f}s left", highlight=False)


def _print_table(table, ds) -> None:
    when = str(ds["time"].values[-1])[:10]
    start = ds["index_level"].attrs.get("start_value", float("nan"))
    t = Table(title=f"At the horizon ({when}); index start {start:,.0f}")
    for col in ("scenario", "index median", "index 5%-95%", "P(drawdown>20%)",
                "Mag-10 weight", "platform earnings chg"):
        t.add_column(col, justify="right" if col != "scenario" else "left")
    for name, r in table.iterrows():
        t.add_row(str(name), f"{r['index median']:,.0f}",
                  f"{r['index 5%']:,.0f} - {r['index 95%']:,.0f}",
                  f"{r['P(drawdown>20%)']:.1%}", f"{r['Mag-10 weight median']:.1%}",
                  f"{r['platform earnings change median']:+.1%}")
    out.print(t)


def _frame_table(df, title: str) -> Table:
    t = Table(title=title)
    for col in df.columns:
        t.add_column(str(col), overflow="fold")
    for _, r in df.iterrows():
        t.add_row(*(_fmt(v) for v in r.to_numpy()))
    return t


def _fmt(v) -> str | Text:
    if isinstance(v, float | int) and not isinstance(v, bool):
        return "n/a" if v != v else f"{v:.4g}"
    if v == "FAIL":
        return Text("FAIL", style="red")
    return str(v)


DEFAULT_CPU_DEVICES = min(os.cpu_count() or 1, 4)
"""CPU devices a run uses unless told (``--cpu-devices``): one per core, at most 4 (each
device holds two chunks in flight). One SPMD program runs a chunk on each, compiled once; on
the 2-core development machine two devices ran summary mode ~15% faster than one."""


def _default_cpu_devices() -> None:
    """Split the CPU into ``DEFAULT_CPU_DEVICES`` devices, unless the user configured host
    devices or JAX already runs in this process (then its devices stay as they are). Only
    CPU runs see it: where the default device is a GPU, that is what runs."""
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "") or (
            "JAX_NUM_CPU_DEVICES" in os.environ):
        return
    from .api import use_cpu_devices

    with contextlib.suppress(RuntimeError):  # JAX already runs in this process
        use_cpu_devices(DEFAULT_CPU_DEVICES)


def _check_out(args) -> bool:
    from .outputs.writers import OutputExistsError, check_output_dir

    if args.out is None:
        return True
    try:
        check_output_dir(args.out, args.overwrite)
    except OutputExistsError as e:
        _error(e)
        return False
    return True


def _cmd_calibrate(args) -> int:
    if not _check_out(args):
        return EXIT_BAD_INPUT
    if args.check:
        from .calibration.check import all_passed, check_baseline
        from .outputs.writers import atomic_dir

        if args.draws < 100:
            _error("--draws must be at least 100 for a check")
            return EXIT_BAD_INPUT
        err.print(f"simulating {args.scenario} x {args.draws:,} draws (seed {args.seed})")
        table, _ = check_baseline(args.draws, args.seed, scenario=args.scenario)
        shown = table.drop(columns=["scenario"])
        out.print(_frame_table(shown, f"Anchor check: {args.scenario}, {args.draws:,} draws"))
        if args.out is not None:
            with atomic_dir(args.out, args.overwrite) as tmp:
                table.to_csv(tmp / "anchor_check.csv", index=False, float_format="%.6g")
            err.print(f"wrote {args.out}/anchor_check.csv")
        n_fail = int((table["passed"] == "FAIL").sum())
        err.print("all anchors pass" if all_passed(table) else f"{n_fail} anchor(s) FAIL",
                  highlight=False)
        return 0 if all_passed(table) else EXIT_FAILED
    from .calibration.fit import fit_history, fits_table, shipped_fit, write_fit

    t0 = time.perf_counter()
    fits, moments = fit_history()
    table = fits_table(fits)
    shipped = shipped_fit()["parameters"]
    table["shipped"] = [shipped.get(n, {}).get("estimate", float("nan")) for n in table.index]
    out.print(_frame_table(table[["estimate", "se", "shipped", "unit", "adopted", "method",
                                  "data"]].reset_index(),
                           f"Fitted to history in {time.perf_counter() - t0:.1f}s "
                           "(shipped = the estimate the default priors use)"))
    for k, c in moments.get("correlations", {}).items():
        out.print(f"correlation {k}: {c['estimate']:.3f} +- {c['se']:.3f} ({c['data']})")
    for k, m in moments.items():
        if k != "correlations":
            out.print(f"history {k}: {m['value']:.4g} {m['unit']} ({m['data']})")
    if args.out is not None:
        from .outputs.writers import atomic_dir

        with atomic_dir(args.out, args.overwrite) as tmp:
            write_fit(tmp, fits, moments)
        err.print(f"wrote {args.out}/fitted.yaml and fit.csv")
    return 0


def _cmd_replay(args) -> int:
    from .calibration.replay import ReplayDataError, replay, write_replay

    if not _check_out(args):
        return EXIT_BAD_INPUT
    if args.draws < 100:
        _error("--draws must be at least 100 for a replay")
        return EXIT_BAD_INPUT
    err.print(f"replaying {args.scenario} x {args.draws:,} draws (seed {args.seed})")
    try:
        r = replay(args.scenario, args.draws, args.seed)
    except ReplayDataError as e:
        _error(f"{args.scenario}: {e}")
        return EXIT_BAD_INPUT
    cols = ["quarter", "sp500_realised", "sp500_median", "sp500_percentile",
            "nasdaq_realised", "nasdaq_median", "nasdaq_percentile"]
    out.print(_frame_table(r.table[cols], f"Replay of {r.scenario}: realised vs simulated "
                           "(percentile = share of draws below the realised value)"))
    out.print(_frame_table(r.summary.set_index("series").T.reset_index(), "Episode summary"))
    write_replay(r, args.out, args.overwrite)
    err.print(f"wrote {args.out}/replay.csv, replay_summary.csv, replay.png")
    return 0


_COMMANDS = {"run": _cmd_run, "list": _cmd_list, "params": _cmd_params,
             "validate": _cmd_validate, "plot": _cmd_plot, "report": _cmd_report,
             "calibrate": _cmd_calibrate, "replay": _cmd_replay}

if __name__ == "__main__":
    sys.exit(main())
