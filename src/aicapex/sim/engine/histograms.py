"""How summary mode counts its histograms: the scatter-add into histogram copies (CPU, and GPUs
without the CUDA kernel) or the shared-memory CUDA kernel of ``kernels/``; how many copies an
accelerator gets. Counting variants that production never selects live in
``benchmarks/counting_variants.py``."""

from __future__ import annotations

import jax.numpy as jnp

from ..model import N_OUTPUTS
from . import kernels  # builds with nvcc on first use (load), never at import
from .devices import on_accelerator

SUMMARY_BINS = 2048
"""Histogram bins per variable and quarter (plus two outer bins)."""

HIST_LANES = 128
"""Copies of the histograms counted on an accelerator: each draw adds to one copy (laid out as
``HIST_LINE_WIDTH`` says), so that draws landing in the same bin do not contend for one
memory word (atomic adds); summed per chunk. Measured with every copy a whole histogram set
apart, on an H100, one
scenario's 2^20-draw chunk: 1 / 8 / 32 / 128 copies 70 / 256 / 401 / 549 M draw-quarters/s
(model alone 991 M); on the current model 128 / 512 / 1024 copies 623 / 702 / 691 M per chunk
alone (model alone 1,386 M), but end to end (10^8 draws, two chunks in flight) 512 copies
ran at 565 M against 655 M with 128 (two runs each). Fewer copies where they would pass
``HIST_MEMORY_FRACTION`` of the card; at most ~1,800 (int32 cell indices)."""

HIST_LINE_WIDTH = 16
"""Histogram copies that lie side by side, one word apart, in a cell's cache line (the others
lie a whole histogram set apart): neighbouring draws of a warp that land in one cell then add
to one line, which the GPU's L2 takes as one transaction. On an H100 (docs/performance.md),
one 2^20-draw chunk alone with 128 copies, 1 / 8 / 16 / 32 side by side: one scenario 621 /
721 / 691 / 631 M draw-quarters/s, 16 scenarios 718 / 851 / 815 / 750 M; but end to end (two
chunks in flight) 16 beat 8 by 4%: 1 x 10^8 draws 756 against 729 M, 16 x 10^7 793 against
763 M (1 side by side: 659 and 684 M)."""

HIST_MEMORY_FRACTION = 1 / 8
"""Share of an accelerator's memory that one chunk's histogram copies may take (two chunks
are in flight, each with its model state)."""

HIST_LANE_BYTES = 4 * 2**30
"""Memory cap for one chunk's histogram copies where a device does not report its memory."""

KERNEL_TARGET = "aicapex_count_cells"
"""The XLA custom call of ``kernels/`` that ``hist="cuda"`` counts with
(``aicapex_count_cells_graph``: the same kernel, which XLA may record into a CUDA graph)."""

KERNEL_REPLICAS = 2
"""Shared-memory histograms per block of the CUDA kernel (its 8 warps share them evenly): more
copies, fewer warps adding to one bin of a crowded variable at once, but more to zero and sum
(1 / 2 / 4 / 8 measured on an H100: 0.29 / 0.26 / 0.28 / 0.33 ms a quarter)."""

KERNEL_PARTS = 0
"""Blocks per row (variable) of the CUDA kernel; 0: enough for 4 per multiprocessor."""

KERNEL_AGGREGATE = False
"""Whether lanes of a warp that land in one bin add once (``__match_any_sync``)."""


def histogram_cells(horizon: int, bins: int) -> int:
    """Cells of one scenario's histogram set: every output x quarter x (bins + 2 outer)."""
    return N_OUTPUTS * horizon * (bins + 2)


def line_width(lanes: int) -> int:
    """Copies side by side in a cache line (``HIST_LINE_WIDTH``), 1 where ``lanes`` is not a
    multiple of it."""
    return HIST_LINE_WIDTH if lanes % HIST_LINE_WIDTH == 0 else 1


def histogram_lanes(devices, n_scen: int, horizon: int, bins: int) -> int:
    """Histogram copies per scenario: one on CPU; on an accelerator ``HIST_LANES``, fewer if
    all scenarios' copies would pass ``HIST_MEMORY_FRACTION`` of the device's memory
    (``HIST_LANE_BYTES`` where it does not say), a multiple of ``HIST_LINE_WIDTH`` where
    more than that."""
    if not on_accelerator(devices):
        return 1
    try:
        cap = int(devices[0].memory_stats()["bytes_limit"] * HIST_MEMORY_FRACTION)
    except (AttributeError, KeyError, TypeError, RuntimeError):
        cap = HIST_LANE_BYTES
    lane_bytes = 4 * histogram_cells(horizon, bins) * n_scen  # int32 counts
    lanes = max(1, min(HIST_LANES, cap // lane_bytes))
    return lanes - lanes % HIST_LINE_WIDTH if lanes > HIST_LINE_WIDTH else lanes


def count_by_kernel(v, lo, scale, n_valid, cells: int):
    """Histogram counts (V, cells) of the values ``v`` (V, B) by the shared-memory CUDA kernel
    of ``kernels/`` (registered by ``kernels.load()``): the binning of
    ``run_scenario_summary``, done inside the kernel, and the same counts. Only non-finite
    values and draws past ``n_valid`` are left out. float32 and CUDA only."""
    return kernels.count_cells(v, lo, scale, n_valid, cells, replicas=KERNEL_REPLICAS,
                       parts=KERNEL_PARTS, aggregate=KERNEL_AGGREGATE, target=KERNEL_TARGET)


HIST_METHODS = ("scatter", "cuda")
"""Ways the engine counts summary histograms (``scan.run_scenario_summary``)."""


def summary_histogram_method(devices, dtype) -> tuple[str, str | None]:
    """How summary mode counts histograms on ``devices`` in ``dtype``: ``"cuda"`` (the
    shared-memory kernel of ``kernels/``, built on first use) on CUDA GPUs in float32,
    else ``"scatter"``; and, where a GPU falls back to the scatter, why (not when the user
    chose the scatter with ``AICAPEX_CUDA_KERNELS=0``)."""
    if not on_accelerator(devices) or kernels.switched_off():
        return "scatter", None
    if jnp.dtype(dtype) != jnp.float32:
        return "scatter", "the CUDA histogram kernel counts float32 values only"
    if kernels.load():
        return "cuda", None
    return "scatter", kernels.why_not()
