"""JAX's default random numbers, computed in fused loops.

``jax.random.normal(key, (m,), float32)`` and ``jax.random.uniform`` with threefry in its
non-partitionable layout hash the counter pairs ``(i, i + m/2)``, ``i < m/2``, with
Threefry-2x32 (20 rounds) under the key; number ``i`` is word 0 of pair ``i``, number
``i + m/2`` its word 1. On CPU, JAX runs the hash as a rolled loop whose state goes through
memory every four rounds, once per key under ``vmap``. ``words`` below writes the same hash
out as one expression over a whole (rows, blocks, m) grid of keys and counters, which XLA
fuses with the conversion to floats: bit for bit the same numbers (tested), the engine's
random numbers in 2/3 to 3/4 of the time on CPU (``docs/performance.md``). float32 only:
a number takes one 32-bit word. ``AICAPEX_FUSED_THREEFRY=0`` switches it off (``enabled``).

XLA computes each output word in its own loop, so every hash runs twice; packing both words
into one uint64 first, with or without an optimisation barrier, measured no faster.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def enabled() -> bool:
    """Whether the engine draws float32 numbers on CPU with this module (the default) rather
    than ``jax.random``'s own functions: ``AICAPEX_FUSED_THREEFRY=0`` turns it off. Read when a
    program is traced, so set it before the first run in a process."""
    return os.environ.get("AICAPEX_FUSED_THREEFRY", "1") != "0"


_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(x, d: int):
    return lax.shift_left(x, np.uint32(d)) | lax.shift_right_logical(x, np.uint32(32 - d))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds (Salmon et al. 2011; JAX's ``threefry_2x32``): key words
    ``k0, k1`` and counter words ``x0, x1``, uint32 arrays that broadcast together. Returns
    the two output words."""
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = x0 + k0, x1 + k1
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def words(keys, m: int):
    """``jax.random.bits(k, (m,), uint32)`` for every key ``k`` of ``keys`` (threefry keys of
    any shape K, non-partitionable layout): uint32 (*K, m), m even."""
    if m % 2:
        raise ValueError(f"m must be even, got {m}")
    data = jax.random.key_data(keys)
    k0, k1 = data[..., 0, None], data[..., 1, None]
    i = lax.iota(jnp.uint32, m // 2)
    y0, y1 = threefry2x32(k0, k1, i, i + np.uint32(m // 2))
    return jnp.concatenate([y0, y1], axis=-1)


_ONE = np.array(1.0, np.float32)


def _unit(bits):
    """float32 in [0, 1) from the top 23 bits of ``bits`` (as ``jax.random.uniform``)."""
    return lax.bitcast_convert_type(
        lax.shift_right_logical(bits, np.uint32(9)) | _ONE.view(np.uint32), jnp.float32) - _ONE


def uniform(keys, m: int):
    """``jax.random.uniform(k, (m,), float32)`` for every key: (*K, m)."""
    return lax.max(np.float32(0.0), _unit(words(keys, m)))


def normal(keys, m: int):
    """``jax.random.normal(k, (m,), float32)`` for every key: (*K, m)."""
    lo = np.nextafter(np.float32(-1.0), np.float32(0.0))
    u = lax.max(lo, _unit(words(keys, m)) * (_ONE - lo) + lo)
    return np.float32(np.sqrt(2)) * lax.erf_inv(u)
