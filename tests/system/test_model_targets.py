"""Model v2's targets against history (issue 23): the simulated moments of the steady state
against the S&P 500's of 1950-2018, and the dot-com replay without hindsight. Draw counts are
modest; the tolerances are the targets' own bands, wider than the Monte Carlo error at these
counts (a probability's sd is about 0.005 at 10,000 draws). Targets the model does not reach
are strict xfails that state the measured figure: they fail the suite the day they pass."""

from __future__ import annotations

import numpy as np
import pytest

from aicapex.calibration import smm
from aicapex.calibration.replay import replay
from aicapex.scenarios import load_scenario, shipped_fit


@pytest.fixture(scope="module")
def history_se():
    """The bootstrap standard errors of history's moments (``smm.bootstrap_moments``, as
    ``aicapex calibrate --fit`` computes them)."""
    return smm.bootstrap_moments(n_boot=300).std(ddof=1)


@pytest.fixture(scope="module")
def moments():
    est = {k: v["estimate"] for k, v in shipped_fit()["smm"]["parameters"].items()}
    return smm.model_moments(est, draws=10_000, seed=3), smm.history_moments()


def test_shipped_fit_is_the_default_prior_of_its_parameters():
    from aicapex.scenarios import default_priors

    priors = default_priors()
    for name, f in shipped_fit()["smm"]["parameters"].items():
        assert priors[name].source == "SMM" and priors[name].spec == pytest.approx(
            f["estimate"]), name


def test_tails_and_drawdowns_match_history(moments):
    m, h = moments
    assert 1.0 <= m["quarterly_excess_kurtosis"] <= 4.0
    assert abs(m["p_drawdown_20pct"] - 0.48) <= 0.10
    assert abs(m["p_drawdown_30pct"] - 0.23) <= 0.08
    assert abs(m["quarterly_vol"] - h["quarterly_vol"]) <= 0.02  # ~2 sampling errors
    assert abs(m["earnings_growth_vol"] - h["earnings_growth_vol"]) <= 0.036
    assert abs(m["pe_persistence"] - h["pe_persistence"]) <= 0.14


@pytest.mark.xfail(strict=True, reason="measured 1.13 here, 1.12 in calibrate --fit (history 0.88, "
                   "s.e. 0.23): busts' repricing lasts several quarters; the fit trades it "
                   "against the earnings-return correlation")
def test_variance_ratio_in_band(moments):
    m, _ = moments
    assert 0.7 <= m["variance_ratio_20q"] <= 1.1


def test_five_year_range_within_20pct_of_history(moments):
    m, h = moments
    width = m["log_return_5y_q95"] - m["log_return_5y_q05"]
    hist = h["log_return_5y_q95"] - h["log_return_5y_q05"]
    assert 0.8 <= width / hist <= 1.2


@pytest.mark.xfail(strict=True, reason="measured -0.40 against history's -0.97 (s.e. 0.17, z = "
                   "+3.5; calibrate --fit): the fall is spread over quarters, not one")
def test_quarterly_skew_within_two_standard_errors(moments, history_se):
    m, h = moments
    assert abs(m["quarterly_skew"] - h["quarterly_skew"]) <= 2 * history_se["quarterly_skew"]


def test_earnings_return_correlation_within_two_standard_errors(moments, history_se):
    m, h = moments
    assert abs(m["earnings_return_corr"] - h["earnings_return_corr"]) <= (
        2 * history_se["earnings_return_corr"])


@pytest.fixture(scope="module")
def dotcom():
    return replay("dotcom_2000", draws=5000, seed=1)


def test_dotcom_replay_without_hindsight(dotcom):
    """Today's dotcom_2000 inputs (the realised Fed, capex and macro paths), every parameter at
    its fitted default (the scenario sets no regime probabilities, premia or volatilities):
    the realised S&P 500 and Nasdaq are inside the model's 5-95% band in at least 18 of 20
    quarters, their drawdowns lie between the 10th and 90th percentiles of the model's, and
    the S&P 500's realised five-year change lies in the model's 25-75% band."""
    from aicapex.sim.model import PARAMETERS

    section = {p.name: p.section for p in PARAMETERS}
    overrides = load_scenario("dotcom_2000").scenario.param_overrides()
    assert not [n for n in overrides if section[n] in ("regime", "valuation", "volatility")]
    r = dotcom
    for key in ("sp500", "nasdaq"):
        pct = r.table[f"{key}_percentile"].to_numpy()
        assert np.sum((pct >= 5) & (pct <= 95)) >= 18, (key, pct)
        row = r.summary.set_index("series").loc[key]
        assert 10 <= row["percentile of realised max drawdown"] <= 90, key
    sp = r.summary.set_index("series").loc["sp500"]
    assert 25 <= sp["percentile of realised change"] <= 75
    # 2001-02: the equipment makers went into losses
    hw = r.ds["earnings_hw"].isel(scenario=0)
    assert float((hw.min("time") < 0).mean()) > 0.5


@pytest.mark.xfail(strict=True, reason="measured -3.3% (index) and -0.8% (other 490) from 2000 "
                   "to 2001 against Shiller's -30% (aicapex replay, 20,000 draws): the fitted "
                   "leverage to unemployment predicts -7%; 2001 is that fit's largest residual")
def test_dotcom_replay_earnings_fall_like_history(dotcom):
    row = dotcom.earnings.set_index("year").loc[2001]
    assert abs(row["model index earnings change median"]
               - row["realised S&P 500 earnings change"]) <= 0.10
