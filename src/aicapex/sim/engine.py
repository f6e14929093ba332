"""The engine: random numbers, prior sampling, ``lax.scan`` over quarters, a loop or ``vmap``
over scenarios, and chunked execution over draws.

Randomness is tied to draws, not to execution: draws come in logical blocks of ``RNG_BLOCK``
and block ``k`` uses ``fold_in(key, k)``, so a draw's numbers do not depend on the chunk size.
With common random numbers (the default) every scenario sees the same numbers, so scenario
differences are not blurred by sampling noise; otherwise scenario ``s`` folds in its stream id
(a hash of its name), so its draws do not depend on which other scenarios share the batch.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from . import threefry
from .malloc import host_output, tune_malloc
from .parameters import N_PARAMS, Params
from .step import Outputs, QuarterInputs, initial_state, step
from .summary import (
    DRAWDOWN_LEVELS,
    Accumulator,
    empty_accumulator,
    merge,
    range_from_extremes,
)
from .types import N_NORMALS, N_UNIFORMS, PRIOR_Z, ScenarioArrays

RNG_BLOCK = 1024
"""Draws per logical random-number block; chunks are whole numbers of blocks."""

DEFAULT_CHUNK = 16 * RNG_BLOCK
"""Draws per compiled chunk on CPU: 8-16k keep a draw block's state in cache (measured
fastest)."""
SUMMARY_CHUNK = 8 * RNG_BLOCK
ACCELERATOR_CHUNK = 128 * RNG_BLOCK
"""Draws per chunk on a GPU with full paths: enough to fill the card (a quarter's scan step
is ~80 small kernels, so a small chunk is all launch overhead), small enough that 16
scenarios' paths (29 outputs x 20 quarters) fit on the card and in a host copy."""
ACCELERATOR_SUMMARY_CHUNK = 2048 * RNG_BLOCK
"""Draws per chunk on a GPU in summary mode for one scenario (nothing per draw leaves the
card), halved per fourfold scenarios down to ``ACCELERATOR_SUMMARY_CHUNK_MIN``. Measured on an
H100 with the CUDA histogram kernel, two runs each: one scenario x 10^8 draws 2^20 / 2^21
draws a chunk 1,127-1,137 / 1,194-1,199 M draw-quarters/s; 16 scenarios x 10^7 draws 2^17 /
2^18 / 2^19 / 2^20: 392-406 / 740-808 / 1,319-1,327 / 1,212-1,215 M (small chunks pay for
copying every chunk's counts to the host)."""
ACCELERATOR_SUMMARY_CHUNK_MIN = 512 * RNG_BLOCK
"""Smallest default summary chunk on a GPU, however many scenarios (the best measured for
16)."""
PILOT_BLOCKS = 8
"""Blocks of draws whose full paths set the summary histograms' ranges (at most one chunk)."""
SUMMARY_BINS = 2048
HIST_LANES = 128
"""Copies of the histograms counted on an accelerator: each draw adds to one copy (laid out as
``HIST_LINE_WIDTH`` says), so that draws landing in the same bin do not contend for one
memory word (atomic adds); summed per chunk. Measured with every copy a whole histogram set
apart, on an H100, one
scenario's 2^20-draw chunk: 1 / 8 / 32 / 128 copies 70 / 256 / 401 / 549 M draw-quarters/s
(model alone 991 M); on the current model 128 / 512 / 1024 copies 623 / 702 / 691 M per chunk
alone (model alone 1,386 M), but end to end (10^8 draws, two chunks in flight) 512 copies
ran at 565 M against 655 M with 128 (two runs each). Fewer copies where they would pass
``HIST_MEMORY_FRACTION`` of the card; at most ~1,800 (int32 cell indices)."""
HIST_LINE_WIDTH = 16
"""Histogram copies that lie side by side, one word apart, in a cell's cache line (the others
lie a whole histogram set apart): neighbouring draws of a warp that land in one cell then add
to one line, which the GPU's L2 takes as one transaction. On an H100 (benchmarks/RESULTS.md),
one 2^20-draw chunk alone with 128 copies, 1 / 8 / 16 / 32 side by side: one scenario 621 /
721 / 691 / 631 M draw-quarters/s, 16 scenarios 718 / 851 / 815 / 750 M; but end to end (two
chunks in flight) 16 beat 8 by 4%: 1 x 10^8 draws 756 against 729 M, 16 x 10^7 793 against
763 M (1 side by side: 659 and 684 M)."""
HIST_MEMORY_FRACTION = 1 / 8
"""Share of an accelerator's memory that one chunk's histogram copies may take (two chunks
are in flight, each with its model state)."""
HIST_LANE_BYTES = 4 * 2**30
"""Memory cap for one chunk's histogram copies where a device does not report its memory."""
HIST_SPLIT = 64
"""Histogram counting by matrix product: a cell index splits into (index // HIST_SPLIT,
index % HIST_SPLIT), one one-hot operand each."""
HIST_ONEHOT = jnp.bfloat16
"""Element type of the one-hot operands (bfloat16 with float32 sums, or int8 with int32)."""
SCAN_UNROLL = 1
"""Quarters per iteration of the compiled scan loop."""


def loop_scenarios_on(devices) -> bool:
    """How a chunk runs a batch of scenarios on ``devices``: one after another on CPU (True),
    all at once in one batched program on an accelerator (False). On CPU a scenario's
    per-quarter working set (state, outputs, vintage ring: a few MB per 16k draws) stays in
    cache, where the batch's (S, ...) arrays did not: a 16-scenario chunk ran 1.25x (full
    paths) and 1.30x (summaries) faster in a loop, measured (benchmarks/RESULTS.md). On a GPU
    one scenario's chunk is what fills the card, so scenarios stay batched there."""
    return not on_accelerator(devices)


def _each_scenario(fn, loop: bool, *batched):
    """``fn`` applied to every scenario's slice of the ``batched`` pytrees (leading axis S),
    results stacked on a leading axis S: ``lax.map`` (one scenario at a time) if ``loop``,
    else ``vmap``. Either way a scenario's numbers do not depend on the others."""
    if loop:
        return lax.map(lambda args: fn(*args), batched)
    return jax.vmap(fn)(*batched)


