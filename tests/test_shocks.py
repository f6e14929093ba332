"""Statistical quality of the random numbers the engine uses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from aicapex.calibration import SHOCK_CORRELATIONS
from aicapex.scenarios.compile import shock_cholesky
from aicapex.sim.engine import block_randoms
from aicapex.sim.types import SHOCKS


def test_shock_moments_and_correlations():
    normals, uniforms, zp = block_randoms(jax.random.key(42), jnp.arange(8, dtype=jnp.uint32),
                                          20, jnp.float64)
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
