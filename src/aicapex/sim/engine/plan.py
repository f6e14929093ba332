"""Planning a chunked run: chunk sizes, the devices and their mesh, and the steps of one chunk
per device."""

from __future__ import annotations

import os
from typing import NamedTuple

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from ..model import ScenarioArrays
from .devices import loop_scenarios_on, on_accelerator, resolve_devices
from .packing import Layout, pack
from .priors import random_prior_rows
from .rng import RNG_BLOCK

DEFAULT_CHUNK = 16 * RNG_BLOCK
"""Draws per compiled chunk on CPU: 8-16k keep a draw block's state in cache (measured
fastest)."""

SUMMARY_CHUNK = 8 * RNG_BLOCK
"""Draws per chunk on CPU in summary mode (8,192 measured best: docs/performance.md)."""

ACCELERATOR_CHUNK = 128 * RNG_BLOCK
"""Draws per chunk on a GPU with full paths: enough to fill the card (a quarter's scan step
is ~80 small kernels, so a small chunk is all launch overhead), small enough that 16
scenarios' paths (every output x 20 quarters) fit on the card and in a host copy."""

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


CHUNK_ENV = "AICAPEX_CHUNK_SIZE"
"""Environment variable that replaces the default chunk size (draws), for every mode and
device: fewer distinct chunk shapes mean fewer compilations (the test suite sets it)."""


def default_chunk_size(summary: bool, device=None, n_scen: int = 1) -> int:
    """Draws per chunk for the devices that would run (``device`` as for ``runner.simulate_paths``)
    and a batch of ``n_scen`` scenarios: small cache-sized chunks on CPU, large ones on an
    accelerator (in summary mode smaller for more scenarios, see
    ``ACCELERATOR_SUMMARY_CHUNK``); ``$AICAPEX_CHUNK_SIZE`` where set. Results do not depend
    on the chunk size."""
    if os.environ.get(CHUNK_ENV):
        try:
            size = int(os.environ[CHUNK_ENV])
        except ValueError:
            size = 0
        if size < 1:
            raise ValueError(f"{CHUNK_ENV}={os.environ[CHUNK_ENV]!r}: give a positive number "
                             "of draws, e.g. 8192")
        return size
    if on_accelerator(resolve_devices(device)):
        if not summary:
            return ACCELERATOR_CHUNK
        quarters = (max(n_scen, 1) - 1).bit_length() + 1 >> 1  # ceil(log4(n_scen))
        return max(ACCELERATOR_SUMMARY_CHUNK >> quarters, ACCELERATOR_SUMMARY_CHUNK_MIN)
    return SUMMARY_CHUNK if summary else DEFAULT_CHUNK


AXIS = "chunks"
"""Mesh axis over the devices: each device runs its own chunk of a step."""


class Plan(NamedTuple):
    """How a run goes: its chunks, steps, devices and the batch placed on them."""

    per_chunk: int           # RNG blocks per chunk
    n_chunks: int
    n_steps: int             # steps of one chunk per device
    devices: list
    mesh: Mesh
    scen: tuple[jax.Array, ...]  # the scenario batch packed (``packing.pack``), replicated
    scen_layout: Layout
    stream_ids: jax.Array
    key: jax.Array
    prior_rows: tuple[int, ...]
    first_block: int = 0     # the run's block this part of it starts at (a distributed task)

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
        ids = ((step * d + np.arange(d, dtype=np.uint32)) * np.uint32(self.per_chunk)
               + np.uint32(self.first_block))
        return jax.device_put(ids, NamedSharding(self.mesh, P(AXIS)))

CHUNK_STEP_OVERHEAD = 1 / 16
"""What a step costs beyond its draws on CPU, as a fraction of the largest chunk allowed, at
least one RNG block: on the 2-core CPU a 4-block chunk ran ~20% and a 2-block one ~50% slower
per draw than a 16-block one (docs/performance.md), i.e. about one block a step."""

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
    on ``devices``: the chunk a run's steps use (``plan_run``; ``bench.py`` warms it up)."""
    return chunk_blocks(-(-n_draws // RNG_BLOCK), max(1, chunk_size // RNG_BLOCK),
                        len(devices), on_accelerator(devices))


def run_chunk_draws(n_draws: int, chunk_size: int | None, device=None, n_scen: int = 1,
                    summary: bool = False) -> int:
    """Draws a chunk of a run holds (``plan_run``'s choice for ``chunk_size``, default
    ``default_chunk_size``, and ``device``): what a store written chunk by chunk aligns its
    own chunks to."""
    devices = resolve_devices(device)
    size = chunk_size or default_chunk_size(summary, devices, n_scen)
    return run_chunk_blocks(n_draws, size, devices) * RNG_BLOCK


def plan_run(scen_batch: ScenarioArrays, key: jax.Array, n_draws: int, chunk_size: int | None,
             stream_ids, device, summary: bool, first_block: int = 0,
             per_chunk: int | None = None) -> Plan:
    """Chunking and placement shared by both run modes. A run goes in steps: one SPMD program,
    compiled once for all the devices (separate per-device programs would compile once per
    device), runs one chunk on every device. ``first_block`` and ``per_chunk`` (RNG blocks a
    chunk) make it a part of a larger run: its draws are that run's from block
    ``first_block`` on, in chunks of the larger run's size (so every part runs one
    program)."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    n_scen = scen_batch.years.shape[0]
    devices = resolve_devices(device)
    chunk_size = chunk_size or default_chunk_size(summary, devices, n_scen)
    per_chunk = per_chunk or run_chunk_blocks(n_draws, chunk_size, devices)
    n_chunks = -(-n_draws // (per_chunk * RNG_BLOCK))
    ids = np.zeros(n_scen, np.uint32) if stream_ids is None else np.asarray(stream_ids)
    mesh = Mesh(np.array(devices), (AXIS,))
    rep = NamedSharding(mesh, P())
    buffers, layout = pack(scen_batch)
    scen, ids, key = jax.device_put((buffers, np.asarray(ids, np.uint32), key), rep)
    return Plan(per_chunk, n_chunks, -(-n_chunks // len(devices)), devices, mesh, scen, layout,
                ids, key, random_prior_rows(scen_batch.prior_table), first_block)


def scenario_group(batch: ScenarioArrays, stream_ids, g: int, size: int):
    """Group ``g`` of a batch split into groups of ``size`` scenarios: its scenarios (host
    arrays with a leading axis ``size``; the last group padded by repeating the batch's last
    scenario, so that every group has one shape and runs one compiled program) and their
    stream ids (None stays None)."""
    n_scen = batch.years.shape[0]
    take = np.minimum(np.arange(g * size, (g + 1) * size), n_scen - 1)
    return (jax.tree.map(lambda a: np.asarray(a)[take], batch),
            None if stream_ids is None else np.asarray(stream_ids)[take])
