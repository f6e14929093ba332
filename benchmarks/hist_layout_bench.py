"""Histogram counting alone on one quarter's values (29 outputs x 2^20 draws, 2,048 bins), on
an accelerator: XLA's scatter-add into copies laid out in several ways (a histogram set apart,
16-bit counts two to a word, side by side in a cache line) and the engine's shared-memory
CUDA kernel, checked against one copy's counts. Not part of the tests. (A Pallas one-hot
tensor-core kernel measured here at commit c5ef40f was slower and is gone; RESULTS.md.)

    python benchmarks/hist_layout_bench.py [--draws 1048576] [--reps 20] [--lanes 256 512]
        [--packed 128 256] [--tiled 16x8 8x16] [--unique] [--spread] [--kernel 2:0 8:1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

N_VAR, BINS = 29, 2048


def _time(f, x, reps):
    jax.block_until_ready(f(x))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f(x))
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def scatter_packed(lanes):
    """Two cells' 16-bit counts per int32 word (a copy's count per chunk stays below 2^16)."""
    def f(j):
        n = j.shape[1]
        half = N_VAR * BINS // 2
        lane = (jnp.arange(n, dtype=jnp.int32) % lanes)[None, :] * half
        ok = (j >= 0) & (j < BINS)
        cell = jnp.arange(N_VAR, dtype=jnp.int32)[:, None] * BINS + j
        word = jnp.where(ok, lane + cell // 2, lanes * half)
        inc = jnp.left_shift(jnp.int32(1), 16 * (cell % 2))
        c = jnp.zeros((lanes * half,), jnp.int32).at[word.reshape(-1)].add(
            inc.reshape(-1), mode="drop").reshape(lanes, half)
        lo16, hi16 = c & 0xFFFF, c >> 16
        return jnp.stack([lo16, hi16], -1).sum(0).reshape(N_VAR, BINS)
    return jax.jit(f)


def scatter_tiled(width, groups):
    """Copies laid out so that a warp's neighbouring draws add to one cache line when they
    share a cell: word ((g * cells + cell) * width + draw % width), g = draw // width % groups
    (width * groups copies)."""
    def f(j):
        n = j.shape[1]
        d = jnp.arange(n, dtype=jnp.int32)
        cells = N_VAR * BINS
        g = (d // width) % groups
        ok = (j >= 0) & (j < BINS)
        cell = jnp.arange(N_VAR, dtype=jnp.int32)[:, None] * BINS + j
        word = jnp.where(ok, ((g[None, :] * cells + cell) * width) + (d % width)[None, :],
                         groups * cells * width)
        c = jnp.zeros((groups * cells * width,), jnp.int32).at[word.reshape(-1)].add(
            1, mode="drop")
        return c.reshape(groups, N_VAR, BINS, width).sum((0, 3))
    return jax.jit(f)


def scatter(lanes):
    """``lanes`` copies, each a whole histogram set apart (draw d into copy d % lanes)."""
    return scatter_tiled(1, lanes)


def scatter_unique():
    """Every value to its own word: the scatter's rate without any shared address."""
    def f(j):
        cell = jnp.arange(j.size, dtype=jnp.int32) + 0 * j.reshape(-1)
        return jnp.zeros((j.size,), jnp.int32).at[cell].add(1, mode="drop")
    return jax.jit(f)


def kernel_count(replicas: int, aggregate: bool, parts: int = 0):
    """The engine's shared-memory CUDA kernel (``aicapex.kernels``) on the same cells: value
    j + 0.5 on the range [0, BINS) lands in bin j; dropped values are NaN."""
    from aicapex.sim.engine import histograms

    def f(j):
        saved = histograms.KERNEL_REPLICAS, histograms.KERNEL_AGGREGATE, histograms.KERNEL_PARTS
        histograms.KERNEL_REPLICAS, histograms.KERNEL_AGGREGATE, histograms.KERNEL_PARTS = (
            replicas, aggregate, parts)
        try:  # the settings are read while tracing
            v = jnp.where(j >= 0, j.astype(jnp.float32) + 0.5, jnp.nan)
            c = histograms.count_by_kernel(v, jnp.zeros(N_VAR), jnp.ones(N_VAR), j.shape[1],
                                        BINS + 2)
        finally:
            histograms.KERNEL_REPLICAS, histograms.KERNEL_AGGREGATE, histograms.KERNEL_PARTS = saved
        return c[:, 1:-1]
    return jax.jit(f)


def _report(label: str, f, j, reps: int, ref=None) -> None:
    """Time ``f(j)`` and print its rate (and, given ``ref``, whether its counts equal it)."""
    same = "" if ref is None else f"  exact {np.array_equal(np.asarray(f(j)), ref)}"
    t = _time(f, j, reps)
    print(f"{label:36} {1e3 * t:8.3f} ms  {j.size / t / 1e9:7.1f} G values/s{same}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1 << 20)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--lanes", type=int, nargs="*", default=[],
                    help="more scatter copy counts to time")
    ap.add_argument("--packed", type=int, nargs="*", default=[],
                    help="copy counts to time with two 16-bit counts per word")
    ap.add_argument("--tiled", nargs="*", default=[],
                    help="line-tiled copy layouts to time, as WIDTHxGROUPS (e.g. 32x16)")
    ap.add_argument("--kernel", nargs="*", default=[],
                    help="CUDA shared-memory kernel settings to time, as "
                    "REPLICAS:AGGREGATE[:PARTS] (e.g. 2:0 8:1)")
    ap.add_argument("--unique", action="store_true", help="time a scatter to distinct words")
    ap.add_argument("--spread", action="store_true", help="time uniformly spread bins")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    # spread values, a crowded variable (a few bins) and dropped values, as in a chunk
    x = rng.normal(BINS / 2, BINS / 8, size=(N_VAR, args.draws)).astype(np.int32)
    x[0] = rng.choice([300, 301, 1200], size=args.draws)
    x[1, ::7] = -1
    j = jnp.asarray(x)
    print(f"device {jax.devices()[0].device_kind}; {N_VAR} x {args.draws:,} values, {BINS} bins")
    ref = np.asarray(scatter(1)(j))
    for lanes in (1, 128, *args.lanes):
        _report(f"scatter, {lanes} copies", scatter(lanes), j, args.reps)
    for lanes in args.packed:
        _report(f"scatter 16-bit, {lanes} copies", scatter_packed(lanes), j, args.reps, ref)
    for spec in args.tiled:  # WIDTHxGROUPS
        width, groups = (int(x) for x in spec.split("x"))
        _report(f"scatter, line-tiled {width} x {groups}", scatter_tiled(width, groups), j,
                args.reps, ref)
    if args.kernel:
        from aicapex.sim.engine import kernels
        if not kernels.load():
            raise SystemExit(f"CUDA kernel not available: {kernels.why_not()}")
    for spec in args.kernel:  # REPLICAS:AGGREGATE[:PARTS]
        r, a, *p = (int(x) for x in spec.split(":"))
        _report(f"CUDA kernel, {r} replicas, aggregate {a}, parts {p[0] if p else 'auto'}",
                kernel_count(r, bool(a), *p), j, args.reps, ref)
    if args.unique:
        _report("scatter, every value its own word", scatter_unique(), j, args.reps)
    if args.spread:  # no crowded variable, nothing dropped
        js = jnp.asarray(rng.integers(0, BINS, size=(N_VAR, args.draws)).astype(np.int32))
        for lanes in (1, 128):
            _report(f"scatter, {lanes} copies, uniform bins", scatter(lanes), js, args.reps)

if __name__ == "__main__":
    main()
