"""The scan over quarters: one scenario's draws through the model (full paths, or reduced to
summaries inside the loop), and a chunk of draws for a batch of scenarios.

With common random numbers (the default) every scenario sees the same numbers, so scenario
differences are not blurred by sampling noise; otherwise scenario ``s`` folds in its stream id
(a hash of its name), so its draws do not depend on which other scenarios share the batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from ..model import (
    N_OUTPUTS,
    STATIC_FIELDS,
    Outputs,
    Quarter,
    ScenarioArrays,
    initial_state,
    step,
)
from . import compile_options
from .accumulate import DRAWDOWN_LEVELS
from .histograms import HIST_METHODS, count_by_kernel, histogram_cells, line_width
from .priors import draw_params
from .rng import RNG_BLOCK, block_randoms, correlate

SCAN_UNROLL = 1
"""Quarters per iteration of the compiled scan loop."""


def _each_scenario(fn, loop: bool, *batched):
    """``fn`` applied to every scenario's slice of the ``batched`` pytrees (leading axis S),
    results stacked on a leading axis S: ``lax.map`` (one scenario at a time) if ``loop``,
    else ``vmap``. Either way a scenario's numbers do not depend on the others."""
    if loop:
        return lax.map(lambda args: fn(*args), batched)
    return jax.vmap(fn)(*batched)


@dataclass(frozen=True)
class ChunkSpec:
    """What a chunk program is compiled for, one static argument (each distinct spec is one
    program): ``n_blocks`` draw blocks of ``RNG_BLOCK``; ``common`` random numbers shared by
    the scenarios, else each scenario's stream; ``antithetic`` pairs; ``prior_rows``, the
    parameters sampled (``priors.random_prior_rows`` of the batch; None: all);
    ``loop_scenarios``, the scenarios one after another (the CPU's choice) or batched (an
    accelerator's, ``plan.loop_scenarios_on``). Summary mode adds ``bins``, ``lanes`` and
    ``hist`` (``run_scenario_summary``)."""

    n_blocks: int
    common: bool = True
    antithetic: bool = False
    prior_rows: tuple[int, ...] | None = None
    loop_scenarios: bool = True
    bins: int = 0
    lanes: int = 1
    hist: str | Callable = "scatter"


def block_ids(first_block, n_blocks: int):
    """The ids of blocks ``first_block .. first_block + n_blocks - 1`` (uint32)."""
    return first_block + jnp.arange(n_blocks, dtype=jnp.uint32)


def scenario_draws(scen: ScenarioArrays, key, first_block, n_blocks: int,
                   antithetic: bool = False, prior_rows: tuple[int, ...] | None = None):
    """One scenario's random numbers and sampled parameters for blocks ``first_block ..
    first_block + n_blocks - 1``, exactly as a run with common random numbers draws them:
    normals (T, N_NORMALS, B), uniforms (T, N_UNIFORMS, B) and ``Params`` (the parameters
    ``prior_rows`` (B,), the others scalars). What the sensitivities differentiate through."""
    normals, uniforms, zp = block_randoms(key, block_ids(first_block, n_blocks),
                                          scen.years.shape[0], scen.years.dtype, antithetic,
                                          prior_rows)
    return normals, uniforms, draw_params(scen.prior_table, zp, prior_rows)


def _over_batch(run, scen_batch, per_scenario: tuple, key, stream_ids, first_block,
                spec: ChunkSpec):
    """``run(scen, normals, uniforms, zp, *per_scenario)`` for every scenario of the batch
    (``per_scenario``: further arrays with a leading axis S), on the random numbers of the
    chunk's blocks: drawn once and shared (``spec.common``) or from each scenario's stream
    (``fold_in(key, stream_id)``)."""
    horizon = scen_batch.years.shape[1]
    dtype = scen_batch.years.dtype
    ids = block_ids(first_block, spec.n_blocks)

    def draws(k):
        return block_randoms(k, ids, horizon, dtype, spec.antithetic, spec.prior_rows)
    if spec.common:
        rnd = draws(key)
        return _each_scenario(lambda sc, *a: run(sc, *rnd, *a), spec.loop_scenarios,
                              scen_batch, *per_scenario)
    return _each_scenario(
        lambda sc, stream, *a: run(sc, *draws(jax.random.fold_in(key, stream)), *a),
        spec.loop_scenarios, scen_batch, stream_ids, *per_scenario)


_TRACES: Counter[str] = Counter()
"""Traces (compilations) of each chunk program in this process; read through
``trace_counts`` (a run reports its own in ``RunStats.traces``)."""


def trace_counts() -> dict[str, int]:
    """How many times ``simulate_chunk`` and ``summarize_chunk`` were traced so far in this
    process (a copy)."""
    return {"simulate_chunk": _TRACES["simulate_chunk"],
            "summarize_chunk": _TRACES["summarize_chunk"]}


