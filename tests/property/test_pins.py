"""Pinned macro paths (``pin:``, FRB/US's exogenize): in a pinned quarter the variable is the
pin for every draw, the model's own equation takes over again after a null step, and what
depends on the variable responds to the pinned value."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.scenarios.loader import parse_scenario_text

PINNED = """
name: pinned
extends: baseline
pin:
  gdp_growth: [{from: 2026Q2, value: -0.04}, {from: 2027Q2, value: null}]
  policy_rate: [{from: 2026Q3, value: 0.01}, {from: 2027Q1, value: null}]
  core_inflation: [{from: 2026Q1, value: 0.035}, {from: 2026Q4, value: null}]
  yield_10y: [{from: 2026Q2, value: 0.05}, {from: 2027Q2, value: null}]
  unemployment: [{from: 2027Q3, value: 0.07}, {from: 2028Q1, value: null}]
  implied_vol: [{from: 2026Q1, value: 0.35}, {from: 2026Q3, value: null}]
  economy_spread: [{from: 2026Q2, value: 0.03}, {from: 2026Q4, value: null}]
"""


@pytest.fixture(scope="module")
def ds():
    return aicapex.simulate(["baseline", parse_scenario_text(PINNED)], draws=2048, seed=3,
                            progress=False)


def _quarters(ds, first: str, last: str):
    q = ds["time"].to_index().to_period("Q")
    return (q >= first) & (q <= last)


@pytest.mark.parametrize(("var", "value", "first", "last"), [
    ("gdp_growth", -0.04, "2026Q2", "2027Q1"), ("policy_rate", 0.01, "2026Q3", "2026Q4"),
    ("yield_10y", 0.05, "2026Q2", "2027Q1"), ("unemployment", 0.07, "2027Q3", "2027Q4"),
    ("volatility", 0.35, "2026Q1", "2026Q2"), ("economy_spread", 0.03, "2026Q2", "2026Q3")])
def test_a_pinned_variable_is_the_pin_in_every_draw_and_the_models_after(ds, var, value, first,
                                                                          last):
    x = ds[var].sel(scenario="pinned")
    inside = _quarters(ds, first, last)
    np.testing.assert_allclose(x.isel(time=inside).values, value, rtol=1e-6, atol=1e-7)
    after = x.isel(time=np.flatnonzero(inside)[-1] + 1).values
    assert np.std(after) > 1e-4  # the model's own again: the draws differ


def test_pinned_core_inflation_leaves_no_inflation_noise(ds):
    infl = ds["inflation"].sel(scenario="pinned").isel(time=_quarters(ds, "2026Q1", "2026Q3"))
    assert float(infl.std("draw").max()) < 1e-6
    assert float(ds["inflation"].sel(scenario="baseline").isel(time=2).std("draw")) > 1e-3


def test_what_depends_on_a_pinned_variable_responds(ds):
    """Four quarters of -4% growth raise unemployment and cut the other 490's earnings; a
    pinned higher implied volatility widens the index's first-quarter spread."""
    med = ds.isel(time=int(np.flatnonzero(_quarters(ds, "2027Q1", "2027Q1"))[0])).median("draw")
    assert float(med["unemployment"].sel(scenario="pinned")) > float(
        med["unemployment"].sel(scenario="baseline")) + 0.01
    assert float(med["earnings_other"].sel(scenario="pinned")) < float(
        med["earnings_other"].sel(scenario="baseline"))
    first = np.log(ds["index_level"].isel(time=1))
    assert float(first.sel(scenario="pinned").std()) > float(first.sel(scenario="baseline").std())
    # a 3% economy-wide spread (2008's was 3.4%) carries AI borrowers' spread with it
    wide = ds.isel(time=int(np.flatnonzero(_quarters(ds, "2026Q2", "2026Q2"))[0])).median("draw")
    ai = wide["credit_spread"]
    assert float(ai.sel(scenario="pinned")) > float(ai.sel(scenario="baseline")) + 0.015


def test_a_pin_outside_its_range_names_the_field():
    with pytest.raises(aicapex.ScenarioError, match=r"pin.gdp_growth.*in \[-0.4, 0.4\]"):
        parse_scenario_text("name: bad\nextends: baseline\npin: {gdp_growth: 0.9}\n")
