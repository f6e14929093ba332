"""The whole run as one call: ``run(scenarios, out=...)`` does what ``aicapex run`` does and
returns the finished run.

    >>> import aicapex
    >>> done = aicapex.run(["baseline", "capex_slowdown"], out="runs/demo", draws=20000, seed=1)
    >>> done.dataset, done.tables["anchor_check"], done.files

The steps, in order: check the settings and the output directory (before anything is
simulated); hold the directory against a second writer; plan (``api.plan_run``: full paths
fall back to summary mode where they would not fit, and say so); check the free space; run
the passes (one, or for streamed paths the paths pass and then a summary pass of the same
draws); refuse non-finite results unless allowed; compute the anchor table and the
analyses; write the run directory atomically (``outputs.write_run``, manifest last).

This layer sits above the API and the analyses and below the command line, which only parses
arguments and prints (``cli/cmd_run.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from . import api, preflight  # its functions looked up at each call (tests replace them)
from .analysis import analyze
from .api import PathsTooLargeError, RunPlan, RunSettingError, ScenarioRef
from .calibration.check import run_anchor_table
from .outputs import (
    RunMetadata,
    check_free_space,
    check_output_dir,
    claim_output,
    output_path,
    write_run,
)
from .outputs.store import FORMATS
from .runtime import interrupts
from .runtime.cores import DEFAULT_CPU_DEVICES

Ticker = Callable[[int], None]
ProgressFactory = Callable[[str, int], Ticker]
"""``progress(label, total_draws)`` is called as each pass starts and returns the function
called with the draws each finished chunk adds."""


class ResultsCheckError(RuntimeError):
    """The run's results failed the check made after simulating (``allow_nonfinite`` not
    given); nothing was written."""


class NonFiniteResultsError(ResultsCheckError):
    """The run produced NaN or infinite values. ``counts`` holds the count of each variable
    that has any."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        listing = ", ".join(f"{k}: {v:,}" for k, v in counts.items())
        super().__init__(
            f"the run produced non-finite values ({listing}); nothing was written. Check the "
            "scenario's parameters and paths, or pass --allow-nonfinite (allow_nonfinite=True) "
            "to write them anyway.")


class OutOfRangeResultsError(ResultsCheckError):
    """Outputs left the physical range their block keeps them in by construction
    (``OutputSpec.bounds``): a fault of the model, not of the scenario. ``outside`` maps each
    to (lowest seen, highest seen, low bound, high bound)."""

    def __init__(self, outside: dict[str, tuple[float, float, float, float]]):
        self.outside = outside
        self.listing = "; ".join(
            f"{k} ranged over [{a:.6g}, {b:.6g}], its range is [{lo:g}, {hi:g}]"
            for k, (a, b, lo, hi) in outside.items())
        super().__init__(
            f"the run left the model's physical ranges ({self.listing}); nothing was written. The "
            "equations keep these by construction, so this is a fault of the model: please "
            "report it with the scenario. --allow-nonfinite (allow_nonfinite=True) writes the "
            "results anyway.")


@dataclass
class FinishedRun:
    """A run directory ``run`` wrote, and what it holds.

    ``dataset``: the run's results (``results.nc``'s content; with streamed paths the summary
    pass's); ``paths``: the streamed store opened lazily, or None; ``tables``: the tables
    written beside it, by name; ``files``: what the directory holds, in the order written;
    ``seconds``: simulating and writing; ``notes``: what the run said on the way (a fallback
    to summary mode, warnings of the engine, non-finite values allowed through)."""

    out: Path
    dataset: xr.Dataset
    plan: RunPlan
    tables: dict[str, Any]
    files: list[str]
    paths: xr.Dataset | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> RunMetadata:
        return RunMetadata.of(self.dataset)


