"""Model v3's macro cycle (issue 37): a Fed that reacts by its rule once the market's priced
meetings are past, recessions that reach every earnings line through operating leverage, and
replays that pin the realised macro paths from installed data. Draw counts are modest; each
tolerance is an economic size far beyond the Monte Carlo error of a median at 4,096 draws."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.scenarios import compile_scenario, load_scenario

SCENARIOS = ["baseline", "credit_stress", "fed_severely_adverse"]


@pytest.fixture(scope="module")
def ds():
    return aicapex.simulate(SCENARIOS, draws=4096, seed=5, progress=False)


def _median(ds, var, scenario):
    return ds[var].sel(scenario=scenario).median("draw").to_numpy()


def test_the_rule_takes_over_after_the_last_listed_meeting():
    w = np.asarray(compile_scenario(load_scenario("baseline").scenario).fed_rule_weight)
    assert w[0] == 0 and np.all(w[1:] == 1)  # December 2025 listed, then the rule
    w = np.asarray(compile_scenario(load_scenario("dotcom_2000").scenario).fed_rule_weight)
    assert not w.any()  # the realised path is listed to 2004Q4: the market's moves alone


def test_stress_brings_cuts_without_being_told(ds):
    """credit_stress lists no meeting beyond the baseline's: its cuts are the rule's answer
    to the unemployment the stress raises."""
    base = _median(ds, "policy_rate", "baseline")
    stress = _median(ds, "policy_rate", "credit_stress")
    assert load_scenario("credit_stress").scenario.fed.meetings == (
        load_scenario("baseline").scenario.fed.meetings)
    assert np.all(stress[-8:] < base[-8:] - 0.003)  # 30bp+ lower over the last two years


def test_a_severe_recession_takes_earnings_down_by_a_recession_and_the_rate_to_the_floor(ds):
    # no earnings shift typed beyond the baseline's consensus optimism it extends
    assert load_scenario("fed_severely_adverse").scenario.earnings == (
        load_scenario("baseline").scenario.earnings)
    one = ds.sel(scenario="fed_severely_adverse")
    e = one["earnings_hw"] + one["earnings_platforms"] + one["earnings_other"]
    trough = float((e / e.isel(time=0)).min("time").median("draw")) - 1.0
    assert trough <= -0.25
    # a recession-sized fall of the index: the market looks through part of the earnings'
    peak_to_trough = float(one["drawdown"].max("time").median("draw"))
    assert 0.40 <= peak_to_trough <= 0.60
    # the rule cuts from 3.6% to within 75bp of the lower bound inside a year
    rate = _median(ds, "policy_rate", "fed_severely_adverse")
    assert rate[:5].min() < 0.00125 + 0.0075
    # every non-AI earnings line falls with it
    for var in ("earnings_other", "earnings_platforms"):
        rel = (one[var] / one[var].isel(time=0)).min("time").median("draw")
        base = ds[var].sel(scenario="baseline")
        rel_base = (base / base.isel(time=0)).min("time").median("draw")
        assert float(rel) < float(rel_base) - 0.15, var


def test_dotcom_replay_pins_the_realised_macro_paths_from_installed_data():
    pytest.importorskip("statsmodels")
    pytest.importorskip("arch")
    from aicapex.calibration.replay import REALISED_PINS, realised_pins

    scen = load_scenario("dotcom_2000").scenario
    st = scen.settings
    expected = realised_pins(st.start, st.horizon_quarters)
    assert set(expected) == set(REALISED_PINS)
    for name, steps in expected.items():
        written = [(str(s.start), s.value) for s in getattr(scen.pin, name)]
        assert written == [(s["from"], s["value"]) for s in steps], name
