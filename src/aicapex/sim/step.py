"""The quarterly step: blocks 1-12 of the design, in the order they are evaluated.

Every function here is pure JAX on arrays of shape (B,) (draws), with scenario inputs for the
quarter broadcast against them. Flows are annualised $bn, rates annual decimals, one step is
``DT`` years. Shocks arrive as standard normals already correlated by the engine.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import lax

from .parameters import DT, Params
from .types import MOVE_GRID_BP, Array, Initial, ScenarioArrays, State

SQRT_DT = DT**0.5

# Stress-index scales: a unit of stress is 50bp of spread, 5 vol points or a 10% drawdown.
STRESS_SPREAD_UNIT = 0.005
STRESS_VOL_UNIT = 0.05
STRESS_DRAWDOWN_UNIT = 0.10
REALIZED_VAR_MEMORY = 0.5   # EWMA weight on last quarter's realised variance
CAPEX_GROWTH_NORMAL = 0.10  # capex growth below this adds to fragility
SPREAD_FLOOR = 0.0005
HW_MARGIN_BOUNDS = (0.02, 0.85)
EXPECTED_GROWTH_FLOOR = 0.02  # long-run growth expectations stay above ~real GDP growth
CEILING_OVER_START = 1.01    # the S-curve ceiling stays at least 1% above today's revenue
EARNINGS_SMOOTHING = 0.75    # EWMA weight on past smoothed log earnings
PLATFORM_EARNINGS_FLOOR = 0.1  # P/E applies to earnings floored at 10% of core earnings


class QuarterInputs(NamedTuple):
    """The scenario's inputs for one quarter plus that quarter's random numbers."""

    fed_move_cdf: Array      # (G,)
    tariff_change: Array
    tariff_impulse: Array
    capex_growth: Array
    dep_weights: Array       # (L,)
    imp_weights: Array       # (L,)
    nbv_weights: Array       # (L,)
    dep_prestart: Array
    imp_prestart: Array
    nbv_prestart: Array
    china_multiplier: Array
    price_deflation: Array
    erp_liquidity: Array
    term_premium_shift: Array
    spread_shift: Array
    earnings_growth_shift: Array
    years: Array
    slot: Array              # ring slot written this quarter (int32)
    normals: Array           # (N_NORMALS, B) correlated
    uniforms: Array          # (N_UNIFORMS, B)


class Outputs(NamedTuple):
    """What a quarter reports per draw, each (B,)."""

    policy_rate: Array
    yield_10y: Array
    inflation: Array
    gdp_growth: Array
    ai_capex: Array
    ai_revenue: Array
    ai_opex: Array
    depreciation: Array
    net_book_value: Array
    impairment: Array
    hw_revenue: Array
    earnings_hw: Array
    earnings_platforms: Array
    earnings_platforms_gaap: Array
    earnings_other: Array
    pe_hw: Array
    pe_platforms: Array
    pe_other: Array
    mcap_hw: Array
    mcap_platforms: Array
    mcap_other: Array
    mag10_weight: Array
    index_level: Array
    drawdown: Array
    realized_vol: Array
    volatility: Array
    credit_spread: Array
    stress: Array
    regime: Array


# ----------------------------------------------------------------------------- blocks


def policy_rate(p: Params, prev_rate, prev_inflation, prev_stress, move_cdf, u):
    """Block 1. Meeting moves (one uniform picks the quarter's total move from its CDF), a
    pull towards the Taylor-rule rate, the stress-triggered Fed put; floored at zero."""
    n_below = jnp.sum(u[None, :] > move_cdf[:-1, None], axis=0)
    move = (MOVE_GRID_BP[0] + 25.0 * n_below) * 1e-4
    rule_rate = p.neutral_rate + p.taylor_weight * (prev_inflation - p.inflation_target)
    put = jnp.where(prev_stress > p.fed_put_threshold, p.fed_put_cut, 0.0)
    rate = prev_rate + move + p.policy_pull * (rule_rate - prev_rate) - put
    return jnp.maximum(rate, 0.0)


def inflation(p: Params, prev_inflation, tariff_impulse, eps):
    """Block 2. AR(1) around target plus tariff pass-through of the quarter's impulse."""
    gap = p.inflation_persistence * (prev_inflation - p.inflation_target)
    passthrough = p.import_share * p.tariff_passthrough * tariff_impulse
    return p.inflation_target + gap + passthrough + p.inflation_sigma * SQRT_DT * eps


def yield_10y(p: Params, rate, prev_term_premium, shift, eps):
    """Block 3. 10y = neutral + beta (policy - neutral) + term premium (AR(1)) + shift."""
    tp = p.term_premium_mean + p.term_premium_persistence * (
        prev_term_premium - p.term_premium_mean) + p.term_premium_sigma * SQRT_DT * eps
    y = p.neutral_rate + p.long_rate_beta * (rate - p.neutral_rate) + tp + shift
    return y, tp


def gdp_growth(p: Params, capex, prev_capex, prev_ngdp, tariff_impulse, prev_rate,
               prev_inflation, prev_return, eps):
    """Block 4. Annualised real growth: trend + AI-capex impulse - tariff drag - real-rate drag
    + wealth effect of last quarter's index return + half the AI productivity gain."""
    capex_impulse = p.capex_gdp_multiplier * (capex - prev_capex) / prev_ngdp / DT
    real_rate_gap = prev_rate - prev_inflation - (p.neutral_rate - p.inflation_target)
    return (p.gdp_trend + capex_impulse - p.tariff_gdp_drag * tariff_impulse
            - p.rate_gdp_drag * real_rate_gap + p.wealth_effect * prev_return / DT
            + 0.5 * p.ai_productivity_gain + p.gdp_sigma * SQRT_DT * eps)


def capex(p: Params, s: State, planned_growth, spread0, eps):
    """Block 5. Log capex follows the plan less funding discipline: a smoothed excess of AI
    cash burn over platform core earnings, and credit spreads above their start. Returns the
    log capex, the funding pressure and the guided (noise-free) annual growth."""
    burn = (s.capex_bn - (s.ai_revenue_bn - s.ai_opex_bn)) / s.core_platform_bn
    pressure = p.discipline_memory * s.funding_pressure + (1.0 - p.discipline_memory) * (
        jnp.maximum(burn - p.discipline_threshold, 0.0))
    discipline = p.discipline_strength * pressure + p.discipline_spread_sensitivity * (
        jnp.maximum(s.credit_spread - spread0, 0.0))
    guided = planned_growth - discipline
    log_c = s.log_capex + guided * DT + p.capex_sigma * SQRT_DT * eps
    return log_c, pressure, guided


def depreciation(ring, x: QuarterInputs):
    """Block 6. Depreciation (annualised), impairment ($bn in the quarter) and net book value
    ($bn): the pre-start vintages' part (the same for every draw) plus the vintage ring's;
    the weights encode straight-line lives and life changes."""
    dep = (x.dep_prestart + jnp.tensordot(x.dep_weights, ring, axes=1)) / DT
    imp = x.imp_prestart + jnp.tensordot(x.imp_weights, ring, axes=1)
    nbv = x.nbv_prestart + jnp.tensordot(x.nbv_weights, ring, axes=1)
    return dep, imp, nbv


def s_curve(p: Params, init: Initial, years):
    """Block 7a. Adoption S-curve (volume at starting prices, $bn/yr) through the starting
    revenue and the 2030 level, with ceiling = multiple x 2030 level. Guard: the ceiling is
    kept above the starting revenue (a lower one has no S-curve through today's level)."""
    ceiling = jnp.maximum(p.ai_revenue_ceiling_multiple * p.ai_revenue_2030_bn,
                          CEILING_OVER_START * init.ai_revenue_bn)
    a = ceiling / init.ai_revenue_bn - 1.0
    speed = jnp.log(a / (ceiling / p.ai_revenue_2030_bn - 1.0)) / init.years_to_2030
    return ceiling / (1.0 + a * jnp.exp(-speed * years))


def ai_revenue(p: Params, init: Initial, years, prev_shock, prev_log_price, deflation, eps):
    """Block 7. Revenue = volume x price index x surprise; cost scales with volume, so price
    deflation (commoditisation) squeezes AI margins."""
    volume = s_curve(p, init, years)
    shock = p.ai_revenue_persistence * prev_shock + p.ai_revenue_sigma * SQRT_DT * eps
    log_price = prev_log_price - deflation * DT
    surprise = jnp.exp(shock)
    revenue = volume * jnp.exp(log_price) * surprise
    opex = p.ai_opex_per_revenue * volume * surprise
    return revenue, opex, shock, log_price


def hardware(p: Params, init: Initial, capex_bn, prev_log_other, prev_hw_revenue, prev_margin,
             china_multiplier):
    """Block 8a. AI hardware suppliers: chips bought by platform capex + other demand + China;
    net margin decays towards a floor and moves with revenue (operating leverage)."""
    log_other = prev_log_other + p.other_demand_growth * DT
    revenue = (p.chip_share_of_capex * capex_bn + jnp.exp(log_other)
               + init.hw_china_revenue_bn * china_multiplier)
    decay = 1.0 - jnp.exp(-p.hw_margin_erosion * DT)
    margin = prev_margin + (p.hw_margin_floor - prev_margin) * decay + (
        p.hw_operating_leverage * jnp.log(revenue / prev_hw_revenue))
    margin = jnp.clip(margin, *HW_MARGIN_BOUNDS)
    return revenue, margin * revenue, log_other, margin


def platforms(p: Params, prev_core, nominal_growth, nominal_trend, growth_shift, ai_revenue_bn,
              ai_opex_bn, dep, imp, interest, eps):
    """Block 8b. Platforms: core earnings grow with nominal GDP (plus the scenario's growth
    shift); add the after-tax AI P&L (revenue - cost - depreciation - interest). GAAP also
    books the impairment."""
    core = prev_core * jnp.exp((p.platform_core_growth + nominal_growth - nominal_trend
                                + growth_shift) * DT + p.earnings_sigma * SQRT_DT * eps)
    operating = core + (1.0 - p.tax_rate) * (ai_revenue_bn - ai_opex_bn - dep - interest)
    gaap = operating - (1.0 - p.tax_rate) * imp / DT
    return core, operating, gaap


def other_490(p: Params, prev_earnings, nominal_growth, nominal_trend, growth_shift,
              tariff_change, eps):
    """Block 8c. The other 490: trend growth (plus the scenario's growth shift), operating
    leverage to nominal GDP, the AI productivity gain, and the margin squeeze of the tariff
    cost not passed on."""
    squeeze = (1.0 - p.tariff_passthrough) * p.import_share * tariff_change / p.other_net_margin
    growth = p.other_core_growth + p.other_gdp_leverage * (nominal_growth - nominal_trend) + (
        p.ai_productivity_gain) + growth_shift
    return prev_earnings * jnp.exp(growth * DT - squeeze + p.earnings_sigma * SQRT_DT * eps)


def credit(p: Params, init: Initial, prev_shock, debt, earnings, dep, prev_drawdown, shift,
           eps):
    """Block 9a. AI-borrower spread: start + AR(1) shock + scenario shift + leverage (AI debt /
    platform operating earnings before AI depreciation) above its start + drawdown."""
    shock = p.spread_persistence * prev_shock + p.spread_sigma * SQRT_DT * eps
    leverage = debt / jnp.maximum(earnings + dep, 1.0)
    leverage0 = init.ai_debt_bn / (init.platform_earnings_bn + init.depreciation_bn)
    spread = init.credit_spread + shock + shift + p.spread_leverage_beta * (
        leverage - leverage0) + p.spread_drawdown_beta * prev_drawdown
    return jnp.maximum(spread, SPREAD_FLOOR), shock


def stress_index(p: Params, init: Initial, spread, vol, drawdown):
    """Block 9b. Stress: mean of spread above its start, volatility above its calm-ramp level
    and drawdown, each in its unit; about 0 in a calm ramp."""
    return ((spread - init.credit_spread) / STRESS_SPREAD_UNIT
            + (vol - p.vol_ramp) / STRESS_VOL_UNIT + drawdown / STRESS_DRAWDOWN_UNIT) / 3.0


def regime(p: Params, prev_regime, fragility, u):
    """Block 10. Markov chain ramp(0) -> wobble(1) -> bust(2); fragility (a logit shift) makes
    moving down likelier and recovering less likely. One uniform per draw."""
    base_down = jnp.where(prev_regime == 0, p.p_ramp_to_wobble,
                          jnp.where(prev_regime == 1, p.p_wobble_to_bust, 0.0))
    base_up = jnp.where(prev_regime == 1, p.p_wobble_to_ramp,
                        jnp.where(prev_regime == 2, p.p_bust_to_wobble, 0.0))
    down = _shift_probability(base_down, fragility)
    up = _shift_probability(base_up, -fragility)
    total = down + up
    scale = jnp.where(total > 1.0, 1.0 / total, 1.0)
    down, up = down * scale, up * scale
    step = jnp.where(u < down, 1, jnp.where(u < down + up, -1, 0))
    return (prev_regime + step).astype(prev_regime.dtype)


def _shift_probability(prob, logit_shift):
    """sigmoid(logit(prob) + shift), exact at prob in {0, 1}."""
    prob = jnp.clip(prob, 0.0, 1.0)
    odds = prob / jnp.maximum(1.0 - prob, 1e-12) * jnp.exp(logit_shift)
    shifted = odds / (1.0 + odds)
    return jnp.where(prob <= 0.0, 0.0, jnp.where(prob >= 1.0, 1.0, shifted))


_GROUP_ROWS = np.arange(3)[:, None]
"""Row index of the (3, B) group arrays (hardware, platforms, other 490). Rows are built by
broadcasting selects on it rather than ``jnp.stack``: XLA:CPU emits a fused concatenate as a
branch per element, which kept the valuation fusion scalar (2.3 ms of a 4.4 ms quarter)."""


def _group_rows(hw, platforms, other):
    """(3, B) rows of the three groups from (B,) arrays or scalars (see ``_GROUP_ROWS``)."""
    return jnp.where(_GROUP_ROWS == 0, hw, jnp.where(_GROUP_ROWS == 1, platforms, other))


def regime_premium(p: Params, reg):
    """Log P/E premium per group (3, B) in regime ``reg``; ramp is the calibrated 0."""
    ai = jnp.where(reg == 1, p.premium_wobble_ai, jnp.where(reg == 2, p.premium_bust_ai, 0.0))
    other = jnp.where(reg == 1, p.premium_wobble_other,
                      jnp.where(reg == 2, p.premium_bust_other, 0.0))
    return jnp.where(_GROUP_ROWS == 2, other, ai)


def valuation(p: Params, init: Initial, s: State, y, stress_prev, liquidity, reg, vol,
              capex_change, eps):
    """Block 11. Log P/E of each group mean-reverts to log(1 / max(y + erp - g_e, 1/pe_max))
    + regime premium; jumps by a share of a regime change's premium; loads on the market
    shock with regime/SV volatility; in ramp, capex increases lift the platform multiple."""
    erp = init.erp[:, None] + p.erp_stress_beta * stress_prev - liquidity
    denominator = jnp.maximum(y + erp - s.expected_growth, 1.0 / p.pe_max)
    premium = regime_premium(p, reg)
    fair = -jnp.log(denominator) + premium
    jump = p.regime_jump * (premium - regime_premium(p, s.regime))
    beta = _group_rows(p.beta_hw, p.beta_platforms, p.beta_other)
    reflex = jnp.where(reg == 0, p.capex_reflex * capex_change / s.mcap_bn[1], 0.0)
    reflex = jnp.where(_GROUP_ROWS == 1, reflex, 0.0)
    return (s.log_pe + p.pe_mean_reversion * (fair - s.log_pe) + jump + reflex
            + beta * vol * SQRT_DT * eps)


def expected_growth(p: Params, prev_expected, log_earnings, prev_smooth):
    """Expected long-run growth adapts to the growth of smoothed log earnings (investors
    extrapolate persistent growth, not one quarter's noise), bounded. Returns the new
    expectation and the new smoothed log earnings."""
    smooth = EARNINGS_SMOOTHING * prev_smooth + (1.0 - EARNINGS_SMOOTHING) * log_earnings
    realised = (smooth - prev_smooth) / DT
    updated = prev_expected + p.growth_expectation_speed * (realised - prev_expected)
    return jnp.clip(updated, EXPECTED_GROWTH_FLOOR, p.expected_growth_cap), smooth


# ----------------------------------------------------------------------------- the step


def step(p: Params, scen: ScenarioArrays, s: State, x: QuarterInputs) -> tuple[State, Outputs]:
    """Advance every draw one quarter."""
    init = scen.init
    e = x.normals
    rate = policy_rate(p, s.policy_rate, s.inflation, s.stress, x.fed_move_cdf, x.uniforms[0])
    infl = inflation(p, s.inflation, x.tariff_impulse, e[0])
    y, tp = yield_10y(p, rate, s.term_premium, x.term_premium_shift, e[1])

    log_c, pressure, guided_growth = capex(p, s, x.capex_growth, init.credit_spread, e[3])
    capex_bn = jnp.exp(log_c)
    # a select, not dynamic_update_slice: under vmap (scenarios) that becomes a scatter,
    # which XLA:CPU ran as four copies of the ring per quarter
    slots = lax.broadcasted_iota(jnp.int32, s.ring_bn.shape, 0)
    ring = jnp.where(slots == x.slot, (capex_bn * DT)[None], s.ring_bn)
    dep, imp, nbv = depreciation(ring, x)

    g = gdp_growth(p, capex_bn, s.capex_bn, s.nominal_gdp_bn, x.tariff_impulse, s.policy_rate,
                   s.inflation, s.index_return, e[2])
    ngdp = s.nominal_gdp_bn * jnp.exp((g + infl) * DT)
    nominal_growth = g + infl
    nominal_trend = p.gdp_trend + p.inflation_target

    revenue, opex, rev_shock, log_price = ai_revenue(
        p, init, x.years, s.revenue_shock, s.log_price, x.price_deflation, e[4])
    hw_rev, e_hw, log_other, margin = hardware(
        p, init, capex_bn, s.log_hw_other, s.hw_revenue_bn, s.hw_margin, x.china_multiplier)

    interest = s.ai_debt_bn * (y + s.credit_spread)
    debt = s.ai_debt_bn + p.debt_financed_share * capex_bn * DT
    core, e_platform, e_gaap = platforms(p, s.core_platform_bn, nominal_growth, nominal_trend,
                                         x.earnings_growth_shift, revenue, opex, dep, imp,
                                         interest, e[5])
    e_other = other_490(p, s.other_earnings_bn, nominal_growth, nominal_trend,
                        x.earnings_growth_shift, x.tariff_change, e[5])

    spread, spread_shock = credit(p, init, s.spread_shock, debt, e_platform, dep, s.drawdown,
                                  x.spread_shift, e[7])

    real_yield0 = init.yield_10y - init.inflation
    gap_fall = -(jnp.log(revenue / capex_bn) - jnp.log(init.ai_revenue_bn / init.capex_bn))
    fragility = (p.fragility_gap * gap_fall
                 + p.fragility_capex * jnp.maximum(CAPEX_GROWTH_NORMAL - guided_growth, 0.0)
                 + p.fragility_spread * (spread - init.credit_spread) / 0.01
                 + p.fragility_real_yield * ((y - infl) - real_yield0) / 0.01)
    reg = regime(p, s.regime, fragility, x.uniforms[1])

    log_sv = p.sv_persistence * s.log_sv + p.sv_sigma * e[8]
    vol_regime = jnp.where(reg == 0, p.vol_ramp, jnp.where(reg == 1, p.vol_wobble, p.vol_bust))
    vol = vol_regime * jnp.exp(log_sv)

    log_pe = valuation(p, init, s, y, s.stress, x.erp_liquidity, reg, vol,
                       capex_bn - s.capex_bn, e[6])
    platform_for_pe = jnp.maximum(e_platform, PLATFORM_EARNINGS_FLOOR * core)
    log_e = jnp.log(_group_rows(e_hw, platform_for_pe, e_other))
    g_e, smooth_e = expected_growth(p, s.expected_growth, log_e, s.smooth_log_earnings)
    mcap = jnp.exp(log_pe + log_e)

    # not jnp.sum: XLA:CPU hands a 3-row reduction to a library call (~0.13 ms a quarter)
    total = mcap[0] + mcap[1] + mcap[2]
    index = init.index_level * total / jnp.sum(init.pe * _initial_earnings(init))
    ret = jnp.log(index / s.index_level)
    peak = jnp.maximum(s.peak, index)
    # clamped: XLA may compute index twice in different fusions (and a GPU divides with its
    # own rounding), so index / peak can exceed 1 by an ulp
    dd = jnp.maximum(1.0 - index / peak, 0.0)
    rv = REALIZED_VAR_MEMORY * s.realized_var + (1.0 - REALIZED_VAR_MEMORY) * ret**2 / DT
    stress = stress_index(p, init, spread, vol, dd)

    new = State(
        policy_rate=rate, inflation=infl, term_premium=tp, nominal_gdp_bn=ngdp,
        log_capex=log_c, capex_bn=capex_bn, ring_bn=ring, funding_pressure=pressure,
        revenue_shock=rev_shock, log_price=log_price, ai_revenue_bn=revenue, ai_opex_bn=opex,
        log_hw_other=log_other, hw_revenue_bn=hw_rev, hw_margin=margin,
        core_platform_bn=core, other_earnings_bn=e_other, ai_debt_bn=debt,
        spread_shock=spread_shock, credit_spread=spread, regime=reg, log_sv=log_sv,
        log_pe=log_pe, expected_growth=g_e, smooth_log_earnings=smooth_e, mcap_bn=mcap,
        index_level=index, peak=peak, drawdown=dd, index_return=ret, realized_var=rv,
        volatility=vol, stress=stress)
    out = Outputs(
        policy_rate=rate, yield_10y=y, inflation=infl, gdp_growth=g, ai_capex=capex_bn,
        ai_revenue=revenue, ai_opex=opex, depreciation=dep, net_book_value=nbv,
        impairment=imp, hw_revenue=hw_rev, earnings_hw=e_hw, earnings_platforms=e_platform,
        earnings_platforms_gaap=e_gaap, earnings_other=e_other, pe_hw=jnp.exp(log_pe[0]),
        pe_platforms=jnp.exp(log_pe[1]), pe_other=jnp.exp(log_pe[2]), mcap_hw=mcap[0],
        mcap_platforms=mcap[1], mcap_other=mcap[2], mag10_weight=(mcap[0] + mcap[1]) / total,
        index_level=index, drawdown=dd, realized_vol=jnp.sqrt(rv), volatility=vol,
        credit_spread=spread, stress=stress, regime=reg)
    return new, out


def _initial_earnings(init: Initial):
    return jnp.stack([init.hw_net_margin * init.hw_revenue_bn, init.platform_earnings_bn,
                      init.other_earnings_bn])


def initial_state(p: Params, scen: ScenarioArrays, n: int, dtype) -> State:
    """State before the first quarter for ``n`` draws with parameters ``p`` (each (n,))."""
    init = scen.init
    ones = jnp.ones((n,), dtype)
    opex0 = p.ai_opex_per_revenue * init.ai_revenue_bn
    interest0 = init.ai_debt_bn * (init.yield_10y + init.credit_spread)
    core0 = init.platform_earnings_bn - (1.0 - p.tax_rate) * (
        init.ai_revenue_bn - opex0 - init.depreciation_bn - interest0)
    tp0 = init.yield_10y - p.neutral_rate - p.long_rate_beta * (
        init.policy_rate - p.neutral_rate)
    e0 = _initial_earnings(init)
    return State(
        policy_rate=init.policy_rate * ones, inflation=init.inflation * ones,
        term_premium=tp0 * ones, nominal_gdp_bn=init.nominal_gdp_bn * ones,
        log_capex=jnp.log(init.capex_bn) * ones, capex_bn=init.capex_bn * ones,
        ring_bn=jnp.zeros((scen.dep_weights.shape[-1], n), dtype),
        funding_pressure=jnp.zeros((n,), dtype), revenue_shock=jnp.zeros((n,), dtype),
        log_price=jnp.zeros((n,), dtype), ai_revenue_bn=init.ai_revenue_bn * ones,
        ai_opex_bn=opex0 * ones,
        log_hw_other=jnp.log(jnp.maximum(
            init.hw_revenue_bn - p.chip_share_of_capex * init.capex_bn - init.hw_china_revenue_bn,
            1.0)) * ones,
        hw_revenue_bn=init.hw_revenue_bn * ones, hw_margin=init.hw_net_margin * ones,
        core_platform_bn=core0 * ones, other_earnings_bn=init.other_earnings_bn * ones,
        ai_debt_bn=init.ai_debt_bn * ones, spread_shock=jnp.zeros((n,), dtype),
        credit_spread=init.credit_spread * ones, regime=jnp.zeros((n,), jnp.int32),
        log_sv=jnp.zeros((n,), dtype),
        log_pe=jnp.log(init.pe)[:, None] * ones, expected_growth=init.expected_growth[:, None]
        * ones, smooth_log_earnings=(jnp.log(e0) - init.expected_growth * DT
                                     * EARNINGS_SMOOTHING / (1.0 - EARNINGS_SMOOTHING)
                                     )[:, None] * ones,
        mcap_bn=(init.pe * e0)[:, None] * ones, index_level=init.index_level * ones,
        peak=init.index_level * ones, drawdown=jnp.zeros((n,), dtype),
        index_return=jnp.zeros((n,), dtype), realized_var=init.volatility**2 * ones,
        volatility=init.volatility * ones, stress=jnp.zeros((n,), dtype))


