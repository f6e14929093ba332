"""Random numbers: per-block Threefry streams in the (row, draw) layout the model reads, and
the correlation of the shocks.

Randomness is tied to draws, not to execution: draws come in logical blocks of ``RNG_BLOCK``
and block ``k`` uses ``fold_in(key, k)``, so a draw's numbers do not depend on the chunk size,
the devices or the horizon.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ..model import N_NORMALS, N_PARAMS, N_UNIFORMS
from . import threefry
from .streams import PARAM_STREAMS

RNG_BLOCK = 1024
"""Draws per logical random-number block; chunks are whole numbers of blocks."""


def block_randoms(key, block_ids, horizon: int, dtype, antithetic: bool = False,
                  prior_rows: tuple[int, ...] | None = None):
    """Random numbers for the logical blocks ``block_ids``: normals (T, N_NORMALS, B),
    uniforms (T, N_UNIFORMS, B) and prior scores (len(prior_rows), B) (default: all N_PARAMS
    parameters), B = len(block_ids) * RNG_BLOCK.

    Every row of a block has its own key: row r of block k (normals and uniforms: r = t * n +
    i for quarter t and shock i; prior scores: r = the parameter's stream, ``streams.stream``
    of its name, so no parameter's draws depend on the others declared) is drawn from
    ``fold_in(split(fold_in(key, k))[j], r)``. So a draw's numbers depend neither on the
    chunk size, nor on the horizon (quarter t's numbers are the same for any horizon > t),
    nor on which other parameters are random; and the numbers come out in the (row, draw)
    layout the model reads, with no transpose.

    With ``antithetic``, each block draws half its numbers and its second half mirrors the
    first (normals and prior scores negated, uniforms u -> 1 - u): half the random-number
    cost, and draw j and j + RNG_BLOCK/2 of a block form an antithetic pair.

    Threefry runs in its non-partitionable layout whatever the global setting: on CPU it
    makes bits 2.4x faster (measured, docs/performance.md), and the engine shards by
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
    measured against the fused one) use JAX's functions, and so does every platform with
    ``AICAPEX_FUSED_THREEFRY=0`` (read when a program is traced)."""
    normal, uniform = _jax_samplers(dtype)
    if jnp.dtype(dtype) != jnp.float32 or not threefry.enabled():
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
    zp = (rows(2, [PARAM_STREAMS[i] for i in prior_rows], normal, jnp.negative) if prior_rows
          else jnp.zeros((0, nb), dtype))
    return (normals.reshape(horizon, N_NORMALS, nb), uniforms.reshape(horizon, N_UNIFORMS, nb),
            zp)


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
