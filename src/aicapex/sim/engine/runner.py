"""The engine's entry points, one per mode: ``simulate_paths`` (every draw's path) and
``simulate_summaries`` (statistics accumulated chunk by chunk). Each takes an explicit PRNG key,
runs the plan's steps (one chunk per device, two steps in flight) and returns its results
with a ``RunStats`` record. The process-wide host tuning (``host.tune_malloc``) happens here,
when a run starts, never at import."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from ..model import N_OUTPUTS, OUTPUT_NAMES, ScenarioArrays
from . import compile_options
from .accumulate import Accumulator, empty_accumulator, merge, range_from_extremes
from .devices import resolve_devices
from .histograms import SUMMARY_BINS, histogram_lanes, summary_histogram_method
from .host import tune_malloc
from .packing import Layout, unpack
from .plan import AXIS, default_chunk_size, plan_run, run_chunk_blocks, scenario_group
from .priors import random_prior_rows
from .rng import RNG_BLOCK
from .scan import ChunkSpec, simulate_chunk, summarize_chunk, trace_counts

PARAMS = "parameters"
"""The key of each draw's sampled parameters among a paths run's arrays."""

PILOT_BLOCKS = 8
"""Blocks of draws whose full paths set the summary histograms' ranges (at most one chunk)."""


class RunStats(NamedTuple):
    """How a run went. Times in seconds; ``compile_estimate_s`` is the first step's time less
    a later step's, at least 0 (NaN with a single step); ``traces`` counts the chunk programs
    traced (compiled or loaded from the compilation cache) during this run, by program."""

    first_chunk_s: float
    later_chunk_mean_s: float
    compile_estimate_s: float
    steps: int
    devices: int
    chunk_draws: int
    traces: dict[str, int]
    histogram: str | None = None   # summary mode: how the histograms were counted
    parameters: tuple[int, ...] = ()  # paths: the sampled parameters' rows, in order


class _Timing(NamedTuple):
    first_s: float
    later_mean_s: float
    steps: int


def _pipelined(n_steps: int, launch, finish) -> _Timing:
    """Launch step i (asynchronously) and finish steps in order, keeping two in flight, so that
    the devices compute the next step while the host copies and merges the last (on 2 CPU
    cores +10-20% over one in flight, measured). Returns the steps' timing."""
    inflight: list = []
    done: list[float] = []
    t0 = time.perf_counter()

    def complete(item):
        finish(*item)
        done.append(time.perf_counter())

    for i in range(n_steps):
        inflight.append((i, launch(i)))
        if len(inflight) >= 2:
            complete(inflight.pop(0))
    for item in inflight:
        complete(item)
    later = (done[-1] - done[0]) / (len(done) - 1) if len(done) > 1 else float("nan")
    return _Timing(done[0] - t0, later, len(done))


def _traced_since(before: dict[str, int]) -> dict[str, int]:
    return {k: v - before[k] for k, v in trace_counts().items()}


@compile_options.jit(static_argnames=("layout", "mesh", "spec"))
def _simulate_step(scen_buffers, layout: Layout, key, stream_ids, first_blocks, mesh,
                   spec: ChunkSpec):
    """``simulate_chunk`` of the scenario batch packed in ``scen_buffers`` (``packing.pack``) on
    every device of ``mesh``, device d from ``first_blocks[d]``: the outputs by name, (D, S,
    T, B), and the sampled parameters as ``PARAMS``, (D, S, len(prior_rows), B)."""
    scen_batch = unpack(scen_buffers, layout)

    def body(sc, k, sid, fb):
        out, params = simulate_chunk(sc, k, sid, fb[0], spec, with_params=True)
        return jax.tree.map(lambda a: a[None], {**out._asdict(), PARAMS: params})
    return jax.shard_map(body, mesh=mesh, in_specs=(P(), P(), P(), P(AXIS)),
                         out_specs=P(AXIS), check_vma=False)(scen_batch, key, stream_ids,
                                                               first_blocks)


def _per_device(arr: jax.Array) -> list[np.ndarray]:
    """A step's result (D, ...) as D host arrays, one per device in mesh order, fetched shard
    by shard (no host-side concatenation of the shards)."""
    parts = sorted(arr.addressable_shards, key=lambda sh: sh.index[0].start or 0)
    return [np.asarray(sh.data)[0] for sh in parts]


