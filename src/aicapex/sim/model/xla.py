"""XLA-specific forms of simple operations, kept out of the equations. Each computes exactly
what its docstring's plain expression does, written so that XLA:CPU compiles it well (each
measured on the 2-core development machine)."""

from __future__ import annotations

import numpy as np

from .deferred import jnp, lax

GROUP_ROWS = np.arange(3)[:, None]
"""Row index of the (3, B) group arrays (hardware, platforms, other 490)."""


def group_rows(hw, platforms, other):
    """``jnp.stack([hw, platforms, other])`` broadcast to (3, B), from (B,) arrays or scalars.
    Built by broadcasting selects on ``GROUP_ROWS``: XLA:CPU emits a fused concatenate as a
    branch per element, which kept the valuation fusion scalar (2.3 ms of a 4.4 ms
    quarter)."""
    return jnp.where(GROUP_ROWS == 0, hw, jnp.where(GROUP_ROWS == 1, platforms, other))


def only_row(row: int, value):
    """``value`` in group row ``row`` of a (3, B) array, 0 in the others."""
    return jnp.where(row == GROUP_ROWS, value, 0.0)


def row_is(row: int, if_true, if_false):
    """``if_true`` in group row ``row``, ``if_false`` in the others, broadcast to (3, B)."""
    return jnp.where(row == GROUP_ROWS, if_true, if_false)


def write_slot(ring, slot, value):
    """``ring.at[slot].set(value)`` for a ring (L, B) and a value (B,), as a select: under
    ``vmap`` (scenarios) ``dynamic_update_slice`` becomes a scatter, which XLA:CPU ran as four
    copies of the ring per quarter."""
    slots = lax.broadcasted_iota(jnp.int32, ring.shape, 0)
    return jnp.where(slots == slot, value[None], ring)


def sum_rows3(a):
    """``jnp.sum(a, axis=0)`` of a (3, B) array: XLA:CPU hands a 3-row reduction to a library
    call (~0.13 ms a quarter)."""
    return a[0] + a[1] + a[2]


def nonnegative(x):
    """max(x, 0). Used on 1 - index / peak: XLA may compute the index twice in different
    fusions (and a GPU divides with its own rounding), so index / peak can exceed 1 by an
    ulp."""
    return jnp.maximum(x, 0.0)
