"""Throughput benchmark: JAX engine vs the NumPy float64 reference, measured in one run.

    python benchmarks/bench.py                      # the standard grid (see CASES)
    python benchmarks/bench.py --quick              # small cases only (a minute or two)
    python benchmarks/bench.py --out results.jsonl  # also append JSON lines
    python benchmarks/bench.py --antithetic         # the engine with antithetic variates
    python benchmarks/bench.py --grid gpu           # the grid for a GPU (larger runs)
    python benchmarks/bench.py --ab /tmp/base --case summary 1 1000000 --pairs 5
        # paired A/B: this tree's code against another checkout's (``git worktree add
        # /tmp/base COMMIT``), the two alternating case by case; on a noisy machine compare
        # code only this way
    python benchmarks/bench.py --ab-switch threefry --case paths 1 100000 --pairs 5
        # paired A/B of one of the engine's kept performance hacks, on (A) against off (B)
        # in this tree: threefry, malloc, pack, cuda, emitters (docs/performance.md)

Each case runs in a fresh subprocess, so its compile time and peak memory (max RSS of that
process) are its own. Reported per case: draw-quarters per second (steady state, compilation
excluded), compile time (first call minus a steady-state call), peak memory, the ratio to the
NumPy reference's draw-quarters per second, and the fraction of the RNG-bound limit: the
draw-quarters per second the engine would reach if the model cost nothing, i.e. generating
exactly the random numbers the engine uses (threefry, same block layout). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

HORIZON = 20
# (mode, scenarios, draws)
CASES = [
    ("paths", 1, 10_000), ("paths", 1, 100_000), ("paths", 1, 1_000_000),
    ("paths", 16, 10_000), ("paths", 16, 100_000),
    ("summary", 1, 1_000_000), ("summary", 16, 1_000_000),
    ("summary", 1, 10_000_000), ("summary", 16, 10_000_000),
]
QUICK = [("paths", 1, 10_000), ("paths", 1, 100_000), ("paths", 16, 10_000),
         ("summary", 16, 100_000)]
# on a GPU: full paths are bounded by the copy to the host (116 bytes per draw-quarter), so
# the card's own throughput shows in summary mode, where nothing per draw leaves it
GPU_CASES = [
    ("paths", 1, 100_000), ("paths", 1, 1_000_000), ("paths", 16, 100_000),
    ("summary", 1, 1_000_000), ("summary", 1, 10_000_000), ("summary", 1, 100_000_000),
    ("summary", 16, 1_000_000), ("summary", 16, 10_000_000),
]


SWITCHES = {"threefry": "AICAPEX_FUSED_THREEFRY", "malloc": "AICAPEX_MALLOC_TUNING",
            "pack": "AICAPEX_PACK_BATCH", "cuda": "AICAPEX_CUDA_KERNELS",
            "emitters": "AICAPEX_FUSION_EMITTERS"}
"""The engine's performance hacks and the variable that switches each off (``=0``)."""


def _scenarios(n: int):
    """n scenarios: the built-ins, then baseline variants with different capex slowdowns."""
    import aicapex
    from aicapex.scenarios.loader import parse_scenario_text

    names = aicapex.builtin_names()
    out = [aicapex.load_scenario(x) for x in names[:n]]
    k = 0
    while len(out) < n:
        k += 1
        out.append(parse_scenario_text(
            f"name: variant_{k}\nextends: baseline\ncapex:\n  slowdown: {{start: 2026Q3, "
            f"growth_shift: {-0.05 * k:.2f}, quarters: 4}}\n"))
    return out


