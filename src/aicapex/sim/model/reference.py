"""A plain NumPy float64 implementation of the model, for tests and benchmarks.

It is written independently of ``step.py``: a Python loop over quarters, explicit book
accounting per vintage (net book value and remaining life of every vintage, including life
changes and impairments) instead of precomputed ring weights, the Fed's move by
``searchsorted``, and the regime chain from an explicit transition row. Given the same
parameters and random numbers it must agree with the JAX core to rounding.

One function per block, named and numbered as in ``docs/model.md``; each reads the state
``s`` of the draws before the quarter and the quarter's inputs ``q`` and sets what it
computes on ``s`` (the state after) or returns it. ``simulate_reference`` calls them in the
order ``step()`` does.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .capex import CAPEX_SHARE_CAP
from .catalog import OUTPUT_NAMES, Params
from .earnings import EARNINGS_SHARE_BOUNDS, HW_REVENUE_SHARE_BOUNDS, HW_SHIFT_BOUND
from .macro import (
    CORE_INFLATION_BOUNDS,
    GROWTH_BOUNDS,
    INFLATION_BOUNDS,
    POLICY_RATE_CAP,
    UNEMPLOYMENT_BOUNDS,
    YIELD_BOUNDS,
)
from .revenue import (
    AI_DEMAND_SHARE_CAP,
    CAPACITY_GAIN_CAP,
    PRICE_CAP,
    REVENUE_SHOCK_BOUND,
)
from .types import DT, MOVE_GRID_BP, N_VINTAGES, STATIC_FIELDS, ScenarioArrays
from .valuation import PE_BOUNDS

SQ = np.sqrt(DT)


def _sig(p, shift):
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        odds = p / np.maximum(1.0 - p, 1e-12) * np.exp(shift)
        s = odds / (1.0 + odds)
    return np.where(p <= 0.0, 0.0, np.where(p >= 1.0, 1.0, s))


def _pinned(value, pin):
    """The pin where the scenario pins the quarter (not NaN), else the equation's value."""
    return np.where(np.isnan(pin), value, pin)


def _share_bounded(earnings, share0, ngdp):
    """Earnings held to ``EARNINGS_SHARE_BOUNDS`` times their starting share of GDP."""
    lo, hi = EARNINGS_SHARE_BOUNDS
    return np.clip(earnings, lo * share0 * ngdp, hi * share0 * ngdp)


def _vintage_book(sc, T: int, B: int) -> SimpleNamespace:
    """Cost, net book value and remaining life (quarters) of vintages -V .. T-1 (index
    tau + V); the pre-start vintages' from the scenario, the others filled as installed."""
    V = N_VINTAGES
    book = SimpleNamespace(cost=np.zeros((V + T, B)), nbv=np.zeros((V + T, B)),
                           rem=np.zeros(V + T))
    life0 = float(sc["life0_quarters"])
    for tau in range(-V, 0):
        c = sc["vintage0_bn"][tau % V]
        book.cost[tau + V] = c
        book.nbv[tau + V] = c * max(0.0, 1.0 - (-tau) / life0)
        book.rem[tau + V] = max(0.0, life0 - (-tau))
    return book


