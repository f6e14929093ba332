"""The Python entry points: load scenarios, plan a run, simulate it, get an ``xarray.Dataset``.

    plan = plan_run(["baseline", "capex_slowdown"], draws=20_000)   # every check, up front
    ds = simulate(plan)                                              # or simulate([...], ...)

``simulate`` is load -> compile -> engine -> dataset; the run's ``RunMetadata`` is built once
and stored in the dataset's attributes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, NamedTuple

import jax
import numpy as np
import xarray as xr
from pydantic import TypeAdapter, ValidationError

from .outputs.dataset import start_values, summary_to_dataset, to_dataset, with_sweep_coords
from .outputs.metadata import RunMetadata, ScenarioRecord, Timings
from .outputs.store import PathStore, open_paths
from .outputs.store import template as store_template
from .preflight import estimate
from .runtime.memory import available_memory_bytes, size_text
from .scenarios import (
    Anchor,
    LoadedScenario,
    Scenario,
    ScenarioError,
    ScenarioLike,
    Timeline,
    compile_scenario,
    expand,
    scenario,
    stack_batch,
    stream_id,
    unique,
)
from .scenarios.schema import Settings
from .sim.engine import RunConfig, execute, random_prior_rows, run_chunk_draws
from .sim.engine.compile_cache import cache_counts, cache_dir_in_use, record_compiled
from .sim.engine.compile_cache import use_compile_cache as _use_compile_cache
from .sim.model import N_OUTPUTS, OUTPUT_NAMES, OUTPUTS
from .summary_groups import run_in_groups

ScenarioRef = ScenarioLike
"""A built-in scenario's name, a YAML file's path, a mapping written as a file would be, a
``Scenario`` object, or a loaded scenario."""


def resolve_scenarios(scenarios: ScenarioRef | Sequence[ScenarioRef]) -> list[LoadedScenario]:
    """The loaded scenarios of one reference or a list of them, in order, a sweep's points in
    its place (names unique)."""
    if isinstance(scenarios, str | Path | Mapping | Scenario | LoadedScenario):
        scenarios = [scenarios]
    out = unique(point for s in scenarios for point in expand(scenario(s)))
    if not out:
        raise ValueError("no scenarios given")
    return out


def precision(dtype: str):
    """JAX's x64 mode as the run's ``dtype`` needs it (on for float64, off for float32), as a
    context: a run neither depends on nor changes the process's setting, so a float32 run
    gives the same numbers whatever the user configured."""
    return jax.enable_x64(dtype == "float64")


def use_cpu_devices(n: int) -> None:
    """Split the CPU into ``n`` XLA devices so that chunks run side by side, one per device,
    in one SPMD program compiled once (results are identical for any ``n``). Must run before
    JAX computes anything in this process; ``aicapex run`` does it by default (one device per
    core, at most 4). On the 2-core development machine ``n = 2`` ran summary mode ~15%
    faster than one device (docs/performance.md)."""
    if n < 1:
        raise ValueError(f"the number of CPU devices must be at least 1, got {n}")
    try:
        jax.config.update("jax_num_cpu_devices", int(n))
    except RuntimeError as e:
        raise RuntimeError("use_cpu_devices() must be called before JAX runs anything in this "
                           f"process ({e})") from None


def use_compile_cache(path: str | Path | None = None) -> Path:
    """Keep compiled programs on disk so a later process loads instead of compiling them
    (``aicapex.sim.engine.compile_cache.use_compile_cache``); returns the directory."""
    return _use_compile_cache(path)


class PathsTooLargeError(MemoryError):
    """A run's full paths would not fit in memory (summary mode would: its memory does not
    grow with the draws)."""


def paths_bytes(n_scenarios: int, draws: int, horizon: int, dtype: str) -> int:
    """Host memory (bytes) a run's full paths take: every output of every scenario, quarter
    and draw, e.g. 32 outputs x 4 bytes x 20 quarters = 2,560 bytes a draw in float32."""
    return n_scenarios * horizon * draws * N_OUTPUTS * np.dtype(dtype).itemsize


def check_paths_fit(n_scenarios: int, draws: int, horizon: int, dtype: str) -> None:
    """Raise ``PathsTooLargeError``, before anything runs, if a run keeping its full paths in
    memory would need more than the memory available (``preflight.estimate``: the paths,
    their working copies and the run's own; a run that cannot finish should fail in a
    second, not be killed by the OS after minutes). Where the memory is unknown it passes."""
    need, avail = paths_bytes(n_scenarios, draws, horizon, dtype), available_memory_bytes()
    peak = estimate(n_scenarios, draws, horizon, summary=False, paths_in_memory=True,
                    itemsize=np.dtype(dtype).itemsize).memory_bytes
    if avail is not None and peak > avail:
        raise PathsTooLargeError(
            f"full paths of {n_scenarios} scenario(s) x {draws:,} draws x {horizon} quarters "
            f"need {size_text(need)} ({dtype}), about {size_text(peak)} of memory with the "
            f"run's working copies, more than the {size_text(avail)} available; summary mode "
            f"(summary_only=True, --summary-only) keeps quantiles, moments and tail "
            f"probabilities in memory that does not grow with the draws")


@dataclass(frozen=True)
class RunPlan:
    """A run that passed every check before simulating: the loaded scenarios (one batch: one
    start, horizon and set of anchors), draws, seed, dtype and mode. ``fallback`` says why a
    full-paths run was switched to summary mode (``plan_run(..., fallback_to_summary=True)``),
    else None."""

    scenarios: tuple[LoadedScenario, ...]
    draws: int
    seed: int
    dtype: str
    summary_only: bool
    fallback: str | None = None
    streamed: bool = False

    @property
    def names(self) -> list[str]:
        return [s.scenario.name for s in self.scenarios]

    @property
    def settings(self):
        return self.scenarios[0].scenario.settings


def plan_run(scenarios: ScenarioRef | Sequence[ScenarioRef], *, draws: int | None = None,
             seed: int | None = None, dtype: str | None = None, summary_only: bool = False,
             fallback_to_summary: bool = False, streamed: bool = False) -> RunPlan:
    """Load the scenarios and check the run before anything is simulated: they share one
    timeline and starting point, ``draws`` >= 1 and ``dtype`` valid (each defaults to the
    first scenario's ``settings``), and full paths fit in memory. Paths that would not fit
    raise ``PathsTooLargeError``, or with ``fallback_to_summary`` switch the plan to summary
    mode (``RunPlan.fallback`` says why). With ``streamed`` the full paths will go to a store
    on disk chunk by chunk (``simulate(..., store=...)``), so memory does not limit them."""
    loaded = resolve_scenarios(scenarios)
    first = loaded[0]
    st0 = first.scenario.settings
    for s in loaded[1:]:
        st = s.scenario.settings
        if (st.start, st.horizon_quarters) != (st0.start, st0.horizon_quarters):
            raise ScenarioError(s.path, None, "settings",
                                f"start {st.start} / horizon {st.horizon_quarters} differ from "
                                f"{first.scenario.name}'s {st0.start} / "
                                f"{st0.horizon_quarters}; a batch shares one timeline")
        if s.scenario.anchors != first.scenario.anchors:
            raise ScenarioError(s.path, None, "anchors",
                                f"its initial conditions (anchors) differ from "
                                f"{first.scenario.name}'s; a batch shares one starting "
                                "point, so run it separately")
    draws = _setting("draws", draws if draws is not None else st0.draws)
    seed = _setting("seed", seed if seed is not None else st0.seed)
    dtype = _setting("dtype", dtype or st0.dtype)
    fallback = None
    if streamed and summary_only:
        raise ValueError("a streamed run writes full paths; summary_only keeps none")
    if not summary_only and not streamed:
        try:
            check_paths_fit(len(loaded), draws, st0.horizon_quarters, dtype)
        except PathsTooLargeError as e:
            if not fallback_to_summary:
                raise
            fallback, summary_only = str(e), True
    return RunPlan(tuple(loaded), draws, seed, dtype, summary_only, fallback, streamed)


class RunSettingError(ValueError):
    """A run setting (draws, seed, dtype) given in code or on the command line that a
    scenario file's ``settings:`` would not accept."""


def _setting(name: str, value):
    """``value`` checked against the scenario schema's rule for ``settings.<name>``, so that a
    value given in code or on the command line obeys what a scenario file must."""
    if isinstance(value, np.integer):
        value = value.item()
    field = Settings.model_fields[name]
    kind = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    try:
        return TypeAdapter(kind).validate_python(value, strict=True)
    except ValidationError as e:
        rule = "; ".join(err["msg"] for err in e.errors())
        raise RunSettingError(f"{name} = {value!r}: {rule}") from None


def prng_key(seed: int) -> jax.Array:
    """The run's PRNG key for ``seed`` (0 <= seed < 2**63): both 32-bit halves of the seed,
    whatever JAX's x64 mode (``jax.random.key`` keeps only the low 32 bits without it, so
    seeds 2**32 and 0 would give the same draws). Equal to ``jax.random.key(seed)`` for
    seeds below 2**32."""
    halves = np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], np.uint32)
    return jax.random.wrap_key_data(halves)


