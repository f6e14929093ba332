"""Histogram counting alone on one quarter's values (29 outputs x 2^20 draws, 2,048 bins), on
an accelerator: XLA's scatter-add into copies laid out in several ways (a histogram set apart,
16-bit counts two to a word, side by side in a cache line), checked against one copy's
counts. Not part of the tests. (A Pallas one-hot tensor-core kernel measured here at commit
c5ef40f was slower and is gone; benchmarks/RESULTS.md.)

    python benchmarks/hist_layout_bench.py [--draws 1048576] [--reps 20] [--lanes 256 512]
        [--packed 128 256] [--tiled 16x8 8x16] [--unique] [--spread]
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


def scatter(lanes):
    def f(j):
        n = j.shape[1]
        lane = (jnp.arange(n, dtype=jnp.int32) % lanes)[None, :] * (N_VAR * BINS)
        ok = (j >= 0) & (j < BINS)
        cell = jnp.where(ok, lane + jnp.arange(N_VAR, dtype=jnp.int32)[:, None] * BINS + j,
                         lanes * N_VAR * BINS)
        c = jnp.zeros((lanes * N_VAR * BINS,), jnp.int32).at[cell.reshape(-1)].add(
            1, mode="drop")
        return c.reshape(lanes, N_VAR, BINS).sum(0)
    return jax.jit(f)


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


def scatter_unique():
    """Every value to its own word: the scatter's rate without any shared address."""
    def f(j):
        cell = jnp.arange(j.size, dtype=jnp.int32) + 0 * j.reshape(-1)
        return jnp.zeros((j.size,), jnp.int32).at[cell].add(1, mode="drop")
    return jax.jit(f)


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
    for lanes in (1, 128):
        t = _time(scatter(lanes), j, args.reps)
        print(f"scatter, {lanes:3} copies            {1e3 * t:8.3f} ms  "
              f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s", flush=True)
    for lanes in args.lanes:
        t = _time(scatter(lanes), j, args.reps)
        print(f"scatter, {lanes:4} copies           {1e3 * t:8.3f} ms  "
              f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s", flush=True)
    for lanes in args.packed:
        f = scatter_packed(lanes)
        same = np.array_equal(np.asarray(f(j)), ref)
        t = _time(f, j, args.reps)
        print(f"scatter 16-bit, {lanes:4} copies    {1e3 * t:8.3f} ms  "
              f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s  exact {same}", flush=True)
    for spec in args.tiled:  # WIDTHxGROUPS
        width, groups = (int(x) for x in spec.split("x"))
        f = scatter_tiled(width, groups)
        same = np.array_equal(np.asarray(f(j)), ref)
        t = _time(f, j, args.reps)
        print(f"scatter, line-tiled {width:3} x {groups:4}   {1e3 * t:8.3f} ms  "
              f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s  exact {same}", flush=True)
    if args.unique:
        t = _time(scatter_unique(), j, args.reps)
        print(f"scatter, every value its own word {1e3 * t:8.3f} ms  "
              f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s", flush=True)
    if args.spread:  # no crowded variable, nothing dropped
        js = jnp.asarray(rng.integers(0, BINS, size=(N_VAR, args.draws)).astype(np.int32))
        for lanes in (1, 128):
            t = _time(scatter(lanes), js, args.reps)
            print(f"scatter, {lanes:4} copies, uniform bins {1e3 * t:8.3f} ms  "
                  f"{N_VAR * args.draws / t / 1e9:7.1f} G values/s", flush=True)


if __name__ == "__main__":
    main()
