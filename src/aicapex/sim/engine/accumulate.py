"""Streaming summaries: statistics accumulated chunk by chunk on the device, so that memory
does not grow with the number of draws.

Per (scenario, variable, quarter): a histogram on fixed bins (plus an underflow and an
overflow bin), the sum and sum of squares, the minimum and maximum and the count of
non-finite values. The sums are taken relative to the bin range's lower end (so a tight
distribution keeps its variance), one per RNG block on the device, and added up here in
float64 in the run's block order, one block after another: the moments, like every other
summary, do not depend on the chunk size or the number of devices. Per scenario: how many draws'
maximum drawdown exceeds each level and how many end below the starting index. Quantiles come
from the histogram by linear interpolation inside the bin that holds them, so their error is
at most that bin's width (exact minimum and maximum bound the two outer bins); see
``quantiles_from_histogram``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DRAWDOWN_LEVELS = (0.10, 0.20, 0.30)


class Accumulator(NamedTuple):
    """Running sums; V = number of output variables, NB = bins."""

    counts: object      # (S, V, T, NB + 2) float64-safe counts (under, bins..., over)
    total: object       # (S, V, T) sum of (x - shift) over finite values x
    total_sq: object    # (S, V, T) sum of (x - shift)^2 over finite values x
    minimum: object     # (S, V, T)
    maximum: object     # (S, V, T)
    nonfinite: object   # (S, V, T) count of NaN/inf
    dd_exceed: object   # (S, len(DRAWDOWN_LEVELS)) draws whose max drawdown exceeds a level
    below_start: object  # (S,) draws whose final index is below the start
    n: object           # (S,) draws accumulated per scenario
    shift: object       # (S, V, T) what the sums are relative to (the bins' lower end)


def empty_accumulator(n_scen: int, n_var: int, horizon: int, bins: int,
                      shift: np.ndarray | None = None) -> Accumulator:
    """An accumulator with nothing added; ``shift`` (S, V, T) as the device holds it."""
    f = np.float64
    shape = (n_scen, n_var, horizon)
    return Accumulator(
        counts=np.zeros((*shape, bins + 2), f), total=np.zeros(shape, f),
        total_sq=np.zeros(shape, f), minimum=np.full(shape, np.inf, f),
        maximum=np.full(shape, -np.inf, f), nonfinite=np.zeros(shape, f),
        dd_exceed=np.zeros((n_scen, len(DRAWDOWN_LEVELS)), f), below_start=np.zeros(n_scen, f),
        n=np.zeros((), f),
        shift=np.zeros(shape, f) if shift is None else np.asarray(shift, f).reshape(shape))


def merge(acc: Accumulator, part) -> Accumulator:
    """Add a chunk's contribution (host arrays; counts flat in ``acc.counts``' order; sums
    (S, V, T, blocks), one per RNG block) into the float64 accumulator. The histogram counts,
    the one large array, are added in place (a fresh (S, V, T, NB + 2) array per chunk cost
    more than the addition). The block sums are added one after another (``np.cumsum`` is a
    sequential sum, unlike ``np.sum``'s pairwise one), so chunks merged in block order give
    the same float64 sums for any chunk size."""
    counts, *rest = part
    np.add(acc.counts, np.asarray(counts).reshape(acc.counts.shape), out=acc.counts)
    total, total_sq, minimum, maximum, nonfinite, dd, below, n = (
        np.asarray(p, np.float64) for p in rest)

    def add_blocks(running, blocks):
        return np.cumsum(np.concatenate([running[..., None], blocks], axis=-1), axis=-1)[..., -1]
    return Accumulator(
        counts=acc.counts, total=add_blocks(acc.total, total),
        total_sq=add_blocks(acc.total_sq, total_sq),
        minimum=np.minimum(acc.minimum, minimum), maximum=np.maximum(acc.maximum, maximum),
        nonfinite=acc.nonfinite + nonfinite, dd_exceed=acc.dd_exceed + dd,
        below_start=acc.below_start + below, n=acc.n + n, shift=acc.shift)


def moments(acc: Accumulator) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (S, V, T) of the finite values, from the shifted sums:
    mean = c + sum (x - c) / n, var = sum (x - c)^2 / n - (sum (x - c) / n)^2."""
    n = np.broadcast_to(np.asarray(acc.n, np.float64), acc.total.shape[:1])  # per scenario
    finite_n = np.maximum(n[:, None, None] - acc.nonfinite, 1.0)
    m1 = acc.total / finite_n
    return acc.shift + m1, np.sqrt(np.maximum(acc.total_sq / finite_n - m1 * m1, 0.0))


def histogram_range(pilot: np.ndarray, pad: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Bin range per (S, V, T) from a pilot sample (S, V, T, B): its finite min and max,
    widened by ``pad`` x the range on each side (values outside fall in the outer bins)."""
    finite = np.where(np.isfinite(pilot), pilot, np.nan)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(finite, axis=-1, initial=np.inf)
        hi = np.nanmax(finite, axis=-1, initial=-np.inf)
    return range_from_extremes(lo, hi, pad)


def range_from_extremes(lo: np.ndarray, hi: np.ndarray, pad: float = 0.5
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``histogram_range`` from a pilot sample's finite minimum and maximum (+/-inf where it
    has no finite value)."""
    lo = np.asarray(lo, np.float64)
    hi = np.asarray(hi, np.float64)
    lo = np.where(np.isfinite(lo), lo, 0.0)
    hi = np.where(np.isfinite(hi), hi, 1.0)
    span = np.maximum(hi - lo, 1e-9 * np.maximum(np.abs(hi), 1.0))
    return lo - pad * span, hi + pad * span


def quantiles_from_histogram(acc: Accumulator, lo: np.ndarray, hi: np.ndarray,
                             qs) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles (Q, S, V, T) and their error bounds from the histogram.

    The quantile is the draws' q-quantile by the inverted CDF (the ceil(q n)-th smallest
    draw); inside the bin range it is interpolated within its bin: the error is at most the
    bin width. (Interpolating definitions, like NumPy's default ``linear``, differ from it by
    up to the gap between that draw and the next.) A quantile in the underflow (overflow) bin
    lies between the exact minimum (maximum) and the range's edge: that distance is its
    bound.
    """
    counts = acc.counts
    bins = counts.shape[-1] - 2
    width = (hi - lo) / bins
    n = counts.sum(axis=-1)
    cum = np.cumsum(counts, axis=-1)
    out = np.empty((len(qs), *lo.shape))
    bound = np.empty_like(out)
    for k, q in enumerate(qs):
        target = q * n
        j = np.argmax(cum >= target[..., None] - 1e-9, axis=-1)  # bin holding the quantile
        before = np.take_along_axis(cum, np.maximum(j - 1, 0)[..., None], -1)[..., 0]
        before = np.where(j == 0, 0.0, before)
        inbin = np.take_along_axis(counts, j[..., None], -1)[..., 0]
        frac = np.clip((target - before) / np.maximum(inbin, 1e-300), 0.0, 1.0)
        left = lo + (j - 1) * width
        val = left + frac * width
        under, over = j == 0, j == bins + 1
        val = np.where(under, acc.minimum + frac * (lo - acc.minimum), val)
        val = np.where(over, hi + frac * (acc.maximum - hi), val)
        out[k] = val
        bound[k] = np.where(under, lo - acc.minimum, np.where(over, acc.maximum - hi, width))
    return out, bound


class Parts:
    """Chunk contributions of a part of a run (a distributed task) combined as they come,
    into one contribution that ``merge`` takes as it takes a chunk's: the counts, extremes
    and tallies combined now (exactly: integers, minima, maxima), the per-block sums kept in
    block order (so that the merge adds them one after another, as the whole run would).
    ``append`` is what ``simulate_summaries(parts=...)`` calls."""

    def __init__(self):
        self.counts = None
        self.blocks: list[tuple[np.ndarray, np.ndarray]] = []
        self.rest: list[np.ndarray] | None = None

    def append(self, part) -> None:
        counts, total, total_sq, minimum, maximum, *tallies = (np.asarray(p) for p in part)
        if self.counts is None:
            self.counts = counts.astype(np.int64)
            self.rest = [minimum, maximum, *(np.asarray(t, np.float64) for t in tallies)]
        else:
            self.counts += counts
            lo, hi, *old = self.rest
            self.rest = [np.minimum(lo, minimum), np.maximum(hi, maximum),
                         *(a + np.asarray(b, np.float64) for a, b in zip(old, tallies,
                                                                         strict=True))]
        self.blocks.append((np.asarray(total, np.float64), np.asarray(total_sq, np.float64)))

    def combined(self) -> tuple:
        """The one contribution: counts, block sums (..., blocks), extremes, tallies."""
        if self.counts is None:
            raise ValueError("no chunk was added")
        total = np.concatenate([t for t, _ in self.blocks], axis=-1)
        total_sq = np.concatenate([q for _, q in self.blocks], axis=-1)
        return (self.counts, total, total_sq, *self.rest)
