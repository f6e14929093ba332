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
from aicapex.scenarios.fields import Beta, LogNormal, Normal, Triangular, Uniform
from aicapex.scenarios.schema import Scenario
from aicapex.sim.engine.priors import sample_priors
from aicapex.sim.model import earnings, macro, regime, revenue
from aicapex.sim.model.types import DT, MOVE_GRID_BP, PRIOR_Z

pytestmark = pytest.mark.usefixtures("x64")  # float64 arithmetic, as the equations are written

G = len(MOVE_GRID_BP)
NGDP = 1e5  # $bn: nominal GDP so large no share-of-GDP bound binds


class START:
    """The start's earnings and GDP that the share-of-GDP bounds are measured against."""

    platform_earnings_bn = 500.0
    other_earnings_bn = 1000.0
    nominal_gdp_bn = NGDP
    ai_revenue_bn = reported_depreciation_bn = ai_debt_bn = 0.0  # core_0 = platform earnings
    yield_10y, credit_spread = 0.04, 0.01


def cdf_certain(bp: int) -> np.ndarray:
    probs = np.zeros(G)
    probs[list(MOVE_GRID_BP).index(bp)] = 1.0
    return np.cumsum(probs)


def test_policy_rate_meeting_move_rule_put_and_lower_bound():
    p = central_params(neutral_rate=0.03, taylor_weight=1.5, inflation_target=0.02,
                       policy_pull=0.1, unemployment_reaction=1.0, fed_put_threshold=2.0,
                       fed_put_cut=0.005, effective_lower_bound=0.00125)
    u = jnp.array([0.5])
    # past the priced meetings (weight 1): certain 25bp cut; rule rate = 0.03 + 1.5 * (0.03 -
    # 0.02) = 0.045; unemployment up 0.5pp last quarter: 50bp more
    r = macro.policy_rate(p, 0.04, 0.03, 0.005, 0.0, cdf_certain(-25), 1.0, u)
    assert float(r[0]) == pytest.approx(0.04 - 0.0025 + 0.1 * (0.045 - 0.04) - 0.005, abs=1e-12)
    # within the priced meetings (weight 0) the market's move alone
    r_priced = macro.policy_rate(p, 0.04, 0.03, 0.005, 0.0, cdf_certain(-25), 0.0, u)
    assert float(r_priced[0]) == pytest.approx(0.04 - 0.0025, abs=1e-12)
    # stress above the threshold adds the put, priced meetings or not
    for w in (0.0, 1.0):
        base = macro.policy_rate(p, 0.04, 0.03, 0.005, 0.0, cdf_certain(-25), w, u)
        r_put = macro.policy_rate(p, 0.04, 0.03, 0.005, 3.0, cdf_certain(-25), w, u)
        assert float(r_put[0]) == pytest.approx(float(base[0]) - 0.005, abs=1e-12)
    # floored at the effective lower bound
    r0 = macro.policy_rate(p, 0.001, 0.02, 0.0, 0.0, cdf_certain(-100), 1.0, u)
    assert float(r0[0]) == 0.00125


def test_policy_rate_uniform_picks_move_from_cdf():
    # P(-25) = 0.3, P(0) = 0.7: u below 0.3 cuts, above holds
    probs = np.zeros(G)
    probs[list(MOVE_GRID_BP).index(-25)] = 0.3
    probs[list(MOVE_GRID_BP).index(0)] = 0.7
    p = central_params(policy_pull=0.0)
    r = macro.policy_rate(p, 0.04, 0.02, 0.0, 0.0, np.cumsum(probs), 1.0,
                          jnp.array([0.29, 0.31]))
    np.testing.assert_allclose(np.asarray(r), [0.0375, 0.04], atol=1e-12)


def test_inflation_core_ar1_phillips_plus_tariff_passthrough():
    p = central_params(inflation_target=0.02, inflation_persistence=0.8, import_share=0.1,
                       tariff_passthrough=0.5, inflation_sigma=0.0, phillips_slope=0.1)
    headline, core = macro.inflation(p, 0.03, -0.02, 0.08, jnp.zeros(1))
    assert float(core[0]) == pytest.approx(0.02 + 0.8 * 0.01 + 0.1 * -0.02)
    # the tariff impulse is in headline inflation only: it does not persist in core
    assert float(headline[0]) == pytest.approx(float(core[0]) + 0.1 * 0.5 * 0.08)


