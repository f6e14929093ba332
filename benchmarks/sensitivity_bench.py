"""Autodiff benchmark: what one backward pass costs against one forward run of the same
draws (the adjoint rule of thumb: at most 5x), on one scenario.

    python benchmarks/sensitivity_bench.py                 # baseline, 8,192 draws, float64
    python benchmarks/sensitivity_bench.py --draws 32768 --repeats 5

Timed, after compiling each: the forward run (every metric's value: one scan over the
quarters), one backward pass (the gradient of one metric with respect to all 31 prior
locations and 7 shocks: a forward and a reverse scan), and all five metrics' gradients at
once (one forward, five reverse passes, as ``sensitivity_table`` runs them). Reported: the
median seconds of ``--repeats`` and each ratio to the forward run measured here, and the
equivalent cost of the same gradients by finite differences (two forward runs per input).
The NumPy reference model is not run here (``bench.py`` compares the engine with it). Not
part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time


def timed(fn, repeats: int) -> float:
    fn()  # compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--draws", type=int, default=8192)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp

    from aicapex.analysis import sensitivity as sens
    from aicapex.api import precision

    pr = sens.problem(args.scenario, draws=args.draws, dtype=args.dtype)
    with precision(args.dtype):
        theta = jnp.zeros(len(sens.PARAMETERS), args.dtype)
        delta = jnp.zeros(len(sens.SHOCKS), args.dtype)

        @jax.jit
        def forward(draws, t, d):  # every metric's value: the forward scan
            return jnp.stack([v[0] for v in sens.derivative_weights(
                sens.outcomes(draws, t, d)).values()])

        @jax.jit
        def backward(draws, t, d):  # the mean index's gradient: a forward and a reverse scan
            return jax.grad(lambda t_, d_: sens.outcomes(draws, t_, d_)["index"].mean(),
                            argnums=(0, 1))(t, d)
        all_metrics = sens.gradient_program(pr)
        f = timed(lambda: forward(pr.draws, theta, delta).block_until_ready(), args.repeats)
        b = timed(lambda: jax.block_until_ready(backward(pr.draws, theta, delta)),
                  args.repeats)
        a = timed(lambda: jax.block_until_ready(all_metrics(theta, delta)), args.repeats)
    inputs = len(sens.PARAMETERS) + len(sens.SHOCKS)
    print(f"{args.scenario}, {pr.draws.normals.shape[-1]:,} draws, {args.dtype}, "
          f"{inputs} inputs, median of {args.repeats}")
    print(f"forward run (5 metrics)          {f:8.3f} s   1.00x")
    print(f"one backward pass (1 metric)     {b:8.3f} s   {b / f:.2f}x")
    print(f"five metrics' gradients          {a:8.3f} s   {a / f:.2f}x")
    print(f"finite differences of {inputs} inputs {2 * inputs * f:8.3f} s   "
          f"{2 * inputs:.0f}x")


if __name__ == "__main__":
    main()