def _devices(device):
    """JAX's devices of kind ``device`` ("cpu" or "gpu": all of that kind, several with
    ``use_cpu_devices``), the given ``jax.Device`` or list of them, or None for JAX's
    default."""
    if device is None:
        return None
    if not isinstance(device, str):
        return list(device) if isinstance(device, list | tuple) else [device]
    try:
        return jax.devices(device)
    except RuntimeError as e:
        raise RuntimeError(f"no JAX {device} device is available ({e}); install the CUDA "
                           "extra (pip install 'aicapex[cuda]') or use --device cpu") from None


def simulate(scenarios: RunPlan | ScenarioRef | Sequence[ScenarioRef], *,
             draws: int | None = None, seed: int | None = None, dtype: str | None = None,
             chunk_size: int | None = None, device=None,
             common_random_numbers: bool = True, anchors: Mapping[str, Anchor] | None = None,
             summary_only: bool = False, antithetic: bool = False,
             progress: bool | Callable[[int], None] | None = None,
             client=None, store: str | Path | None = None, compression: bool = True
             ) -> xr.Dataset:
    """Simulate scenarios (a ``RunPlan``, or built-in names, YAML paths or loaded scenarios,
    planned here with ``plan_run``) in one batch.

    ``draws``, ``seed`` and ``dtype`` default to the first scenario's ``settings`` (a plan
    carries its own). ``device`` is ``"cpu"`` or ``"gpu"`` (all of that kind), a
    ``jax.Device`` or a list of them (default: JAX's default device).
    Returns a Dataset with dims (scenario, draw, time), or with ``summary_only`` one of
    quantiles (quantile, scenario, time), moments and tail probabilities accumulated chunk by
    chunk (memory independent of ``draws``; quantile error bounds in ``<var>__qerr``). Full
    paths that would not fit in memory raise ``PathsTooLargeError`` before anything runs.
    ``antithetic`` pairs each draw with its mirror image (negated shocks and prior scores):
    half the random-number cost, usually a smaller sampling error of means and
    probabilities; the draws are then not independent. The run's ``RunMetadata`` is in the
    attributes (``RunMetadata.of(ds)``).

    ``progress``: True shows a progress bar of the draws (a widget in Jupyter where
    ipywidgets is installed, else text), False none; a function is called with the number of
    draws each finished chunk adds. By default a bar shows in a notebook or a terminal.

    ``client``: a ``dask.distributed.Client``; the draws then run as tasks on its workers
    (each needs aicapex), merged into the same results, bit for bit, as a local run
    (``sim.engine.distributed``; ``device`` does not apply).

    ``store``: a path ending ``.zarr`` or ``.nc``. The full paths are then written there chunk
    by chunk as the draws finish (memory does not grow with ``draws``; ``compression`` on by
    default, see ``outputs.store``), and the dataset returned reads them lazily from it
    (dask arrays). The store appears at ``store`` only once complete.
    """
    plan = scenarios if isinstance(scenarios, RunPlan) else plan_run(
        scenarios, draws=draws, seed=seed, dtype=dtype, summary_only=summary_only,
        streamed=store is not None)
    if store is not None and plan.summary_only:
        raise ValueError("store= holds full paths; a summary-only run has none")
    dev = _devices(device)
    t0 = time.perf_counter()
    arrays = []
    for s in plan.scenarios:
        try:
            arrays.append(compile_scenario(s.scenario, anchors, plan.dtype))
        except ValueError as e:  # a valid file whose combination the model cannot express
            raise ScenarioError(s.path, None, "", str(e)) from None
    streams = np.array([stream_id(n) for n in plan.names], np.uint32)
    tl = Timeline(plan.settings.start, plan.settings.horizon_quarters)
    starts = start_values(arrays[0].init)
    swept = {s.name: s.swept for s in plan.scenarios}
    batch = stack_batch(arrays)
    writer = (_open_store(store, plan, batch, tl, starts, swept, chunk_size, dev, compression)
              if store is not None else None)
    config = RunConfig(plan.draws, summary=plan.summary_only, chunk_size=chunk_size,
                       common_random_numbers=common_random_numbers,
                       stream_ids=tuple(int(x) for x in streams), antithetic=antithetic,
                       device=dev if client is None else None, client=client)
    stored0, found0 = cache_counts()
    t1 = time.perf_counter()
    with (precision(plan.dtype), progress_bar(progress, plan) as tick,
          writer.store if writer is not None else contextlib.nullcontext()):  # removed on failure
        if plan.summary_only:  # in groups of scenarios, each reduced as it finishes
            parts, stats = run_in_groups(batch, prng_key(plan.seed), config, tick, partial(
                _summary_part, names=plan.names, quarter_ends=tl.quarter_ends(), starts=starts))
        else:
            result = execute(batch, prng_key(plan.seed), config, progress=tick,
                             sink=writer.sink if writer is not None else None)
            stats = result.stats
    t2 = time.perf_counter()
    meta = _metadata(plan, dev, client, stats, common_random_numbers, antithetic, t0, t1, t2,
                     stored0, found0)
    if writer is not None:
        return open_paths(writer.store.commit(
            meta.with_nonfinite(writer.nonfinite).with_ranges(writer.ranges).to_attrs()))
    if plan.summary_only:
        nonfinite = np.sum([p[1] for p in parts], axis=0)
        low, high = np.min([p[2] for p in parts], axis=0), np.max([p[3] for p in parts], axis=0)
        meta = meta.with_nonfinite({name: int(nonfinite[v]) for v, name in enumerate(
            OUTPUT_NAMES)}).with_ranges({name: (low[v], high[v]) for v, name in enumerate(
                OUTPUT_NAMES)})
        ds = parts[0][0] if len(parts) == 1 else xr.concat(
            [p[0] for p in parts], dim="scenario", data_vars="minimal", coords="minimal",
            compat="override", join="exact", combine_attrs="override")
        ds.attrs = {**meta.to_attrs(), **ds.attrs}
        return with_sweep_coords(ds, swept)
    paths = result.paths
    tallies = {name: tally(paths[name]) for name in OUTPUT_NAMES}
    meta = meta.with_nonfinite({k: n for k, (n, _) in tallies.items()}).with_ranges(
        {k: r for k, (_, r) in tallies.items()})
    return with_sweep_coords(to_dataset(paths, plan.names, tl.quarter_ends(), meta.to_attrs(),
                                        starts, stats.parameters), swept)


