"""Runs spread over a Dask cluster: the draws split into tasks of whole RNG blocks, each run
by a worker with the local engine, and merged on the client as the local run merges its
chunks, so the result is bit-identical to a local run with the same seed whatever the number
of workers or tasks.

- Every task starts at its first block (``first_block``) and uses the chunk size the whole
  run would use (``chunk_blocks``): its draws are the local run's draws of those blocks.
- Summary mode: one task first takes the histogram range from the run's first blocks, as the
  local run's pilot does; every task then accumulates its blocks on that range and returns
  its contribution (``accumulate.Parts``: exact counts, extremes and tallies, and the sums
  of each block), which the client merges in block order.
- Full paths: each task returns its draws' paths; the client places them.

``client`` is a ``dask.distributed.Client`` (only its ``scatter``, ``submit`` and futures'
``result`` are used, so this module imports no Dask); the workers need aicapex installed.
The scenario batch is sent to the workers once (``scatter``), and each task sends back its
contribution: summaries a few MB a task, paths ``S x T x draws x N_OUTPUTS x 4`` bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax
import numpy as np

from ..model import N_OUTPUTS, ScenarioArrays
from .accumulate import Accumulator, Parts, empty_accumulator, merge
from .histograms import SUMMARY_BINS
from .plan import default_chunk_size, run_chunk_blocks
from .priors import random_prior_rows
from .rng import RNG_BLOCK
from .runner import PILOT_BLOCKS, RunStats, simulate_paths, simulate_summaries

TASKS_PER_WORKER = 4
"""Tasks a run is split into per worker by default: enough to balance uneven workers, few
enough that each task's overhead (a few tens of ms) stays small against its draws."""


def _key(key_data: np.ndarray) -> jax.Array:
    return jax.random.wrap_key_data(np.asarray(key_data, np.uint32))


def _pilot_task(scen, key_data, n_draws, chunk_blocks, common, stream_ids, antithetic, x64):
    """The histogram range (lo, hi) of the run's first blocks (the local run's pilot)."""
    with jax.enable_x64(x64):
        _, lo, hi, _ = simulate_summaries(scen, _key(key_data), n_draws,
                                          common_random_numbers=common, stream_ids=stream_ids,
                                          antithetic=antithetic, chunk_blocks=chunk_blocks)
    return lo, hi


def _summary_task(scen, key_data, n_draws, first_block, chunk_blocks, hist_range, common,
                  stream_ids, antithetic, x64):
    """The contribution of ``n_draws`` draws from block ``first_block`` on."""
    parts = Parts()
    with jax.enable_x64(x64):
        simulate_summaries(scen, _key(key_data), n_draws, common_random_numbers=common,
                           stream_ids=stream_ids, antithetic=antithetic,
                           first_block=first_block, chunk_blocks=chunk_blocks,
                           hist_range=hist_range, parts=parts)
    return parts.combined()


def _paths_task(scen, key_data, n_draws, first_block, chunk_blocks, common, stream_ids,
                antithetic, x64):
    """The paths (S, T, n_draws) of ``n_draws`` draws from block ``first_block`` on."""
    with jax.enable_x64(x64):
        paths, _ = simulate_paths(scen, _key(key_data), n_draws, common_random_numbers=common,
                                  stream_ids=stream_ids, antithetic=antithetic,
                                  first_block=first_block, chunk_blocks=chunk_blocks)
    return paths