def simulate_paths(scen_batch: ScenarioArrays, key: jax.Array, n_draws: int, *,
                   chunk_size: int | None = None, common_random_numbers: bool = True,
                   stream_ids=None, device=None, antithetic: bool = False,
                   progress: Callable[[int], None] | None = None, first_block: int = 0,
                   chunk_blocks: int | None = None,
                   sink: Callable[[int, dict[str, np.ndarray]], None] | None = None
                   ) -> tuple[dict[str, np.ndarray], RunStats]:
    """Run ``n_draws`` draws of each scenario of the batch (leaves with a leading axis S) in
    chunks from the PRNG ``key`` (``jax.random.key(seed)``); returns host arrays
    (S, T, n_draws) keyed by output name, each draw's sampled parameters as ``PARAMS``
    (S, P, n_draws: the rows ``RunStats.parameters`` of the parameter list), and the run's
    ``RunStats``. Chunks are spread over
    ``device`` (one, or a list) or all default devices; results do not depend on how.
    ``progress`` is called with the number of draws just finished; ``antithetic`` pairs draws
    (see ``rng.block_randoms``); ``stream_ids`` (S,) are the scenarios' streams when
    ``common_random_numbers`` is off. ``chunk_size`` defaults to
    ``plan.default_chunk_size``. ``first_block`` and ``chunk_blocks`` run a part of a larger
    run (its draws from that block on, in its chunks; ``distributed``). With ``sink``, each
    chunk's arrays (S, T, n) go to ``sink(first_draw, arrays)`` in draw order instead of
    into the result (then empty): memory then does not grow with ``n_draws``."""
    tune_malloc()
    traced = trace_counts()
    n_scen, horizon = scen_batch.years.shape
    devices = resolve_devices(device)
    n_dev = len(devices)
    per_chunk = chunk_blocks or run_chunk_blocks(
        n_draws, chunk_size or default_chunk_size(False, devices, n_scen), devices)
    prior_rows = random_prior_rows(scen_batch.prior_table)
    size = group_size(n_scen, n_dev * per_chunk * RNG_BLOCK * np.dtype(
        scen_batch.years.dtype).itemsize * (N_OUTPUTS * horizon + len(prior_rows)))
    n_groups = -(-n_scen // size)

    def place(g: int):
        """Group g's scenarios placed on the devices (the last group padded by repeating the
        last scenario, so every group runs one compiled program), in the whole batch's
        chunks and sampled parameters; placed at its launch, so that only the groups in
        flight hold a copy. A scenario's draws depend neither on the others
        (``scan._each_scenario``) nor on its group."""
        batch, ids = ((scen_batch, stream_ids) if n_groups == 1
                      else scenario_group(scen_batch, stream_ids, g, size))
        return plan_run(batch, key, n_draws, chunk_size, ids, device, summary=False,
                        first_block=first_block, per_chunk=per_chunk
                        )._replace(prior_rows=prior_rows)

    placed: dict[int, object] = {}
    keep = n_groups > 1 and sum(np.asarray(a).nbytes for a in jax.tree.leaves(scen_batch)
                                ) <= KEEP_PLACED_BYTES

    def placement(g: int):
        if g in placed:
            return placed[g]
        grp = place(g)
        if keep:
            placed[g] = grp
        return grp

    plan = placed[0] = place(0)
    results: dict[str, np.ndarray] = {}
    pending: dict[int, dict[str, np.ndarray]] = {}  # a step's chunks while its groups arrive
    spec = ChunkSpec(plan.per_chunk, common_random_numbers, antithetic, plan.prior_rows,
                     plan.loop_scenarios)

    def launch(i):
        step, g = divmod(i, n_groups)
        grp = placement(g)
        return _simulate_step(grp.scen, grp.scen_layout, grp.key, grp.stream_ids,
                              grp.first_blocks(step), grp.mesh, spec)

    def finish(i, out):
        step, g = divmod(i, n_groups)
        first, last = g * size, min((g + 1) * size, n_scen)  # this group's scenarios
        # (a dict comes back from JAX in key order: put the outputs in the model's order)
        host = {name: _per_device(out[name]) for name in (*OUTPUT_NAMES, PARAMS)}
        for d in range(n_dev):
            start, valid = plan.chunk_draws(step * n_dev + d, n_draws)
            if not valid:
                continue
            if sink is not None and n_groups == 1:
                sink(start, {name: arrs[d][:, :, :valid] for name, arrs in host.items()})
            elif sink is not None:
                into = pending.setdefault(d, {name: np.empty(
                    (n_scen, *arrs[d].shape[1:2], valid), arrs[d].dtype)
                    for name, arrs in host.items()})
                for name, arrs in host.items():
                    into[name][first:last] = arrs[d][:last - first, :, :valid]
                if g == n_groups - 1:
                    sink(start, pending.pop(d))
            else:
                for name, arrs in host.items():
                    if name not in results:
                        results[name] = np.empty((n_scen, *arrs[d].shape[1:2], n_draws),
                                                 arrs[d].dtype)
                    results[name][first:last, :, start:start + valid] = \
                        arrs[d][:last - first, :, :valid]
            if progress is not None and g == n_groups - 1:
                progress(valid)

    t = _pipelined(plan.n_steps * n_groups, launch, finish)
    # (a first step that loaded its program from the cache can be the faster: no compile)
    compile_s = max(t.first_s - t.later_mean_s, 0.0) if t.steps > 1 else float("nan")
    return results, RunStats(t.first_s, t.later_mean_s, compile_s, t.steps, n_dev,
                             plan.per_chunk * RNG_BLOCK, _traced_since(traced),
                             parameters=plan.prior_rows)


STEP_PATHS_BYTES = 256 * 2**20
"""Paths one launch of the full-paths program may produce (all its devices together): a
larger batch of scenarios runs in groups of equal size, one launch each, so that a step's
output (scenarios x outputs x quarters x chunk draws) does not grow with the batch. A
1,000-point sweep at 200 draws produced 2.8 GB in one step (a chunk is at least one RNG
block of 1,024 draws) and peaked at 4.9 GB for 0.55 GB of paths."""


KEEP_PLACED_BYTES = 64 * 2**20
"""A grouped batch this small keeps every group placed on the devices for all its steps;
a larger one places each group at its launch (only those in flight hold a copy)."""


def group_size(n_scen: int, scenario_step_bytes: int, budget: int | None = None) -> int:
    """Scenarios a full-paths launch runs: all ``n_scen`` where their output fits ``budget``
    bytes (default ``STEP_PATHS_BYTES``), else as many as fit (at least one), each producing
    ``scenario_step_bytes``."""
    budget = STEP_PATHS_BYTES if budget is None else budget
    return int(max(1, min(n_scen, budget // max(scenario_step_bytes, 1))))


def simulate_summaries(scen_batch: ScenarioArrays, key: jax.Array, n_draws: int, *,
                       chunk_size: int | None = None, bins: int = SUMMARY_BINS,
                       common_random_numbers: bool = True, stream_ids=None, device=None,
                       antithetic: bool = False,
                       progress: Callable[[int], None] | None = None,
                       hist: str | Callable | None = None, first_block: int = 0,
                       chunk_blocks: int | None = None, hist_range=None, parts=None
                       ) -> tuple[Accumulator, np.ndarray, np.ndarray, RunStats]:
    """Summary-only run: accumulate statistics chunk by chunk (memory independent of
    ``n_draws``). The histogram range comes from the minimum and maximum of the first
    ``PILOT_BLOCKS`` blocks' draws (all draws of a smaller run), whatever the chunks and
    devices, widened (``accumulate.range_from_extremes``). Returns the accumulator, the range
    (lo, hi), each (S, V, T), and the ``RunStats`` (``histogram``: the counting method used).
    Same draws as ``simulate_paths`` for the same key. ``chunk_size`` defaults to
    ``plan.default_chunk_size``; ``hist`` (``"scatter"``, ``"cuda"`` or a counting function,
    see ``scan.run_scenario_summary``) to ``summary_histogram_method``'s choice, which a GPU
    that falls back to the scatter warns of.

    A part of a larger run (``distributed``): ``first_block`` and ``chunk_blocks`` as for
    ``simulate_paths``, ``hist_range`` the larger run's (lo, hi) (no pilot is run), and
    ``parts`` (``accumulate.Parts``) receives every chunk's contribution in block order, for
    ``accumulate.merge`` to add up as the larger run would have."""
    n_scen, horizon = scen_batch.years.shape
    tune_malloc()
    traced = trace_counts()
    plan = plan_run(scen_batch, key, n_draws, chunk_size, stream_ids, device, summary=True,
                    first_block=first_block, per_chunk=chunk_blocks)
    n_dev = len(plan.devices)
    dtype = scen_batch.years.dtype
    if hist is None:
        hist, why = summary_histogram_method(plan.devices, dtype)
        if why:
            warnings.warn(f"summary histograms are counted with XLA's scatter-add, slower than "
                          f"the CUDA kernel: {why}", RuntimeWarning, stacklevel=2)
    lanes = histogram_lanes(plan.devices, n_scen, horizon, bins) if hist == "scatter" else 1
    rep = NamedSharding(plan.mesh, P())

    spec = ChunkSpec(plan.per_chunk, common_random_numbers, antithetic, plan.prior_rows,
                     plan.loop_scenarios, bins, lanes, hist)

    def run_step(step, n_valid, lo, hi):
        return _summarize_step(plan.scen, plan.scen_layout, plan.key, plan.stream_ids,
                               plan.first_blocks(step),
                               jax.device_put(np.asarray(n_valid, np.int32),
                                              NamedSharding(plan.mesh, P(AXIS))),
                               lo, hi, plan.mesh, spec)

    # The pilot: the first steps' program once more, with only the pilot draws (the run's
    # first PILOT_BLOCKS blocks, whatever the chunks) counted, for their minimum and maximum;
    # the same compiled program as every later step, so summary mode compiles one program.
    pilot_draws = min(n_draws, PILOT_BLOCKS * RNG_BLOCK)
    zero, one = (jax.device_put(jnp.full((n_scen, N_OUTPUTS, horizon), x, dtype),
                                rep) for x in (0, 1))
    t0 = time.perf_counter()
    pilot_steps = 0 if hist_range is not None else -(
        -pilot_draws // (plan.per_chunk * RNG_BLOCK * n_dev))
    mins, maxs = [], []  # (D, S, V, T) a step; a device without pilot draws has +-inf
    for i in range(pilot_steps):
        pilot = run_step(i, plan.step_draws(i, pilot_draws), zero, one)
        mins.append(np.asarray(pilot[3]))
        maxs.append(np.asarray(pilot[4]))
        del pilot
    lo, hi = hist_range if hist_range is not None else range_from_extremes(
        np.concatenate(mins).min(0), np.concatenate(maxs).max(0))
    pilot_s = time.perf_counter() - t0  # compilation included
    lo_d, hi_d = (jax.device_put(jnp.asarray(x, dtype), rep) for x in (lo, hi))
    shift = np.asarray(lo, dtype).astype(np.float64)  # the lower ends as the devices hold them
    acc = [empty_accumulator(n_scen, N_OUTPUTS, horizon, bins, shift)]

    def launch(step):
        valid = plan.step_draws(step, n_draws)
        return valid, run_step(step, valid, lo_d, hi_d)

    def finish(step, item):
        valid, part = item
        host = jax.device_get(part)
        for d in range(n_dev):
            if valid[d]:
                part_d = [x[d] for x in host]
                if parts is not None:
                    parts.append(part_d)
                acc[0] = merge(acc[0], part_d)  # in block order
                if progress is not None:
                    progress(valid[d])

    t = _pipelined(plan.n_steps, launch, finish)
    # the pilot's first step compiled; every step after it ran compiled
    steady = t.later_mean_s if t.later_mean_s == t.later_mean_s else t.first_s
    hist_name = hist if isinstance(hist, str) else getattr(hist, "__name__", "custom")
    return acc[0], lo, hi, RunStats(pilot_s, t.later_mean_s,
                                    max(pilot_s - steady * pilot_steps, 0.0),
                                    t.steps, n_dev, plan.per_chunk * RNG_BLOCK,
                                    _traced_since(traced), hist_name)


@compile_options.jit(static_argnames=("layout", "mesh", "spec"))
def _summarize_step(scen_buffers, layout: Layout, key, stream_ids, first_blocks, n_valid, lo,
                    hi, mesh, spec: ChunkSpec):
    """``summarize_chunk`` of the scenario batch packed in ``scen_buffers`` (``packing.pack``) on
    every device of ``mesh``, device d from ``first_blocks[d]`` with ``n_valid[d]`` real
    draws: each result with a leading device axis (D, ...)."""
    scen_batch = unpack(scen_buffers, layout)

    def body(sc, k, sid, fb, nv, lo_, hi_):
        res = summarize_chunk(sc, k, sid, fb[0], nv[0], lo_, hi_, spec)
        return tuple(r[None] for r in res)
    return jax.shard_map(body, mesh=mesh, in_specs=(P(), P(), P(), P(AXIS), P(AXIS), P(), P()),
                         out_specs=P(AXIS), check_vma=False)(scen_batch, key, stream_ids,
                                                               first_blocks, n_valid, lo, hi)