class _StoreWriter(NamedTuple):
    store: PathStore
    sink: Callable[[int, dict[str, np.ndarray]], None]
    nonfinite: dict[str, int]  # counted by the sink as it writes
    ranges: dict[str, tuple[float, float]]  # [min, max] of the finite values it wrote


def _open_store(path, plan: RunPlan, batch, tl: Timeline, starts, swept, chunk_size, dev,
                compression: bool) -> _StoreWriter:
    """The store a streamed run writes (its template: the run's coordinates and shapes), and
    the sink that writes each chunk and counts its non-finite values."""
    chunk = run_chunk_draws(plan.draws, chunk_size, dev, len(plan.scenarios))
    rows = random_prior_rows(batch.prior_table)
    lazy = store_template(list(OUTPUT_NAMES), len(plan.scenarios), plan.draws,
                          plan.settings.horizon_quarters, plan.dtype, chunk, len(rows))
    tmpl = with_sweep_coords(to_dataset(lazy, plan.names, tl.quarter_ends(), {}, starts, rows),
                             swept)
    store = PathStore(path, tmpl, chunk, compression=compression)
    nonfinite = dict.fromkeys(OUTPUT_NAMES, 0)
    ranges = dict.fromkeys(OUTPUT_NAMES, (np.inf, -np.inf))

    def sink(start: int, arrays: dict[str, np.ndarray]) -> None:
        for name in nonfinite:
            n, (lo, hi) = tally(arrays[name])
            nonfinite[name] += n
            ranges[name] = (min(ranges[name][0], lo), max(ranges[name][1], hi))
        store.write(start, arrays)
    return _StoreWriter(store, sink, nonfinite, ranges)