def _initial(p: Params, ini, B: int) -> SimpleNamespace:
    """The state before the first quarter and the constants the blocks read (as
    ``step.initial_state``)."""
    ones = np.ones(B)
    s = SimpleNamespace()
    opex0 = p.ai_opex_per_revenue * ini["ai_revenue_bn"]
    interest0 = ini["ai_debt_bn"] * (ini["yield_10y"] + ini["credit_spread"])
    s.core = np.maximum(ini["platform_earnings_bn"] - (1 - p.tax_rate) * (
        ini["ai_revenue_bn"] - opex0 - ini["reported_depreciation_bn"] - interest0),
        0.1 * ini["platform_earnings_bn"])
    s.rate = ini["policy_rate"] * ones
    s.infl = ini["inflation"] * ones
    s.core_infl = s.infl.copy()
    s.gap = p.okun_coefficient * (p.natural_unemployment - ini["unemployment"]) * ones
    s.unemp = ini["unemployment"] * ones
    s.d_unemp = np.zeros(B)
    s.tp = ini["yield_10y"] - p.neutral_rate - p.long_rate_beta * (ini["policy_rate"]
                                                                   - p.neutral_rate)
    s.ngdp = ini["nominal_gdp_bn"] * ones
    s.capex = ini["capex_bn"] * ones
    s.pressure = np.zeros(B)
    s.rev_shock = np.zeros(B)
    s.log_price = np.zeros(B)
    s.revenue = ini["ai_revenue_bn"] * ones
    s.opex = opex0 * ones
    s.util = p.start_utilisation * ones
    s.chips0 = p.chip_share_of_capex * ini["capex_bn"]
    s.hw_other0 = np.maximum(ini["hw_revenue_bn"] - s.chips0 - ini["hw_china_revenue_bn"], 0.0)
    s.hw_rev = ini["hw_revenue_bn"] * ones
    s.hw_shift = np.zeros(B)
    s.cycle = np.zeros(B)
    s.orders = np.zeros(B)
    s.margin = (ini["hw_net_margin"] + ini["hw_opex_share"]) * ones
    s.fixed = ini["hw_opex_share"] * ini["hw_revenue_bn"] * ones
    s.e_other = ini["other_earnings_bn"] * ones
    s.debt = ini["ai_debt_bn"] * ones
    s.spread_shock = np.zeros(B)
    s.spread = ini["credit_spread"] * ones
    s.regime = np.zeros(B, dtype=np.int64)
    e0 = np.array([ini["hw_net_margin"] * ini["hw_revenue_bn"], ini["platform_earnings_bn"],
                   ini["other_earnings_bn"]])
    w0 = ini["pe"] * e0 / np.sum(ini["pe"] * e0)
    beta_mkt = w0[0] * p.beta_hw + w0[1] * p.beta_platforms + w0[2] * p.beta_other
    s.log_sv = np.log(ini["volatility"] / (p.vol_ramp * beta_mkt)) * ones
    s.log_pe = np.log(ini["pe"])[:, None] * ones
    s.resid = np.zeros((3, B))
    H, gL = p.excess_growth_years, p.long_run_growth
    s.erp0 = (np.exp(-(np.log(ini["pe"])[:, None] - H * (ini["expected_growth"][:, None] - gL)))
              - ini["yield_10y"] + gL)
    s.g_exp = ini["expected_growth"][:, None] * ones
    s.smooth = (np.log(e0) - ini["expected_growth"] * DT * 0.75 / 0.25)[:, None] * ones
    s.mcap = (ini["pe"] * e0)[:, None] * ones
    s.mcap0_total = float(np.sum(ini["pe"] * e0))
    s.index = ini["index_level"] * ones
    s.peak = s.index.copy()
    s.dd = np.zeros(B)
    s.ret = np.zeros(B)
    s.rv = ini["volatility"] ** 2 * ones
    s.stress = np.zeros(B)
    s.unwound = 0.0
    s.ebitda0 = ini["platform_earnings_bn"] + ini["reported_depreciation_bn"]
    s.share0_platforms = s.core / ini["nominal_gdp_bn"]
    s.share0_other = ini["other_earnings_bn"] / ini["nominal_gdp_bn"]
    s.leverage0 = ini["ai_debt_bn"] / s.ebitda0
    return s


def policy_rate(p, s, q):
    """Block 1: the meetings' move (the first grid point whose CDF reaches u), the rule
    (the pull to the rule rate and the reaction to unemployment) once the listed meetings
    are past, the Fed put, the lower bound."""
    k = np.searchsorted(q.fed_move_cdf[:-1], q.u_fed, side="left")
    move = MOVE_GRID_BP[np.minimum(k, len(MOVE_GRID_BP) - 1)] * 1e-4
    target = p.neutral_rate + p.taylor_weight * (s.infl - p.inflation_target)
    rule = p.policy_pull * (target - s.rate) - p.unemployment_reaction * s.d_unemp
    put = np.where(s.stress > p.fed_put_threshold, p.fed_put_cut, 0.0)
    return _pinned(np.clip(s.rate + move + q.fed_rule_weight * rule - put,
                           p.effective_lower_bound, POLICY_RATE_CAP), q.pin_policy_rate)


def inflation(p, s, q):
    """Block 2: core inflation (AR(1) with the Phillips curve) plus the tariff pass-through."""
    s.core_infl = _pinned(np.clip(p.inflation_target + p.inflation_persistence
                                  * (s.core_infl - p.inflation_target) + p.phillips_slope * s.gap
                                  + p.inflation_sigma * SQ * q.e[0], *CORE_INFLATION_BOUNDS),
                          q.pin_core_inflation)
    return np.clip(s.core_infl + p.import_share * p.tariff_passthrough * q.tariff_impulse,
                   *INFLATION_BOUNDS)