def _over_batch(run, scen_batch, per_scenario: tuple, key, stream_ids, block_ids, common: bool,
                antithetic: bool, prior_rows, loop: bool):
    """``run(scen, normals, uniforms, zp, *per_scenario)`` for every scenario of the batch
    (``per_scenario``: further arrays with a leading axis S), on the random numbers of the
    blocks ``block_ids``: drawn once and shared (``common``) or from each scenario's stream
    (``fold_in(key, stream_id)``)."""
    horizon = scen_batch.years.shape[1]
    dtype = scen_batch.years.dtype

    def draws(k):
        return block_randoms(k, block_ids, horizon, dtype, antithetic, prior_rows)
    if common:
        rnd = draws(key)
        return _each_scenario(lambda sc, *a: run(sc, *rnd, *a), loop, scen_batch, *per_scenario)
    return _each_scenario(
        lambda sc, stream, *a: run(sc, *draws(jax.random.fold_in(key, stream)), *a), loop,
        scen_batch, stream_ids, *per_scenario)


TRACES = {"simulate_chunk": 0, "summarize_chunk": 0}
"""How many times ``simulate_chunk`` was traced (compiled) in this process; tests read it."""

_Z0 = float(PRIOR_Z[0])
_DZ = float(PRIOR_Z[1] - PRIOR_Z[0])


def sample_priors(prior_table, z):
    """Parameter draws (P, B) from standard-normal scores ``z`` (P, B) by linear interpolation
    of each prior's quantile function tabulated at ``PRIOR_Z`` (``prior_table``, (P, Q))."""
    n_par, q = prior_table.shape
    pos = (jnp.clip(z, _Z0, -_Z0) - _Z0) / _DZ
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, q - 2)
    w = pos - i
    # one gather of (value, step) pairs from a flat table
    pairs = jnp.stack([prior_table[:, :-1], prior_table[:, 1:] - prior_table[:, :-1]],
                      axis=-1).reshape(-1, 2)
    at = i + (jnp.arange(n_par, dtype=jnp.int32) * (q - 1))[:, None]
    lo_step = jnp.take(pairs, at, axis=0, mode="clip")
    return lo_step[..., 0] + w * lo_step[..., 1]


def random_prior_rows(prior_table) -> tuple[int, ...]:
    """Parameters whose prior is not a fixed value in some scenario: ``prior_table`` (P, Q) or
    a batch (S, P, Q). Only these get random numbers; the others stay scalars per scenario."""
    table = np.asarray(prior_table)
    table = table.reshape(-1, *table.shape[-2:])
    return tuple(int(i) for i in np.flatnonzero((np.ptp(table, axis=-1) > 0).any(axis=0)))


def draw_params(prior_table, zp, prior_rows: tuple[int, ...] | None = None) -> Params:
    """``Params`` of a scenario: parameters in ``prior_rows`` (default all) sampled from the
    scores ``zp`` (len(prior_rows), B), the others their fixed value (a scalar, which costs
    the model no memory traffic)."""
    n_par = prior_table.shape[0]
    rows = tuple(range(n_par)) if prior_rows is None else prior_rows
    values = [prior_table[i, 0] for i in range(n_par)]
    if rows:
        drawn = sample_priors(prior_table[np.asarray(rows)], zp)
        for j, i in enumerate(rows):
            values[i] = drawn[j]
    return Params(*values)


def block_randoms(key, block_ids, horizon: int, dtype, antithetic: bool = False,
                  prior_rows: tuple[int, ...] | None = None):
    """Random numbers for the logical blocks ``block_ids``: normals (T, N_NORMALS, B),
    uniforms (T, N_UNIFORMS, B) and prior scores (len(prior_rows), B) (default: all N_PARAMS
    parameters), B = len(block_ids) * RNG_BLOCK.

    Every row of a block has its own key: row r of block k (normals and uniforms: r = t * n +
    i for quarter t and shock i; prior scores: r = the parameter's index) is drawn from
    ``fold_in(split(fold_in(key, k))[j], r)``. So a draw's numbers depend neither on the
    chunk size, nor on the horizon (quarter t's numbers are the same for any horizon > t),
    nor on which other parameters are random; and the numbers come out in the (row, draw)
    layout the model reads, with no transpose.

    With ``antithetic``, each block draws half its numbers and its second half mirrors the
    first (normals and prior scores negated, uniforms u -> 1 - u): half the random-number
    cost, and draw j and j + RNG_BLOCK/2 of a block form an antithetic pair.

    Threefry runs in its non-partitionable layout whatever the global setting: on CPU it
    makes bits 2.4x faster (measured, benchmarks/RESULTS.md), and the engine shards by
    draw blocks itself, so it needs no partitionable random numbers. Fixing the layout here
    also keeps results independent of the user's JAX configuration. On CPU, float32 numbers
    come from ``threefry.py``: the same numbers as ``jax.random``, computed faster."""
    rows = tuple(range(N_PARAMS)) if prior_rows is None else tuple(prior_rows)
    with jax.threefry_partitionable(False):
        return _block_randoms(key, block_ids, horizon, dtype, antithetic, rows)


def _jax_samplers(dtype):
    """(normal, uniform), each ``f(keys, m) -> (*keys.shape, m)``: ``jax.random.normal`` /
    ``uniform`` of ``m`` numbers of ``dtype`` for every key, one call per key."""
    def per_key(sample):
        return lambda keys, m: jax.vmap(jax.vmap(lambda k: sample(k, (m,), dtype)))(keys)
    return per_key(jax.random.normal), per_key(jax.random.uniform)


def _samplers(dtype):
    """The (normal, uniform) pair the engine draws with: ``_jax_samplers``' numbers, but on
    CPU float32 ones come from the fused Threefry of ``threefry.py`` (the same bits, faster).
    float64 (64 bits per number) and other platforms (JAX's GPU kernel for Threefry, not yet
    measured against the fused one) use JAX's functions."""
    normal, uniform = _jax_samplers(dtype)
    if jnp.dtype(dtype) != jnp.float32:
        return normal, uniform

    def on_cpu(fused, other):
        return lambda keys, m: lax.platform_dependent(
            keys, cpu=lambda k: fused(k, m), default=lambda k: other(k, m))
    return on_cpu(threefry.normal, normal), on_cpu(threefry.uniform, uniform)