def test_output_gap_and_okun_unemployment():
    p = central_params(gdp_trend=0.02, ai_productivity_gain=0.004, gap_persistence=0.9,
                       okun_coefficient=2.0, natural_unemployment=0.043)
    gap, u, g = macro.output_gap(p, -0.01, jnp.asarray([0.0]))
    assert float(gap[0]) == pytest.approx(0.9 * -0.01 + (0.0 - 0.022) * 0.25)
    assert float(u[0]) == pytest.approx(0.043 - float(gap[0]) / 2.0)
    assert float(g[0]) == 0.0  # inside the band growth is the equation's


def test_the_gap_is_held_where_okun_keeps_unemployment_in_bounds_and_growth_follows():
    p = central_params(gdp_trend=0.02, ai_productivity_gain=0.0, gap_persistence=0.9,
                       okun_coefficient=2.0, natural_unemployment=0.05)
    lo_u, hi_u = macro.UNEMPLOYMENT_BOUNDS
    low_gap = 2.0 * (0.05 - hi_u)  # the gap at 30% unemployment: -0.5
    # a collapse that would take the gap below the band: held at its floor, unemployment at
    # its cap, and growth is what leaves the gap there (not the collapse asked for)
    gap, u, g = macro.output_gap(p, low_gap, jnp.asarray([-0.4]))
    assert float(gap[0]) == pytest.approx(low_gap)
    assert float(u[0]) == pytest.approx(hi_u)
    assert float(g[0]) == pytest.approx(0.02 + (low_gap - 0.9 * low_gap) / DT)
    # a boom past the band's top: unemployment at its floor
    gap, u, g = macro.output_gap(p, 2.0 * (0.05 - lo_u), jnp.asarray([0.4]))
    assert float(u[0]) == pytest.approx(lo_u)
    assert float(g[0]) < 0.4
    # a pinned growth is kept whatever the gap does
    gap, u, g = macro.output_gap(p, low_gap, jnp.asarray([-0.4]), growth_pin=-0.4)
    assert float(g[0]) == pytest.approx(-0.4) and float(u[0]) == pytest.approx(hi_u)


def test_macro_states_stay_in_their_physical_bounds():
    p = central_params(neutral_rate=0.03, taylor_weight=5.0, inflation_target=0.02,
                       policy_pull=1.0, unemployment_reaction=0.0, effective_lower_bound=0.001,
                       inflation_persistence=0.999, phillips_slope=0.3, inflation_sigma=0.0,
                       long_rate_beta=1.5, term_premium_sigma=0.0, term_premium_mean=0.06,
                       term_premium_persistence=0.999, gdp_trend=0.02, gdp_sigma=0.0)
    move = cdf_certain(0)
    rate = macro.policy_rate(p, 0.24, 0.3, 0.0, 0.0, move, 1.0, jnp.array([0.5]))
    assert float(rate[0]) == pytest.approx(macro.POLICY_RATE_CAP)  # rule rate 1.43: capped
    _, core = macro.inflation(p, 0.24, 1.0, 0.0, jnp.zeros(1))
    assert float(core[0]) == pytest.approx(macro.CORE_INFLATION_BOUNDS[1])
    _, core = macro.inflation(p, -0.09, -1.0, 0.0, jnp.zeros(1))
    assert float(core[0]) == pytest.approx(macro.CORE_INFLATION_BOUNDS[0])
    y, tp = macro.yield_10y(p, 0.25, 0.2, 0.05, jnp.zeros(1))
    assert float(y[0]) == pytest.approx(macro.YIELD_BOUNDS[1])
    # the term premium is what puts the yield at its bound, and the next quarter goes on from it
    assert float(tp[0]) == pytest.approx(macro.YIELD_BOUNDS[1] - (0.03 + 1.5 * 0.22 + 0.05))
    g = macro.gdp_growth(p, 100.0, 100.0, 1000.0, 0.0, 0.03, 0.02, 0.0, 0.9, jnp.zeros(1))
    assert float(g[0]) == pytest.approx(macro.GROWTH_BOUNDS[1])