def yield_10y(p, s, q, new_rate):
    """Block 3: the 10-year yield, neutral plus the policy rate's pass-through, the term
    premium and the scenario's shift."""
    s.tp = (p.term_premium_mean + p.term_premium_persistence * (s.tp - p.term_premium_mean)
            + p.term_premium_sigma * SQ * q.e[1])
    anchor = p.neutral_rate + p.long_rate_beta * (new_rate - p.neutral_rate) + q.term_premium_shift
    s.tp = np.clip(s.tp, YIELD_BOUNDS[0] - anchor, YIELD_BOUNDS[1] - anchor)
    s.tp = _pinned(s.tp, q.pin_yield_10y - anchor)  # a pinned yield implies the term premium
    return anchor + s.tp


def capex(p, s, ini, q):
    """Block 4: AI capex growth, the plan less funding, spread and utilisation discipline.
    Returns (capex, guided growth)."""
    burn = (s.capex - (s.revenue - s.opex)) / s.core
    s.pressure = p.discipline_memory * s.pressure + (1 - p.discipline_memory) * np.maximum(
        burn - p.discipline_threshold, 0.0)
    guided = q.capex_growth - (p.discipline_strength * s.pressure
                               + p.discipline_spread_sensitivity
                               * np.maximum(s.spread - ini["credit_spread"], 0.0)
                               + p.utilisation_discipline
                               * np.maximum(p.glut_utilisation - s.util, 0.0))
    return np.minimum(s.capex * np.exp(guided * DT + p.capex_sigma * SQ * q.e[3]),
                      CAPEX_SHARE_CAP * s.ngdp), guided


def depreciation(book, q, new_capex):
    """Block 5: install the quarter's vintage, apply a life change (and its impairment), and
    depreciate every vintage in service. Returns (depreciation annualised, impairment, book
    value, cost in service)."""
    V, kv = N_VINTAGES, q.t + N_VINTAGES
    B = new_capex.shape[0]
    book.cost[kv] = new_capex * DT
    book.nbv[kv] = book.cost[kv]
    book.rem[kv] = q.life_quarters
    imp = np.zeros(B)
    in_service = np.zeros(B)
    if q.life_change_quarters > 0:
        for j in range(kv):
            age = kv - j
            if q.impair_on_change > 0:
                target = book.cost[j] * max(0.0, 1.0 - age / q.life_change_quarters)
                loss = np.maximum(book.nbv[j] - target, 0.0)
                imp += loss
                book.nbv[j] -= loss
            book.rem[j] = max(q.life_change_quarters - age, 1.0)
    dep = np.zeros(B)
    for j in range(max(0, kv - V + 1), kv + 1):
        if book.rem[j] <= 0:
            continue
        in_service += np.where(book.nbv[j] > 0, book.cost[j], 0.0)
        d = book.nbv[j] if book.rem[j] < 1.0 else book.nbv[j] / book.rem[j]
        dep += d
        book.nbv[j] = book.nbv[j] - d
        book.rem[j] -= 1.0
    return dep / DT, imp, book.nbv[max(0, kv - V + 1):kv + 1].sum(axis=0), in_service


