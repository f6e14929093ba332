"""Reference: the JAX core in float64 agrees with the independent NumPy implementation when
both are given the same parameters and random numbers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import BUILTINS_2

from aicapex.sim.engine import block_randoms, compile_options, run_scenario
from aicapex.sim.model.catalog import params_from_matrix
from aicapex.sim.model.reference import simulate_reference

pytestmark = pytest.mark.usefixtures("x64")  # float64 arithmetic, as the equations are written

_run = compile_options.jit(run_scenario)


@pytest.mark.parametrize("name", BUILTINS_2)
def test_jax_float64_matches_numpy_reference(name, compiled64):
    sc = compiled64[name]
    T = sc.years.shape[0]
    normals, uniforms, zp = block_randoms(jax.random.key(11), jnp.arange(1, dtype=jnp.uint32),
                                          T, jnp.float64)
    out, pmat = _run(jax.tree.map(jnp.asarray, sc), normals, uniforms, zp)
    ref = simulate_reference(sc, params_from_matrix(np.asarray(pmat)), np.asarray(normals),
                             np.asarray(uniforms))
    for var, got in out._asdict().items():
        got = np.asarray(got)
        want = ref[var]
        assert got.dtype == (np.int32 if var == "regime" else np.float64), var
        # Both run the same float64 arithmetic in a different order: agreement to ~1e-9
        # relative; values that are near zero (drawdowns, stress) get an absolute floor.
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9, err_msg=var)


def test_long_horizon_with_life_cut_matches_reference():
    """A 48-quarter horizon wraps the 40-slot vintage ring, and a life cut with impairment
    re-spreads both the pre-start vintages (per-quarter constants) and the ring's."""
    from aicapex.scenarios import compile_scenario
    from aicapex.scenarios.loader import parse_scenario_text
    from aicapex.sim.model.types import ring_length

    text = ("name: long_cut\nextends: baseline\nsettings: {horizon_quarters: 48}\n"
            "depreciation: {useful_life_years: 6, change: {at: 2029Q2, to: 3, impairment: true}}\n")
    sc = compile_scenario(parse_scenario_text(text).scenario, dtype="float64")
    assert sc.dep_weights.shape == (48, ring_length(48)) == (48, 40)
    assert sc.imp_prestart.max() > 0 and sc.imp_weights.max() > 0
    normals, uniforms, zp = block_randoms(jax.random.key(5), jnp.arange(1, dtype=jnp.uint32),
                                          48, jnp.float64)
    out, pmat = _run(jax.tree.map(jnp.asarray, sc), normals, uniforms, zp)
    ref = simulate_reference(sc, params_from_matrix(np.asarray(pmat)), np.asarray(normals),
                             np.asarray(uniforms))
    for var in ("depreciation", "impairment", "net_book_value", "earnings_platforms_gaap",
                "index_level"):
        np.testing.assert_allclose(np.asarray(getattr(out, var)), ref[var], rtol=1e-8,
                                   atol=1e-9, err_msg=var)


def test_pinned_macro_paths_match_reference():
    """Every pin of ``tests/property/test_pins.py``'s scenario, set and released, in both."""
    import sys
    from pathlib import Path

    from aicapex.scenarios import compile_scenario
    from aicapex.scenarios.loader import parse_scenario_text

    sys.path.insert(0, str(Path(__file__).parents[1] / "property"))
    from test_pins import PINNED

    sc = compile_scenario(parse_scenario_text(PINNED).scenario, dtype="float64")
    assert np.isnan(sc.paths.pin_gdp_growth).any() and not np.isnan(sc.paths.pin_gdp_growth).all()
    normals, uniforms, zp = block_randoms(jax.random.key(8), jnp.arange(1, dtype=jnp.uint32),
                                          sc.years.shape[0], jnp.float64)
    out, pmat = _run(jax.tree.map(jnp.asarray, sc), normals, uniforms, zp)
    ref = simulate_reference(sc, params_from_matrix(np.asarray(pmat)), np.asarray(normals),
                             np.asarray(uniforms))
    for var, got in out._asdict().items():
        np.testing.assert_allclose(np.asarray(got), ref[var], rtol=1e-8, atol=1e-9, err_msg=var)