def quarters(scen: ScenarioArrays, normals, uniforms) -> Quarter:
    """What the scan slices quarter by quarter (leading axis T): the scenario's per-quarter
    fields (its static ones None), the ring slot of each quarter's vintage, the random
    numbers."""
    horizon = scen.years.shape[0]
    return Quarter(inputs=scen._replace(**dict.fromkeys(STATIC_FIELDS)),
                   slot=jnp.arange(horizon, dtype=jnp.int32) % scen.dep_weights.shape[-1],
                   normals=normals, uniforms=uniforms)


def run_scenario(scen: ScenarioArrays, normals, uniforms, zp,
                 prior_rows: tuple[int, ...] | None = None) -> tuple[Outputs, jax.Array]:
    """One scenario over all draws of the given random numbers (independent normals; prior
    scores ``zp`` for the parameters ``prior_rows``, default all). Returns the outputs, each
    (T, B), and the parameter matrix (P, B)."""
    p = draw_params(scen.prior_table, zp, prior_rows)
    n = normals.shape[-1]
    out, _ = run_with_params(scen, p, normals, uniforms)
    return out, jnp.stack([jnp.broadcast_to(v, (n,)) for v in p])


def run_with_params(scen: ScenarioArrays, p, normals, uniforms):
    """One scenario's quarters for given parameters ``p`` (a ``Params`` of (B,) arrays or
    scalars) and random numbers: the outputs, each (T, B), and the state after the last
    quarter (what ``run_scenario`` scans; differentiable in ``p`` and ``scen``)."""
    state0 = initial_state(p, scen, normals.shape[-1], normals.dtype)

    def body(state, x: Quarter):
        x = x._replace(normals=correlate(scen.shock_chol, x.normals))
        return step(p, scen, state, x)

    final, out = lax.scan(body, state0, quarters(scen, normals, uniforms),
                          unroll=SCAN_UNROLL)
    return out, final


@compile_options.jit(static_argnames=("spec", "with_params"))
def simulate_chunk(scen_batch: ScenarioArrays, key, stream_ids, first_block, spec: ChunkSpec,
                   with_params: bool = False):
    """Simulate draws ``[first_block, first_block + spec.n_blocks) * RNG_BLOCK`` of every
    scenario in the batch. Returns ``Outputs`` with leaves (S, T, B). Compiled once per
    (shapes, ``spec``); every scenario number is traced. ``with_params``: also return each
    draw's sampled parameters, the rows ``spec.prior_rows`` of the parameter matrix,
    (S, len(prior_rows), B)."""
    _TRACES["simulate_chunk"] += 1  # runs only while tracing
    prior_rows = spec.prior_rows

    def run(*a):
        out, params = run_scenario(*a, prior_rows=prior_rows)
        if not with_params:
            return out
        rows = range(params.shape[0]) if prior_rows is None else prior_rows
        return out, params[jnp.asarray(rows, jnp.int32)] if len(rows) else params[:0]
    return _over_batch(run, scen_batch, (), key, stream_ids, first_block, spec)


