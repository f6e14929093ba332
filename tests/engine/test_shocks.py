"""Statistical quality of the random numbers the engine uses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aicapex.scenarios import SHOCK_CORRELATIONS
from aicapex.scenarios.compile import shock_cholesky
from aicapex.sim.engine import block_randoms
from aicapex.sim.model.types import SHOCKS


@pytest.mark.parametrize("antithetic", [False, True])
def test_shock_moments_and_correlations(antithetic, x64):
    normals, uniforms, zp = block_randoms(jax.random.key(42), jnp.arange(8, dtype=jnp.uint32),
                                          20, jnp.float64, antithetic)
    if antithetic:  # the independent half of every block; the other half mirrors it
        normals, uniforms, zp = (_halves(x)[0] for x in (normals, uniforms, zp))
    z = np.asarray(normals).transpose(1, 0, 2).reshape(len(SHOCKS), -1)  # (9, 20 * 8192)
    n = z.shape[1]
    se = 1 / np.sqrt(n)
    # independent standard normals: mean 0, variance 1, no correlation (5 standard errors)
    assert np.abs(z.mean(axis=1)).max() < 5 * se
    assert np.abs(z.var(axis=1) - 1).max() < 5 * np.sqrt(2) * se
    c = np.corrcoef(z)
    assert np.abs(c - np.eye(len(SHOCKS))).max() < 5 * se
    # after the Cholesky factor the correlations are the calibrated ones
    e = shock_cholesky(SHOCK_CORRELATIONS) @ z
    ce = np.corrcoef(e)
    idx = {s: i for i, s in enumerate(SHOCKS)}
    for (a, b), r in SHOCK_CORRELATIONS.items():
        assert abs(ce[idx[a], idx[b]] - r) < 5 * (1 - r**2) * se, (a, b)
    u = np.asarray(uniforms).ravel()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    p = np.asarray(zp)
    assert abs(p.mean()) < 5 / np.sqrt(p.size) and abs(p.std() - 1) < 5 / np.sqrt(2 * p.size)


def test_draws_from_different_blocks_differ():
    a, _, _ = block_randoms(jax.random.key(1), jnp.arange(2, dtype=jnp.uint32), 4, jnp.float32)
    a = np.asarray(a)
    assert not np.array_equal(a[..., :1024], a[..., 1024:])


def _halves(x):
    """First and second half of every 1,024-draw block, each (..., n_blocks * 512)."""
    x = np.asarray(x)
    b = x.reshape(*x.shape[:-1], -1, 1024)
    return (b[..., :512].reshape(*x.shape[:-1], -1), b[..., 512:].reshape(*x.shape[:-1], -1))


def test_antithetic_halves_mirror_each_other_and_results_keep_their_invariances():
    import aicapex

    normals, uniforms, zp = block_randoms(jax.random.key(7), jnp.arange(3, dtype=jnp.uint32),
                                          5, jnp.float32, True)
    for x, mirror in ((normals, lambda a: -a), (uniforms, lambda a: 1.0 - a),
                      (zp, lambda a: -a)):
        first, second = _halves(x)
        np.testing.assert_array_equal(second, mirror(first))
        assert np.unique(first).size > 0.99 * first.size  # fresh numbers (float32 may collide)
    a = aicapex.simulate(["baseline", "capex_slowdown"], draws=2500, seed=3, antithetic=True,
                         chunk_size=1024)
    b = aicapex.simulate(["baseline", "capex_slowdown"], draws=2500, seed=3, antithetic=True,
                         chunk_size=3072)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    assert a.attrs["antithetic"] == 1
    # the pairs reach the run: a block's two halves (draws d and d + 512, mirrored shocks and
    # prior scores) move the index in opposite directions far more often than independent
    # draws would (a plain run would need a program of its own)
    change = np.log(a["index_level"].sel(scenario="baseline").isel(time=0).values / 6600.0)
    first, second = change[:512] - change[:1024].mean(), change[512:1024] - change[:1024].mean()
    assert np.corrcoef(first, second)[0, 1] < -0.5


def test_numbers_do_not_depend_on_horizon_or_on_which_priors_are_random():
    """Every row has its own key: a quarter's shocks are the same for any longer horizon, and
    a parameter's prior score does not move when other parameters become random."""
    key, ids = jax.random.key(9), jnp.arange(2, dtype=jnp.uint32)
    n4, u4, z4 = block_randoms(key, ids, 4, jnp.float32, prior_rows=(3, 40))
    n8, u8, z8 = block_randoms(key, ids, 8, jnp.float32, prior_rows=(3, 7, 40))
    np.testing.assert_array_equal(np.asarray(n8)[:4], np.asarray(n4))
    np.testing.assert_array_equal(np.asarray(u8)[:4], np.asarray(u4))
    np.testing.assert_array_equal(np.asarray(z8)[[0, 2]], np.asarray(z4))
    assert z8.shape == (3, 2048) and not np.array_equal(np.asarray(z8[1]), np.asarray(z8[0]))
    _, _, none = block_randoms(key, ids, 4, jnp.float32, prior_rows=())
    assert none.shape == (0, 2048)