def gdp_growth(p, s, q, new_capex, new_infl):
    """Block 6: real growth, the output gap, unemployment (Okun) and nominal GDP. Returns
    (growth, unemployment); ``s.d_unemp`` is unemployment's change."""
    g = _pinned(np.clip(p.gdp_trend + p.capex_gdp_multiplier * (new_capex - s.capex) / s.ngdp
                        / DT - p.tariff_gdp_drag * q.tariff_impulse
                        - p.rate_gdp_drag * (s.rate - s.infl
                                             - (p.neutral_rate - p.inflation_target))
                        + p.wealth_effect * (s.ret / DT - p.long_run_growth)
                        + 0.5 * p.ai_productivity_gain
                        + q.gdp_shift + p.gdp_sigma * SQ * q.e[2], *GROWTH_BOUNDS),
                q.pin_gdp_growth)
    potential = p.gdp_trend + 0.5 * p.ai_productivity_gain
    free = p.gap_persistence * s.gap + (g - potential) * DT
    # the gap stays where Okun's law keeps unemployment in its bounds; growth follows it
    held = np.clip(free, p.okun_coefficient * (p.natural_unemployment - UNEMPLOYMENT_BOUNDS[1]),
                   p.okun_coefficient * (p.natural_unemployment - UNEMPLOYMENT_BOUNDS[0]))
    g = np.where((held != free) & np.isnan(q.pin_gdp_growth) & np.isnan(q.pin_unemployment),
                 potential + (held - p.gap_persistence * s.gap) / DT, g)
    s.gap = _pinned(held, p.okun_coefficient * (p.natural_unemployment - q.pin_unemployment))
    unemployment = _pinned(np.clip(p.natural_unemployment - s.gap / p.okun_coefficient,
                                   *UNEMPLOYMENT_BOUNDS), q.pin_unemployment)
    s.ngdp = s.ngdp * np.exp((g + new_infl) * DT)
    s.d_unemp, s.unemp = unemployment - s.unemp, unemployment
    return g, unemployment


def ai_revenue(p, s, ini, q, in_service):
    """Block 7: demand on the S-curve, capacity from the capital in service, utilisation and
    the price. Returns (capacity, revenue, cost, last quarter's utilisation)."""
    ceiling = np.maximum(p.ai_revenue_ceiling_multiple * p.ai_revenue_2030_bn,
                         1.01 * ini["ai_revenue_bn"])
    a = ceiling / ini["ai_revenue_bn"] - 1
    speed = np.log(a / (ceiling / p.ai_revenue_2030_bn - 1)) / ini["years_to_2030"]
    volume = ceiling / (1 + a * np.exp(-speed * q.years))
    capacity = (ini["ai_revenue_bn"] / p.start_utilisation * in_service / ini["in_service_bn"]
                * np.exp(np.minimum(p.capacity_growth * q.years, CAPACITY_GAIN_CAP)))
    s.rev_shock = np.clip(p.ai_revenue_persistence * s.rev_shock
                          + p.ai_revenue_sigma * SQ * q.e[4],
                          -REVENUE_SHOCK_BOUND, REVENUE_SHOCK_BOUND)
    served = np.minimum(np.minimum(volume * np.exp(s.rev_shock), AI_DEMAND_SHARE_CAP * s.ngdp),
                        capacity)
    with np.errstate(invalid="ignore", divide="ignore"):
        prev_util, s.util = s.util, np.where(capacity > 0, served / capacity, 0.0)
    log_cost = np.log(p.ai_opex_per_revenue) - p.unit_cost_decline * q.years
    s.log_price = np.minimum(np.maximum(s.log_price - (q.price_deflation + p.glut_price_beta
                                                       * np.maximum(p.glut_utilisation - s.util,
                                                                    0.0)) * DT, log_cost),
                             np.log(PRICE_CAP))
    return capacity, served * np.exp(s.log_price), served * np.exp(log_cost), prev_util


def earnings_cycle(p, s, q):
    """Block 8 (shared): the earnings cycle; returns its change this quarter."""
    new_cycle = p.earnings_persistence * s.cycle + p.earnings_sigma * SQ * q.e[5]
    dcycle, s.cycle = new_cycle - s.cycle, new_cycle
    return dcycle


def hardware(p, s, ini, q, new_capex, dcycle):
    """Block 8a: hardware revenue from chips, other buyers and China; its margin and
    operating cost. Returns (revenue, earnings)."""
    s.hw_shift = np.clip(s.hw_shift + q.earnings_growth_shift[0] * DT + dcycle,
                         -HW_SHIFT_BOUND, HW_SHIFT_BOUND)
    ratio = s.hw_other0 / np.maximum(s.chips0, 1e-6) * np.exp(p.other_buyers_growth * q.years)
    new_hw = np.clip(np.exp(s.hw_shift) * (p.chip_share_of_capex * new_capex * (1 + ratio)
                                           * (1 - q.financing_unwind)
                                           + ini["hw_china_revenue_bn"] * q.china_multiplier),
                     HW_REVENUE_SHARE_BOUNDS[0] * s.ngdp, HW_REVENUE_SHARE_BOUNDS[1] * s.ngdp)
    floor = p.hw_margin_floor + ini["hw_opex_share"]
    s.margin = np.clip(s.margin + (floor - s.margin) * (1 - np.exp(-p.hw_margin_erosion * DT)),
                       0.02, 0.95)
    s.fixed = s.fixed + (1 - np.exp(-p.hw_cost_adjustment * DT)) * (
        ini["hw_opex_share"] * new_hw - s.fixed)
    # the financing of buyers that can no longer fund their orders, written off as the
    # unfunded share rises
    writedown = p.vendor_financing_bn * max(q.financing_unwind - s.unwound, 0.0) / DT
    s.unwound = q.financing_unwind
    return new_hw, s.margin * new_hw - s.fixed - writedown


