"""Histogram counting variants that the engine never selects, kept for the GPU profile
(``gpu_profile.py``): each makes one quarter's (V, cells) counts from cell indices, and each is
exactly equal to the engine's scatter (``tests/engine/test_histogram_counting.py``). All were
slower than the scatter or the CUDA kernel on an H100 (``docs/performance.md``). Pass one as
``hist=`` to ``aicapex.sim.engine.scan.run_scenario_summary``."""

from __future__ import annotations

import jax.numpy as jnp

HIST_SPLIT = 64
"""Histogram counting by matrix product: a cell index splits into (index // HIST_SPLIT,
index % HIST_SPLIT), one one-hot operand each."""


HIST_ONEHOT = jnp.bfloat16
"""Element type of the one-hot operands (bfloat16 with float32 sums, or int8 with int32)."""


def count_by_matmul(idx, keep, cells: int):
    """Histogram counts (V, cells) of cell indices ``idx`` (V, B) where ``keep``, as one matrix
    product per variable: cell = h * HIST_SPLIT + l, and counts[h, l] = sum over draws of
    onehot(h) x onehot(l) (bf16 zeros and ones, float32 sums: exact below 2^24 draws): tensor
    cores instead of atomic adds. Not the default: on an H100 it ran 3.5x slower than the
    scatter, as XLA materialised the one-hot operands (docs/performance.md)."""
    h = jnp.where(keep, idx // HIST_SPLIT, -1)
    n_hi = -(-cells // HIST_SPLIT)
    oh_hi = (h[:, :, None] == jnp.arange(n_hi, dtype=jnp.int32)).astype(HIST_ONEHOT)
    oh_lo = ((idx % HIST_SPLIT)[:, :, None] == jnp.arange(HIST_SPLIT, dtype=jnp.int32)
             ).astype(HIST_ONEHOT)
    acc = jnp.int32 if jnp.issubdtype(HIST_ONEHOT, jnp.integer) else jnp.float32
    c = jnp.einsum("vbh,vbl->vhl", oh_hi, oh_lo, preferred_element_type=acc)
    return c.reshape(c.shape[0], -1)[:, :cells].astype(jnp.int32)


def count_by_quarter_buffer(idx, keep, cells: int, lanes: int):
    """Histogram counts (V, cells) scatter-added into a fresh buffer of ``lanes`` copies (draw
    j into copy j % lanes), summed over the copies. Not the default: 5-8% slower than keeping
    the copies in the scan's carry on an H100 (docs/performance.md)."""
    n_var, n = idx.shape
    copy = (jnp.arange(n, dtype=jnp.int32) % lanes) * n_var
    cell = jnp.where(keep, (copy[None, :] + jnp.arange(n_var, dtype=jnp.int32)[:, None]) * cells
                     + idx, lanes * n_var * cells)
    buf = jnp.zeros((lanes * n_var * cells,), jnp.int32).at[cell.reshape(-1)].add(
        jnp.int32(1), mode="drop")
    return buf.reshape(lanes, n_var, cells).sum(0, dtype=jnp.int32)


def count_by_sort(idx, keep, cells: int):
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


def by_quarter(idx, keep, cells: int, lanes: int):
    """``count_by_quarter_buffer`` as a ``hist=`` function."""
    return count_by_quarter_buffer(idx, keep, cells, lanes)


def by_sort(idx, keep, cells: int, lanes: int):
    """``count_by_sort`` as a ``hist=`` function (``lanes`` unused)."""
    return count_by_sort(idx, keep, cells)


def by_matmul(idx, keep, cells: int, lanes: int):
    """``count_by_matmul`` as a ``hist=`` function (``lanes`` unused)."""
    return count_by_matmul(idx, keep, cells)


PER_QUARTER_COUNTS = {"quarter": by_quarter, "sort": by_sort, "matmul": by_matmul}
"""The variants by name, each ``f(idx, keep, cells, lanes) -> (V, cells)``."""
