"""Unit tests: each block's equation against values computed by hand."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import central_params
from scipy import stats

from aicapex.scenarios.compile import (
    Timeline,
    depreciation_weights,
    fed_move_cdf,
    prior_quantiles,
    tariff_arrays,
)
from aicapex.scenarios.schema import Beta, LogNormal, Normal, Scenario, Triangular, Uniform
from aicapex.sim.engine.priors import sample_priors
from aicapex.sim.model import earnings, macro, regime, revenue
from aicapex.sim.model.types import DT, MOVE_GRID_BP, PRIOR_Z

pytestmark = pytest.mark.usefixtures("x64")  # float64 arithmetic, as the equations are written

G = len(MOVE_GRID_BP)


def cdf_certain(bp: int) -> np.ndarray:
    probs = np.zeros(G)
    probs[list(MOVE_GRID_BP).index(bp)] = 1.0
    return np.cumsum(probs)


def test_policy_rate_meeting_move_pull_put_and_floor():
    p = central_params(neutral_rate=0.03, taylor_weight=1.5, inflation_target=0.02,
                       policy_pull=0.1, fed_put_threshold=2.0, fed_put_cut=0.005)
    u = jnp.array([0.5])
    # certain 25bp cut; rule rate = 0.03 + 1.5 * (0.03 - 0.02) = 0.045
    r = macro.policy_rate(p, 0.04, 0.03, 0.0, cdf_certain(-25), u)
    assert float(r[0]) == pytest.approx(0.04 - 0.0025 + 0.1 * (0.045 - 0.04), abs=1e-12)
    # stress above the threshold adds the put
    r_put = macro.policy_rate(p, 0.04, 0.03, 3.0, cdf_certain(-25), u)
    assert float(r_put[0]) == pytest.approx(float(r[0]) - 0.005, abs=1e-12)
    # floored at zero
    r0 = macro.policy_rate(p, 0.001, 0.02, 0.0, cdf_certain(-100), u)
    assert float(r0[0]) == 0.0


def test_policy_rate_uniform_picks_move_from_cdf():
    # P(-25) = 0.3, P(0) = 0.7: u below 0.3 cuts, above holds
    probs = np.zeros(G)
    probs[list(MOVE_GRID_BP).index(-25)] = 0.3
    probs[list(MOVE_GRID_BP).index(0)] = 0.7
    p = central_params(policy_pull=0.0)
    r = macro.policy_rate(p, 0.04, 0.02, 0.0, np.cumsum(probs), jnp.array([0.29, 0.31]))
    np.testing.assert_allclose(np.asarray(r), [0.0375, 0.04], atol=1e-12)


def test_inflation_ar1_plus_tariff_passthrough():
    p = central_params(inflation_target=0.02, inflation_persistence=0.8, import_share=0.1,
                       tariff_passthrough=0.5, inflation_sigma=0.0)
    out = macro.inflation(p, 0.03, 0.08, jnp.zeros(1))
    assert float(out[0]) == pytest.approx(0.02 + 0.8 * 0.01 + 0.1 * 0.5 * 0.08)


def test_yield_10y_and_term_premium():
    p = central_params(neutral_rate=0.035, long_rate_beta=0.5, term_premium_mean=0.007,
                       term_premium_persistence=0.9, term_premium_sigma=0.0)
    y, tp = macro.yield_10y(p, 0.04, 0.005, 0.001, jnp.zeros(1))
    assert float(tp[0]) == pytest.approx(0.007 + 0.9 * (0.005 - 0.007))
    assert float(y[0]) == pytest.approx(0.035 + 0.5 * 0.005 + float(tp[0]) + 0.001)


def test_depreciation_straight_line_and_life_cut_with_impairment():
    T = 8
    life = np.full(T, 8.0)  # 2-year life in quarters
    change = np.zeros(T)
    w = depreciation_weights(T, 8.0, life, change, impair=False)
    dep, nbv = w.dep, w.nbv
    # vintage 0 (slot 0) depreciates 1/8 a quarter for 8 quarters
    np.testing.assert_allclose(dep[:, 0], np.full(T, 1 / 8))
    np.testing.assert_allclose(nbv[:, 0], 1 - np.arange(1, T + 1) / 8)
    # cut the life to 4 quarters at t = 2 with impairment: vintage 0 has age 2, book 6/8
    life2 = life.copy()
    life2[2:] = 4.0
    change2 = np.zeros(T)
    change2[2] = 4.0
    w2 = depreciation_weights(T, 8.0, life2, change2, impair=True)
    dep2, imp2, nbv2 = w2.dep, w2.imp, w2.nbv
    # a 4-quarter life would leave 1 - 2/4 = 0.5: impairment 0.25, then 0.5 over 2 quarters
    assert imp2[2, 0] == pytest.approx(0.25)
    np.testing.assert_allclose(dep2[2:4, 0], [0.25, 0.25])
    assert nbv2[3, 0] == pytest.approx(0.0)
    # without impairment the 0.75 left is re-spread over the 2 remaining quarters
    w3 = depreciation_weights(T, 8.0, life2, change2, impair=False)
    imp3, dep3 = w3.imp, w3.dep
    assert imp3.sum() == 0.0
    np.testing.assert_allclose(dep3[2:4, 0], [0.375, 0.375])


def test_s_curve_passes_through_start_and_2030():
    p = central_params(ai_revenue_2030_bn=1200.0, ai_revenue_ceiling_multiple=2.0)

    class Init:
        ai_revenue_bn = 15.0
        years_to_2030 = 4.75

    vals = revenue.s_curve(p, Init, jnp.array([0.0, 4.75, 200.0]))
    np.testing.assert_allclose(np.asarray(vals), [15.0, 1200.0, 2400.0], rtol=1e-9)


def test_hardware_margin_decays_to_floor_and_moves_with_revenue():
    p = central_params(hw_margin_floor=0.3, hw_margin_erosion=0.4, hw_operating_leverage=0.0,
                       chip_share_of_capex=0.5, other_demand_growth=0.0)

    class Init:
        hw_china_revenue_bn = 0.0

    rev, e, _, m = earnings.hardware(p, Init, jnp.array([100.0]), jnp.log(jnp.array([50.0])),
                              jnp.array([100.0]), jnp.array([0.5]), 1.0)
    assert float(rev[0]) == pytest.approx(100.0)
    assert float(m[0]) == pytest.approx(0.5 + (0.3 - 0.5) * (1 - np.exp(-0.4 * DT)))
    assert float(e[0]) == pytest.approx(float(m[0]) * 100.0)


def test_platform_earnings_ai_pnl_and_gaap_impairment():
    p = central_params(platform_core_growth=0.0, earnings_sigma=0.0, tax_rate=0.2)
    core, op, gaap = earnings.platforms(p, 500.0, 0.05, 0.05, 0.0, 100.0, 80.0, 60.0, 10.0, 5.0,
                                 jnp.zeros(1))
    assert float(core[0]) == pytest.approx(500.0)
    assert float(op[0]) == pytest.approx(500.0 + 0.8 * (100 - 80 - 60 - 5))
    assert float(gaap[0]) == pytest.approx(float(op[0]) - 0.8 * 10.0 / DT)


def test_other_490_tariff_squeeze():
    p = central_params(other_core_growth=0.0, other_gdp_leverage=0.0, ai_productivity_gain=0.0,
                       earnings_sigma=0.0, tariff_passthrough=0.5, import_share=0.1,
                       other_net_margin=0.1)
    e = earnings.other_490(p, 1000.0, 0.05, 0.05, 0.0, 0.08, jnp.zeros(1))
    assert float(e[0]) == pytest.approx(1000.0 * np.exp(-0.5 * 0.1 * 0.08 / 0.1))


def test_earnings_growth_shift_adds_to_both_core_growths():
    p = central_params(platform_core_growth=0.0, other_core_growth=0.0, other_gdp_leverage=0.0,
                       ai_productivity_gain=0.0, earnings_sigma=0.0, tax_rate=0.2)
    core, _, _ = earnings.platforms(p, 500.0, 0.05, 0.05, 0.08, 0.0, 0.0, 0.0, 0.0, 0.0,
                             jnp.zeros(1))
    assert float(core[0]) == pytest.approx(500.0 * np.exp(0.08 * DT))
    e = earnings.other_490(p, 1000.0, 0.05, 0.05, 0.08, 0.0, jnp.zeros(1))
    assert float(e[0]) == pytest.approx(1000.0 * np.exp(0.08 * DT))


def test_regime_probabilities_and_fragility():
    p = central_params(p_ramp_to_wobble=0.1, p_wobble_to_bust=0.2, p_wobble_to_ramp=0.3,
                       p_bust_to_wobble=0.4)
    prev = jnp.array([0, 0, 1, 1, 1, 2, 2], jnp.int32)
    # ramp: down below 0.1; wobble: down below 0.2, up in [0.2, 0.5); bust: up below 0.4
    u = jnp.array([0.09, 0.11, 0.19, 0.21, 0.51, 0.39, 0.41])
    out = regime.regime(p, prev, 0.0, u)
    np.testing.assert_array_equal(np.asarray(out), [1, 0, 2, 0, 1, 1, 2])
    # fragility log(2) doubles the odds of moving down: 0.1 -> 2/11
    assert float(regime.shift_probability(jnp.array(0.1), np.log(2.0))) == pytest.approx(2 / 11)


def test_fed_calendar_convolves_meetings():
    scen = Scenario.model_validate({
        "name": "x", "settings": {"start": "2026Q1", "horizon_quarters": 2},
        "fed": {"default_meeting": {"cut_25": 0.5, "hold": 0.5}}})
    import datetime as dt
    cdf = fed_move_cdf(scen, Timeline("2026Q1", 2), dt.date(2025, 12, 31))
    probs = np.diff(np.concatenate([[0.0], cdf[0]]))
    grid = list(MOVE_GRID_BP)
    # two meetings in 2026Q1: -50 (1/4), -25 (1/2), 0 (1/4)
    assert probs[grid.index(-50)] == pytest.approx(0.25)
    assert probs[grid.index(-25)] == pytest.approx(0.5)
    assert probs[grid.index(0)] == pytest.approx(0.25)


def test_tariff_impulse_spreads_the_rise_over_the_window():
    scen = Scenario.model_validate({
        "name": "x", "settings": {"start": "2026Q1", "horizon_quarters": 6},
        "tariffs": {"effective_rate": [{"from": "2026Q1", "value": 0.25}],
                    "passthrough_quarters": 4}})
    _, change, impulse = tariff_arrays(scen, Timeline("2026Q1", 6), 0.17)
    np.testing.assert_allclose(change, [0.08, 0, 0, 0, 0, 0], atol=1e-12)
    # the rise, annualised, for 4 quarters: the price level rises by the rise x pass-through
    np.testing.assert_allclose(impulse, [0.08, 0.08, 0.08, 0.08, 0, 0], atol=1e-12)
    assert impulse.sum() * DT == pytest.approx(0.08)


@pytest.mark.parametrize("spec, frozen", [
    (Normal(dist="normal", mean=0.1, sd=0.02), stats.norm(0.1, 0.02)),
    (LogNormal(dist="lognormal", median=1200, sigma=0.4), stats.lognorm(0.4, scale=1200)),
    (Uniform(dist="uniform", low=0.75, high=0.85), stats.uniform(0.75, 0.1)),
    (Triangular(dist="triangular", low=0.1, mode=0.3, high=0.6),
     stats.triang(0.4, loc=0.1, scale=0.5)),
    (Beta(dist="beta", a=40, b=40), stats.beta(40, 40)),
    (Beta(dist="beta", a=2, b=5, low=1, high=3), stats.beta(2, 5, loc=1, scale=2)),
])
def test_prior_sampling_matches_scipy(spec, frozen):
    table = prior_quantiles(spec, -1e12, 1e12)[None, :]
    z = np.random.default_rng(7).standard_normal((1, 40_000))
    x = np.asarray(sample_priors(jnp.asarray(table), jnp.asarray(z)))[0]
    ks = stats.kstest(x, frozen.cdf)
    # interpolating the quantile function on 481 points: the CDF error is far below the
    # KS resolution of 40k samples (~0.007 at the 1% level)
    assert ks.statistic < 0.01, ks
    assert x.mean() == pytest.approx(frozen.mean(), rel=0.02, abs=1e-3)


def test_prior_table_clipped_to_parameter_bounds():
    q = prior_quantiles(Normal(dist="normal", mean=0.5, sd=1.0), 0.0, 1.0)
    assert q.min() == 0.0 and q.max() == 1.0 and len(q) == len(PRIOR_Z)
