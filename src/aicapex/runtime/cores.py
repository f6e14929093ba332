"""How many CPU devices a run splits the processor into by default."""

from __future__ import annotations

import os

DEFAULT_CPU_DEVICES = min(os.cpu_count() or 1, 4)
"""CPU devices a run uses unless told (``--cpu-devices``): one per core, at most 4 (each device
holds two chunks in flight). One SPMD program runs a chunk on each, compiled once; on the
2-core development machine two devices ran summary mode ~15% faster than one. Results do not
depend on it."""
