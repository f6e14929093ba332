"""The quarterly step: blocks 1-14 in the order they are evaluated (``docs/model.md`` numbers
them the same way), and the state before the first quarter.

Every function here is pure JAX on arrays of shape (B,) (draws), with the scenario's inputs for
the quarter broadcast against them. Flows are annualised $bn, rates annual decimals, one step
is ``DT`` years. Shocks arrive as standard normals already correlated by the engine.
"""

from __future__ import annotations

from .capex import capex, depreciation
from .catalog import Outputs, Params
from .credit import ai_debt, credit, economy_spread, stress_index
from .deferred import jnp
from .earnings import earnings_cycle, hardware, initial_core, other_490, platforms, transitory
from .macro import gdp_growth, inflation, nominal_gdp, output_gap, policy_rate, yield_10y
from .market import index, initial_earnings, priced_earnings
from .regime import fragility, order_growth, recovery, transition
from .revenue import ai_revenue, capacity
from .types import DT, Quarter, ScenarioArrays, Shocks, State
from .valuation import (
    EARNINGS_SMOOTHING,
    expected_growth,
    fair_log_pe,
    initial_log_sv,
    valuation,
    volatility,
)
from .xla import write_slot


def step(p: Params, scen: ScenarioArrays, s: State, x: Quarter) -> tuple[State, Outputs]:
    """Advance every draw one quarter: the state after the quarter and what it reports."""
    init, q = scen.init, x.inputs
    eps = Shocks.of(x.normals * q.shock_scale)
    u_fed, u_regime = x.uniforms[0], x.uniforms[1]

    # 1-3: the Fed, inflation, the 10-year yield
    paths = q.paths
    rate = policy_rate(p, s.policy_rate, s.inflation, s.unemployment_change, s.stress,
                       q.fed_move_cdf, q.fed_rule_weight, u_fed, paths.pin_policy_rate)
    infl, core_infl = inflation(p, s.core_inflation, s.output_gap, q.tariff_impulse,
                                eps.inflation, paths.pin_core_inflation)
    y, tp = yield_10y(p, rate, s.term_premium, q.paths.term_premium_shift, eps.term_premium,
                      paths.pin_yield_10y)

    # 4-5: AI capex, its vintage and the depreciation of all vintages
    log_c, pressure, guided_growth = capex(
        p, s.log_capex, s.capex_bn, s.ai_revenue_bn, s.ai_opex_bn, s.core_platform_bn,
        s.funding_pressure, s.credit_spread, s.utilisation, q.capex_growth,
        init.credit_spread, eps.capex, s.nominal_gdp_bn)
    capex_bn = jnp.exp(log_c)
    ring = write_slot(s.ring_bn, x.slot, capex_bn * DT)
    dep, imp, nbv, in_service = depreciation(ring, q)

    # 6: growth (it reads this quarter's capex), the output gap and unemployment
    g = gdp_growth(p, capex_bn, s.capex_bn, s.nominal_gdp_bn, q.tariff_impulse, s.policy_rate,
                   s.inflation, s.index_return, q.paths.gdp_shift, eps.gdp,
                   paths.pin_gdp_growth)
    gap, unemployment, g = output_gap(p, s.output_gap, g, paths.pin_unemployment,
                                      paths.pin_gdp_growth)
    ngdp = nominal_gdp(s.nominal_gdp_bn, g, infl)
    d_unemployment = unemployment - s.unemployment
    inflation_gap = infl - p.inflation_target

    # 7: AI capacity and revenue
    cap = capacity(p, init, q.years, in_service)
    revenue, opex, rev_shock, log_price, util = ai_revenue(
        p, init, q.years, s.revenue_shock, s.log_price, q.paths.price_deflation, cap,
        eps.ai_revenue, ngdp)

    # 8a: hardware; 9a: AI debt and its interest; 8b-8c: platforms and the other 490
    shift = q.earnings_growth_shift
    cycle = earnings_cycle(p, s.earnings_cycle, eps.earnings)
    dcycle = cycle - s.earnings_cycle
    hw_rev, e_hw, hw_shift, margin, fixed = hardware(
        p, init, capex_bn, s.hw_shift, s.hw_margin, s.hw_fixed_bn, q.paths.china_multiplier,
        shift[0], q.years, dcycle, ngdp, paths.financing_unwind, s.unwound)
    interest, debt = ai_debt(p, s.ai_debt_bn, s.credit_spread, y, capex_bn)
    core, e_platform, e_gaap = platforms(p, init, s.core_platform_bn, inflation_gap,
                                         d_unemployment, shift[1], revenue, opex, dep, imp,
                                         interest, dcycle, ngdp)
    e_other = other_490(p, init, s.other_earnings_bn, inflation_gap, d_unemployment, shift[2],
                        q.tariff_change, dcycle, ngdp)

    # 9b: the economy-wide spread and the AI borrowers' on top of it
    economy, spread_shock = economy_spread(p, init, s.spread_shock, s.drawdown,
                                           paths.economy_spread_shift, eps.credit_spread,
                                           paths.pin_economy_spread)
    spread = credit(p, init, economy, debt, e_platform, dep, paths.spread_shift,
                    paths.financing_unwind)

    # 10: fragility and the regime; 11: volatility
    orders = order_growth(s.hw_orders, hw_rev, s.hw_revenue_bn)
    f = fragility(p, init, util, orders, guided_growth, spread, y, infl, s.drawdown)
    reg, reg_log_prob = transition(p, s.regime, f, u_regime, q.shock_scale**2,
                                   recovery(p, rate, s.drawdown))
    log_sv, vol = volatility(p, s.log_sv, reg, eps.log_volatility, paths.pin_volatility)

    # 12: expected growth, fair value and valuation; 13: market caps and the index; 14: stress
    log_e = priced_earnings(e_hw, hw_rev, e_platform, core, e_other)
    g_e, smooth_e = expected_growth(p, s.expected_growth, log_e, s.smooth_log_earnings, util,
                                    s.utilisation)
    fair = fair_log_pe(p, init, g_e, y, s.stress, q.paths.erp_liquidity, q.paths.erp_shift, reg,
                       transitory(p, init, cycle, unemployment))
    log_pe, residual = valuation(p, fair, s.pe_residual, reg, s.mcap_bn[1], vol,
                                 capex_bn - s.capex_bn, eps.valuation)
    mcap, total, level, ret, peak, dd, rv = index(init, log_pe, log_e, s.index_level, s.peak,
                                                  s.realized_var)
    stress = stress_index(p, init, spread, vol, dd)

    new = State(
        policy_rate=rate, inflation=infl, core_inflation=core_infl, output_gap=gap,
        unemployment=unemployment, unemployment_change=d_unemployment, term_premium=tp,
        nominal_gdp_bn=ngdp,
        log_capex=log_c, capex_bn=capex_bn, ring_bn=ring, funding_pressure=pressure,
        revenue_shock=rev_shock, log_price=log_price, utilisation=util, ai_revenue_bn=revenue,
        ai_opex_bn=opex, hw_shift=hw_shift, hw_revenue_bn=hw_rev, hw_orders=orders,
        hw_margin=margin, hw_fixed_bn=fixed, earnings_cycle=cycle, core_platform_bn=core,
        other_earnings_bn=e_other, ai_debt_bn=debt,
        spread_shock=spread_shock, economy_spread=economy, credit_spread=spread, regime=reg,
        log_sv=log_sv,
        pe_residual=residual, log_pe=log_pe, expected_growth=g_e,
        smooth_log_earnings=smooth_e, mcap_bn=mcap,
        index_level=level, peak=peak, drawdown=dd, index_return=ret, realized_var=rv,
        volatility=vol, stress=stress, unwound=s.unwound * 0.0 + paths.financing_unwind,
        path_log_prob=s.path_log_prob + reg_log_prob)
    out = Outputs(
        policy_rate=rate, yield_10y=y, inflation=infl, gdp_growth=g,
        unemployment=unemployment, ai_capex=capex_bn, ai_capacity=cap, utilisation=util,
        ai_revenue=revenue, ai_opex=opex, depreciation=dep, net_book_value=nbv,
        impairment=imp, hw_revenue=hw_rev, earnings_hw=e_hw, earnings_platforms=e_platform,
        earnings_platforms_gaap=e_gaap, earnings_other=e_other, pe_hw=jnp.exp(log_pe[0]),
        pe_platforms=jnp.exp(log_pe[1]), pe_other=jnp.exp(log_pe[2]), mcap_hw=mcap[0],
        mcap_platforms=mcap[1], mcap_other=mcap[2], mag10_weight=(mcap[0] + mcap[1]) / total,
        index_level=level, drawdown=dd, realized_vol=jnp.sqrt(rv), volatility=vol,
        credit_spread=spread, economy_spread=economy, stress=stress, regime=reg)
    return new, out