def split(n_draws: int, chunk_blocks: int, n_tasks: int) -> list[tuple[int, int]]:
    """(first block, draws) of each task: whole chunks of ``chunk_blocks`` blocks, as even as
    they divide, in block order."""
    n_blocks = -(-n_draws // RNG_BLOCK)
    chunks = -(-n_blocks // chunk_blocks)
    n_tasks = max(1, min(n_tasks, chunks))
    out = []
    for i in range(n_tasks):
        c0, c1 = chunks * i // n_tasks, chunks * (i + 1) // n_tasks
        first = c0 * chunk_blocks
        draws = min(n_draws, c1 * chunk_blocks * RNG_BLOCK) - first * RNG_BLOCK
        if draws > 0:
            out.append((first, draws))
    return out


def _workers(client) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # a client that cannot say: one task per default worker count
        return 1


def _plan(client, n_draws, chunk_size, summary, tasks):
    cpu = jax.devices("cpu")[:1]  # what a worker runs on unless it has an accelerator
    chunk_blocks = run_chunk_blocks(n_draws, chunk_size or default_chunk_size(summary, cpu),
                                    cpu)
    return chunk_blocks, split(n_draws, chunk_blocks,
                               tasks or TASKS_PER_WORKER * _workers(client))


def simulate_summaries_on(client, scen_batch: ScenarioArrays, key: jax.Array, n_draws: int, *,
                          chunk_size: int | None = None, common_random_numbers: bool = True,
                          stream_ids=None, antithetic: bool = False, tasks: int | None = None,
                          progress: Callable[[int], None] | None = None
                          ) -> tuple[Accumulator, np.ndarray, np.ndarray, RunStats]:
    """``simulate_summaries`` on the cluster of ``client``, in ``tasks`` tasks (default
    ``TASKS_PER_WORKER`` per worker); the same results, bit for bit."""
    n_scen, horizon = scen_batch.years.shape
    dtype = np.dtype(scen_batch.years.dtype)
    x64 = dtype == np.float64
    key_data = np.asarray(jax.random.key_data(key))
    chunk_blocks, parts = _plan(client, n_draws, chunk_size, True, tasks)
    t0 = time.perf_counter()
    scen = client.scatter(scen_batch, broadcast=True, hash=False)  # (a key of its own:
    # a second run scattering the same batch must not share, and lose, the first's)
    common = (common_random_numbers, stream_ids, antithetic, x64)
    lo, hi = client.submit(_pilot_task, scen, key_data, min(n_draws, PILOT_BLOCKS * RNG_BLOCK),
                           chunk_blocks, *common, pure=False).result()
    first_s = time.perf_counter() - t0
    futures = [client.submit(_summary_task, scen, key_data, draws, first, chunk_blocks,
                             (lo, hi), *common, pure=False) for first, draws in parts]
    shift = np.asarray(lo, dtype).astype(np.float64)  # as the devices hold it
    acc = empty_accumulator(n_scen, N_OUTPUTS, horizon, SUMMARY_BINS, shift)
    for (_, draws), future in zip(parts, futures, strict=True):
        acc = merge(acc, future.result())  # in block order
        if progress is not None:
            progress(draws)
    total_s = time.perf_counter() - t0
    return acc, lo, hi, RunStats(first_s, (total_s - first_s) / len(parts), float("nan"),
                                 len(parts), _workers(client), chunk_blocks * RNG_BLOCK, {},
                                 "scatter")


def simulate_paths_on(client, scen_batch: ScenarioArrays, key: jax.Array, n_draws: int, *,
                      chunk_size: int | None = None, common_random_numbers: bool = True,
                      stream_ids=None, antithetic: bool = False, tasks: int | None = None,
                      progress: Callable[[int], None] | None = None,
                      sink: Callable[[int, dict[str, np.ndarray]], None] | None = None
                      ) -> tuple[dict[str, np.ndarray], RunStats]:
    """``simulate_paths`` on the cluster of ``client``; the same paths, bit for bit. With
    ``sink``, each task's draws go to ``sink(first_draw, arrays)`` in draw order, and each
    task's result is released from the cluster once written."""
    x64 = np.dtype(scen_batch.years.dtype) == np.float64
    key_data = np.asarray(jax.random.key_data(key))
    chunk_blocks, parts = _plan(client, n_draws, chunk_size, False, tasks)
    t0 = time.perf_counter()
    scen = client.scatter(scen_batch, broadcast=True, hash=False)  # (a key of its own:
    # a second run scattering the same batch must not share, and lose, the first's)
    futures = [client.submit(_paths_task, scen, key_data, draws, first, chunk_blocks,
                             common_random_numbers, stream_ids, antithetic, x64, pure=False)
               for first, draws in parts]
    results: dict[str, np.ndarray] = {}
    first_s = float("nan")
    for i, (first, draws) in enumerate(parts):
        part = futures[i].result()
        futures[i] = None  # the cluster may forget it
        if first_s != first_s:
            first_s = time.perf_counter() - t0
        start = first * RNG_BLOCK
        if sink is not None:
            sink(start, part)
        for name, arr in part.items() if sink is None else ():
            if name not in results:
                results[name] = np.empty((*arr.shape[:2], n_draws), arr.dtype)
            results[name][:, :, start:start + draws] = arr
        if progress is not None:
            progress(draws)
    total_s = time.perf_counter() - t0
    return results, RunStats(first_s, (total_s - first_s) / max(len(parts) - 1, 1),
                             float("nan"), len(parts), _workers(client),
                             chunk_blocks * RNG_BLOCK, {},
                             parameters=random_prior_rows(scen_batch.prior_table))
