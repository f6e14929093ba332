"""Summary runs of many scenarios in groups, so that memory does not grow with the batch.

A summary run keeps, per scenario, a histogram of every output at every quarter
(``sim.engine.histograms.SUMMARY_BINS`` + 2 cells: 33 outputs x 20 quarters x 2,050 cells x 8
bytes = 10.8 MB a scenario on the host, and the devices' int32 copies of each step), all of
it only to be reduced to quantiles at the end. A 1,000-point sweep held 10.8 GB of histograms
(and its device copies: it was killed at 24 GB). So a batch larger than ``GROUP_BYTES`` of
histograms runs in groups of equal size (the last padded by repeating its last scenario, so
every group runs one compiled program), each reduced to its part of the result before the
next starts. Every number a scenario gets is its own (the chunks loop over scenarios, the
histogram range comes from its own pilot draws), so the result equals the whole batch's run
bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import numpy as np

from .sim.engine import RunConfig, execute
from .sim.engine.accumulate import Accumulator
from .sim.engine.histograms import SUMMARY_BINS
from .sim.engine.plan import scenario_group
from .sim.engine.runner import RunStats
from .sim.engine.runner import group_size as scenarios_that_fit
from .sim.model import N_OUTPUTS

GROUP_BYTES = 256 * 2**20
"""Histogram bytes (host, float64) a group of a summary run may hold; the devices hold
about as much again in their int32 counts of a step."""

T = TypeVar("T")


def group_size(n_scen: int, horizon: int, bins: int = SUMMARY_BINS,
               budget: int | None = None) -> int:
    """Scenarios a summary run simulates at once: all ``n_scen`` where their histograms fit
    ``budget`` bytes (default ``GROUP_BYTES``), else as many as fit (at least one)."""
    return scenarios_that_fit(n_scen, N_OUTPUTS * horizon * (bins + 2) * 8,
                              GROUP_BYTES if budget is None else budget)


def run_in_groups(batch, key, config: RunConfig, progress: Callable[[int], None] | None,
                  reduce: Callable[[slice, Accumulator, np.ndarray, np.ndarray], T]
                  ) -> tuple[list[T], RunStats]:
    """Run the summary ``config`` over the scenario ``batch`` (leaves with a leading axis S)
    group by group (``group_size``); each group's accumulator and histogram range (lo, hi)
    go, cut to its own scenarios, to ``reduce(scenarios, acc, lo, hi)`` (``scenarios``: the
    slice of the batch) as soon as it finishes. Returns what ``reduce`` gave, in batch order,
    and the run's ``RunStats`` (the first group's compilation, all groups' steps and
    traces). ``progress`` receives the draws finished, counted over the whole batch."""
    n_scen, horizon = batch.years.shape
    size = group_size(n_scen, horizon)
    if size >= n_scen:
        res = execute(batch, key, config, progress=progress)
        return [reduce(slice(0, n_scen), *res.summary)], res.stats
    n_groups = -(-n_scen // size)
    tick = _shared(progress, n_groups)
    out, stats = [], []
    for g in range(n_groups):
        part, ids = scenario_group(batch, config.stream_ids, g, size)
        conf = replace(config, stream_ids=None if ids is None else tuple(int(i) for i in ids))
        res = execute(part, key, conf, progress=tick)
        mine = slice(g * size, min((g + 1) * size, n_scen))
        keep = mine.stop - mine.start
        acc, lo, hi = res.summary
        out.append(reduce(mine, _first(acc, keep), lo[:keep], hi[:keep]))
        stats.append(res.stats)
        del res, acc, lo, hi
    return out, _merged(stats)


def _first(acc: Accumulator, k: int) -> Accumulator:
    """The accumulator of the first ``k`` scenarios (the rest is a group's padding)."""
    return Accumulator(*(a if np.ndim(a) == 0 else np.asarray(a)[:k] for a in acc))


def _shared(progress: Callable[[int], None] | None, n_groups: int):
    """``progress`` told each group's draws as a share of the batch's: every group runs all
    the draws, so the batch has finished ``draws / n_groups`` for each a group finishes."""
    if progress is None:
        return None
    done = [0, 0]  # draws finished by all groups, draws reported

    def tick(k: int) -> None:
        done[0] += k
        now = done[0] // n_groups
        if now > done[1]:
            progress(now - done[1])
            done[1] = now
    return tick


def _merged(stats: list[RunStats]) -> RunStats:
    """One ``RunStats`` for the groups of a run: the first group's first step and
    compilation, the mean later step over all groups, all steps and traces."""
    later = [s.later_chunk_mean_s for s in stats if s.later_chunk_mean_s == s.later_chunk_mean_s]
    traces = {k: sum(s.traces.get(k, 0) for s in stats) for k in stats[0].traces}
    return stats[0]._replace(
        later_chunk_mean_s=float(np.mean(later)) if later else float("nan"),
        steps=sum(s.steps for s in stats), traces=traces)
