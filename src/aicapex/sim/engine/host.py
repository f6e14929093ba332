"""Host memory: glibc's malloc tuned so XLA's per-run scratch memory and a finished run's host
arrays are reused, not faulted in afresh (glibc only).

XLA:CPU allocates each execution's temporaries as one block (tens of MB for a 16k-draw
chunk) and frees it afterwards. glibc serves blocks above its mmap threshold (at most 32 MB
by its dynamic rule) with a fresh ``mmap``, so every chunk paid a page fault for each 4 KiB
page it touched: a third of the model's time on the 2-core machine (47 -> 32 ms per
16,384-draw chunk, docs/performance.md). Raising the threshold lets glibc reuse the freed
heap memory. Its trim threshold is raised to the same size, so that freed memory at the top
of the heap (a finished run's host arrays, say) is kept for the next allocation instead of
being handed back and faulted in again: repeated runs in one process (the API in a notebook,
a benchmark) reuse it. The cost: up to 256 MB of freed memory stays with the process instead
of going back to the OS. Paired on the 2-core machine (docs/performance.md): full paths of
10^6 draws 1.14x faster; runs of 10^4-10^5 draws unchanged. Set ``AICAPEX_MALLOC_TUNING=0``
to leave malloc alone. Called when a run starts, never at import.
"""

from __future__ import annotations

import ctypes
import os
import sys

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