def _summary_part(scenarios: slice, acc, lo, hi, *, names, quarter_ends, starts):
    """A group of a summary run reduced as it finishes (``summary_groups.run_in_groups``):
    its dataset (the run's attributes added later), and per output its non-finite count and
    the lowest and highest finite value."""
    ds = summary_to_dataset(acc, lo, hi, names[scenarios], quarter_ends, {}, starts)
    return (ds, acc.nonfinite.sum(axis=(0, 2)), acc.minimum.min(axis=(0, 2)),
            acc.maximum.max(axis=(0, 2)))


def _metadata(plan: RunPlan, dev, client, stats, common_random_numbers: bool,
              antithetic: bool, t0: float, t1: float, t2: float, stored0: int,
              found0: int) -> RunMetadata:
    """The run's record (its non-finite counts are added by the caller)."""
    stored1, found1 = cache_counts()
    if stored1 > stored0:
        record_compiled()
    cache_dir = cache_dir_in_use()
    return RunMetadata(
        package_version=version("aicapex"), jax_version=jax.__version__,
        backend=jax.default_backend() if dev is None else dev[0].platform,
        device=(", ".join(map(str, dev if dev is not None else jax.devices())) if client is None
                else f"dask cluster at {getattr(client.scheduler, 'address', '?')}, "
                     f"{stats.devices} worker(s)"),
        dtype=plan.dtype, seed=plan.seed, draws=plan.draws, start=plan.settings.start,
        horizon_quarters=plan.settings.horizon_quarters,
        common_random_numbers=common_random_numbers, antithetic=antithetic,
        scenarios=tuple(ScenarioRecord(s.scenario.name, s.resolved_yaml, tuple(s.chain))
                        for s in plan.scenarios),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        timings=Timings(t1 - t0, t2 - t1, stats.first_chunk_s, stats.later_chunk_mean_s,
                        stats.compile_estimate_s),
        # with the on-disk cache: programs this run loaded from it, and compiled (and stored)
        compilation_cache=cache_dir,
        programs_from_cache=found1 - found0 if cache_dir else -1,
        programs_compiled=stored1 - stored0 if cache_dir else -1,
        histogram_counting=stats.histogram or "")


