"""Keep XLA's per-run scratch memory out of fresh ``mmap`` pages (glibc only).

XLA:CPU allocates each execution's temporaries as one block (tens of MB for a 16k-draw
chunk) and frees it afterwards. glibc serves blocks above its mmap threshold (at most 32 MB
by its dynamic rule) with a fresh ``mmap``, so every chunk paid a page fault for each 4 KiB
page it touched: a third of the model's time on the 2-core machine (47 -> 32 ms per
16,384-draw chunk, docs/performance.md). Raising the threshold lets glibc reuse the freed
heap memory. Its trim threshold is raised to the same size, so that freed memory at the top
of the heap (a finished run's host arrays, say) is kept for the next allocation instead of
being handed back and faulted in again: repeated runs in one process (the API in a notebook,
a benchmark) of 10^4 draws with full paths took 61 instead of 75 ms. The cost: up to 256 MB
of freed memory stays with the process instead of going back to the OS. Set
``AICAPEX_MALLOC_TUNING=0`` to leave malloc alone.

``host_output`` allocates the large host arrays of full paths without numpy's huge-page advice
(see there; ``AICAPEX_HUGEPAGE_TUNING=0`` leaves numpy's advice on).
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

MMAP_THRESHOLD_BYTES = 256 * 2**20
_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_done: list[bool] = []


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; returns whether the mmap
    threshold is in effect. A no-op off Linux/glibc or with ``AICAPEX_MALLOC_TUNING=0``; a
    threshold the user set (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``) is left
    as it is, and without the mmap threshold neither is changed."""
    if _done:
        return _done[0]
    ok = False
    if (sys.platform.startswith("linux") and os.environ.get("AICAPEX_MALLOC_TUNING", "1") != "0"
            and "MALLOC_MMAP_THRESHOLD_" not in os.environ):
        try:
            libc = ctypes.CDLL("libc.so.6")
            ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(MMAP_THRESHOLD_BYTES)))
            if ok and "MALLOC_TRIM_THRESHOLD_" not in os.environ:
                libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(MMAP_THRESHOLD_BYTES))
        except (OSError, AttributeError):  # not glibc
            ok = False
    _done.append(ok)
    return ok


def _madvise_switch():
    """numpy's switch for its huge-page advice (private; numpy 2 and 1.x spell it differently),
    or None where this numpy has none."""
    for mod in ("_core", "core"):
        fn = getattr(getattr(getattr(np, mod, None), "multiarray", None),
                     "_set_madvise_hugepage", None)
        if fn is not None:
            return fn
    return None


def host_output(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised host array for a run's full paths, allocated without numpy's
    ``madvise(MADV_HUGEPAGE)`` on Linux. Where transparent huge pages are on "madvise" (a common
    default), that advice makes the kernel compact memory for a 2 MB page at the first touch
    of every 2 MB, and a chunk's writes touch every row of the (S, T, draws) arrays: filling
    2.3 GB of paths (10^6 draws) cost 3.3 s with the advice and 1.0 s without on the 2-core
    machine, and a 10^6-draw run lost ~25% to it (docs/performance.md). The switch is
    numpy-global, so it is restored at once; ``AICAPEX_HUGEPAGE_TUNING=0`` leaves it alone."""
    switch = _madvise_switch() if (sys.platform.startswith("linux") and os.environ.get(
        "AICAPEX_HUGEPAGE_TUNING", "1") != "0") else None
    if switch is None:
        return np.empty(shape, dtype)
    before = switch(False)
    try:
        return np.empty(shape, dtype)
    finally:
        switch(before)