def initial_state(p: Params, scen: ScenarioArrays, n: int, dtype) -> State:
    """State before the first quarter for ``n`` draws with parameters ``p`` (each (n,) or a
    scalar). Platform core earnings are today's operating earnings less the after-tax AI P&L
    (at least 10% of today's earnings);
    the term premium is what makes block 3 give today's yield; the output gap is what Okun's
    law gives for today's unemployment; the hardware margin and operating cost reproduce
    today's net margin; the volatility factor makes the first quarter's volatility the
    implied one; smoothed log earnings start where a steady expected growth would have put
    them."""
    init = scen.init
    ones = jnp.ones((n,), dtype)
    opex0 = p.ai_opex_per_revenue * init.ai_revenue_bn
    core0 = initial_core(p, init)
    tp0 = init.yield_10y - p.neutral_rate - p.long_rate_beta * (
        init.policy_rate - p.neutral_rate)
    gap0 = p.okun_coefficient * (p.natural_unemployment - init.unemployment)
    e0 = initial_earnings(init)
    zeros = jnp.zeros((n,), dtype)
    return State(
        policy_rate=init.policy_rate * ones, inflation=init.inflation * ones,
        core_inflation=init.inflation * ones, output_gap=gap0 * ones,
        unemployment=init.unemployment * ones, unemployment_change=zeros,
        term_premium=tp0 * ones, nominal_gdp_bn=init.nominal_gdp_bn * ones,
        log_capex=jnp.log(init.capex_bn) * ones, capex_bn=init.capex_bn * ones,
        ring_bn=jnp.zeros((scen.dep_weights.shape[-1], n), dtype),
        funding_pressure=zeros, revenue_shock=zeros, log_price=zeros,
        utilisation=p.start_utilisation * ones, ai_revenue_bn=init.ai_revenue_bn * ones,
        ai_opex_bn=opex0 * ones, hw_shift=zeros,
        hw_revenue_bn=init.hw_revenue_bn * ones, hw_orders=zeros,
        hw_margin=(init.hw_net_margin + init.hw_opex_share) * ones,
        hw_fixed_bn=init.hw_opex_share * init.hw_revenue_bn * ones,
        earnings_cycle=zeros, core_platform_bn=core0 * ones,
        other_earnings_bn=init.other_earnings_bn * ones,
        ai_debt_bn=init.ai_debt_bn * ones, spread_shock=zeros,
        economy_spread=init.economy_spread * ones,
        credit_spread=init.credit_spread * ones, regime=jnp.zeros((n,), jnp.int32),
        log_sv=initial_log_sv(p, init) * ones, pe_residual=jnp.zeros((3, n), dtype),
        log_pe=jnp.log(init.pe)[:, None] * ones, expected_growth=init.expected_growth[:, None]
        * ones, smooth_log_earnings=(jnp.log(e0) - init.expected_growth * DT
                                     * EARNINGS_SMOOTHING / (1.0 - EARNINGS_SMOOTHING)
                                     )[:, None] * ones,
        mcap_bn=(init.pe * e0)[:, None] * ones, index_level=init.index_level * ones,
        peak=init.index_level * ones, drawdown=zeros,
        index_return=zeros, realized_var=init.volatility**2 * ones,
        volatility=init.volatility * ones, stress=zeros, unwound=zeros, path_log_prob=zeros)