def test_only_priors_that_vary_get_random_numbers():
    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    from aicapex.scenarios.loader import parse_scenario_text
    from aicapex.sim.engine.priors import draw_params, random_prior_rows, sample_priors
    from aicapex.sim.model.catalog import PARAM_INDEX

    base = compile_scenario(load_scenario("baseline").scenario)
    rows = random_prior_rows(base.prior_table)
    fixed = [i for i in range(base.prior_table.shape[0]) if i not in rows]
    assert rows and fixed
    assert all(np.ptp(base.prior_table[i]) == 0 for i in fixed)
    # a scenario that makes one fixed parameter uncertain adds exactly that row to a batch
    name = next(n for n, i in PARAM_INDEX.items() if i == fixed[0])
    value = float(base.prior_table[fixed[0], 0])
    other = compile_scenario(parse_scenario_text(
        f"name: unsure\nextends: baseline\nparameters:\n  {name}: {{dist: uniform, "
        f"low: {value}, high: {value + 1e-3}}}\n").scenario)
    assert random_prior_rows(stack_batch([base, other]).prior_table) == tuple(
        sorted((*rows, fixed[0])))
    # fixed parameters are scalars equal to their table value; drawn ones interpolate
    z = jax.random.normal(jax.random.key(0), (len(rows), 64))
    p = draw_params(jnp.asarray(base.prior_table), z, rows)
    assert np.ndim(p[fixed[0]]) == 0 and float(p[fixed[0]]) == value
    np.testing.assert_array_equal(
        np.stack([np.asarray(p[i]) for i in rows]),
        np.asarray(sample_priors(jnp.asarray(base.prior_table)[np.asarray(rows)], z)))


@pytest.mark.parametrize("m", [1024, 512, 6])
def test_fused_threefry_gives_jax_own_numbers_bit_for_bit(m):
    """threefry.py computes the numbers jax.random draws from the same keys (threefry,
    non-partitionable layout): the bits exactly, and normals and uniforms within a float32
    rounding step (they are equal on CPU; a GPU compiler may contract the scaling into a
    fused multiply-add in one of the two programs)."""
    from aicapex.sim.engine import threefry

    base = jax.random.key(2026)
    keys = jax.vmap(lambda r: jax.vmap(lambda b: jax.random.fold_in(
        jax.random.fold_in(base, b), r))(jnp.arange(3, dtype=jnp.uint32)))(
        jnp.arange(5, dtype=jnp.uint32))                                   # (5, 3)

    def per_key(f, *a):
        with jax.threefry_partitionable(False):
            return np.asarray(jax.vmap(jax.vmap(lambda k: f(k, (m,), *a)))(keys))

    bits = np.asarray(jax.jit(threefry.words, static_argnums=1)(keys, m))
    assert bits.shape == (5, 3, m) and bits.dtype == np.uint32
    np.testing.assert_array_equal(bits, per_key(jax.random.bits, jnp.uint32))
    for ours, theirs in ((threefry.normal, jax.random.normal),
                         (threefry.uniform, jax.random.uniform)):
        got = np.asarray(jax.jit(ours, static_argnums=1)(keys, m))
        np.testing.assert_allclose(got, per_key(theirs, jnp.float32), rtol=2e-7, atol=2e-7)
    with pytest.raises(ValueError, match="even"):
        threefry.words(keys, 3)


@pytest.mark.parametrize("antithetic", [False, True])
def test_block_randoms_on_cpu_equal_jax_random_per_row_key(antithetic, monkeypatch):
    """The engine's fused generator and JAX's own functions, one call per (row, block) key,
    give the same numbers: changing the generator changed no result."""
    from aicapex.sim.engine import rng

    key, ids = jax.random.key(31), jnp.arange(2, dtype=jnp.uint32)
    fused = block_randoms(key, ids, 3, jnp.float32, antithetic, prior_rows=(0, 5))

    monkeypatch.setattr(rng, "_samplers", rng._jax_samplers)
    plain = block_randoms(key, ids, 3, jnp.float32, antithetic, prior_rows=(0, 5))
    for a, b in zip(fused, plain, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-7, atol=2e-7)


def test_correlated_shocks_do_not_depend_on_how_many_draws_share_the_call():
    """``correlate`` multiplies per 1,024-draw block, so a draw's correlated shocks are the
    same bits in a chunk of one block or of sixteen (XLA:CPU's single product rounded one
    row differently for different widths), and equal the plain product to rounding."""
    from aicapex.sim.engine.rng import RNG_BLOCK, correlate

    chol = jnp.asarray(shock_cholesky(SHOCK_CORRELATIONS), jnp.float32)
    z = jax.random.normal(jax.random.key(3), (len(SHOCKS), 16 * RNG_BLOCK), jnp.float32)
    f = jax.jit(correlate)
    wide = np.asarray(f(chol, z))
    for k in (0, 5, 15):
        part = slice(k * RNG_BLOCK, (k + 1) * RNG_BLOCK)
        np.testing.assert_array_equal(np.asarray(f(chol, z[:, part])), wide[:, part])
    np.testing.assert_array_equal(np.asarray(f(chol, z[:, :4 * RNG_BLOCK])),
                                  wide[:, :4 * RNG_BLOCK])
    exact = np.asarray(chol, np.float64) @ np.asarray(z, np.float64)
    np.testing.assert_allclose(wide, exact, rtol=1e-5, atol=1e-5)
    odd = np.asarray(f(chol, z[:, :500]))  # not whole blocks: one plain product
    np.testing.assert_allclose(odd, exact[:, :500], rtol=1e-5, atol=1e-5)
