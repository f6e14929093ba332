"""Each parameter's random numbers follow its name, not its position: a parameter added,
removed or moved in the declarations changes no other parameter's draws."""

from __future__ import annotations

import jax
import numpy as np

from aicapex.sim.engine import streams
from aicapex.sim.engine.rng import block_randoms
from aicapex.sim.model import PARAM_NAMES


def test_model_v2_parameters_keep_their_numbered_streams_and_new_ones_hash_their_name():
    assert streams.stream("neutral_rate") == 0  # the first numbered one
    assert all(streams.stream(n) == i for i, n in enumerate(streams.NUMBERED))
    new = streams.stream("energy_price_beta")
    assert new >= 2**31 and new == streams.stream("energy_price_beta")  # stable
    assert new != streams.stream("energy_price_gamma")
    assert tuple(streams.stream(n) for n in PARAM_NAMES) == streams.PARAM_STREAMS
    assert len(set(streams.PARAM_STREAMS)) == len(PARAM_NAMES)


def test_a_parameters_scores_do_not_depend_on_which_others_are_drawn():
    key, blocks = jax.random.key(3), np.arange(2, dtype=np.uint32)
    every = block_randoms(key, blocks, 2, np.float32, prior_rows=tuple(range(len(PARAM_NAMES))))
    k = PARAM_NAMES.index("gdp_sigma")
    alone = block_randoms(key, blocks, 2, np.float32, prior_rows=(k,))
    np.testing.assert_array_equal(np.asarray(alone[2][0]), np.asarray(every[2][k]))
