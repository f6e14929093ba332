"""Summary mode's histogram counting: the alternatives measured on a GPU
(``benchmarks/counting_variants.py``) count exactly what the default scatter-add counts (own
file: it compiles whole programs, and xdist keeps a file's tests in one worker)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
from aicapex.sim import engine
from aicapex.sim.engine import compile_options, histograms, priors, scan
from aicapex.sim.model import N_OUTPUTS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import counting_variants as variants


def test_histogram_counting_methods_give_identical_counts():
    """In the whole summary program, the scatter-add's lane layouts (8 copies a histogram
    apart; 16 side by side x 3 sets) and, on a CUDA GPU, the shared-memory kernel count
    exactly what one scatter-add copy counts, padding draws and non-finite values dropped;
    lo/hi are set inside the draws' range so that the outer bins are used too."""
    batch = stack_batch([compile_scenario(load_scenario("capex_slowdown").scenario)])
    key, ids = jax.random.key(4), jnp.arange(1, dtype=jnp.uint32)
    rows = priors.random_prior_rows(batch.prior_table)
    paths = np.stack([np.asarray(o) for o in engine.simulate_chunk(
        batch, key, ids, np.uint32(0), engine.ChunkSpec(1, prior_rows=rows))], axis=1)
    q = np.nanquantile(paths, [0.1, 0.9], axis=-1)
    lo, hi = (jnp.asarray(np.where(q[1] > q[0], x, x - 1.0), jnp.float32) for x in (q[0], q[1]))
    n_valid = np.int32(engine.RNG_BLOCK - 77)

    def counts(hist, lanes, onehot=jnp.bfloat16):
        variants.HIST_ONEHOT = onehot
        try:
            # a fresh jit: HIST_ONEHOT is read while tracing
            res = compile_options.jit(engine.summarize_chunk.__wrapped__, static_argnums=(7,))(
                batch, key, ids, np.uint32(0), n_valid, lo, hi,
                engine.ChunkSpec(1, prior_rows=rows, bins=64, lanes=lanes, hist=hist))
        finally:
            variants.HIST_ONEHOT = jnp.bfloat16
        return [np.asarray(r) for r in res]

    ref = counts("scatter", 1)
    c = ref[0].reshape(1, N_OUTPUTS, 20, 66)
    assert c.sum() == c.shape[1] * 20 * n_valid - ref[5].sum()  # every finite valid value
    assert c[..., 0].sum() > 0 and c[..., -1].sum() > 0 and c[..., 1:-1].sum() > 0
    # 8 copies a histogram set apart; 48 = 16 side by side in a cache line x 3 sets apart
    # (the per-quarter methods of the benchmarks plug in through the same argument and are
    # checked on their own below: each whole program costs a compilation)
    methods = [("scatter", 8, None), ("scatter", 48, None)]
    if histograms.summary_histogram_method(jax.devices(), jnp.float32)[0] == "cuda":
        methods.append(("cuda", 1, None))  # on a CUDA GPU where the kernel builds
    for hist, lanes, onehot in methods:
        got = counts(hist, lanes, onehot or jnp.bfloat16)
        for a, b in zip(ref, got, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{hist} {lanes} {onehot}")


@pytest.mark.parametrize("method", ["quarter", "sort", "matmul-bf16", "matmul-int8"])
def test_per_quarter_counting_methods_match_bincount(method):
    """Each per-quarter counting method of one quarter's (V, B) cell indices, dropped values
    left out, equals NumPy's bincount per variable (crowded cells, empty cells, both outer
    cells, a cell count that is not a multiple of HIST_SPLIT)."""
    rng = np.random.default_rng(3)
    n_var, n, cells = 5, 3000, 70
    idx = rng.integers(0, cells, (n_var, n)).astype(np.int32)
    idx[1, :1500] = 7  # a crowded cell
    idx[2] = np.where(idx[2] < 35, 0, cells - 1)  # only the outer cells
    keep = rng.random((n_var, n)) > 0.1
    want = np.stack([np.bincount(idx[v][keep[v]], minlength=cells) for v in range(n_var)])
    name, _, onehot = method.partition("-")
    variants.HIST_ONEHOT = {"bf16": jnp.bfloat16, "int8": jnp.int8}.get(onehot, jnp.bfloat16)
    try:
        got = jax.jit(variants.PER_QUARTER_COUNTS[name], static_argnums=(2, 3))(
            jnp.asarray(idx), jnp.asarray(keep), cells, 4)
    finally:
        variants.HIST_ONEHOT = jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(got), want)


def test_unknown_counting_method_is_refused():
    with pytest.raises(ValueError, match="hist must be one of"):
        scan.run_scenario_summary(None, None, None, None, None, None, None,
                                  scan.ChunkSpec(1, bins=8, hist="bincount"))