def platforms(p, s, q, y, new_capex, infl_gap, dcycle, revenue, opex, dep_annual, imp):
    """Blocks 9a and 8b: AI debt and its interest, then the platforms' core earnings plus
    the after-tax AI P&L. Returns (operating earnings, GAAP earnings)."""
    interest = s.debt * (y + s.spread)
    s.debt = s.debt + p.debt_financed_share * new_capex * DT
    s.core = _share_bounded(s.core * np.exp(
        (p.platform_core_growth + p.earnings_inflation_beta * infl_gap
         + q.earnings_growth_shift[1]) * DT
        - p.platform_cycle_share * p.earnings_unemployment_beta * s.d_unemp + dcycle),
        s.share0_platforms, s.ngdp)
    e_plat = s.core + (1 - p.tax_rate) * (revenue - opex - dep_annual - interest)
    return e_plat, e_plat - (1 - p.tax_rate) * imp / DT


def other_490(p, s, q, infl_gap, dcycle):
    """Block 8c: the other 490's earnings: trend, inflation, the operating leverage to
    unemployment, the tariff margin squeeze."""
    squeeze = (1 - p.tariff_passthrough) * p.import_share * q.tariff_change / (
        p.other_net_margin)
    s.e_other = _share_bounded(s.e_other * np.exp(
        (p.other_core_growth + p.earnings_inflation_beta * infl_gap + p.ai_productivity_gain
         + q.earnings_growth_shift[2]) * DT - p.earnings_unemployment_beta * s.d_unemp
        - squeeze + dcycle), s.share0_other, s.ngdp)


def credit(p, s, ini, q, e_plat, dep_annual):
    """Block 9b: the economy-wide spread from its shock, its shift (or pin) and the drawdown;
    the AI credit spread on top of it, with the AI shift, leverage and the unfunded orders.
    Sets ``s.economy``; returns the AI spread."""
    shock = p.spread_persistence * s.spread_shock + p.spread_sigma * SQ * q.e[7]
    anchor = ini["economy_spread"] + q.economy_spread_shift + p.spread_drawdown_beta * s.dd
    s.spread_shock = _pinned(shock, q.pin_economy_spread - anchor)
    s.economy = np.clip(anchor + s.spread_shock, 0.0005, 0.10)
    lev = s.debt / np.maximum(e_plat + dep_annual, 0.25 * s.ebitda0)
    return np.clip(ini["credit_spread"] + (s.economy - ini["economy_spread"]) + q.spread_shift
                   + p.spread_leverage_beta * (lev - s.leverage0)
                   + p.unwind_spread_beta * q.financing_unwind, 0.0005, 0.10)


def regime(p, s, ini, q, new_hw, guided, new_spread, y, new_infl, new_rate):
    """Block 10: order growth, fragility, recovery and the regime's transition row."""
    s.orders = 0.5 * s.orders + 0.5 * np.log(new_hw / s.hw_rev) / DT
    frag = (p.fragility_gap * np.maximum(p.glut_utilisation - s.util, 0.0) / 0.1
            + p.fragility_capex * np.maximum(p.long_run_growth - guided, 0.0)
            + p.fragility_orders * np.maximum(-s.orders, 0.0)
            + p.fragility_spread * (new_spread - ini["credit_spread"]) / 0.01
            + p.fragility_real_yield * np.maximum(
                (y - new_infl) - (ini["yield_10y"] - ini["inflation"]) - 0.01, 0.0) / 0.01
            + p.fragility_inflation * np.maximum(new_infl - ini["inflation"] - 0.01, 0.0)
            / 0.01
            + p.fragility_drawdown * np.maximum(s.dd - 0.10, 0.0) / 0.10)
    down_base = np.select([s.regime == 0, s.regime == 1],
                          [p.p_ramp_to_wobble, p.p_wobble_to_bust], 0.0)
    up_base = np.select([s.regime == 1, s.regime == 2],
                        [p.p_wobble_to_ramp, p.p_bust_to_wobble], 0.0)
    recovery = (p.recovery_drawdown * np.maximum(s.dd - 0.20, 0.0) / 0.10
                + p.recovery_easing * np.maximum(p.neutral_rate - new_rate, 0.0) / 0.01)
    down, up = _sig(down_base, frag), _sig(up_base, recovery - frag)
    scale = np.where(down + up > 1, 1 / (down + up), 1.0)
    down, up = down * scale * q.length, up * scale * q.length
    s.regime = s.regime + np.where(q.u_reg < down, 1, np.where(q.u_reg < down + up, -1, 0))