def setting_problem(*, chunk_size: int | None = None, cpu_devices: int | None = None,
                    device: str | None = None, paths: bool = False,
                    summary_only: bool = False, format: str | None = None,
                    compression: bool = True, scheduler: Any = None) -> str | None:
    """What is wrong with a combination of run settings, in the command line's words (None
    if nothing). Draws, seed and dtype are the plan's to check (``api.plan_run``)."""
    for flag, value in (("--chunk-size", chunk_size), ("--cpu-devices", cpu_devices)):
        if value is not None and value < 1:
            return f"{flag} must be at least 1"
    if cpu_devices is not None and device == "gpu":
        return "--cpu-devices applies to --device cpu, not gpu"
    if paths and summary_only:
        return "--paths and --summary-only exclude each other"
    if format is not None and format not in FORMATS:
        return f"--format is one of {', '.join(FORMATS)}, not {format!r}"
    if format and summary_only:
        return "--format streams full paths; --summary-only keeps none"
    if not compression and not format:
        return "--no-compression applies to --format (the streamed paths)"
    if scheduler is not None and (device or cpu_devices):
        return "--scheduler runs on the cluster's workers: --device and --cpu-devices do not apply"
    return None


def split_cpu(cpu_devices: int | None, device: str | None) -> str | None:
    """Split the CPU into ``cpu_devices`` XLA devices, else into the default number, unless
    the user configured host devices or JAX already runs in this process (its devices then
    stay as they are). Returns the device the run then uses (``cpu`` when split on request)."""
    if cpu_devices is not None:
        api.use_cpu_devices(cpu_devices)
        return "cpu"  # also where JAX's default is a GPU
    if device == "gpu" or "xla_force_host_platform_device_count" in os.environ.get(
            "XLA_FLAGS", "") or "JAX_NUM_CPU_DEVICES" in os.environ:
        return device
    with contextlib.suppress(RuntimeError):  # JAX already runs in this process
        api.use_cpu_devices(DEFAULT_CPU_DEVICES)
    return device


def dask_client(address: str | None, stack: contextlib.ExitStack):
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


