"""A plain NumPy float64 implementation of the model, for tests and benchmarks.

It is written independently of ``step.py``: a Python loop over quarters, explicit book
accounting per vintage (net book value and remaining life of every vintage, including life
changes and impairments) instead of precomputed ring weights, the Fed's move by
``searchsorted``, and the regime chain from an explicit transition row. Given the same
parameters and random numbers it must agree with the JAX core to rounding.
"""

from __future__ import annotations

import numpy as np

from .catalog import Params
from .types import DT, MOVE_GRID_BP, N_VINTAGES, ScenarioArrays


def _sig(p, shift):
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        odds = p / np.maximum(1.0 - p, 1e-12) * np.exp(shift)
        s = odds / (1.0 + odds)
    return np.where(p <= 0.0, 0.0, np.where(p >= 1.0, 1.0, s))


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
    length = sc["shock_scale"] ** 2
    V = N_VINTAGES
    sq = np.sqrt(DT)
    ones = np.ones(B)

    # --- the vintage book: vintages -V .. T-1, index k = tau + V
    cost = np.zeros((V + T, B))
    nbv = np.zeros((V + T, B))
    rem = np.zeros(V + T)
    life0 = float(sc["life0_quarters"])
    for tau in range(-V, 0):
        c = sc["vintage0_bn"][tau % V]
        cost[tau + V] = c
        nbv[tau + V] = c * max(0.0, 1.0 - (-tau) / life0)
        rem[tau + V] = max(0.0, life0 - (-tau))

    # --- initial state
    opex0 = p.ai_opex_per_revenue * ini["ai_revenue_bn"]
    interest0 = ini["ai_debt_bn"] * (ini["yield_10y"] + ini["credit_spread"])
    core = np.maximum(ini["platform_earnings_bn"] - (1 - p.tax_rate) * (
        ini["ai_revenue_bn"] - opex0 - ini["reported_depreciation_bn"] - interest0),
        0.1 * ini["platform_earnings_bn"])
    rate = ini["policy_rate"] * ones
    infl = ini["inflation"] * ones
    core_infl = infl.copy()
    gap = p.okun_coefficient * (p.natural_unemployment - ini["unemployment"]) * ones
    tp = ini["yield_10y"] - p.neutral_rate - p.long_rate_beta * (ini["policy_rate"]
                                                                 - p.neutral_rate)
    ngdp = ini["nominal_gdp_bn"] * ones
    capex = ini["capex_bn"] * ones
    pressure = np.zeros(B)
    rev_shock = np.zeros(B)
    log_price = np.zeros(B)
    revenue = ini["ai_revenue_bn"] * ones
    opex = opex0 * ones
    util = p.start_utilisation * ones
    chips0 = p.chip_share_of_capex * ini["capex_bn"]
    hw_other0 = np.maximum(ini["hw_revenue_bn"] - chips0 - ini["hw_china_revenue_bn"], 0.0)
    hw_rev = ini["hw_revenue_bn"] * ones
    hw_shift = np.zeros(B)
    cycle = np.zeros(B)
    orders = np.zeros(B)
    margin = (ini["hw_net_margin"] + ini["hw_opex_share"]) * ones
    fixed = ini["hw_opex_share"] * ini["hw_revenue_bn"] * ones
    e_other = ini["other_earnings_bn"] * ones
    debt = ini["ai_debt_bn"] * ones
    spread_shock = np.zeros(B)
    spread = ini["credit_spread"] * ones
    regime = np.zeros(B, dtype=np.int64)
    e0 = np.array([ini["hw_net_margin"] * ini["hw_revenue_bn"], ini["platform_earnings_bn"],
                   ini["other_earnings_bn"]])
    w0 = ini["pe"] * e0 / np.sum(ini["pe"] * e0)
    beta_mkt = w0[0] * p.beta_hw + w0[1] * p.beta_platforms + w0[2] * p.beta_other
    log_sv = np.log(ini["volatility"] / (p.vol_ramp * beta_mkt)) * ones
    log_pe = np.log(ini["pe"])[:, None] * ones
    resid = np.zeros((3, B))
    H, gL = p.excess_growth_years, p.long_run_growth
    erp0 = (np.exp(-(np.log(ini["pe"])[:, None] - H * (ini["expected_growth"][:, None] - gL)))
            - ini["yield_10y"] + gL)
    g_exp = ini["expected_growth"][:, None] * ones
    smooth = (np.log(e0) - ini["expected_growth"] * DT * 0.75 / 0.25)[:, None] * ones
    mcap = (ini["pe"] * e0)[:, None] * ones
    mcap0_total = float(np.sum(ini["pe"] * e0))
    index = ini["index_level"] * ones
    peak = index.copy()
    dd = np.zeros(B)
    ret = np.zeros(B)
    rv = ini["volatility"] ** 2 * ones
    stress = np.zeros(B)
    ebitda0 = ini["platform_earnings_bn"] + ini["reported_depreciation_bn"]
    leverage0 = ini["ai_debt_bn"] / ebitda0

    names = ("policy_rate", "yield_10y", "inflation", "gdp_growth", "unemployment", "ai_capex",
             "ai_capacity", "utilisation", "ai_revenue",
             "ai_opex", "depreciation", "net_book_value", "impairment", "hw_revenue",
             "earnings_hw", "earnings_platforms", "earnings_platforms_gaap", "earnings_other",
             "pe_hw", "pe_platforms", "pe_other", "mcap_hw", "mcap_platforms", "mcap_other",
             "mag10_weight", "index_level", "drawdown", "realized_vol", "volatility",
             "credit_spread", "stress", "regime")
    out = {n: np.empty((T, B)) for n in names}
    chol = sc["shock_chol"]

    for t in range(T):
        e = (chol @ normals[t]) * sc["shock_scale"][t]
        u_fed, u_reg = uniforms[t]

        # 1 policy rate: first grid point whose CDF reaches u
        cdf = sc["fed_move_cdf"][t]
        k = np.searchsorted(cdf[:-1], u_fed, side="left")
        move = MOVE_GRID_BP[np.minimum(k, len(MOVE_GRID_BP) - 1)] * 1e-4
        rule = p.neutral_rate + p.taylor_weight * (infl - p.inflation_target)
        put = np.where(stress > p.fed_put_threshold, p.fed_put_cut, 0.0)
        new_rate = np.maximum(rate + move + p.policy_pull * (rule - rate) - put, 0.0)
        # 2 inflation
        core_infl = (p.inflation_target + p.inflation_persistence
                     * (core_infl - p.inflation_target) + p.phillips_slope * gap
                     + p.inflation_sigma * sq * e[0])
        new_infl = core_infl + p.import_share * p.tariff_passthrough * sc["tariff_impulse"][t]
        # 3 10-year
        tp = (p.term_premium_mean + p.term_premium_persistence * (tp - p.term_premium_mean)
              + p.term_premium_sigma * sq * e[1])
        y = p.neutral_rate + p.long_rate_beta * (new_rate - p.neutral_rate) + tp + sc[
            "term_premium_shift"][t]
        # 5 capex with funding discipline
        burn = (capex - (revenue - opex)) / core
        pressure = p.discipline_memory * pressure + (1 - p.discipline_memory) * np.maximum(
            burn - p.discipline_threshold, 0.0)
        guided = sc["capex_growth"][t] - (p.discipline_strength * pressure
                                          + p.discipline_spread_sensitivity
                                          * np.maximum(spread - ini["credit_spread"], 0.0)
                                          + p.utilisation_discipline
                                          * np.maximum(p.glut_utilisation - util, 0.0))
        new_capex = capex * np.exp(guided * DT + p.capex_sigma * sq * e[3])
        # 6 vintage book
        kv = t + V
        cost[kv] = new_capex * DT
        nbv[kv] = cost[kv]
        rem[kv] = sc["life_quarters"][t]
        imp = np.zeros(B)
        in_service = np.zeros(B)
        new_life = sc["life_change_quarters"][t]
        if new_life > 0:
            for j in range(kv):
                age = kv - j
                if sc["impair_on_change"] > 0:
                    target = cost[j] * max(0.0, 1.0 - age / new_life)
                    loss = np.maximum(nbv[j] - target, 0.0)
                    imp += loss
                    nbv[j] -= loss
                rem[j] = max(new_life - age, 1.0)
        dep = np.zeros(B)
        for j in range(max(0, kv - V + 1), kv + 1):
            if rem[j] <= 0:
                continue
            in_service += np.where(nbv[j] > 0, cost[j], 0.0)
            d = nbv[j] if rem[j] < 1.0 else nbv[j] / rem[j]
            dep += d
            nbv[j] = nbv[j] - d
            rem[j] -= 1.0
        book = nbv[max(0, kv - V + 1):kv + 1].sum(axis=0)
        dep_annual = dep / DT
        # 4 GDP
        g = (p.gdp_trend + p.capex_gdp_multiplier * (new_capex - capex) / ngdp / DT
             - p.tariff_gdp_drag * sc["tariff_impulse"][t]
             - p.rate_gdp_drag * (rate - infl - (p.neutral_rate - p.inflation_target))
             + p.wealth_effect * ret / DT + 0.5 * p.ai_productivity_gain
             + sc["gdp_shift"][t] + p.gdp_sigma * sq * e[2])
        gap = p.gap_persistence * gap + (g - p.gdp_trend - 0.5 * p.ai_productivity_gain) * DT
        unemployment = np.maximum(p.natural_unemployment - gap / p.okun_coefficient, 0.0)
        ngdp = ngdp * np.exp((g + new_infl) * DT)
        nominal_gap = g + new_infl - (p.gdp_trend + p.inflation_target)
        # 7 AI revenue on the S-curve
        ceiling = np.maximum(p.ai_revenue_ceiling_multiple * p.ai_revenue_2030_bn,
                             1.01 * ini["ai_revenue_bn"])
        a = ceiling / ini["ai_revenue_bn"] - 1
        speed = np.log(a / (ceiling / p.ai_revenue_2030_bn - 1)) / ini["years_to_2030"]
        volume = ceiling / (1 + a * np.exp(-speed * sc["years"][t]))
        years = sc["years"][t]
        capacity = (ini["ai_revenue_bn"] / p.start_utilisation * in_service / ini["in_service_bn"]
                    * np.exp(p.capacity_growth * years))
        rev_shock = p.ai_revenue_persistence * rev_shock + p.ai_revenue_sigma * sq * e[4]
        served = np.minimum(volume * np.exp(rev_shock), capacity)
        prev_util, util = util, served / capacity
        log_cost = np.log(p.ai_opex_per_revenue) - p.unit_cost_decline * years
        log_price = np.maximum(log_price - (sc["price_deflation"][t] + p.glut_price_beta
                                            * np.maximum(p.glut_utilisation - util, 0.0)) * DT,
                               log_cost)
        new_revenue = served * np.exp(log_price)
        new_opex = served * np.exp(log_cost)
        # 8a hardware
        shifts = sc["earnings_growth_shift"][t]
        new_cycle = p.earnings_persistence * cycle + p.earnings_sigma * sq * e[5]
        dcycle, cycle = new_cycle - cycle, new_cycle
        hw_shift = hw_shift + shifts[0] * DT + dcycle
        ratio = hw_other0 / np.maximum(chips0, 1e-6) * np.exp(p.other_buyers_growth * years)
        new_hw = np.exp(hw_shift) * (p.chip_share_of_capex * new_capex * (1 + ratio)
                                     + ini["hw_china_revenue_bn"] * sc["china_multiplier"][t])
        floor = p.hw_margin_floor + ini["hw_opex_share"]
        margin = np.clip(margin + (floor - margin) * (1 - np.exp(-p.hw_margin_erosion * DT)),
                         0.02, 0.95)
        fixed = fixed + (1 - np.exp(-p.hw_cost_adjustment * DT)) * (
            ini["hw_opex_share"] * new_hw - fixed)
        e_hw = margin * new_hw - fixed
        # 8b platforms
        interest = debt * (y + spread)
        debt = debt + p.debt_financed_share * new_capex * DT
        core = core * np.exp((p.platform_core_growth + nominal_gap + shifts[1]) * DT + dcycle)
        e_plat = core + (1 - p.tax_rate) * (new_revenue - new_opex - dep_annual - interest)
        e_gaap = e_plat - (1 - p.tax_rate) * imp / DT
        # 8c other 490
        squeeze = (1 - p.tariff_passthrough) * p.import_share * sc["tariff_change"][t] / (
            p.other_net_margin)
        e_other = e_other * np.exp((p.other_core_growth + p.other_gdp_leverage * nominal_gap
                                    + p.ai_productivity_gain + shifts[2]) * DT - squeeze
                                   + dcycle)
        # 9a credit
        spread_shock = p.spread_persistence * spread_shock + p.spread_sigma * sq * e[7]
        lev = debt / np.maximum(e_plat + dep_annual, 0.25 * ebitda0)
        new_spread = np.clip(ini["credit_spread"] + spread_shock + sc["spread_shift"][t]
                             + p.spread_leverage_beta * (lev - leverage0)
                             + p.spread_drawdown_beta * dd, 0.0005, 0.10)
        # 10 regime
        orders = 0.5 * orders + 0.5 * np.log(new_hw / hw_rev) / DT
        frag = (p.fragility_gap * np.maximum(p.glut_utilisation - util, 0.0) / 0.1
                + p.fragility_capex * np.maximum(p.long_run_growth - guided, 0.0)
                + p.fragility_orders * np.maximum(-orders, 0.0)
                + p.fragility_spread * (new_spread - ini["credit_spread"]) / 0.01
                + p.fragility_real_yield * np.maximum(
                    (y - new_infl) - (ini["yield_10y"] - ini["inflation"]) - 0.01, 0.0) / 0.01
                + p.fragility_inflation * np.maximum(new_infl - ini["inflation"] - 0.01, 0.0)
                / 0.01
                + p.fragility_drawdown * np.maximum(dd - 0.10, 0.0) / 0.10)
        down_base = np.select([regime == 0, regime == 1],
                              [p.p_ramp_to_wobble, p.p_wobble_to_bust], 0.0)
        up_base = np.select([regime == 1, regime == 2],
                            [p.p_wobble_to_ramp, p.p_bust_to_wobble], 0.0)
        down, up = _sig(down_base, frag), _sig(up_base, -frag)
        scale = np.where(down + up > 1, 1 / (down + up), 1.0)
        down, up = down * scale * length[t], up * scale * length[t]
        regime = regime + np.where(u_reg < down, 1, np.where(u_reg < down + up, -1, 0))
        # volatility
        vol = np.minimum(np.choose(regime, [p.vol_ramp, p.vol_wobble, p.vol_bust])
                         * np.exp(log_sv), 2.0)
        log_sv = p.sv_persistence * log_sv + p.sv_sigma * e[8]

        # 11 valuation
        def prem(r):
            ai = np.choose(r, [np.zeros(B), p.premium_wobble_ai, p.premium_bust_ai])
            oth = np.choose(r, [np.zeros(B), p.premium_wobble_other, p.premium_bust_other])
            return np.stack([ai, ai, oth])

        earn = np.stack([np.maximum(e_hw, 0.03 * new_hw), np.maximum(e_plat, 0.1 * core),
                         e_other])
        smooth_new = 0.75 * smooth + 0.25 * np.log(earn)
        revision = np.zeros((3, B))
        revision[:2] = p.growth_revision_utilisation * (util - prev_util)
        g_exp = np.clip(g_exp + (p.growth_expectation_speed * ((smooth_new - smooth) / DT - g_exp)
                                 + revision), 0.02, p.expected_growth_cap)
        smooth = smooth_new
        r = ini["yield_10y"] + p.yield_passthrough * (y - ini["yield_10y"])
        erp = erp0 + p.erp_stress_beta * stress + sc["erp_shift"][t] - sc["erp_liquidity"][t]
        denom = np.maximum(r + erp - gL, 1 / p.pe_max)
        fair = -np.log(denom) + H * (g_exp - gL) + prem(regime)
        beta = np.stack([p.beta_hw, p.beta_platforms, p.beta_other])
        reflex = np.zeros((3, B))
        reflex[1] = np.where(regime == 0, np.clip(p.capex_reflex * (new_capex - capex) / mcap[1],
                                                  -0.25, 0.25), 0.0)
        resid = (1 - p.pe_mean_reversion) * resid + reflex + beta * vol * sq * e[6]
        log_pe = fair + resid
        mcap = np.exp(log_pe) * earn
        # 12 index
        total = mcap.sum(axis=0)
        new_index = ini["index_level"] * total / mcap0_total
        ret = np.log(new_index / index)
        index = new_index
        peak = np.maximum(peak, index)
        dd = 1 - index / peak
        rv = 0.5 * rv + 0.5 * ret**2 / DT
        stress = ((new_spread - ini["credit_spread"]) / 0.005 + (vol - p.vol_ramp) / 0.05
                  + dd / 0.10) / 3

        rate, infl, capex, revenue, opex, hw_rev, spread = (
            new_rate, new_infl, new_capex, new_revenue, new_opex, new_hw, new_spread)
        row = dict(policy_rate=rate, yield_10y=y, inflation=infl, gdp_growth=g,
                   unemployment=unemployment, ai_capex=capex, ai_capacity=capacity,
                   utilisation=util,
                   ai_revenue=revenue, ai_opex=opex, depreciation=dep_annual,
                   net_book_value=book, impairment=imp, hw_revenue=hw_rev, earnings_hw=e_hw,
                   earnings_platforms=e_plat, earnings_platforms_gaap=e_gaap,
                   earnings_other=e_other, pe_hw=np.exp(log_pe[0]),
                   pe_platforms=np.exp(log_pe[1]), pe_other=np.exp(log_pe[2]),
                   mcap_hw=mcap[0], mcap_platforms=mcap[1], mcap_other=mcap[2],
                   mag10_weight=(mcap[0] + mcap[1]) / total, index_level=index, drawdown=dd,
                   realized_vol=np.sqrt(rv), volatility=vol, credit_spread=spread,
                   stress=stress, regime=regime)
        for n in names:
            out[n][t] = row[n]
    return out