@contextlib.contextmanager
def progress_bar(progress: bool | Callable[[int], None] | None, plan: RunPlan):
    """The ``progress`` callback ``simulate`` passes to the engine: the user's function, or
    a tqdm bar (``tqdm.auto``: a widget in Jupyter with ipywidgets, else text) when asked for
    or, by default, when a person is watching (a notebook kernel, or stderr a terminal)."""
    if callable(progress) or progress is False:
        yield progress or None
        return
    watched = "ipykernel" in sys.modules or sys.stderr.isatty()
    if progress is None and not watched:
        yield None
        return
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:  # (tqdm.auto would warn, then fall back to this)
        from tqdm import tqdm
    n = len(plan.scenarios)
    with tqdm(total=plan.draws, unit="draw", unit_scale=True, dynamic_ncols=True,
              desc=f"{n} scenario{'s' if n > 1 else ''}") as bar:
        yield bar.update


def nonfinite_counts(ds: xr.Dataset) -> dict[str, int]:
    """Non-finite values per variable of a simulated dataset (counted when it was made)."""
    return dict(RunMetadata.of(ds).nonfinite_counts)


def tally(a: np.ndarray) -> tuple[int, tuple[float, float]]:
    """The count of non-finite values of ``a`` and the (min, max) of its finite ones ((inf,
    -inf) if it has none), from one pass of ``isfinite``."""
    if a.size == 0:
        return 0, (float("inf"), float("-inf"))
    if not np.issubdtype(a.dtype, np.floating):  # the regime: integers are all finite
        return 0, (float(a.min()), float(a.max()))
    finite = np.isfinite(a)
    return (int(a.size - np.count_nonzero(finite)),
            (float(np.min(a, where=finite, initial=np.inf)),
             float(np.max(a, where=finite, initial=-np.inf))))


RANGE_TOLERANCE = 1e-5
"""Relative slack at a declared bound: float32 rounds a value clipped to 0.25 to 0.25000001."""


def range_violations(ds: xr.Dataset) -> dict[str, tuple[float, float, float, float]]:
    """Outputs whose values left the physical range their block declares
    (``OutputSpec.bounds``), as name -> (lowest seen, highest seen, low bound, high bound),
    from the ranges recorded when the dataset was made."""
    seen = RunMetadata.of(ds).output_ranges
    out = {}
    for spec in OUTPUTS:
        if spec.bounds is None or spec.name not in seen:
            continue
        (lo_seen, hi_seen), (lo, hi) = seen[spec.name], spec.bounds
        tol = RANGE_TOLERANCE * max(1.0, abs(lo), abs(hi))
        if lo_seen < lo - tol or hi_seen > hi + tol:
            out[spec.name] = (lo_seen, hi_seen, lo, hi)
    return out