def run(scenarios: ScenarioRef | Sequence[ScenarioRef], out: str | Path, *,
        draws: int | None = None, seed: int | None = None, dtype: str | None = None,
        device: str | None = None, chunk_size: int | None = None,
        cpu_devices: int | None = None, common_random_numbers: bool = True,
        antithetic: bool = False, summary_only: bool = False, paths: bool = False,
        format: str | None = None, compression: bool = True, plots: bool = True,
        report: bool = False, overwrite: bool = False, allow_nonfinite: bool = False,
        scheduler: str | None = None, progress: bool | ProgressFactory | None = None,
        on_note: Callable[[str], None] | None = None,
        on_status: Callable[[str], None] | None = None) -> FinishedRun:
    """Simulate ``scenarios`` (built-in names, YAML paths, loaded or in-code scenarios) in one
    batch and write the run directory ``out``, as ``aicapex run`` does with the same
    arguments (each keyword is the flag of that name); returns the ``FinishedRun``.

    ``paths=True`` insists on full paths (a run too large for memory then stops before it
    starts instead of falling back to summary mode); ``format`` (``"zarr"`` or ``"netcdf"``)
    streams them to ``out/paths.zarr`` or ``out/paths.nc``. ``progress``: None shows a bar
    where ``simulate`` would, False none, or a ``ProgressFactory``. ``on_note`` receives
    what the run has to say (default: ``warnings.warn``); ``on_status`` its progress lines.

    Raises ``RunSettingError`` for settings that cannot run together,
    ``outputs.OutputExistsError`` for an ``out`` that exists without ``overwrite`` (its
    ``OutputNotWritableError`` for one that cannot be written, both before simulating),
    ``outputs.OutputBusyError`` while another command writes there, ``PathsTooLargeError``,
    ``outputs.NoSpaceError``, ``preflight.RunTooLargeError`` (a run whose estimated memory
    exceeds what is available, e.g. a large sweep), and after simulating
    ``NonFiniteResultsError`` or ``OutOfRangeResultsError`` (both ``ResultsCheckError``);
    nothing is written then, and an existing directory is left as it was. ``out`` a symbolic
    link writes into its folder.
    """
    note = on_note or (lambda msg: warnings.warn(msg, stacklevel=3))
    status = on_status or (lambda msg: None)
    problem = setting_problem(chunk_size=chunk_size, cpu_devices=cpu_devices, device=device,
                              paths=paths, summary_only=summary_only, format=format,
                              compression=compression, scheduler=scheduler)
    if problem:
        raise RunSettingError(problem)
    out = output_path(out)  # a link's folder: the link stays and leads to the results
    notes: list[str] = []

    def say(msg: str) -> None:
        notes.append(msg)
        note(msg)

    device = split_cpu(cpu_devices, device) if scheduler is None else device
    check_output_dir(out, overwrite)  # fail before a long simulation, not after it
    with contextlib.ExitStack() as stack:
        stale = stack.enter_context(claim_output(out))
        if stale:
            say(f"removed {len(stale)} temporary director{'y' if len(stale) == 1 else 'ies'} "
                f"of an interrupted earlier run: {', '.join(map(str, stale))}")
        streamed = format is not None
        try:
            plan = api.plan_run(scenarios, draws=draws, seed=seed, dtype=dtype,
                            summary_only=summary_only,
                            fallback_to_summary=not (paths or streamed), streamed=streamed)
        except PathsTooLargeError as e:
            raise PathsTooLargeError(f"{e}; or stream them to disk with --format zarr"
                                     ) from None
        if plan.fallback:
            say(f"{plan.fallback}; running --summary-only (pass --paths to stop instead, or "
                "--format zarr to stream them to disk)")
        # a disk too small for the results, found before simulating (streamed paths are
        # compressed, but random numbers compress little: the raw size is the bound)
        check_free_space(out, 0 if plan.summary_only else api.paths_bytes(
            len(plan.scenarios), plan.draws, plan.settings.horizon_quarters, plan.dtype))
        what = f"{len(plan.scenarios):,} scenario(s) x {plan.draws:,} draws"
        expect = preflight.estimate(len(plan.scenarios), plan.draws,
                                    plan.settings.horizon_quarters, plan.summary_only,
                                    paths_in_memory=not (plan.summary_only or streamed),
                                    itemsize=np.dtype(plan.dtype).itemsize)
        preflight.check_memory(expect, what)  # e.g. a sweep's many scenarios, before starting
        shown = plan.names if len(plan.names) <= 6 else [
            *plan.names[:3], f"... {len(plan.names) - 4:,} more ...", plan.names[-1]]
        status(f"simulating {len(plan.scenarios):,} scenario(s) ({', '.join(shown)}) x "
               f"{plan.draws:,} draws" + (f", streaming the paths to {format}"
                                          if streamed else "")
               + f"; expect {expect.describe()} (on 2 cores, compiling included)")
        return _simulate_and_write(plan, out, stack, say, status, device=device,
                                   chunk_size=chunk_size, crn=common_random_numbers,
                                   antithetic=antithetic, format=format,
                                   compression=compression, plots=plots, report=report,
                                   overwrite=overwrite, allow_nonfinite=allow_nonfinite,
                                   scheduler=scheduler, progress=progress, notes=notes)