def run_scenario_summary(scen: ScenarioArrays, normals, uniforms, zp, lo, hi, n_valid,
                         spec: ChunkSpec):
    """Like ``run_scenario`` but reduces every quarter inside the scan instead of emitting the
    float paths (see ``accumulate.Accumulator`` for the fields). ``lo``/``hi`` are (V, T).

    Histograms are counted inside the scan by a scatter-add into ``lanes`` copies of a flat
    (V * T * (bins + 2),) carry (padding and non-finite values are dropped), summed at the
    end; only the counts leave the device. Copies lie ``HIST_LINE_WIDTH`` side by side in a
    cache line, the groups of them a whole histogram set apart; draw d adds to copy
    (d // width % groups, d % width). On CPU one copy beats emitting each value's cell for
    ``np.bincount`` on the host (+7% for one scenario, +19% for 16, measured); on a GPU many
    copies keep draws that land in one bin from queueing on one atomic add.

    ``spec.bins`` cells between ``lo`` and ``hi``, ``spec.lanes`` copies; ``spec.hist`` picks
    how the counts are made, all exactly equal (tested): ``"scatter"`` (the
    above, the engine's choice on CPU), ``"cuda"`` (``histograms.count_by_kernel``:
    shared-memory histograms in a CUDA kernel, the choice on a CUDA GPU where it builds), or a
    function ``f(idx, keep, cells, lanes) -> (V, cells)`` that counts one quarter's cell
    indices (the variants of ``benchmarks/counting_variants.py``)."""
    bins, lanes, hist, prior_rows = spec.bins, spec.lanes, spec.hist, spec.prior_rows
    if not callable(hist) and hist not in HIST_METHODS:
        raise ValueError(f"hist must be one of {HIST_METHODS} or a function, not {hist!r}")
    per_quarter = hist if callable(hist) else None
    p = draw_params(scen.prior_table, zp, prior_rows)
    n = normals.shape[-1]
    dtype = normals.dtype
    n_var = N_OUTPUTS
    horizon = scen.years.shape[0]
    valid = jnp.arange(n) < n_valid
    w = valid.astype(dtype)
    per_lane = histogram_cells(horizon, bins)
    width = line_width(lanes)
    # copy (g, w) of a cell lies at word (g * per_lane + cell) * width + w: draw d adds to
    # w = d % width, g = d // width % groups, so neighbouring draws in one cell share a line
    d = jnp.arange(n, dtype=jnp.int32)
    lane_base = ((d // width) % (lanes // width)) * per_lane * width + d % width

    def per_block(a):
        # (V, B) -> (V, B / RNG_BLOCK): one sum per RNG block, which the host adds up in block
        # order, so the moments do not depend on how blocks are grouped into chunks
        return jnp.sum(a.reshape(n_var, n // RNG_BLOCK, RNG_BLOCK), axis=2)

    def body(carry, xs):
        state, max_dd, counts = carry
        x, t, lo_t, hi_t = xs
        x = x._replace(normals=correlate(scen.shock_chol, x.normals))
        state, out = step(p, scen, state, x)
        # (V, B); the barrier materialises the stack first: fused into the binning below,
        # XLA:CPU emits the concatenate as a branch per element (+2-6% without, measured)
        v = lax.optimization_barrier(jnp.stack([f.astype(dtype) for f in out]))
        finite = jnp.isfinite(v) & valid[None, :]
        x0 = jnp.where(finite, v, 0.0)
        scale = bins / (hi_t - lo_t)  # a product per value, not a division
        idx = jnp.clip(jnp.floor((x0 - lo_t[:, None]) * scale[:, None]), -1, bins
                       ).astype(jnp.int32) + 1
        if hist == "cuda":  # binned inside the kernel
            counts = counts.at[:, t].add(count_by_kernel(v, lo_t, scale, n_valid, bins + 2))
        elif per_quarter is not None:  # a (V, T, bins + 2) carry
            counts = counts.at[:, t].add(per_quarter(idx, finite, bins + 2, lanes))
        else:
            base = (jnp.arange(n_var, dtype=jnp.int32) * horizon + t) * (bins + 2)
            cell = jnp.where(finite, (base[:, None] + idx) * width + lane_base[None, :],
                             per_lane * lanes)
            counts = counts.at[cell.reshape(-1)].add(jnp.int32(1), mode="drop")
        big = jnp.asarray(jnp.inf, dtype)
        # sums of values less the bin range's lower end: a float32 sum of squares of levels
        # loses the variance of a tight distribution to cancellation (accumulate.merge
        # shifts them back in float64)
        xc = jnp.where(finite, v - lo_t[:, None], 0.0)
        stats = (per_block(xc), per_block(xc * xc),
                 jnp.min(jnp.where(finite, v, big), axis=1),
                 jnp.max(jnp.where(finite, v, -big), axis=1),
                 jnp.sum(jnp.where(finite, 0.0, w[None, :]), axis=1))
        return (state, jnp.maximum(max_dd, out.drawdown), counts), stats

    state0 = initial_state(p, scen, n, dtype)
    xs = (quarters(scen, normals, uniforms), jnp.arange(horizon, dtype=jnp.int32),
          lo.T, hi.T)
    by_quarter = per_quarter is not None or hist == "cuda"
    counts0 = jnp.zeros((n_var, horizon, bins + 2) if by_quarter else (lanes * per_lane,),
                        jnp.int32)
    (final, max_dd, counts), stats = lax.scan(
        body, (state0, jnp.zeros((n,), dtype), counts0), xs, unroll=SCAN_UNROLL)
    counts = (counts.reshape(-1) if by_quarter
              else counts.reshape(lanes // width, per_lane, width).sum((0, 2), dtype=jnp.int32))
    total, total_sq = (a.transpose(1, 0, 2) for a in stats[:2])  # (V, T, blocks)
    minimum, maximum, nonfinite = (a.T for a in stats[2:])  # (V, T)
    dd_exceed = jnp.stack([jnp.sum((max_dd > lvl) * w) for lvl in DRAWDOWN_LEVELS])
    below = jnp.sum((final.index_level < scen.init.index_level) * w)
    return counts, total, total_sq, minimum, maximum, nonfinite, dd_exceed, below, jnp.sum(w)


@compile_options.jit(static_argnames=("spec",))
def summarize_chunk(scen_batch: ScenarioArrays, key, stream_ids, first_block, n_valid, lo, hi,
                    spec: ChunkSpec):
    """Simulate a chunk and reduce it on the device to its ``Accumulator`` contribution, the
    histogram counts flat (S * V * T * (bins + 2),); the float paths are never materialised.
    ``n_valid`` draws of the chunk are real; ``lo``/``hi`` are (S, V, T)."""
    _TRACES["summarize_chunk"] += 1
    run = partial(run_scenario_summary, n_valid=n_valid, spec=spec)
    res = _over_batch(run, scen_batch, (lo, hi), key, stream_ids, first_block, spec)
    return (res[0].reshape(-1), *res[1:])
