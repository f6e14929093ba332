"""Dask benchmark: summary-mode throughput of a local run against 1 and 2 local Dask worker
processes, measured in one run, and the per-task overhead.

    python benchmarks/distributed_bench.py                 # 2 scenarios x 200,000 draws
    python benchmarks/distributed_bench.py --draws 1000000 --workers 1 2 4

Each configuration runs twice; the second (compiled: the workers keep their programs) is
timed. Reported: draws per second (all scenarios), the ratio to the local run measured here,
and the per-task overhead: the time of a run of many one-chunk tasks less the time of the same
draws in one task, per extra task. The NumPy reference is not run here (``bench.py`` compares
the engine with it); the local run is this benchmark's reference. Not part of the suite.
"""

from __future__ import annotations

import argparse
import time

SCENARIOS = ["baseline", "credit_stress"]


def timed(run) -> float:
    run()  # compile (and, on a cluster, ship the code and the batch)
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=200_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    import aicapex
    from aicapex.api import prng_key
    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    from aicapex.sim.engine.distributed import simulate_summaries_on

    kw = dict(draws=args.draws, seed=1, summary_only=True, progress=False)
    local = timed(lambda: aicapex.simulate(SCENARIOS, **kw))
    rate = len(SCENARIOS) * args.draws / local
    print(f"local (this process, {len(__import__('jax').devices())} device(s)): "
          f"{rate:,.0f} draws/s ({local:.1f}s)")

    from distributed import Client, LocalCluster

    for n in args.workers:
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            t = timed(lambda: aicapex.simulate(SCENARIOS, client=client, **kw))
            r = len(SCENARIOS) * args.draws / t
            print(f"dask, {n} worker(s): {r:,.0f} draws/s ({t:.1f}s), {r / rate:.2f}x local")
            if n == args.workers[0]:  # per-task overhead: 64 one-chunk tasks vs 1 task
                batch = stack_batch([compile_scenario(load_scenario(s).scenario)
                                     for s in SCENARIOS])
                draws = 64 * 8192

                def tasks(k, batch=batch, draws=draws, client=client):
                    return lambda: simulate_summaries_on(client, batch, prng_key(1), draws,
                                                         chunk_size=8192, tasks=k)
                one, many = timed(tasks(1)), timed(tasks(64))
                print(f"per-task overhead ({n} worker(s)): {(many - one) / 63 * 1000:.0f} ms "
                      f"(64 tasks {many:.2f}s, 1 task {one:.2f}s, {draws:,} draws)")


if __name__ == "__main__":
    main()
