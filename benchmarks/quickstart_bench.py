"""End-to-end benchmark: the quick start as a user runs it, against the NumPy reference.

    python benchmarks/quickstart_bench.py              # cold and warm cache, twice each
    python benchmarks/quickstart_bench.py --repeats 3 --draws 20000

Runs ``aicapex run baseline capex_slowdown fast_depreciation --draws 20000`` (the README's
quick start) through the command line's own entry point, each in a fresh process: first with
an empty compilation cache (cold), then with the cache that run filled (warm). Each run is
split into imports (the modules the command loads), compiling (tracing, lowering and XLA's
compilation, or loading the programs from the cache), simulating, writing outputs, and the
rest (planning, checks). In the same run, the NumPy float64 reference
(``sim/model/reference.py``) simulates the same scenarios and draws, end to end (compiling
the scenarios, drawing the random numbers, the model). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCENARIOS = ["baseline", "capex_slowdown", "fast_depreciation"]

COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration",
                  "/jax/compilation_cache/cache_retrieval_time_sec")
"""JAX's timing events whose sum is a run's compiling (or loading from the cache)."""


def child_run(draws: int, out: str) -> dict:
    """One quick start in this process, split into its phases (seconds)."""
    t0 = time.perf_counter()
    import jax

    from aicapex import api, outputs, workflow  # noqa: F401  (what `aicapex run` imports)
    from aicapex.cli.main import main
    imported = time.perf_counter() - t0

    spent: dict[str, float] = dict.fromkeys(COMPILE_EVENTS, 0.0)

    def listen(event: str, duration_secs: float, **kwargs) -> None:
        if event in spent:
            spent[event] += duration_secs
    jax.monitoring.register_event_duration_secs_listener(listen)
    phases: dict[str, float] = {}
    inner = workflow._simulate_and_write

    def timed(*a, **k):
        done = inner(*a, **k)
        phases.update(done.seconds)
        return done
    workflow._simulate_and_write = timed
    argv = ["run", *SCENARIOS, "--draws", str(draws), "--out", out]
    t1 = time.perf_counter()
    rc = main(argv)
    total = time.perf_counter() - t1
    if rc != 0:
        raise SystemExit(f"aicapex {' '.join(argv)} exited {rc}")
    compiling = sum(spent.values())
    return {"import_s": imported, "after_imports_s": total, "compile_s": compiling,
            "simulate_s": phases["simulate"] - compiling, "outputs_s": phases["write"],
            "other_s": total - phases["simulate"] - phases["write"],
            "xla_compile_s": spent[COMPILE_EVENTS[2]],
            "cache_load_s": spent[COMPILE_EVENTS[3]]}


def child_reference(draws: int) -> dict:
    """The NumPy float64 reference on the same scenarios and draws, end to end."""
    import numpy as np

    from aicapex.scenarios import compile_scenario, load_scenario
    from aicapex.sim.engine.host import tune_malloc
    from aicapex.sim.model import N_NORMALS, N_PARAMS, N_UNIFORMS, PRIOR_Z
    from aicapex.sim.model.catalog import params_from_matrix
    from aicapex.sim.model.reference import simulate_reference

    tune_malloc()
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for name in SCENARIOS:
        sc = compile_scenario(load_scenario(name).scenario, dtype="float64")
        horizon = sc.years.shape[0]
        z = rng.standard_normal((N_PARAMS, draws))
        pmat = np.stack([np.interp(z[i], PRIOR_Z, sc.prior_table[i]) for i in range(N_PARAMS)])
        normals = rng.standard_normal((horizon, N_NORMALS, draws))
        uniforms = rng.random((horizon, N_UNIFORMS, draws))
        simulate_reference(sc, params_from_matrix(pmat), normals, uniforms)
    return {"reference_s": time.perf_counter() - t0}


def _fresh(args: list[str], cache: str) -> dict:
    env = dict(os.environ, AICAPEX_CACHE_DIR=cache)
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                       env=env)
    if r.returncode:
        raise SystemExit(f"{args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=2, help="cold/warm pairs")
    ap.add_argument("--child", choices=["run", "reference"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child == "run":
        print(json.dumps(child_run(a.draws, a.out)))
        return
    if a.child == "reference":
        print(json.dumps(child_reference(a.draws)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeats):
            cache = os.path.join(tmp, f"cache{i}")
            os.mkdir(cache, 0o700)
            ref = _fresh(["--child", "reference", "--draws", str(a.draws)], cache)
            rows.append(("numpy reference", {"after_imports_s": ref["reference_s"]}))
            for kind in ("cold", "warm"):
                out = os.path.join(tmp, f"out{i}{kind}")
                r = _fresh(["--child", "run", "--draws", str(a.draws), "--out", out], cache)
                rows.append((kind, r))
                print(f"{kind:15s} " + "  ".join(f"{k} {v:6.2f}" for k, v in r.items()),
                      flush=True)
            print(f"{'numpy reference':15s} after_imports_s {ref['reference_s']:6.2f}",
                  flush=True)
    print(f"\n{len(SCENARIOS)} scenarios x {a.draws:,} draws, medians of {a.repeats} "
          "(seconds; 'total' is after imports):")
    cols = ["import_s", "compile_s", "simulate_s", "outputs_s", "other_s", "after_imports_s"]
    print(f"{'':16s}" + "".join(f"{c.removesuffix('_s'):>14s}" for c in cols))
    med = {}
    for kind in ("cold", "warm", "numpy reference"):
        got = [r for k, r in rows if k == kind]
        med[kind] = {c: statistics.median(r[c] for r in got) for c in cols if c in got[0]}
        print(f"{kind:16s}" + "".join(f"{med[kind][c]:14.2f}" if c in med[kind] else
                                      f"{'':14s}" for c in cols))
    ref = med["numpy reference"]["after_imports_s"]
    for kind in ("cold", "warm"):
        print(f"{kind}: {med[kind]['after_imports_s'] / ref:.2f}x the reference's time")


if __name__ == "__main__":
    main()