def volatility(p, s, q):
    """Block 11: the regime's volatility times the stochastic factor (capped at 200%)."""
    regime_vol = np.choose(s.regime, [p.vol_ramp, p.vol_wobble, p.vol_bust])
    with np.errstate(invalid="ignore"):
        s.log_sv = _pinned(s.log_sv, np.log(q.pin_volatility / regime_vol))
    vol = _pinned(np.minimum(regime_vol * np.exp(s.log_sv), 2.0), q.pin_volatility)
    s.log_sv = p.sv_persistence * s.log_sv + p.sv_sigma * q.e[8]
    return vol


def valuation(p, s, ini, q, e_hw, new_hw, e_plat, y, new_capex, vol, prev_util):
    """Block 12: expected growth from smoothed earnings, the fair P/E from the ERP and the
    regime's premium, the P/E's residual and each group's market cap."""
    B = e_hw.shape[0]
    H, gL = p.excess_growth_years, p.long_run_growth
    ai = np.choose(s.regime, [np.zeros(B), p.premium_wobble_ai, p.premium_bust_ai])
    oth = np.choose(s.regime, [np.zeros(B), p.premium_wobble_other, p.premium_bust_other])
    earn = np.stack([np.maximum(e_hw, 0.03 * new_hw), np.maximum(e_plat, 0.1 * s.core),
                     s.e_other])
    smooth_new = 0.75 * s.smooth + 0.25 * np.log(earn)
    revision = np.zeros((3, B))
    revision[:2] = p.growth_revision_utilisation * (s.util - prev_util)
    s.g_exp = np.clip(s.g_exp + (p.growth_expectation_speed
                                 * ((smooth_new - s.smooth) / DT - s.g_exp) + revision),
                      0.02, p.expected_growth_cap)
    s.smooth = smooth_new
    r = ini["yield_10y"] + p.yield_passthrough * (y - ini["yield_10y"])
    erp = s.erp0 + p.erp_stress_beta * s.stress + q.erp_shift - q.erp_liquidity
    denom = np.maximum(r + erp - gL, 1 / p.pe_max)
    lev = -p.earnings_unemployment_beta * (s.unemp - ini["unemployment"])
    transitory = np.stack([s.cycle, s.cycle + p.platform_cycle_share * lev, s.cycle + lev])
    fair = (-np.log(denom) + H * (s.g_exp - gL) + np.stack([ai, ai, oth])
            - p.earnings_look_through * transitory)
    beta = np.stack([p.beta_hw, p.beta_platforms, p.beta_other])
    reflex = np.zeros((3, B))
    reflex[1] = np.where(s.regime == 0, np.clip(
        p.capex_reflex * (new_capex - s.capex) / s.mcap[1], -0.25, 0.25), 0.0)
    s.resid = np.clip((1 - p.pe_mean_reversion) * s.resid + reflex + beta * vol * SQ * q.e[6],
                      -1.5, 1.5)
    s.log_pe = np.clip(fair + s.resid, *np.log(PE_BOUNDS))
    s.mcap = np.exp(s.log_pe) * earn


def index(s, ini):
    """Block 13: the index from the total market cap, its drawdown and realised variance.
    Returns the total market cap."""
    total = s.mcap.sum(axis=0)
    new_index = ini["index_level"] * total / s.mcap0_total
    s.ret = np.log(new_index / s.index)
    s.index = new_index
    s.peak = np.maximum(s.peak, s.index)
    s.dd = 1 - s.index / s.peak
    s.rv = 0.5 * s.rv + 0.5 * s.ret**2 / DT
    return total


