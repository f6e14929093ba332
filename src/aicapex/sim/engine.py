"""The engine: random numbers, prior sampling, ``lax.scan`` over quarters, ``vmap`` over
scenarios, and chunked execution over draws.

Randomness is tied to draws, not to execution: draws come in logical blocks of ``RNG_BLOCK``
and block ``k`` uses ``fold_in(key, k)``, so a draw's numbers do not depend on the chunk size.
With common random numbers (the default) every scenario sees the same numbers, so scenario
differences are not blurred by sampling noise; otherwise scenario ``s`` folds in its stream id
(a hash of its name), so its draws do not depend on which other scenarios share the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .parameters import N_PARAMS, params_from_matrix
from .step import Outputs, QuarterInputs, initial_state, step
from .types import N_NORMALS, N_UNIFORMS, N_VINTAGES, PRIOR_Z, ScenarioArrays

RNG_BLOCK = 1024
"""Draws per logical random-number block; chunks are whole numbers of blocks."""

DEFAULT_CHUNK = 32 * RNG_BLOCK

TRACES = {"simulate_chunk": 0}
"""How many times ``simulate_chunk`` was traced (compiled) in this process; tests read it."""

_Z0 = float(PRIOR_Z[0])
_DZ = float(PRIOR_Z[1] - PRIOR_Z[0])


def sample_priors(prior_table, z):
    """Parameter draws (P, B) from standard-normal scores ``z`` (P, B) by linear interpolation
    of each prior's quantile function tabulated at ``PRIOR_Z`` (``prior_table``, (P, Q))."""
    q = prior_table.shape[1]
    pos = (jnp.clip(z, _Z0, -_Z0) - _Z0) / _DZ
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, q - 2)
    w = pos - i
    lo = jnp.take_along_axis(prior_table, i, axis=1)
    hi = jnp.take_along_axis(prior_table, i + 1, axis=1)
    return lo + w * (hi - lo)


def block_randoms(key, block_ids, horizon: int, dtype):
    """Random numbers for the logical blocks ``block_ids``: normals (T, N_NORMALS, B),
    uniforms (T, N_UNIFORMS, B) and prior scores (P, B), B = len(block_ids) * RNG_BLOCK."""

    def one(block):
        kn, ku, kp = jax.random.split(jax.random.fold_in(key, block), 3)
        return (jax.random.normal(kn, (horizon, N_NORMALS, RNG_BLOCK), dtype),
                jax.random.uniform(ku, (horizon, N_UNIFORMS, RNG_BLOCK), dtype),
                jax.random.normal(kp, (N_PARAMS, RNG_BLOCK), dtype))

    normals, uniforms, zp = jax.vmap(one)(block_ids)
    nb = block_ids.shape[0] * RNG_BLOCK
    normals = jnp.moveaxis(normals, 0, 2).reshape(horizon, N_NORMALS, nb)
    uniforms = jnp.moveaxis(uniforms, 0, 2).reshape(horizon, N_UNIFORMS, nb)
    zp = jnp.moveaxis(zp, 0, 1).reshape(N_PARAMS, nb)
    return normals, uniforms, zp


def quarter_inputs(scen: ScenarioArrays, normals, uniforms) -> QuarterInputs:
    """The scan's per-quarter inputs (leading axis T)."""
    horizon = scen.years.shape[0]
    return QuarterInputs(
        fed_move_cdf=scen.fed_move_cdf, tariff_rate=scen.tariff_rate,
        tariff_change=scen.tariff_change, tariff_impulse=scen.tariff_impulse,
        capex_growth=scen.capex_growth, dep_weights=scen.dep_weights,
        imp_weights=scen.imp_weights, nbv_weights=scen.nbv_weights,
        china_multiplier=scen.china_multiplier, price_deflation=scen.price_deflation,
        erp_liquidity=scen.erp_liquidity, term_premium_shift=scen.term_premium_shift,
        spread_shift=scen.spread_shift, years=scen.years,
        slot=(jnp.arange(horizon, dtype=jnp.int32) % N_VINTAGES), normals=normals,
        uniforms=uniforms)