def run_case(mode: str, n_scen: int, draws: int, dtype: str, antithetic: bool = False,
             chunk: int | None = None) -> dict:
    import jax
    import jax.numpy as jnp

    import aicapex
    from aicapex.scenarios import compile_scenario, stack_batch

    try:  # this tree's engine
        from aicapex.sim.engine import RNG_BLOCK, block_randoms, default_chunk_size
        from aicapex.sim.engine import simulate_paths as paths_run
        from aicapex.sim.engine import simulate_summaries as summary_run
        from aicapex.sim.engine.plan import run_chunk_blocks
        from aicapex.sim.engine.priors import random_prior_rows

        def seed(i):
            return jax.random.key(i)
    except ImportError:  # --ab against a checkout from before the architecture redesign
        from aicapex.sim.engine import (
            RNG_BLOCK,
            block_randoms,
            default_chunk_size,
            random_prior_rows,
            run_chunk_blocks,
        )
        from aicapex.sim.engine import simulate_arrays as paths_run
        from aicapex.sim.engine import simulate_summaries as summary_run

        def seed(i):
            return i

    loaded = _scenarios(n_scen)
    batch = stack_batch([compile_scenario(s.scenario, dtype=dtype) for s in loaded])
    chunk = chunk or default_chunk_size(mode == "summary", n_scen=n_scen)
    sim = (paths_run if mode == "paths" else summary_run)

    def run(i, n, **k):
        return sim(batch, seed(i), n, antithetic=antithetic, **k)
    # the warm-up runs one step of the chunk shape the timed run will use (compiled once)
    n_dev = len(jax.devices())
    warm_chunk = run_chunk_blocks(draws, chunk, jax.devices()) * RNG_BLOCK
    warm = min(draws, warm_chunk * n_dev)
    t0 = time.perf_counter()
    run(0, warm, chunk_size=warm_chunk)  # compiles (and, for summaries, the pilot)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    run(1, warm, chunk_size=warm_chunk)
    steady_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run(2, draws, chunk_size=chunk)
    wall = time.perf_counter() - t0
    dq = n_scen * draws * HORIZON
    stats = result[-1] if isinstance(result, tuple) and hasattr(result[-1], "histogram") else None
    hist = stats.histogram if (stats is not None and mode == "summary") else None

    # RNG-bound limit: the same random numbers, same blocks, nothing else
    nb = chunk // RNG_BLOCK
    dt = jnp.dtype(dtype)
    rows = random_prior_rows(batch.prior_table)  # the engine draws scores for these only
    gen = jax.jit(lambda k: block_randoms(k, jnp.arange(nb, dtype=jnp.uint32), HORIZON, dt,
                                          antithetic, rows))
    key = jax.random.key(0)
    jax.block_until_ready(gen(key))
    best = min(_timed(lambda i=i: jax.block_until_ready(gen(jax.random.fold_in(key, i))))
               for i in range(5))
    # under common random numbers one set of numbers serves every scenario in the batch
    rng_limit = n_scen * nb * RNG_BLOCK * HORIZON / best
    return {"mode": mode, "scenarios": n_scen, "draws": draws, "dtype": dtype,
            "antithetic": antithetic, "code": os.path.dirname(aicapex.__file__),
            "draw_quarters_per_s": dq / wall, "wall_s": wall,
            "compile_s": max(first - steady_one, 0.0), "rng_limit_draw_quarters_per_s":
            rng_limit, "peak_rss_gib": _peak_rss_gib(), "chunk": chunk,
            "device_peak_gib": _device_peak_gib(jax.devices()[0]),
            "device": str(jax.devices()[0]), "device_kind": jax.devices()[0].device_kind,
            "jax": jax.__version__, "histogram": hist}


def run_numpy(draws: int) -> dict:
    import numpy as np

    from aicapex.scenarios import compile_scenario, load_scenario
    from aicapex.sim.engine.host import tune_malloc
    from aicapex.sim.model import N_NORMALS, N_PARAMS, N_UNIFORMS, PRIOR_Z
    from aicapex.sim.model.catalog import params_from_matrix
    from aicapex.sim.model.reference import simulate_reference

    tune_malloc()  # the same process conditions as the engine's
    sc = compile_scenario(load_scenario("baseline").scenario, dtype="float64")
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    z = rng.standard_normal((N_PARAMS, draws))
    # the reference samples priors by the same table interpolation, in NumPy
    pmat = np.stack([np.interp(z[i], PRIOR_Z, sc.prior_table[i]) for i in range(N_PARAMS)])
    normals = rng.standard_normal((HORIZON, N_NORMALS, draws))
    uniforms = rng.random((HORIZON, N_UNIFORMS, draws))
    simulate_reference(sc, params_from_matrix(pmat), normals, uniforms)
    wall = time.perf_counter() - t0
    return {"mode": "numpy-reference", "scenarios": 1, "draws": draws, "dtype": "float64",
            "draw_quarters_per_s": draws * HORIZON / wall, "wall_s": wall,
            "peak_rss_gib": _peak_rss_gib()}


def _timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _device_peak_gib(dev) -> float | None:
    """Peak memory in use on an accelerator (None on CPU, whose figure is the RSS)."""
    stats = dev.memory_stats() if dev.platform != "cpu" else None
    return stats["peak_bytes_in_use"] / 2**30 if stats and "peak_bytes_in_use" in stats else None


def _subprocess(args: list[str], src: str | None = None, env_set: dict | None = None) -> dict:
    """This script with ``args`` in a fresh process; ``src``: import ``aicapex`` from there;
    ``env_set``: environment variables to set."""
    env = dict(os.environ, **(env_set or {}))
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        return {"error": r.stderr[-2000:], "args": args}
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_ab(other: str | None, case: list[str], pairs: int, extra: list[str],
           switch: str | None = None) -> None:
    """Paired A/B of one case: A = this tree's code, B = ``other`` checkout's ``src``, or with
    ``switch`` B = this tree with that hack switched off; each pair runs both in fresh
    processes back to back, alternating which goes first, and the ratio A/B is taken within
    the pair, so that the machine's drift cancels. Prints each pair and the median ratio;
    refuses to report if a process imported the wrong code."""
    import statistics

    here = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "src"))
    there = here if switch else os.path.realpath(os.path.join(other, "src"))
    if not os.path.isdir(os.path.join(there, "aicapex")):
        raise SystemExit(f"--ab: no src/aicapex under {other!r}")
    off = {SWITCHES[switch]: "0"} if switch else {}
    ratios = []
    for i in range(pairs):
        sides = [("A", here, {}), ("B", there, off)]
        res = {}
        for name, src, env_set in (sides if i % 2 == 0 else sides[::-1]):
            r = _subprocess(["--case", *case, *extra], src=src, env_set=env_set)
            if "error" in r:
                raise SystemExit(f"--ab: {name} failed: {r['error'][-1000:]}")
            if os.path.realpath(os.path.dirname(r["code"])) != src:
                raise SystemExit(f"--ab: {name} imported aicapex from {r['code']}, not {src}")
            res[name] = r["draw_quarters_per_s"]
        ratios.append(res["A"] / res["B"])
        print(f"pair {i + 1}: A {res['A'] / 1e6:8.2f}  B {res['B'] / 1e6:8.2f} M dq/s  "
              f"A/B {ratios[-1]:.3f}", flush=True)
    b = f"{there} with {SWITCHES[switch]}=0" if switch else there
    print(f"median A/B over {pairs} pairs: {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}); A = {here}, B = {b}")


