"""Histogram counting on a GPU's tensor cores: a Pallas (Triton) kernel that counts cell
indices as products of one-hot matrices, with no atomic adds.

A cell index j in [0, bins) splits into (j // 64, j % 64); the counts of a variable's values
are ``onehot_hi.T @ onehot_lo``, a (bins / 64, K) @ (K, 64) product of zeros and ones per K
values, summed in int32 in registers. XLA, given the same product (``engine._count_by_matmul``),
wrote the one-hot operands to memory first (3.5x slower than its scatter); here they live only
in registers and shared memory. Pure function of its arrays; runs interpreted on a CPU (the
tests) and compiled on a GPU.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plgpu

LO = 64
"""One-hot width of a cell index's low part (j % LO)."""
SUB = 128
"""Values per one-hot product (the contraction length K)."""
PER_PROGRAM = 16384
"""Values of one variable that one kernel instance counts (fewer if a chunk is not a multiple)."""
WARPS = 4
"""Warps per kernel instance."""


def supported_bins(bins: int) -> bool:
    """Whether ``count_cells`` takes this bin count: a power of two of at least 16 * LO (the
    kernel's tensor shapes are powers of two, a product's sides at least 16)."""
    return bins >= 16 * LO and bins & (bins - 1) == 0


def _per_program(n: int) -> int:
    """Values per kernel instance: the largest power of two that divides ``n``, at most
    ``PER_PROGRAM`` and at least ``SUB``."""
    p = min(PER_PROGRAM, n & -n)
    if p < SUB:
        raise ValueError(f"value count {n} must be a multiple of {SUB}")
    return p


def count_cells(j: jax.Array, bins: int, *, interpret: bool = False) -> jax.Array:
    """Counts (V, bins) int32 of the cell indices ``j`` (V, B) int32: each value in
    [0, bins) counts in its cell, any other value (negative, >= bins) is dropped. ``bins`` as
    ``supported_bins``; B a multiple of ``SUB``. ``interpret`` runs the kernel in Pallas's
    interpreter (any backend)."""
    if not supported_bins(bins):
        raise ValueError(f"bins must be a power of two >= {16 * LO}, not {bins}")
    n_var, n = j.shape
    per = _per_program(n)
    n_hi = bins // LO
    shift = LO.bit_length() - 1

    def kernel(j_ref, o_ref):
        rows = lax.broadcasted_iota(jnp.int32, (n_hi, SUB), 0)
        cols = lax.broadcasted_iota(jnp.int32, (SUB, LO), 1)

        def body(i, acc):
            x = j_ref[0, pl.ds(pl.multiple_of(i * SUB, SUB), SUB)]
            hi = (x[None, :] >> shift == rows).astype(jnp.int8)  # (n_hi, SUB)
            lo = ((x[:, None] & (LO - 1)) == cols).astype(jnp.int8)  # (SUB, LO)
            return acc + jnp.dot(hi, lo, preferred_element_type=jnp.int32)

        o_ref[0, 0] = lax.fori_loop(0, per // SUB, body, jnp.zeros((n_hi, LO), jnp.int32))

    out = pl.pallas_call(
        kernel,
        out_shape=jax.ShapeDtypeStruct((n_var, n // per, n_hi, LO), jnp.int32),
        grid=(n_var, n // per),
        in_specs=[pl.BlockSpec((1, per), lambda v, p: (v, p))],
        out_specs=pl.BlockSpec((1, 1, n_hi, LO), lambda v, p: (v, p, 0, 0)),
        compiler_params=plgpu.CompilerParams(num_warps=WARPS),
        interpret=interpret,
    )(j)
    return out.sum(1, dtype=jnp.int32).reshape(n_var, bins)