def _block_randoms(key, block_ids, horizon: int, dtype, antithetic: bool, prior_rows):
    m = RNG_BLOCK // 2 if antithetic else RNG_BLOCK
    nb = block_ids.shape[0] * RNG_BLOCK
    block_keys = jax.vmap(lambda b: jax.random.split(jax.random.fold_in(key, b), 3))(block_ids)

    def rows(j, row_ids, sample, mirror):
        row_ids = jnp.asarray(row_ids, jnp.uint32)
        keys = jax.vmap(lambda r: jax.vmap(lambda k: jax.random.fold_in(k, r))(
            block_keys[:, j]))(row_ids)                                   # (rows, blocks)
        x = sample(keys, m)                                               # (rows, blocks, m)
        if antithetic:
            x = jnp.concatenate([x, mirror(x)], axis=-1)
        return x.reshape(row_ids.shape[0], nb)

    normal, uniform = _samplers(dtype)
    normals = rows(0, range(horizon * N_NORMALS), normal, jnp.negative)
    uniforms = rows(1, range(horizon * N_UNIFORMS), uniform, lambda u: 1.0 - u)
    zp = (rows(2, prior_rows, normal, jnp.negative) if prior_rows
          else jnp.zeros((0, nb), dtype))
    return (normals.reshape(horizon, N_NORMALS, nb), uniforms.reshape(horizon, N_UNIFORMS, nb),
            zp)


def quarter_inputs(scen: ScenarioArrays, normals, uniforms) -> QuarterInputs:
    """The scan's per-quarter inputs (leading axis T)."""
    horizon = scen.years.shape[0]
    return QuarterInputs(
        fed_move_cdf=scen.fed_move_cdf,
        tariff_change=scen.tariff_change, tariff_impulse=scen.tariff_impulse,
        capex_growth=scen.capex_growth, dep_weights=scen.dep_weights,
        imp_weights=scen.imp_weights, nbv_weights=scen.nbv_weights,
        dep_prestart=scen.dep_prestart, imp_prestart=scen.imp_prestart,
        nbv_prestart=scen.nbv_prestart,
        china_multiplier=scen.china_multiplier, price_deflation=scen.price_deflation,
        erp_liquidity=scen.erp_liquidity, term_premium_shift=scen.term_premium_shift,
        spread_shift=scen.spread_shift, earnings_growth_shift=scen.earnings_growth_shift,
        years=scen.years,
        slot=(jnp.arange(horizon, dtype=jnp.int32) % scen.dep_weights.shape[-1]),
        normals=normals,
        uniforms=uniforms)