def _simulate_and_write(plan: RunPlan, out: Path, stack: contextlib.ExitStack, say, status, *,
                        device, chunk_size, crn, antithetic, format, compression, plots,
                        report, overwrite, allow_nonfinite, scheduler, progress,
                        notes) -> FinishedRun:
    t0 = time.perf_counter()
    passes = [("compiling + simulating", plan)]
    store = stored = None
    if format is not None:
        passes = [("compiling + writing paths", plan),
                  ("summary pass", replace(plan, summary_only=True, streamed=False))]
        store = _paths_holder(out, stack) / f"paths{FORMATS[format]}"
    client = dask_client(scheduler, stack)
    for label, step in passes:
        tick = progress(label, plan.draws) if callable(progress) else progress
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            ds = api.simulate(step, chunk_size=chunk_size, device=device,
                          common_random_numbers=crn, antithetic=antithetic, progress=tick,
                          client=client, store=store if step.streamed else None,
                          compression=compression)
        for w in caught:  # e.g. a GPU run counting without the CUDA kernel, and why
            say(str(w.message))
        if step.streamed:
            stored = ds
    interrupts.check()
    t1 = time.perf_counter()
    meta = RunMetadata.of(ds)
    status(f"simulated in {t1 - t0:.1f}s ({compile_note(meta)}) on {meta.device} "
           f"({meta.dtype}); writing outputs")
    checked = stored if stored is not None else ds
    counts, outside = api.nonfinite_counts(checked), api.range_violations(checked)
    bad = {k: v for k, v in counts.items() if v}
    if stored is not None:
        stored.close()  # the run directory takes the store next
    if bad:
        if not allow_nonfinite:
            raise NonFiniteResultsError(bad)
        say("non-finite values (" + ", ".join(f"{k}: {v:,}" for k, v in bad.items())
            + "); written because of --allow-nonfinite")
    if outside:
        if not allow_nonfinite:
            raise OutOfRangeResultsError(outside)
        say(f"the run left the model's physical ranges "
            f"({OutOfRangeResultsError(outside).listing}); written because of --allow-nonfinite")
    tables = {"anchor_check": run_anchor_table(ds, plan.scenarios)}
    analysis = analyze(ds)  # implied vol, plausibility; drivers where parameters were kept
    tables.update(analysis["tables"])
    write_run(ds, out, tables=tables, overwrite=overwrite, plots=plots, report=report,
              stores=[store] if store is not None else (), analysis=analysis)
    files = ([store.name] if store is not None else []) + [
        "results.nc", "summary.csv", "tail_probabilities.csv",
        *(f"{k}.csv" for k in tables)] + ([] if not plots else ["plots/"]) + (
        ["report.html"] if report else []) + ["manifest.json"]
    t2 = time.perf_counter()
    status(f"wrote {out}/" + ", ".join(files) + f" in {t2 - t1:.1f}s")
    reopened = None
    if store is not None:
        from .outputs import open_paths

        reopened = open_paths(out)
    return FinishedRun(out=out, dataset=ds, plan=plan, tables=tables, files=files,
                       paths=reopened, seconds={"simulate": t1 - t0, "write": t2 - t1},
                       notes=notes)


def _paths_holder(out: Path, stack: contextlib.ExitStack) -> Path:
    """A hidden directory beside ``out`` where a streamed run's store is written before the
    run directory takes it (removed with ``stack``; one left by a killed run has the prefix
    ``claim_output`` clears)."""
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    holder = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{out.name}-paths-",
                                   dir=out.absolute().parent))
    stack.callback(shutil.rmtree, holder, ignore_errors=True)
    return holder


def compile_note(meta: RunMetadata) -> str:
    """What the first chunk's time was: compilation, cache loads, the CUDA kernel's build."""
    t = meta.timings
    from_cache = meta.programs_from_cache > 0
    what = ("JAX compile" if not from_cache else "programs loaded from the compilation cache"
            if meta.programs_compiled <= 0 else "JAX compile and cache loads")
    note = (f"{what} ~{t.compile_estimate:.1f}s" if t.compile_estimate == t.compile_estimate
            else f"first chunk incl. {what} {t.first_chunk:.1f}s")
    if meta.histogram_counting == "cuda":
        from .sim.engine import kernels

        note += (f"; CUDA histogram kernel ready in {kernels.load_seconds():.1f}s"
                 if kernels.load_seconds() > 1.0 else "; histograms by the CUDA kernel")
    return note
