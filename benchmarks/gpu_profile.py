"""Where a chunk's time goes on an accelerator (or CPU): random numbers alone, the model with
its outputs reduced on the device, and summary mode with the histograms counted on the device
into 1..128 copies, by one-hot matrix products, by a sort or by the CUDA kernel. Not part of
the test suite.

    python benchmarks/gpu_profile.py [--draws 1048576] [--scenarios 1 16] [--lanes 1 128]
        [--line-width 1 16] [--matmul bfloat16:64 int8:64] [--unroll 2 4] [--sort]
        [--plain-correlate] [--other-order] [--kernel 2:0:0:0] [--check-kernel]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import counting_variants as cv
import jax
import jax.numpy as jnp
import numpy as np

from aicapex import sim
from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
from aicapex.sim import engine
from aicapex.sim.engine import devices, histograms, kernels, priors, scan
from aicapex.sim.engine.accumulate import histogram_range

HORIZON = 20


def _batch(n: int):
    names = ["baseline", "capex_slowdown", "fed_hawkish", "tariff_escalation"]
    scen = [compile_scenario(load_scenario(names[i % len(names)]).scenario) for i in range(n)]
    return stack_batch(scen)


def _time(f, reps: int) -> float:
    jax.block_until_ready(f(0))  # compile
    ts = []
    for i in range(1, reps + 1):
        t0 = time.perf_counter()
        jax.block_until_ready(f(i))
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _ranges(batch, key, ids, rows, loop, real: bool):
    """Histogram ranges (S, V, T): from a pilot of the engine's size (``real``), else
    [-1000, 1000] for every variable (as measured before; most values then crowd into a few
    bins, the index level into the overflow bin)."""
    shape = (batch.years.shape[0], len(sim.model.OUTPUT_NAMES), HORIZON)
    if not real:
        lo = jnp.full(shape, -1e3, batch.years.dtype)
        return lo, -lo
    out = engine.simulate_chunk(batch, key, ids, np.uint32(0), engine.ChunkSpec(
        engine.PILOT_BLOCKS, prior_rows=rows, loop_scenarios=loop))
    lo, hi = histogram_range(np.stack([np.asarray(a, np.float64) for a in out], axis=1))
    return jnp.asarray(lo, batch.years.dtype), jnp.asarray(hi, batch.years.dtype)


def check_kernel(batch, blocks: int) -> bool:
    """Whether the CUDA kernel's summary equals the scatter's (every field, exactly)."""
    key = jax.random.key(0)
    ids = jnp.zeros(batch.years.shape[0], jnp.uint32)
    rows = priors.random_prior_rows(batch.prior_table)
    loop = devices.loop_scenarios_on(jax.devices())
    lo, hi = _ranges(batch, key, ids, rows, loop, True)
    n_valid = np.int32(blocks * engine.RNG_BLOCK - 1000)  # a padded tail, as a last chunk has
    res = {hist: jax.device_get(engine.summarize_chunk(
        batch, key, ids, np.uint32(0), n_valid, lo, hi, engine.ChunkSpec(
            blocks, prior_rows=rows, loop_scenarios=loop, bins=engine.SUMMARY_BINS,
            lanes=lanes, hist=hist))) for hist, lanes in (("scatter", 128), ("cuda", 1))}
    same = all(np.array_equal(a, b) for a, b in zip(res["scatter"], res["cuda"], strict=True))
    print(f"{batch.years.shape[0]:3} scen  CUDA kernel counts equal the scatter's: {same}; "
          f"{int(np.sum(res['cuda'][0])):,} values counted", flush=True)
    return same


def variants(batch, blocks: int, args):
    key = jax.random.key(0)
    ids = jnp.zeros(batch.years.shape[0], jnp.uint32)
    n = blocks * engine.RNG_BLOCK
    rows = priors.random_prior_rows(batch.prior_table)  # as the engine's runs sample
    loop = devices.loop_scenarios_on(jax.devices())  # as the engine runs scenarios here
    lo, hi = _ranges(batch, key, ids, rows, loop, args.real_range)

    @jax.jit
    def rng(first):
        return engine.block_randoms(key, first + jnp.arange(blocks, dtype=jnp.uint32), HORIZON,
                                    jnp.float32, False, rows)

    def make_model():  # a fresh jit: reads ``loop`` and the engine's globals when traced
        def f(first):
            out = engine.simulate_chunk(batch, key, ids, first, engine.ChunkSpec(
                blocks, prior_rows=rows, loop_scenarios=loop))
            return [a.sum(-1) for a in out]
        return jax.jit(f)
    model = make_model()
    last_lanes = args.lanes[-1] if args.lanes else 1  # copies for the variants below

    def summ(lanes, hist="scatter"):
        def f(first):
            res = engine.summarize_chunk(batch, key, ids, first, np.int32(n), lo, hi,
                                         engine.ChunkSpec(blocks, prior_rows=rows,
                                                          loop_scenarios=loop,
                                                          bins=engine.SUMMARY_BINS,
                                                          lanes=lanes, hist=hist))
            return [jnp.sum(r) for r in res]
        return jax.jit(f)

    yield "rng only", lambda i: rng(np.uint32(i * blocks))
    yield "model, outputs summed on device", lambda i: model(np.uint32(i * blocks))
    for unroll in args.unroll:
        scan.SCAN_UNROLL = unroll
        jax.clear_caches()
        m = make_model()
        yield f"model, scan unroll {unroll}", lambda i, m=m: m(np.uint32(i * blocks))
    scan.SCAN_UNROLL = 1
    jax.clear_caches()
    default_width = histograms.HIST_LINE_WIDTH
    for width in args.line_width:
        histograms.HIST_LINE_WIDTH = width
        jax.clear_caches()
        for lanes in args.lanes:
            f = summ(lanes)
            yield (f"summary, counted on device, {lanes} lanes, {histograms.line_width(lanes)} "
                   "a line"), lambda i, f=f: f(np.uint32(i * blocks))
    histograms.HIST_LINE_WIDTH = default_width
    jax.clear_caches()
    for lanes in args.quarter_lanes:
        f = summ(lanes, cv.by_quarter)
        yield f"summary, per-quarter buffer, {lanes} lanes", \
            lambda i, f=f: f(np.uint32(i * blocks))
    if args.plain_correlate:  # one (N, N) @ (N, B) product instead of one per 1,024 draws
        blocked = rng.correlate
        rng.correlate = lambda chol, z: jnp.matmul(chol, z, precision=jax.lax.Precision.HIGHEST)
        jax.clear_caches()
        m, f = make_model(), summ(last_lanes)
        yield "model, one plain correlation product", lambda i, m=m: m(np.uint32(i * blocks))
        yield "summary, one plain correlation product", lambda i, f=f: f(np.uint32(i * blocks))
        rng.correlate = blocked
        jax.clear_caches()
    if args.other_order and batch.years.shape[0] > 1:  # vmap <-> lax.map over scenarios
        loop = not loop
        m, f = make_model(), summ(last_lanes)
        how = "one after another" if loop else "batched"
        yield f"model, scenarios {how}", lambda i, m=m: m(np.uint32(i * blocks))
        yield f"summary, scenarios {how}", lambda i, f=f: f(np.uint32(i * blocks))
        loop = not loop
    if args.kernel and not kernels.load():
        print(f"CUDA kernel not available: {kernels.why_not()}", flush=True)
    defaults = (histograms.KERNEL_REPLICAS, histograms.KERNEL_PARTS, histograms.KERNEL_AGGREGATE,
                histograms.KERNEL_TARGET)
    for spec in args.kernel if kernels.load() else []:  # REPLICAS:PARTS:AGGREGATE:GRAPH
        r, p, a, g = (int(x) for x in spec.split(":"))
        (histograms.KERNEL_REPLICAS, histograms.KERNEL_PARTS,
         histograms.KERNEL_AGGREGATE) = r, p, bool(a)
        histograms.KERNEL_TARGET = "aicapex_count_cells" + ("_graph" if g else "")
        jax.clear_caches()
        f = summ(1, "cuda")
        yield (f"summary, CUDA kernel {r} replicas, {p or 'auto'} parts, aggregate {a}, "
               f"graph {g}"), lambda i, f=f: f(np.uint32(i * blocks))
    (histograms.KERNEL_REPLICAS, histograms.KERNEL_PARTS, histograms.KERNEL_AGGREGATE,
     histograms.KERNEL_TARGET) = defaults
    jax.clear_caches()
    if args.sort:
        f = summ(1, cv.by_sort)
        if args.hlo_dir:
            with open(f"{args.hlo_dir}/sort-s{batch.years.shape[0]}.txt", "w") as fh:
                fh.write(f.lower(np.uint32(0)).compile().as_text())
        yield "summary, counted by sorting", lambda i, f=f: f(np.uint32(i * blocks))
    defaults = cv.HIST_ONEHOT, cv.HIST_SPLIT
    for spec in args.matmul:  # e.g. "bfloat16:64"
        dtype, split = spec.split(":")
        cv.HIST_ONEHOT, cv.HIST_SPLIT = jnp.dtype(dtype), int(split)
        jax.clear_caches()
        f = summ(1, cv.by_matmul)
        if args.hlo_dir:
            text = f.lower(np.uint32(0)).compile().as_text()
            with open(f"{args.hlo_dir}/matmul-{dtype}-{split}-s{batch.years.shape[0]}.txt",
                      "w") as fh:
                fh.write(text)
        yield f"summary, matmul counts {dtype} split {split}", \
            lambda i, f=f: f(np.uint32(i * blocks))
    cv.HIST_ONEHOT, cv.HIST_SPLIT = defaults
    jax.clear_caches()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1 << 20)
    ap.add_argument("--scenarios", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--unroll", type=int, nargs="*", default=[2, 4],
                    help="scan unroll factors to time for the model alone")
    ap.add_argument("--lanes", type=int, nargs="*", default=[1, 8, 32, 128],
                    help="histogram copies to time with scatter-add counting")
    ap.add_argument("--line-width", type=int, nargs="*", default=[histograms.HIST_LINE_WIDTH],
                    help="histogram copies side by side in a cache line (HIST_LINE_WIDTH)")
    ap.add_argument("--quarter-lanes", type=int, nargs="*", default=[],
                    help="histogram copies to time, counted into a fresh buffer each quarter")
    ap.add_argument("--matmul", nargs="*", default=["bfloat16:64", "int8:64"],
                    help="one-hot matrix-product counting, as DTYPE:SPLIT")
    ap.add_argument("--plain-correlate", action="store_true",
                    help="time the model and summary with one plain correlation product")
    ap.add_argument("--other-order", action="store_true",
                    help="time scenarios the other way (batched <-> one after another)")
    ap.add_argument("--sort", action="store_true",
                    help="time counting by a sort of each quarter's (variable, cell) keys")
    ap.add_argument("--kernel", nargs="*", default=[],
                    help="CUDA shared-memory kernel settings to time, as "
                    "REPLICAS:PARTS:AGGREGATE:GRAPH (PARTS 0 = auto; e.g. 2:0:0:0)")
    ap.add_argument("--check-kernel", action="store_true",
                    help="check the CUDA kernel's counts against the scatter's first")
    ap.add_argument("--real-range", action="store_true",
                    help="histogram ranges from a pilot, as the engine sets them (default: "
                    "[-1000, 1000] for every variable)")
    ap.add_argument("--hlo-dir", help="write the optimised HLO of matmul variants here")
    ap.add_argument("--out")
    args = ap.parse_args()
    blocks = args.draws // engine.RNG_BLOCK
    print(f"device {jax.devices()[0].device_kind}, {blocks * engine.RNG_BLOCK:,} draws/chunk")
    rows = []
    for s in args.scenarios:
        batch = _batch(s)
        if args.check_kernel and kernels.load() and not check_kernel(batch, blocks):
            raise SystemExit("the CUDA kernel's counts differ from the scatter's")
        for name, f in variants(batch, blocks, args):
            try:
                t = _time(f, args.reps)
            except Exception as e:  # e.g. out of memory on the card: report and go on
                print(f"{s:3} scen  {name:42} failed: {type(e).__name__}: {str(e)[:300]}",
                      flush=True)
                rows.append({"scenarios": s, "variant": name, "error": str(e)[:1000]})
                continue
            dq = s * blocks * engine.RNG_BLOCK * HORIZON
            rows.append({"scenarios": s, "variant": name, "ms": 1e3 * t,
                         "M_dq_per_s": dq / t / 1e6})
            print(f"{s:3} scen  {name:42} {1e3 * t:9.2f} ms  {dq / t / 1e6:9.1f} M dq/s",
                  flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