def correlate(chol, normals):
    """Correlated shocks ``chol @ normals`` ((N, N) @ (N, B)) as one product per block of
    ``RNG_BLOCK`` draws (the engine's chunks are whole blocks; any other B takes one product),
    so a draw's shocks do not depend on how many draws share the call: XLA:CPU's kernel for
    one (N, N) @ (N, B) product rounds a row differently for different B (measured: the
    ninth row, for B = 1,024 vs 4,096). At full float precision: on a GPU XLA would otherwise
    run a float32 product in TF32 (10-bit mantissa)."""
    n, b = normals.shape
    if b % RNG_BLOCK:
        return jnp.matmul(chol, normals, precision=lax.Precision.HIGHEST)
    blocks = normals.reshape(n, b // RNG_BLOCK, RNG_BLOCK).transpose(1, 0, 2)
    out = jnp.matmul(jnp.broadcast_to(chol, (b // RNG_BLOCK, n, n)), blocks,
                     precision=lax.Precision.HIGHEST)
    return out.transpose(1, 0, 2).reshape(n, b)


def on_accelerator(devices) -> bool:
    """Whether the chunks run on a GPU/TPU (chooses chunk sizes and histogram copies)."""
    return any(d.platform != "cpu" for d in devices)


def default_chunk_size(summary: bool, device=None, n_scen: int = 1) -> int:
    """Draws per chunk for the devices that would run (``device`` as for ``simulate_arrays``)
    and a batch of ``n_scen`` scenarios: small cache-sized chunks on CPU, large ones on an
    accelerator (in summary mode smaller for more scenarios, see
    ``ACCELERATOR_SUMMARY_CHUNK``)."""
    if on_accelerator(_devices(device)):
        if not summary:
            return ACCELERATOR_CHUNK
        quarters = (max(n_scen, 1) - 1).bit_length() + 1 >> 1  # ceil(log4(n_scen))
        return max(ACCELERATOR_SUMMARY_CHUNK >> quarters, ACCELERATOR_SUMMARY_CHUNK_MIN)
    return SUMMARY_CHUNK if summary else DEFAULT_CHUNK


def run_scenario(scen: ScenarioArrays, normals, uniforms, zp,
                 prior_rows: tuple[int, ...] | None = None) -> tuple[Outputs, jax.Array]:
    """One scenario over all draws of the given random numbers (independent normals; prior
    scores ``zp`` for the parameters ``prior_rows``, default all). Returns the outputs, each
    (T, B), and the parameter matrix (P, B)."""
    p = draw_params(scen.prior_table, zp, prior_rows)
    n = normals.shape[-1]
    state0 = initial_state(p, scen, n, normals.dtype)

    def body(state, x: QuarterInputs):
        x = x._replace(normals=correlate(scen.shock_chol, x.normals))
        return step(p, scen, state, x)

    _, out = lax.scan(body, state0, quarter_inputs(scen, normals, uniforms), unroll=SCAN_UNROLL)
    return out, jnp.stack([jnp.broadcast_to(v, (n,)) for v in p])


@partial(jax.jit, static_argnames=("n_blocks", "common", "antithetic", "prior_rows",
                                   "loop_scenarios"))
def simulate_chunk(scen_batch: ScenarioArrays, key, stream_ids, first_block, n_blocks: int,
                   common: bool, antithetic: bool = False,
                   prior_rows: tuple[int, ...] | None = None,
                   loop_scenarios: bool = True) -> Outputs:
    """Simulate draws ``[first_block, first_block + n_blocks) * RNG_BLOCK`` of every scenario
    in the batch. Returns ``Outputs`` with leaves (S, T, B). Compiled once per (shapes,
    n_blocks, common, antithetic, random parameters, loop_scenarios); every scenario number
    is traced. ``prior_rows``: the parameters to sample (``random_prior_rows`` of the batch,
    computed on the host; default all). ``loop_scenarios``: run the scenarios one after
    another (the CPU's choice) or batched (an accelerator's), see ``loop_scenarios_on``."""
    TRACES["simulate_chunk"] += 1  # runs only while tracing
    block_ids = first_block + jnp.arange(n_blocks, dtype=jnp.uint32)
    return _over_batch(lambda *a: run_scenario(*a, prior_rows=prior_rows)[0], scen_batch, (),
                       key, stream_ids, block_ids, common, antithetic, prior_rows,
                       loop_scenarios)


def _devices(device) -> list:
    """Devices to spread chunks over: the one or the list given, else every device of the
    default backend (several CPU devices after ``aicapex.use_cpu_devices(n)``, or several
    GPUs)."""
    if device is None:
        return list(jax.devices())
    return list(device) if isinstance(device, list | tuple) else [device]


_AXIS = "chunks"
"""Mesh axis over the devices: each device runs its own chunk of a step."""

LAST_TIMING: dict[str, float | str] = {}
"""Timing of the latest chunked run, which goes in steps of one chunk per device: seconds to
the first finished step (compilation included), mean seconds of the later steps, their
difference as a compile estimate, the number of steps and of devices; in summary mode, how
the histograms were counted ("histogram", one of ``HIST_METHODS``)."""


class _Layout(NamedTuple):
    """How ``_pack`` laid a pytree's leaves out: static and hashable (a jit argument)."""

    treedef: Any
    leaves: tuple[tuple[int, int, tuple[int, ...]], ...]   # (buffer, offset, shape)


def _pack(tree) -> tuple[tuple[np.ndarray, ...], _Layout]:
    """A pytree of arrays as one flat host buffer per dtype and its ``_Layout``. A scenario
    batch has ~45 leaves: placed and passed leaf by leaf they cost ~4 ms of ``device_put``
    per run and ~2 ms of dispatch per step on the 2-core machine, as much as a few percent
    of a small run."""
    leaves, treedef = jax.tree.flatten(tree)
    buffer_of: dict[np.dtype, int] = {}   # dtype -> buffer index, in order of first sight
    parts: list[list[np.ndarray]] = []
    spec = []
    for leaf in leaves:
        a = np.asarray(leaf)
        b = buffer_of.setdefault(a.dtype, len(parts))
        if b == len(parts):
            parts.append([])
        spec.append((b, sum(x.size for x in parts[b]), a.shape))
        parts[b].append(a.ravel())
    return tuple(np.concatenate(p) for p in parts), _Layout(treedef, tuple(spec))


def _unpack(buffers, layout: _Layout):
    """The pytree ``_pack`` packed, from its (traced) buffers."""
    leaves = [buffers[b][off:off + math.prod(shape)].reshape(shape)
              for b, off, shape in layout.leaves]
    return jax.tree.unflatten(layout.treedef, leaves)


class _Plan(NamedTuple):
    per_chunk: int           # RNG blocks per chunk
    n_chunks: int
    n_steps: int             # steps of one chunk per device
    devices: list
    mesh: Mesh
    scen: tuple[jax.Array, ...]  # the scenario batch packed (``_pack``), replicated
    scen_layout: _Layout
    stream_ids: jax.Array
    key: jax.Array
    prior_rows: tuple[int, ...]

    @property
    def loop_scenarios(self) -> bool:
        """Whether the chunks run their scenarios one after another (``loop_scenarios_on``)."""
        return loop_scenarios_on(self.devices)

    def chunk_draws(self, c: int, n_draws: int) -> tuple[int, int]:
        """First draw and number of real draws of chunk ``c`` (0 for a step's padding)."""
        start = c * self.per_chunk * RNG_BLOCK
        return start, max(0, min(n_draws - start, self.per_chunk * RNG_BLOCK))

    def step_draws(self, step: int, n_draws: int) -> list[int]:
        """Real draws of every device's chunk in ``step`` of a run of ``n_draws``."""
        d = len(self.devices)
        return [self.chunk_draws(step * d + i, n_draws)[1] for i in range(d)]

    def first_blocks(self, step: int) -> jax.Array:
        """First block of every device's chunk in ``step`` ((D,), sharded over the mesh)."""
        d = len(self.devices)
        ids = (step * d + np.arange(d, dtype=np.uint32)) * np.uint32(self.per_chunk)
        return jax.device_put(ids, NamedSharding(self.mesh, P(_AXIS)))


CHUNK_STEP_OVERHEAD = 1 / 16
"""What a step costs beyond its draws on CPU, as a fraction of the largest chunk allowed, at
least one RNG block: on the 2-core CPU a 4-block chunk ran ~20% and a 2-block one ~50% slower
per draw than a 16-block one (benchmarks/RESULTS.md), i.e. about one block a step."""
ACCELERATOR_STEP_OVERHEAD = 1 / 4
"""The same on an accelerator, where a step also copies its counts or paths to the host: not
measured as such; large enough that the chunk sizes measured best on an H100 stay the choice
for large runs (1/16 would have run 16 scenarios x 10^7 in 384-block chunks, not 512)."""


def chunk_blocks(n_blocks: int, max_blocks: int, n_devices: int,
                 accelerator: bool = False) -> int:
    """RNG blocks per chunk for a run of ``n_blocks`` blocks on ``n_devices`` devices, each step
    one chunk per device: of the sizes up to ``max_blocks`` that are powers of two or three
    times one (plus ``max_blocks`` itself; a bounded set of shapes, so of compilations), the
    one with the least modelled time, steps x (chunk + overhead), the larger on a tie; the
    overhead is ``CHUNK_STEP_OVERHEAD`` or, on an ``accelerator``,
    ``ACCELERATOR_STEP_OVERHEAD``. Padding is what it saves: 10^4 draws on two CPU devices
    ran 16 blocks in two 8-block chunks and now run 12; 10^5 ran 128 and now 112."""
    if n_blocks < 1 or max_blocks < 1 or n_devices < 1:
        raise ValueError(f"need positive sizes, got {n_blocks}, {max_blocks}, {n_devices}")
    sizes = {max_blocks}
    k = 1
    while k <= max_blocks:
        sizes.update(c for c in (k, 3 * k // 2) if c <= max_blocks)
        k *= 2
    fraction = ACCELERATOR_STEP_OVERHEAD if accelerator else CHUNK_STEP_OVERHEAD
    overhead = max(1.0, max_blocks * fraction)

    def steps(c: int) -> int:
        chunks = -(-n_blocks // c)
        return -(-chunks // n_devices)

    cost = {c: steps(c) * (c + overhead) for c in sizes}
    return min(cost, key=lambda c: (cost[c], -c))


def run_chunk_blocks(n_draws: int, chunk_size: int, devices) -> int:
    """``chunk_blocks`` for a run of ``n_draws`` draws, chunks of at most ``chunk_size`` draws,
    on ``devices``: the chunk a run's steps use (``_plan``; ``bench.py`` warms it up)."""
    return chunk_blocks(-(-n_draws // RNG_BLOCK), max(1, chunk_size // RNG_BLOCK),
                        len(devices), on_accelerator(devices))


def _plan(scen_batch: ScenarioArrays, seed: int, n_draws: int, chunk_size: int | None,
          stream_ids, device, summary: bool) -> _Plan:
    """Chunking and placement shared by both run modes. A run goes in steps: one SPMD program,
    compiled once for all the devices (separate per-device programs would compile once per
    device), runs one chunk on every device."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    tune_malloc()
    n_scen = scen_batch.years.shape[0]
    devices = _devices(device)
    chunk_size = chunk_size or default_chunk_size(summary, devices, n_scen)
    per_chunk = run_chunk_blocks(n_draws, chunk_size, devices)
    n_chunks = -(-n_draws // (per_chunk * RNG_BLOCK))
    ids = np.zeros(n_scen, np.uint32) if stream_ids is None else np.asarray(stream_ids)
    mesh = Mesh(np.array(devices), (_AXIS,))
    rep = NamedSharding(mesh, P())
    buffers, layout = _pack(scen_batch)
    scen, ids, key = jax.device_put((buffers, np.asarray(ids, np.uint32), jax.random.key(seed)),
                                    rep)
    return _Plan(per_chunk, n_chunks, -(-n_chunks // len(devices)), devices, mesh, scen, layout,
                 ids, key, random_prior_rows(scen_batch.prior_table))


def _pipelined(n_steps: int, n_devices: int, launch, finish) -> None:
    """Launch step i (asynchronously) and finish steps in order, keeping two in flight, so that
    the devices compute the next step while the host copies and merges the last (on 2 CPU
    cores +10-20% over one in flight, measured). Records ``LAST_TIMING``."""
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
    first = done[0] - t0
    later = (done[-1] - done[0]) / (len(done) - 1) if len(done) > 1 else float("nan")
    LAST_TIMING.clear()
    LAST_TIMING.update(first_chunk_s=first, later_chunk_mean_s=later, chunks=len(done),
                       devices=n_devices,
                       compile_estimate_s=first - later if len(done) > 1 else float("nan"))


@partial(jax.jit, static_argnames=("layout", "mesh", "n_blocks", "common", "antithetic",
                                   "prior_rows", "loop_scenarios"))
def _simulate_step(scen_buffers, layout: _Layout, key, stream_ids, first_blocks, mesh,
                   n_blocks: int, common: bool, antithetic: bool, prior_rows,
                   loop_scenarios: bool):
    """``simulate_chunk`` of the scenario batch packed in ``scen_buffers`` (``_pack``) on
    every device of ``mesh``, device d from ``first_blocks[d]``: leaves (D, S, T, B)."""
    scen_batch = _unpack(scen_buffers, layout)

    def body(sc, k, sid, fb):
        out = simulate_chunk(sc, k, sid, fb[0], n_blocks, common, antithetic, prior_rows,
                             loop_scenarios)
        return jax.tree.map(lambda a: a[None], out)
    return jax.shard_map(body, mesh=mesh, in_specs=(P(), P(), P(), P(_AXIS)),
                         out_specs=P(_AXIS), check_vma=False)(scen_batch, key, stream_ids,
                                                               first_blocks)


def _per_device(arr: jax.Array) -> list[np.ndarray]:
    """A step's result (D, ...) as D host arrays, one per device in mesh order, fetched shard
    by shard (no host-side concatenation of the shards)."""
    parts = sorted(arr.addressable_shards, key=lambda sh: sh.index[0].start or 0)
    return [np.asarray(sh.data)[0] for sh in parts]


def simulate_arrays(scen_batch: ScenarioArrays, seed: int, n_draws: int, *,
                    chunk_size: int | None = None, common_random_numbers: bool = True,
                    stream_ids=None, device=None, antithetic: bool = False,
                    progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Run ``n_draws`` draws of each scenario in chunks; returns host arrays (S, T, n_draws)
    keyed by output name. Chunks are spread over ``device`` or all default devices; results
    do not depend on how. ``progress`` is called with the number of draws just finished;
    ``antithetic`` pairs draws (see ``block_randoms``). ``chunk_size`` defaults to
    ``default_chunk_size``."""
    n_scen, horizon = scen_batch.years.shape
    plan = _plan(scen_batch, seed, n_draws, chunk_size, stream_ids, device, summary=False)
    results: dict[str, np.ndarray] = {}
    dtype = np.dtype(scen_batch.years.dtype)

    def launch(step):
        return _simulate_step(plan.scen, plan.scen_layout, plan.key, plan.stream_ids,
                              plan.first_blocks(step), plan.mesh, plan.per_chunk,
                              common_random_numbers, antithetic, plan.prior_rows,
                              plan.loop_scenarios)

    def finish(step, out):
        host = {name: _per_device(arr) for name, arr in out._asdict().items()}
        for d in range(len(plan.devices)):
            start, valid = plan.chunk_draws(step * len(plan.devices) + d, n_draws)
            if not valid:
                continue
            for name, arrs in host.items():
                if name not in results:
                    results[name] = host_output((n_scen, horizon, n_draws),
                                                np.int32 if name == "regime" else dtype)
                results[name][:, :, start:start + valid] = arrs[d][:, :, :valid]
            if progress is not None:
                progress(valid)

    _pipelined(plan.n_steps, len(plan.devices), launch, finish)
    return results


def _histogram_cells(horizon: int, bins: int) -> int:
    """Cells of one scenario's histogram set: every output x quarter x (bins + 2 outer)."""
    return len(Outputs._fields) * horizon * (bins + 2)


def _count_by_matmul(idx, keep, cells: int):
    """Histogram counts (V, cells) of cell indices ``idx`` (V, B) where ``keep``, as one matrix
    product per variable: cell = h * HIST_SPLIT + l, and counts[h, l] = sum over draws of
    onehot(h) x onehot(l) (bf16 zeros and ones, float32 sums: exact below 2^24 draws): tensor
    cores instead of atomic adds. Not the default: on an H100 it ran 3.5x slower than the
    scatter, as XLA materialised the one-hot operands (benchmarks/RESULTS.md)."""
    h = jnp.where(keep, idx // HIST_SPLIT, -1)
    n_hi = -(-cells // HIST_SPLIT)
    oh_hi = (h[:, :, None] == jnp.arange(n_hi, dtype=jnp.int32)).astype(HIST_ONEHOT)
    oh_lo = ((idx % HIST_SPLIT)[:, :, None] == jnp.arange(HIST_SPLIT, dtype=jnp.int32)
             ).astype(HIST_ONEHOT)
    acc = jnp.int32 if jnp.issubdtype(HIST_ONEHOT, jnp.integer) else jnp.float32
    c = jnp.einsum("vbh,vbl->vhl", oh_hi, oh_lo, preferred_element_type=acc)
    return c.reshape(c.shape[0], -1)[:, :cells].astype(jnp.int32)


def _count_by_quarter_buffer(idx, keep, cells: int, lanes: int):
    """Histogram counts (V, cells) scatter-added into a fresh buffer of ``lanes`` copies (draw
    j into copy j % lanes), summed over the copies. Not the default: 5-8% slower than keeping
    the copies in the scan's carry on an H100 (benchmarks/RESULTS.md)."""
    n_var, n = idx.shape
    copy = (jnp.arange(n, dtype=jnp.int32) % lanes) * n_var
    cell = jnp.where(keep, (copy[None, :] + jnp.arange(n_var, dtype=jnp.int32)[:, None]) * cells
                     + idx, lanes * n_var * cells)
    buf = jnp.zeros((lanes * n_var * cells,), jnp.int32).at[cell.reshape(-1)].add(
        jnp.int32(1), mode="drop")
    return buf.reshape(lanes, n_var, cells).sum(0, dtype=jnp.int32)


def _count_by_sort(idx, keep, cells: int):
    """Histogram counts (V, cells) by sorting: each value's (variable, cell) key, one flat sort
    (16-bit keys where V * cells < 2^16, which XLA:GPU hands to a radix sort), and the run
    lengths of equal keys read off by a binary search for every key's first position. No
    atomic adds: the count of a crowded bin costs what an empty one does."""
    n_var, _ = idx.shape
    n_keys = n_var * cells
    dt = jnp.uint16 if n_keys < 2**16 else jnp.uint32
    key = jnp.where(keep, jnp.arange(n_var, dtype=jnp.int32)[:, None] * cells + idx, n_keys)
    ordered = jnp.sort(key.astype(dt).reshape(-1))
    first = jnp.searchsorted(ordered, jnp.arange(n_keys + 1, dtype=dt), side="left")
    return jnp.diff(first).astype(jnp.int32).reshape(n_var, cells)


KERNEL_TARGET = "aicapex_count_cells"
"""The XLA custom call of ``aicapex.kernels`` that ``hist="cuda"`` counts with
(``aicapex_count_cells_graph``: the same kernel, which XLA may record into a CUDA graph)."""
KERNEL_REPLICAS = 2
"""Shared-memory histograms per block of the CUDA kernel (its 8 warps share them evenly): more
copies, fewer warps adding to one bin of a crowded variable at once, but more to zero and sum
(1 / 2 / 4 / 8 measured on an H100: 0.29 / 0.26 / 0.28 / 0.33 ms a quarter)."""
KERNEL_PARTS = 0
"""Blocks per row (variable) of the CUDA kernel; 0: enough for 4 per multiprocessor."""
KERNEL_AGGREGATE = False
"""Whether lanes of a warp that land in one bin add once (``__match_any_sync``)."""


def _count_by_kernel(v, lo, scale, n_valid, cells: int):
    """Histogram counts (V, cells) of the values ``v`` (V, B) by the shared-memory CUDA kernel
    of ``aicapex.kernels`` (registered by ``aicapex.kernels.load()``): the binning of
    ``run_scenario_summary``, done inside the kernel, and the same counts. Only non-finite
    values and draws past ``n_valid`` are left out. float32 and CUDA only."""
    from ..kernels import count_cells

    return count_cells(v, lo, scale, n_valid, cells, replicas=KERNEL_REPLICAS,
                       parts=KERNEL_PARTS, aggregate=KERNEL_AGGREGATE, target=KERNEL_TARGET)


_PER_QUARTER_COUNTS = {
    "quarter": _count_by_quarter_buffer,
    "sort": lambda idx, keep, cells, lanes: _count_by_sort(idx, keep, cells),
    "matmul": lambda idx, keep, cells, lanes: _count_by_matmul(idx, keep, cells),
}
"""Counting alternatives that make one quarter's (V, cells) table at a time."""
HIST_METHODS = ("scatter", "cuda", *_PER_QUARTER_COUNTS)
"""Ways to count summary histograms (``run_scenario_summary``)."""


def run_scenario_summary(scen: ScenarioArrays, normals, uniforms, zp, lo, hi, n_valid,
                         bins: int, lanes: int, prior_rows: tuple[int, ...] | None = None,
                         hist: str = "scatter"):
    """Like ``run_scenario`` but reduces every quarter inside the scan instead of emitting the
    float paths (see ``summary.Accumulator`` for the fields). ``lo``/``hi`` are (V, T).

    Histograms are counted inside the scan by a scatter-add into ``lanes`` copies of a flat
    (V * T * (bins + 2),) carry (padding and non-finite values are dropped), summed at the
    end; only the counts leave the device. Copies lie ``HIST_LINE_WIDTH`` side by side in a
    cache line, the groups of them a whole histogram set apart; draw d adds to copy
    (d // width % groups, d % width). On CPU one copy beats emitting each value's cell for
    ``np.bincount`` on the host (+7% for one scenario, +19% for 16, measured); on a GPU many
    copies keep draws that land in one bin from queueing on one atomic add.

    ``hist`` picks how the counts are made, all exactly equal (tested): ``"scatter"`` (the
    above, the engine's choice on CPU), ``"cuda"`` (``_count_by_kernel``: shared-memory
    histograms in a CUDA kernel, the choice on a CUDA GPU where it builds), ``"quarter"``
    (each quarter's copies in a fresh buffer, summed into the carry), ``"matmul"``
    (``_count_by_matmul``) or ``"sort"``
    (``_count_by_sort``); the last three were slower on an H100 and stay for
    ``benchmarks/gpu_profile.py``."""
    if hist not in HIST_METHODS:
        raise ValueError(f"hist must be one of {HIST_METHODS}, not {hist!r}")
    per_quarter = _PER_QUARTER_COUNTS.get(hist)
    p = draw_params(scen.prior_table, zp, prior_rows)
    n = normals.shape[-1]
    dtype = normals.dtype
    n_var = len(Outputs._fields)
    horizon = scen.years.shape[0]
    valid = jnp.arange(n) < n_valid
    w = valid.astype(dtype)
    per_lane = _histogram_cells(horizon, bins)
    width = _line_width(lanes)
    # copy (g, w) of a cell lies at word (g * per_lane + cell) * width + w: draw d adds to
    # w = d % width, g = d // width % groups, so neighbouring draws in one cell share a line
    d = jnp.arange(n, dtype=jnp.int32)
    lane_base = ((d // width) % (lanes // width)) * per_lane * width + d % width

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
            counts = counts.at[:, t].add(_count_by_kernel(v, lo_t, scale, n_valid, bins + 2))
        elif per_quarter is not None:  # a (V, T, bins + 2) carry
            counts = counts.at[:, t].add(per_quarter(idx, finite, bins + 2, lanes))
        else:
            base = (jnp.arange(n_var, dtype=jnp.int32) * horizon + t) * (bins + 2)
            cell = jnp.where(finite, (base[:, None] + idx) * width + lane_base[None, :],
                             per_lane * lanes)
            counts = counts.at[cell.reshape(-1)].add(jnp.int32(1), mode="drop")
        big = jnp.asarray(jnp.inf, dtype)
        stats = (jnp.sum(x0, axis=1), jnp.sum(x0 * x0, axis=1),
                 jnp.min(jnp.where(finite, v, big), axis=1),
                 jnp.max(jnp.where(finite, v, -big), axis=1),
                 jnp.sum(jnp.where(finite, 0.0, w[None, :]), axis=1))
        return (state, jnp.maximum(max_dd, out.drawdown), counts), stats

    state0 = initial_state(p, scen, n, dtype)
    xs = (quarter_inputs(scen, normals, uniforms), jnp.arange(horizon, dtype=jnp.int32),
          lo.T, hi.T)
    by_quarter = per_quarter is not None or hist == "cuda"
    counts0 = jnp.zeros((n_var, horizon, bins + 2) if by_quarter else (lanes * per_lane,),
                        jnp.int32)
    (final, max_dd, counts), stats = lax.scan(
        body, (state0, jnp.zeros((n,), dtype), counts0), xs, unroll=SCAN_UNROLL)
    counts = (counts.reshape(-1) if by_quarter
              else counts.reshape(lanes // width, per_lane, width).sum((0, 2), dtype=jnp.int32))
    total, total_sq, minimum, maximum, nonfinite = (a.T for a in stats)  # (V, T)
    dd_exceed = jnp.stack([jnp.sum((max_dd > lvl) * w) for lvl in DRAWDOWN_LEVELS])
    below = jnp.sum((final.index_level < scen.init.index_level) * w)
    return counts, total, total_sq, minimum, maximum, nonfinite, dd_exceed, below, jnp.sum(w)


def _line_width(lanes: int) -> int:
    """Copies side by side in a cache line (``HIST_LINE_WIDTH``), 1 where ``lanes`` is not a
    multiple of it."""
    return HIST_LINE_WIDTH if lanes % HIST_LINE_WIDTH == 0 else 1


def histogram_lanes(devices, n_scen: int, horizon: int, bins: int) -> int:
    """Histogram copies per scenario: one on CPU; on an accelerator ``HIST_LANES``, fewer if
    all scenarios' copies would pass ``HIST_MEMORY_FRACTION`` of the device's memory
    (``HIST_LANE_BYTES`` where it does not say), a multiple of ``HIST_LINE_WIDTH`` where
    more than that."""
    if not on_accelerator(devices):
        return 1
    try:
        cap = int(devices[0].memory_stats()["bytes_limit"] * HIST_MEMORY_FRACTION)
    except (AttributeError, KeyError, TypeError, RuntimeError):
        cap = HIST_LANE_BYTES
    lane_bytes = 4 * _histogram_cells(horizon, bins) * n_scen  # int32 counts
    lanes = max(1, min(HIST_LANES, cap // lane_bytes))
    return lanes - lanes % HIST_LINE_WIDTH if lanes > HIST_LINE_WIDTH else lanes


@partial(jax.jit, static_argnames=("n_blocks", "common", "bins", "antithetic", "lanes",
                                   "prior_rows", "hist", "loop_scenarios"))
def summarize_chunk(scen_batch: ScenarioArrays, key, stream_ids, first_block, n_valid, lo, hi,
                    n_blocks: int, common: bool, bins: int, antithetic: bool = False,
                    lanes: int = 1, prior_rows: tuple[int, ...] | None = None,
                    hist: str = "scatter", loop_scenarios: bool = True):
    """Simulate a chunk and reduce it on the device to its ``Accumulator`` contribution, the
    histogram counts flat (S * V * T * (bins + 2),); the float paths are never materialised.
    ``n_valid`` draws of the chunk are real; ``lo``/``hi`` are (S, V, T); ``loop_scenarios``
    as for ``simulate_chunk``."""
    TRACES["summarize_chunk"] += 1
    block_ids = first_block + jnp.arange(n_blocks, dtype=jnp.uint32)
    run = partial(run_scenario_summary, n_valid=n_valid, bins=bins, lanes=lanes,
                  prior_rows=prior_rows, hist=hist)
    res = _over_batch(run, scen_batch, (lo, hi), key, stream_ids, block_ids, common, antithetic,
                      prior_rows, loop_scenarios)
    return (res[0].reshape(-1), *res[1:])


def summary_histogram_method(devices, dtype) -> tuple[str, str | None]:
    """How summary mode counts histograms on ``devices`` in ``dtype``: ``"cuda"`` (the
    shared-memory kernel of ``aicapex.kernels``, built on first use) on CUDA GPUs in float32,
    else ``"scatter"``; and, where a GPU falls back to the scatter, why (not when the user
    chose the scatter with ``AICAPEX_CUDA_KERNELS=0``)."""
    from .. import kernels  # builds with nvcc: I/O, kept out of the numeric functions

    if not on_accelerator(devices) or kernels.switched_off():
        return "scatter", None
    if jnp.dtype(dtype) != jnp.float32:
        return "scatter", "the CUDA histogram kernel counts float32 values only"
    if kernels.load():
        return "cuda", None
    return "scatter", kernels.why_not()


def simulate_summaries(scen_batch: ScenarioArrays, seed: int, n_draws: int, *,
                       chunk_size: int | None = None, bins: int = SUMMARY_BINS,
                       common_random_numbers: bool = True, stream_ids=None, device=None,
                       antithetic: bool = False,
                       progress: Callable[[int], None] | None = None,
                       hist: str | None = None
                       ) -> tuple[Accumulator, np.ndarray, np.ndarray]:
    """Summary-only run: accumulate statistics chunk by chunk (memory independent of
    ``n_draws``). The histogram range comes from the minimum and maximum of the first
    ``PILOT_BLOCKS`` blocks' draws (all draws of a smaller run), whatever the chunks and
    devices, widened (``summary.range_from_extremes``). Returns the accumulator and the range
    (lo, hi), each (S, V, T). Same draws as ``simulate_arrays`` for the same seed.
    ``chunk_size`` defaults to ``default_chunk_size``; ``hist`` (one of ``HIST_METHODS``) to
    ``summary_histogram_method``'s choice, which a GPU that falls back to the scatter warns
    of. ``LAST_TIMING["histogram"]`` records the method used."""
    n_scen, horizon = scen_batch.years.shape
    plan = _plan(scen_batch, seed, n_draws, chunk_size, stream_ids, device, summary=True)
    n_dev = len(plan.devices)
    dtype = scen_batch.years.dtype
    if hist is None:
        hist, why = summary_histogram_method(plan.devices, dtype)
        if why:
            warnings.warn(f"summary histograms are counted with XLA's scatter-add, slower than "
                          f"the CUDA kernel: {why}", RuntimeWarning, stacklevel=2)
    lanes = histogram_lanes(plan.devices, n_scen, horizon, bins) if hist == "scatter" else 1
    rep = NamedSharding(plan.mesh, P())

    def run_step(step, n_valid, lo, hi):
        return _summarize_step(plan.scen, plan.scen_layout, plan.key, plan.stream_ids,
                               plan.first_blocks(step),
                               jax.device_put(np.asarray(n_valid, np.int32),
                                              NamedSharding(plan.mesh, P(_AXIS))),
                               lo, hi, plan.mesh, plan.per_chunk, common_random_numbers, bins,
                               antithetic, lanes, plan.prior_rows, plan.loop_scenarios, hist)

    # The pilot: the first steps' program once more, with only the pilot draws (the run's
    # first PILOT_BLOCKS blocks, whatever the chunks) counted, for their minimum and maximum;
    # the same compiled program as every later step, so summary mode compiles one program.
    pilot_draws = min(n_draws, PILOT_BLOCKS * RNG_BLOCK)
    zero, one = (jax.device_put(jnp.full((n_scen, len(Outputs._fields), horizon), x, dtype),
                                rep) for x in (0, 1))
    t0 = time.perf_counter()
    pilot_steps = -(-pilot_draws // (plan.per_chunk * RNG_BLOCK * n_dev))
    mins, maxs = [], []  # (D, S, V, T) a step; a device without pilot draws has +-inf
    for i in range(pilot_steps):
        pilot = run_step(i, plan.step_draws(i, pilot_draws), zero, one)
        mins.append(np.asarray(pilot[3]))
        maxs.append(np.asarray(pilot[4]))
    lo, hi = range_from_extremes(np.concatenate(mins).min(0), np.concatenate(maxs).max(0))
    pilot_s = time.perf_counter() - t0  # compilation included
    del pilot
    lo_d, hi_d = (jax.device_put(jnp.asarray(x, dtype), rep) for x in (lo, hi))
    acc = [empty_accumulator(n_scen, len(Outputs._fields), horizon, bins)]

    def launch(step):
        valid = plan.step_draws(step, n_draws)
        return valid, run_step(step, valid, lo_d, hi_d)

    def finish(step, item):
        valid, part = item
        host = jax.device_get(part)
        for d in range(n_dev):
            if valid[d]:
                acc[0] = merge(acc[0], [x[d] for x in host])
                if progress is not None:
                    progress(valid[d])

    _pipelined(plan.n_steps, n_dev, launch, finish)
    # the pilot's first step compiled; every step after it ran compiled
    later = LAST_TIMING["later_chunk_mean_s"]
    steady = later if later == later else LAST_TIMING["first_chunk_s"]
    LAST_TIMING.update(first_chunk_s=pilot_s, compile_estimate_s=pilot_s - steady * pilot_steps,
                       histogram=hist)
    return acc[0], lo, hi


@partial(jax.jit, static_argnames=("layout", "mesh", "n_blocks", "common", "bins",
                                   "antithetic", "lanes", "prior_rows", "loop_scenarios", "hist"))
def _summarize_step(scen_buffers, layout: _Layout, key, stream_ids, first_blocks, n_valid, lo,
                    hi, mesh, n_blocks: int, common: bool, bins: int, antithetic: bool,
                    lanes: int, prior_rows, loop_scenarios: bool, hist: str):
    """``summarize_chunk`` of the scenario batch packed in ``scen_buffers`` (``_pack``) on
    every device of ``mesh``, device d from ``first_blocks[d]`` with ``n_valid[d]`` real
    draws: each result with a leading device axis (D, ...)."""
    scen_batch = _unpack(scen_buffers, layout)

    def body(sc, k, sid, fb, nv, lo_, hi_):
        res = summarize_chunk(sc, k, sid, fb[0], nv[0], lo_, hi_, n_blocks, common, bins,
                              antithetic, lanes, prior_rows, hist, loop_scenarios)
        return tuple(r[None] for r in res)
    return jax.shard_map(body, mesh=mesh, in_specs=(P(), P(), P(), P(_AXIS), P(_AXIS), P(), P()),
                         out_specs=P(_AXIS), check_vma=False)(scen_batch, key, stream_ids,
                                                               first_blocks, n_valid, lo, hi)
