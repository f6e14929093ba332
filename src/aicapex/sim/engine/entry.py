"""The engine's one entry: ``execute(batch, key, RunConfig(...))`` runs a stacked scenario batch
in the mode and on the machines its configuration names, and returns a ``RunResult``.

Underneath it are the four ways a run executes, each a module of its own: full paths or
summaries (``runner.simulate_paths``, ``runner.simulate_summaries``), in this process's
devices or as tasks on a Dask cluster (``distributed.simulate_paths_on``,
``distributed.simulate_summaries_on``); every one gives the same draws, bit for bit, for the
same key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import numpy as np

from ..model import ScenarioArrays
from .accumulate import Accumulator
from .distributed import simulate_paths_on, simulate_summaries_on
from .runner import RunStats, simulate_paths, simulate_summaries


@dataclass(frozen=True)
class RunConfig:
    """How a batch is run. What decides the draws' numbers: ``draws``, ``antithetic`` (each
    draw paired with its mirror image) and ``common_random_numbers`` (every scenario the same
    numbers; else scenario s uses its ``stream_ids[s]``). What does not: ``summary`` (keep
    statistics accumulated chunk by chunk instead of every path), ``chunk_size`` (draws per
    compiled chunk, default ``plan.default_chunk_size``), ``device`` (one, a list, or the
    default devices) and ``client`` (a ``dask.distributed.Client``: the draws run as tasks on
    its workers; ``device`` does not apply)."""

    draws: int
    summary: bool = False
    chunk_size: int | None = None
    common_random_numbers: bool = True
    stream_ids: tuple[int, ...] | None = None
    antithetic: bool = False
    device: Any = None
    client: Any = None

    def __post_init__(self):
        if self.draws < 1:
            raise ValueError(f"a run needs at least one draw, not {self.draws}")
        if self.client is not None and self.device is not None:
            raise ValueError("a cluster run uses its workers' devices: give device or client")


class RunResult(NamedTuple):
    """What ``execute`` returns: ``paths`` (output name -> (S, T, draws), with each draw's
    sampled parameters under ``runner.PARAMS``; empty when a sink took them) or, in summary
    mode, ``summary`` (the ``Accumulator`` and the histogram range lo, hi, each (S, V, T)),
    and the run's ``RunStats``."""

    paths: dict[str, np.ndarray] | None
    summary: tuple[Accumulator, np.ndarray, np.ndarray] | None
    stats: RunStats


def execute(scen_batch: ScenarioArrays, key: jax.Array, config: RunConfig, *,
            progress: Callable[[int], None] | None = None,
            sink: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> RunResult:
    """Run ``config.draws`` draws of every scenario of ``scen_batch`` (leaves with a leading
    axis S) from the PRNG ``key``. ``progress`` is called with the draws each finished chunk
    adds; ``sink`` (full paths only) receives each chunk's paths in draw order instead of
    the result (memory then does not grow with the draws)."""
    if sink is not None and config.summary:
        raise ValueError("a sink takes full paths; a summary run has none")
    streams = None if config.stream_ids is None else np.asarray(config.stream_ids, np.uint32)
    common = dict(chunk_size=config.chunk_size,
                  common_random_numbers=config.common_random_numbers, stream_ids=streams,
                  antithetic=config.antithetic, progress=progress)
    if config.client is None:
        common["device"] = config.device
        if config.summary:
            acc, lo, hi, stats = simulate_summaries(scen_batch, key, config.draws, **common)
            return RunResult(None, (acc, lo, hi), stats)
        paths, stats = simulate_paths(scen_batch, key, config.draws, sink=sink, **common)
        return RunResult(paths, None, stats)
    if config.summary:
        acc, lo, hi, stats = simulate_summaries_on(config.client, scen_batch, key,
                                                   config.draws, **common)
        return RunResult(None, (acc, lo, hi), stats)
    paths, stats = simulate_paths_on(config.client, scen_batch, key, config.draws, sink=sink,
                                     **common)
    return RunResult(paths, None, stats)
