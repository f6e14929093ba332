"""The engine: executes the model over millions of draws. Random numbers, prior sampling, the
scan over quarters, summaries and histograms, chunk planning and device placement, host-memory
tuning and the optional CUDA kernel.

One entry, ``execute(batch, key, RunConfig(...))``, runs a batch in the mode and on the
machines its configuration names and returns a ``RunResult`` (paths or summaries, and a
``RunStats`` record: timings, trace counts). Beneath it, one function per mode and place:

- ``simulate_paths``      every draw's path, host arrays (S, T, N) by output name
- ``simulate_summaries``  quantile histograms, moments and tail counts accumulated chunk by
  chunk (memory independent of the draws)
- ``simulate_paths_on`` and ``simulate_summaries_on``: the same as tasks on a Dask cluster

Modules, bottom up: ``threefry`` (fused Threefry, bit-identical to ``jax.random``), ``rng``
(per-block random numbers, shock correlation), ``priors`` (parameter draws), ``histograms``
and ``accumulate`` (summary counting and merging), ``scan`` (one chunk through the model),
``devices``, ``packing`` and ``plan`` (chunks, steps, placement), ``host`` (malloc tuning,
host arrays), ``runner`` (the local modes), ``distributed`` (the cluster's), ``entry`` (the
one entry), ``streams`` (each parameter's random stream), ``kernels/`` (the CUDA histogram
kernel).
"""

from .accumulate import DRAWDOWN_LEVELS, Accumulator, moments, quantiles_from_histogram
from .distributed import simulate_paths_on, simulate_summaries_on
from .entry import RunConfig, RunResult, execute
from .histograms import SUMMARY_BINS
from .plan import default_chunk_size, run_chunk_draws
from .priors import random_prior_rows
from .rng import RNG_BLOCK, block_randoms
from .runner import PARAMS, PILOT_BLOCKS, RunStats, simulate_paths, simulate_summaries
from .scan import (
    ChunkSpec,
    run_scenario,
    run_with_params,
    scenario_draws,
    simulate_chunk,
    summarize_chunk,
    trace_counts,
)

__all__ = [
    "DRAWDOWN_LEVELS",
    "PARAMS",
    "PILOT_BLOCKS",
    "RNG_BLOCK",
    "SUMMARY_BINS",
    "Accumulator",
    "ChunkSpec",
    "RunConfig",
    "RunResult",
    "RunStats",
    "block_randoms",
    "default_chunk_size",
    "execute",
    "moments",
    "quantiles_from_histogram",
    "random_prior_rows",
    "run_chunk_draws",
    "run_scenario",
    "run_with_params",
    "scenario_draws",
    "simulate_chunk",
    "simulate_paths",
    "simulate_paths_on",
    "simulate_summaries",
    "simulate_summaries_on",
    "summarize_chunk",
    "trace_counts",
]
