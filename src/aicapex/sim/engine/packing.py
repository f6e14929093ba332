"""The scenario batch as one flat buffer per dtype: the run programs take it packed and unpack
it by static slices inside the program.

A scenario batch has ~45 leaves: placed and passed leaf by leaf they cost ~4 ms of
``device_put`` per run and ~2 ms of dispatch per step on the 2-core machine, as much as a few
percent of a small run (``docs/performance.md``). ``AICAPEX_PACK_BATCH=0`` passes the leaves
one by one instead (the same results).
"""

from __future__ import annotations

import math
import os
from typing import Any, NamedTuple

import jax
import numpy as np


def enabled() -> bool:
    """Whether ``pack`` packs (the default); ``AICAPEX_PACK_BATCH=0`` turns it off."""
    return os.environ.get("AICAPEX_PACK_BATCH", "1") != "0"


class Layout(NamedTuple):
    """How ``pack`` laid a pytree's leaves out: static and hashable (a jit argument).
    ``leaves`` is None where the leaves were passed one by one."""

    treedef: Any
    leaves: tuple[tuple[int, int, tuple[int, ...]], ...] | None   # (buffer, offset, shape)


def pack(tree) -> tuple[tuple[np.ndarray, ...], Layout]:
    """A pytree of arrays as one flat host buffer per dtype and its ``Layout`` (or, switched
    off, its leaves as they are)."""
    leaves, treedef = jax.tree.flatten(tree)
    if not enabled():
        return tuple(np.asarray(leaf) for leaf in leaves), Layout(treedef, None)
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
    return tuple(np.concatenate(p) for p in parts), Layout(treedef, tuple(spec))


def unpack(buffers, layout: Layout):
    """The pytree ``pack`` packed, from its (traced) buffers."""
    if layout.leaves is None:
        return jax.tree.unflatten(layout.treedef, list(buffers))
    leaves = [buffers[b][off:off + math.prod(shape)].reshape(shape)
              for b, off, shape in layout.leaves]
    return jax.tree.unflatten(layout.treedef, leaves)