def stress_index(p, s, ini, new_spread, vol):
    """Block 14: the stress index, the mean of the spread, volatility and drawdown in
    units of 50bp, 5 vol points and 10%."""
    return ((new_spread - ini["credit_spread"]) / 0.005 + (vol - p.vol_ramp) / 0.05
            + s.dd / 0.10) / 3


def simulate_reference(scen: ScenarioArrays, p: Params, normals: np.ndarray,
                       uniforms: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate one scenario. ``p`` fields are (B,) arrays; ``normals`` (T, 9, B) independent
    standard normals; ``uniforms`` (T, 2, B). Returns outputs keyed as ``Outputs``, (T, B)."""
    f = np.float64
    sc = {k: np.asarray(v, f) for k, v in scen._asdict().items() if k not in ("init", "paths")}
    sc.update({k: np.asarray(v, f) for k, v in scen.paths._asdict().items()})
    ini = {k: np.asarray(v, f) for k, v in scen.init._asdict().items()}
    p = Params(*(np.asarray(x, f) for x in p))
    T, _, B = normals.shape
    book = _vintage_book(sc, T, B)
    s = _initial(p, ini, B)
    out = {n: np.empty((T, B)) for n in OUTPUT_NAMES}
    for t in range(T):
        q = SimpleNamespace(**{k: v[t] for k, v in sc.items() if k not in STATIC_FIELDS},
                            t=t, impair_on_change=sc["impair_on_change"],
                            e=(sc["shock_chol"] @ normals[t]) * sc["shock_scale"][t],
                            u_fed=uniforms[t][0], u_reg=uniforms[t][1],
                            length=sc["shock_scale"][t] ** 2)
        new_rate = policy_rate(p, s, q)
        new_infl = inflation(p, s, q)
        y = yield_10y(p, s, q, new_rate)
        new_capex, guided = capex(p, s, ini, q)
        dep_annual, imp, book_value, in_service = depreciation(book, q, new_capex)
        g, unemployment = gdp_growth(p, s, q, new_capex, new_infl)
        infl_gap = new_infl - p.inflation_target
        capacity, new_revenue, new_opex, prev_util = ai_revenue(p, s, ini, q, in_service)
        dcycle = earnings_cycle(p, s, q)
        new_hw, e_hw = hardware(p, s, ini, q, new_capex, dcycle)
        e_plat, e_gaap = platforms(p, s, q, y, new_capex, infl_gap, dcycle, new_revenue,
                                   new_opex, dep_annual, imp)
        other_490(p, s, q, infl_gap, dcycle)
        new_spread = credit(p, s, ini, q, e_plat, dep_annual)
        regime(p, s, ini, q, new_hw, guided, new_spread, y, new_infl, new_rate)
        vol = volatility(p, s, q)
        valuation(p, s, ini, q, e_hw, new_hw, e_plat, y, new_capex, vol, prev_util)
        total = index(s, ini)
        s.stress = stress_index(p, s, ini, new_spread, vol)

        s.rate, s.infl, s.capex, s.revenue, s.opex, s.hw_rev, s.spread = (
            new_rate, new_infl, new_capex, new_revenue, new_opex, new_hw, new_spread)
        row = dict(policy_rate=s.rate, yield_10y=y, inflation=s.infl, gdp_growth=g,
                   unemployment=unemployment, ai_capex=s.capex, ai_capacity=capacity,
                   utilisation=s.util, ai_revenue=s.revenue, ai_opex=s.opex,
                   depreciation=dep_annual, net_book_value=book_value, impairment=imp,
                   hw_revenue=s.hw_rev, earnings_hw=e_hw, earnings_platforms=e_plat,
                   earnings_platforms_gaap=e_gaap, earnings_other=s.e_other,
                   pe_hw=np.exp(s.log_pe[0]), pe_platforms=np.exp(s.log_pe[1]),
                   pe_other=np.exp(s.log_pe[2]), mcap_hw=s.mcap[0], mcap_platforms=s.mcap[1],
                   mcap_other=s.mcap[2], mag10_weight=(s.mcap[0] + s.mcap[1]) / total,
                   index_level=s.index, drawdown=s.dd, realized_vol=np.sqrt(s.rv),
                   volatility=vol, credit_spread=s.spread, economy_spread=s.economy,
                   stress=s.stress, regime=s.regime)
        for n in OUTPUT_NAMES:
            out[n][t] = row[n]
    return out