def test_earnings_stay_within_their_share_of_gdp():
    p = central_params(other_core_growth=0.0, platform_core_growth=0.0,
                       ai_productivity_gain=0.0, earnings_sigma=0.0, tax_rate=0.2)
    lo, hi = earnings.EARNINGS_SHARE_BOUNDS
    share = START.other_earnings_bn / START.nominal_gdp_bn
    # earnings at three times their share, then a growth shift of +50%: held at the bound
    e = earnings.other_490(p, START, 3000.0, 0.0, 0.0, 0.5, 0.0, jnp.zeros(1), NGDP)
    assert float(e[0]) == pytest.approx(hi * share * NGDP)
    # GDP halves: the bound halves with it; a fall to a twentieth is held at a tenth
    e = earnings.other_490(p, START, 50.0, 0.0, 0.0, 0.0, 0.0, jnp.zeros(1), NGDP / 2)
    assert float(e[0]) == pytest.approx(lo * share * NGDP / 2)
    core, *_ = earnings.platforms(p, START, 5000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                                  jnp.zeros(1), NGDP)
    assert float(core[0]) == pytest.approx(hi * START.platform_earnings_bn)


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


def test_hardware_revenue_follows_buyers_capex_and_fixed_costs_make_earnings_cyclical():
    p = central_params(hw_margin_floor=0.3, hw_margin_erosion=0.4, hw_cost_adjustment=0.5,
                       chip_share_of_capex=0.5, other_buyers_growth=0.0)

    class Init:
        capex_bn = 100.0
        hw_revenue_bn = 80.0       # 50 from platform capex, 30 from other buyers, 0 China
        hw_china_revenue_bn = 0.0
        hw_opex_share = 0.2

    # capex halves: the other buyers' spend (30/50 of the chips bought) halves with it
    rev, e, _, m, fixed = earnings.hardware(
        p, Init, jnp.array([50.0]), jnp.zeros(1), jnp.array([0.6]), jnp.array([16.0]), 1.0,
        0.0, 0.25, jnp.zeros(1), 1e4)
    assert float(rev[0]) == pytest.approx(0.5 * 50.0 * (1 + 30.0 / 50.0))
    m_expected = 0.6 + (0.3 + 0.2 - 0.6) * (1 - np.exp(-0.4 * DT))
    assert float(m[0]) == pytest.approx(m_expected)
    fixed_expected = 16.0 + (1 - np.exp(-0.5 * DT)) * (0.2 * 40.0 - 16.0)
    assert float(fixed[0]) == pytest.approx(fixed_expected)
    assert float(e[0]) == pytest.approx(m_expected * 40.0 - fixed_expected)
    # revenue halved, earnings fell by more than half: operating leverage
    assert float(e[0]) / (0.4 * 80.0) < 0.5
    # an earnings shift and the cycle move revenue in logs
    rev2, *_ = earnings.hardware(p, Init, jnp.array([100.0]), jnp.zeros(1), jnp.array([0.6]),
                                 jnp.array([16.0]), 1.0, -0.4, 0.25, jnp.array([0.1]), 1e4)
    assert float(rev2[0]) == pytest.approx(80.0 * np.exp(-0.4 * DT + 0.1))


def test_earnings_cycle_is_an_ar1():
    p = central_params(earnings_persistence=0.8, earnings_sigma=0.2)
    c = earnings.earnings_cycle(p, jnp.array([0.1]), jnp.array([1.0]))
    assert float(c[0]) == pytest.approx(0.8 * 0.1 + 0.2 * 0.5)


def test_capacity_caps_revenue_and_price_never_falls_below_unit_cost():
    p = central_params(start_utilisation=0.8, capacity_growth=0.5, glut_utilisation=0.7,
                       glut_price_beta=1.0, unit_cost_decline=0.0, ai_opex_per_revenue=0.8,
                       ai_revenue_sigma=0.0)

    class Init:
        ai_revenue_bn = 40.0
        in_service_bn = 1000.0
        years_to_2030 = 4.5

    cap = revenue.capacity(p, Init, 1.0, jnp.array([500.0]))
    assert float(cap[0]) == pytest.approx(40.0 / 0.8 * 0.5 * np.exp(0.5))
    # demand far above capacity: served = capacity, utilisation 1, no glut
    rev, cost, _, log_p, u = revenue.ai_revenue(p, Init, 1.0, jnp.zeros(1), jnp.zeros(1), 0.0,
                                                jnp.array([10.0]), jnp.zeros(1), NGDP)
    assert float(u[0]) == 1.0 and float(rev[0]) == pytest.approx(10.0)
    # a deep glut and 90% deflation: the price stops at the unit cost, margin 0, not below
    rev, cost, _, log_p, u = revenue.ai_revenue(p, Init, 1.0, jnp.zeros(1), jnp.zeros(1), 0.9,
                                                jnp.array([1e6]), jnp.zeros(1), NGDP)
    assert float(u[0]) < 0.01
    assert float(log_p[0]) == pytest.approx(np.log(0.8))
    assert float(rev[0]) == pytest.approx(float(cost[0]))