def _case_flags(args: argparse.Namespace) -> list[str]:
    """The options a ``--case`` subprocess takes over from this command line."""
    return (["--dtype", args.dtype] + (["--antithetic"] if args.antithetic else [])
            + (["--chunk", str(args.chunk)] if args.chunk else [])
            + (["--lanes", str(args.lanes)] if args.lanes else [])
            + (["--line-width", str(args.line_width)] if args.line_width else []))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--numpy-draws", type=int, default=20_000)
    ap.add_argument("--antithetic", action="store_true",
                    help="run the engine with antithetic variates")
    ap.add_argument("--out", help="append JSON lines here")
    ap.add_argument("--grid", choices=["cpu", "gpu"], default="cpu",
                    help="which grid of cases (gpu: larger runs, for a GPU)")
    ap.add_argument("--chunk", type=int, help="draws per chunk (default: the engine's "
                    "default for the device)")
    ap.add_argument("--lanes", type=int, help="histogram copies on an accelerator (default: "
                    "the engine's HIST_LANES, capped by memory)")
    ap.add_argument("--line-width", type=int, help="histogram copies side by side in a "
                    "cache line on an accelerator (default: the engine's HIST_LINE_WIDTH)")
    ap.add_argument("--case", nargs=3, metavar=("MODE", "SCENARIOS", "DRAWS"),
                    help="one case (with --ab: the case to compare)")
    ap.add_argument("--ab", metavar="CHECKOUT",
                    help="paired A/B of --case: this tree's code against CHECKOUT's src/")
    ap.add_argument("--ab-switch", choices=sorted(SWITCHES),
                    help="paired A/B of --case: a performance hack on (A) against off (B)")
    ap.add_argument("--pairs", type=int, default=5, help="pairs of runs for --ab")
    ap.add_argument("--numpy-case", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.lanes or args.line_width:
        from aicapex.sim.engine import histograms
        histograms.HIST_LANES = args.lanes or histograms.HIST_LANES
        histograms.HIST_LINE_WIDTH = args.line_width or histograms.HIST_LINE_WIDTH
    if args.ab or args.ab_switch:
        if not args.case:
            ap.error("--ab and --ab-switch need --case MODE SCENARIOS DRAWS")
        run_ab(args.ab, args.case, args.pairs, _case_flags(args), args.ab_switch)
        return
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]), int(args.case[2]),
                                  args.dtype, args.antithetic, args.chunk)))
        return
    if args.numpy_case:
        print(json.dumps(run_numpy(args.numpy_case)))
        return

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; dtype {args.dtype}"
          + ("; antithetic" if args.antithetic else ""), flush=True)
    ref = _subprocess(["--numpy-case", str(args.numpy_draws)])
    ref_rate = ref.get("draw_quarters_per_s", float("nan"))
    print(f"numpy float64 reference, {args.numpy_draws:,} draws: {ref_rate / 1e6:.3f} M "
          f"draw-quarters/s", flush=True)
    rows = [ref]
    hdr = (f"{'mode':8} {'scen':>4} {'draws':>11} {'M dq/s':>8} {'x numpy':>8} "
           f"{'% RNG lim':>9} {'compile s':>9} {'wall s':>8} {'peak GiB':>8}"
           + (f" {'dev GiB':>8}" if args.grid == "gpu" else ""))
    print(hdr, flush=True)
    cases = QUICK if args.quick else GPU_CASES if args.grid == "gpu" else CASES
    for mode, s, n in cases:
        r = _subprocess(["--case", mode, str(s), str(n), *_case_flags(args)])
        rows.append(r)
        if "error" in r:
            print(f"{mode:8} {s:>4} {n:>11,} failed: {r['error'][-300:]}", flush=True)
            continue
        rate = r["draw_quarters_per_s"]
        print(f"{mode:8} {s:>4} {n:>11,} {rate / 1e6:8.2f} {rate / ref_rate:8.1f} "
              f"{100 * rate / r['rng_limit_draw_quarters_per_s']:8.0f}% "
              f"{r['compile_s']:9.1f} {r['wall_s']:8.1f} {r['peak_rss_gib']:8.2f}"
              + (f" {r['device_peak_gib']:8.2f}" if r.get("device_peak_gib") else ""),
              flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(r) + "\n")
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(ref) + "\n")


if __name__ == "__main__":
    main()
