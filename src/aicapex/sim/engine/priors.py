"""Prior sampling: each draw's parameters from standard-normal scores, by interpolation of each
prior's quantile function tabulated at ``PRIOR_Z`` (the table comes compiled with the
scenario)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..model import PRIOR_Z, Params

_Z0 = float(PRIOR_Z[0])
_DZ = float(PRIOR_Z[1] - PRIOR_Z[0])


def sample_priors(prior_table, z):
    """Parameter draws (P, B) from standard-normal scores ``z`` (P, B) by linear interpolation
    of each prior's quantile function tabulated at ``PRIOR_Z`` (``prior_table``, (P, Q))."""
    n_par, q = prior_table.shape
    pos = (jnp.clip(z, _Z0, -_Z0) - _Z0) / _DZ
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, q - 2)
    w = pos - i
    # one gather of (value, step) pairs from a flat table
    pairs = jnp.stack([prior_table[:, :-1], prior_table[:, 1:] - prior_table[:, :-1]],
                      axis=-1).reshape(-1, 2)
    at = i + (jnp.arange(n_par, dtype=jnp.int32) * (q - 1))[:, None]
    lo_step = jnp.take(pairs, at, axis=0, mode="clip")
    return lo_step[..., 0] + w * lo_step[..., 1]


def random_prior_rows(prior_table) -> tuple[int, ...]:
    """Parameters whose prior is not a fixed value in some scenario: ``prior_table`` (P, Q) or
    a batch (S, P, Q). Only these get random numbers; the others stay scalars per scenario."""
    table = np.asarray(prior_table)
    table = table.reshape(-1, *table.shape[-2:])
    return tuple(int(i) for i in np.flatnonzero((np.ptp(table, axis=-1) > 0).any(axis=0)))


def draw_params(prior_table, zp, prior_rows: tuple[int, ...] | None = None) -> Params:
    """``Params`` of a scenario: parameters in ``prior_rows`` (default all) sampled from the
    scores ``zp`` (len(prior_rows), B), the others their fixed value (a scalar, which costs
    the model no memory traffic)."""
    n_par = prior_table.shape[0]
    rows = tuple(range(n_par)) if prior_rows is None else prior_rows
    values = [prior_table[i, 0] for i in range(n_par)]
    if rows:
        drawn = sample_priors(prior_table[np.asarray(rows)], zp)
        for j, i in enumerate(rows):
            values[i] = drawn[j]
    return Params(*values)