def test_platform_earnings_ai_pnl_and_gaap_impairment():
    p = central_params(platform_core_growth=0.0, earnings_sigma=0.0, tax_rate=0.2)
    core, op, gaap = earnings.platforms(p, START, 500.0, 0.0, 0.0, 0.0, 100.0, 80.0, 60.0,
                                        10.0, 5.0, jnp.zeros(1), NGDP)  # no cycle change
    assert float(core[0]) == pytest.approx(500.0)
    assert float(op[0]) == pytest.approx(500.0 + 0.8 * (100 - 80 - 60 - 5))
    assert float(gaap[0]) == pytest.approx(float(op[0]) - 0.8 * 10.0 / DT)


def test_other_490_tariff_squeeze():
    p = central_params(other_core_growth=0.0, ai_productivity_gain=0.0,
                       earnings_sigma=0.0, tariff_passthrough=0.5, import_share=0.1,
                       other_net_margin=0.1)
    e = earnings.other_490(p, START, 1000.0, 0.0, 0.0, 0.0, 0.08, jnp.zeros(1), NGDP)
    assert float(e[0]) == pytest.approx(1000.0 * np.exp(-0.5 * 0.1 * 0.08 / 0.1))


def test_operating_leverage_takes_every_non_ai_earnings_line_down_with_unemployment():
    p = central_params(other_core_growth=0.05, platform_core_growth=0.07,
                       ai_productivity_gain=0.0, earnings_unemployment_beta=9.6,
                       earnings_inflation_beta=1.5, platform_cycle_share=0.5, tax_rate=0.2)
    # unemployment up 1pp in the quarter, inflation 1pp above target
    e = earnings.other_490(p, START, 1000.0, 0.01, 0.01, 0.0, 0.0, jnp.zeros(1), NGDP)
    assert float(e[0]) == pytest.approx(1000.0 * np.exp((0.05 + 0.015) * DT - 0.096))
    core, _, _ = earnings.platforms(p, START, 500.0, 0.01, 0.01, 0.0, 0.0, 0.0, 0.0, 0.0,
                                    0.0, jnp.zeros(1), NGDP)
    assert float(core[0]) == pytest.approx(500.0 * np.exp((0.07 + 0.015) * DT - 0.048))


def test_earnings_growth_shift_adds_to_both_core_growths():
    p = central_params(platform_core_growth=0.0, other_core_growth=0.0,
                       ai_productivity_gain=0.0, earnings_sigma=0.0, tax_rate=0.2)
    core, _, _ = earnings.platforms(p, START, 500.0, 0.0, 0.0, 0.08, 0.0, 0.0, 0.0, 0.0,
                                    0.0, jnp.zeros(1), NGDP)
    assert float(core[0]) == pytest.approx(500.0 * np.exp(0.08 * DT))
    e = earnings.other_490(p, START, 1000.0, 0.0, 0.0, 0.08, 0.0, jnp.zeros(1), NGDP)
    assert float(e[0]) == pytest.approx(1000.0 * np.exp(0.08 * DT))


def test_recovery_eases_only_the_way_up():
    p = central_params(p_ramp_to_wobble=0.1, p_wobble_to_bust=0.2, p_wobble_to_ramp=0.3,
                       p_bust_to_wobble=0.2, recovery_drawdown=1.0, recovery_easing=0.5,
                       neutral_rate=0.035)
    # a 40% drawdown and the policy rate 2pp below neutral: 2 + 1 logits
    h = regime.recovery(p, 0.015, 0.40)
    assert float(h[0]) == pytest.approx(3.0)
    assert float(regime.recovery(p, 0.05, 0.15)[0]) == 0.0  # no bear market, policy tight
    odds = 0.2 / 0.8 * np.exp(3.0)
    up = odds / (1 + odds)
    u = jnp.array([up - 1e-6, up + 1e-6])
    out = regime.regime(p, jnp.array([2, 2], jnp.int32), 0.0, u, recovery=h)
    np.testing.assert_array_equal(np.asarray(out), [1, 2])
    # the way down is untouched: a ramp draw leaves at its base rate
    out = regime.regime(p, jnp.array([0, 0], jnp.int32), 0.0, jnp.array([0.099, 0.101]),
                        recovery=h)
    np.testing.assert_array_equal(np.asarray(out), [1, 0])


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