def run_scenario(scen: ScenarioArrays, normals, uniforms, zp) -> tuple[Outputs, jax.Array]:
    """One scenario over all draws of the given random numbers (independent normals).
    Returns the outputs, each (T, B), and the sampled parameter matrix (P, B)."""
    pmat = sample_priors(scen.prior_table, zp)
    p = params_from_matrix(pmat)
    n = normals.shape[-1]
    state0 = initial_state(p, scen, n, normals.dtype)

    def body(state, x: QuarterInputs):
        x = x._replace(normals=scen.shock_chol @ x.normals)
        return step(p, scen, state, x)

    _, out = lax.scan(body, state0, quarter_inputs(scen, normals, uniforms))
    return out, pmat


@partial(jax.jit, static_argnames=("n_blocks", "common"))
def simulate_chunk(scen_batch: ScenarioArrays, key, stream_ids, first_block, n_blocks: int,
                   common: bool) -> Outputs:
    """Simulate draws ``[first_block, first_block + n_blocks) * RNG_BLOCK`` of every scenario
    in the batch. Returns ``Outputs`` with leaves (S, T, B). Compiled once per (shapes,
    n_blocks, common); every scenario number is traced."""
    TRACES["simulate_chunk"] += 1  # runs only while tracing
    horizon = scen_batch.years.shape[1]
    dtype = scen_batch.years.dtype
    block_ids = first_block + jnp.arange(n_blocks, dtype=jnp.uint32)
    if common:
        rnd = block_randoms(key, block_ids, horizon, dtype)
        out, _ = jax.vmap(run_scenario, in_axes=(0, None, None, None))(scen_batch, *rnd)
    else:
        def independent(scen, stream):
            rnd = block_randoms(jax.random.fold_in(key, stream), block_ids, horizon, dtype)
            return run_scenario(scen, *rnd)[0]
        out = jax.vmap(independent)(scen_batch, stream_ids)
    return out


def simulate_arrays(scen_batch: ScenarioArrays, seed: int, n_draws: int, *,
                    chunk_size: int = DEFAULT_CHUNK, common_random_numbers: bool = True,
                    stream_ids=None, device=None,
                    progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Run ``n_draws`` draws of each scenario in chunks; returns host arrays (S, T, n_draws)
    keyed by output name. ``progress`` is called with the number of draws just finished."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    n_scen = scen_batch.years.shape[0]
    horizon = scen_batch.years.shape[1]
    blocks_total = -(-n_draws // RNG_BLOCK)
    blocks_per_chunk = max(1, min(blocks_total, chunk_size // RNG_BLOCK))
    key = jax.random.key(seed)
    if stream_ids is None:
        stream_ids = np.zeros(n_scen, np.uint32)
    stream_ids = jnp.asarray(stream_ids, jnp.uint32)
    if device is not None:
        scen_batch = jax.device_put(scen_batch, device)
        stream_ids = jax.device_put(stream_ids, device)
    results: dict[str, np.ndarray] = {}
    dtype = np.dtype(scen_batch.years.dtype)
    for first in range(0, blocks_total, blocks_per_chunk):
        out = simulate_chunk(scen_batch, key, stream_ids, np.uint32(first), blocks_per_chunk,
                             common_random_numbers)
        host = jax.device_get(out)
        start = first * RNG_BLOCK
        valid = min(n_draws - start, blocks_per_chunk * RNG_BLOCK)
        for name, arr in host._asdict().items():
            if name not in results:
                results[name] = np.empty((n_scen, horizon, n_draws),
                                         np.int32 if name == "regime" else dtype)
            results[name][:, :, start:start + valid] = arr[:, :, :valid]
        if progress is not None:
            progress(valid)
    return results