def test_fair_multiple_reproduces_todays_pe_and_prices_a_risk_premium_at_once():
    from aicapex.sim.model import valuation

    p = central_params(excess_growth_years=5.0, long_run_growth=0.04, yield_passthrough=0.5,
                       erp_stress_beta=0.0, pe_max=80.0)

    class Init:
        pe = jnp.array([37.0, 30.0, 21.0])
        expected_growth = jnp.array([0.073, 0.073, 0.073])
        yield_10y = 0.0414

    g = Init.expected_growth[:, None]
    fair = valuation.fair_log_pe(p, Init, g, 0.0414, 0.0, 0.0, 0.0, jnp.zeros(1, jnp.int32))
    np.testing.assert_allclose(np.exp(fair[:, 0]), Init.pe, rtol=1e-5)
    shocked = valuation.fair_log_pe(p, Init, g, 0.0414, 0.0, 0.0, 0.01, jnp.zeros(1, jnp.int32))
    d = np.exp(-(np.log(np.asarray(Init.pe)) - 5.0 * (0.073 - 0.04)))
    np.testing.assert_allclose(shocked[:, 0] - fair[:, 0], np.log(d / (d + 0.01)), rtol=1e-5)
    # a yield move reaches the discount rate by yield_passthrough
    moved = valuation.fair_log_pe(p, Init, g, 0.0514, 0.0, 0.0, 0.0, jnp.zeros(1, jnp.int32))
    np.testing.assert_allclose(moved[:, 0] - fair[:, 0], np.log(d / (d + 0.005)), rtol=1e-5)


def test_fragility_is_zero_on_plan_and_rises_with_each_fundamental():
    p = central_params(fragility_gap=0.3, fragility_capex=3.0, fragility_orders=2.0,
                       fragility_spread=1.0, fragility_real_yield=0.5, fragility_inflation=0.3,
                       fragility_drawdown=0.5, glut_utilisation=0.7, long_run_growth=0.04)

    class Init:
        yield_10y = 0.04
        inflation = 0.03
        credit_spread = 0.01

    def f(**kw):
        args = dict(utilisation=0.9, orders=0.1, guided_growth=0.2, spread=0.01, y=0.04,
                    infl=0.03, prev_drawdown=0.05)
        args.update(kw)
        return float(np.asarray(regime.fragility(p, Init, **args)).ravel()[0])

    assert f() == 0.0
    assert f(utilisation=0.5) == pytest.approx(0.3 * 2.0)
    assert f(guided_growth=-0.06) == pytest.approx(3.0 * 0.1)
    assert f(orders=-0.3) == pytest.approx(2.0 * 0.3)
    assert f(spread=0.02) == pytest.approx(1.0)
    assert f(infl=0.045) == pytest.approx(0.3 * 0.5)   # 1.5pp above start, 1pp tolerance
    assert f(infl=0.015, y=0.025) == 0.0  # falling inflation, same real yield: no signal
    assert f(y=0.06, infl=0.03) == pytest.approx(0.5 * 1.0)
    assert f(prev_drawdown=0.3) == pytest.approx(0.5 * 2.0)


def test_ai_expected_growth_is_revised_with_capacity_utilisation():
    from aicapex.sim.model import valuation

    p = central_params(growth_expectation_speed=0.0, growth_revision_utilisation=0.1,
                       expected_growth_cap=0.2)
    prev = jnp.full((3, 1), 0.08)
    smooth = jnp.zeros((3, 1))
    g, _ = valuation.expected_growth(p, prev, smooth, smooth, jnp.array([0.6]),
                                     jnp.array([0.9]))
    # utilisation down 30pp: the AI groups' expected growth down 3pp, the other 490's unmoved
    np.testing.assert_allclose(np.asarray(g)[:, 0], [0.05, 0.05, 0.08], atol=1e-7)
