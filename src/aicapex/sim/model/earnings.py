"""Block 8: earnings of the three groups of the S&P 500. 8a the AI hardware suppliers
(NVDA, AVGO, AMD), 8b the platforms (the other Mag-10), 8c the other 490.

Earnings are annualised net $bn; arrays (B,). Every group draws on one shared earnings shock
(``Shocks.earnings``) and takes the scenario's earnings shift of its own group; the hardware
group's revenue follows its buyers' capex, and its operating costs make its earnings
cyclical (they can turn negative in a capex collapse).
"""

from __future__ import annotations

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues, PathSpec
from .types import DT, SQRT_DT, Initial
from .xla import group_rows

PARAMETERS: tuple[ParamSpec, ...] = (
    # block 8a: AI hardware suppliers
    ParamSpec("chip_share_of_capex", "hardware", 0.0, 1.0, "fraction",
              "share of AI capex spent with the hardware suppliers"),
    ParamSpec("hw_margin_floor", "hardware", 0.0, 0.9, "fraction",
              "net margin (at the starting cost structure) competition erodes towards"),
    ParamSpec("hw_margin_erosion", "hardware", 0.0, 5.0, "1/yr",
              "speed at which the hardware margin decays to the floor"),
    ParamSpec("hw_cost_adjustment", "hardware", 0.0, 10.0, "1/yr",
              "speed at which hardware operating costs follow revenue (layoffs, hiring)"),
    ParamSpec("other_buyers_growth", "hardware", -1.0, 1.0, "1/yr",
              "log growth of the other AI buyers' spend (sovereign, enterprise, neocloud)"
              " relative to platform capex"),
    ParamSpec("vendor_financing_bn", "hardware", 0.0, 5000.0, "$bn",
              "the hardware suppliers' financing of their own buyers (stakes in them, "
              "commitments to them), written down as a share of buyers fails to fund its orders"),
    # blocks 8b and 8c: platforms and the other 490
    ParamSpec("platform_core_growth", "earnings", -0.2, 0.4, "1/yr",
              "trend growth of platform earnings excluding AI"),
    ParamSpec("other_core_growth", "earnings", -0.2, 0.3, "1/yr",
              "trend earnings growth of the other 490"),
    ParamSpec("earnings_unemployment_beta", "earnings", 0.0, 30.0, "-",
              "log fall of the other 490's earnings per unit rise of unemployment (operating "
              "leverage: margins compress in a downturn and recover after)"),
    ParamSpec("earnings_inflation_beta", "earnings", 0.0, 5.0, "-",
              "earnings growth per unit of inflation above target (nominal earnings)"),
    ParamSpec("platform_cycle_share", "earnings", 0.0, 2.0, "-",
              "the platforms' core earnings' share of the other 490's cyclical response"),
    ParamSpec("other_net_margin", "earnings", 0.01, 1.0, "fraction",
              "net margin of the other 490 (scales the tariff margin squeeze)"),
    ParamSpec("earnings_sigma", "earnings", 0.0, 1.0, "1/yr",
              "annualised volatility of the earnings cycle's shocks"),
    ParamSpec("earnings_persistence", "earnings", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the earnings cycle (earnings revert to their trend)"),
    ParamSpec("tax_rate", "earnings", 0.0, 1.0, "fraction", "tax rate on AI profit and loss"),
    ParamSpec("ai_productivity_gain", "earnings", -0.05, 0.10, "1/yr",
              "AI productivity gain added to other-490 earnings growth and (half) to GDP"),
)

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("hw_revenue", "$bn/yr",
               "revenue of AI hardware suppliers (NVDA, AVGO, AMD), annualised"),
    OutputSpec("earnings_hw", "$bn/yr",
               "net earnings of AI hardware suppliers, annualised (negative in a loss)"),
    OutputSpec("earnings_platforms", "$bn/yr",
               "operating net earnings of the platforms (other Mag-10), annualised"),
    OutputSpec("earnings_platforms_gaap", "$bn/yr",
               "GAAP net earnings of the platforms incl. impairments, annualised"),
    OutputSpec("earnings_other", "$bn/yr",
               "net earnings of the other 490 S&P 500 companies, annualised"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

PATHS: tuple[PathSpec, ...] = (
    PathSpec("china_multiplier", "hardware", "china_multiplier", 0.0, 10.0, "x",
             "multiplier of AI hardware suppliers' China revenue (0 = lost; block 8a)",
             "a China revenue multiplier", default=1.0),
    PathSpec("financing_unwind", "hardware", "financing_unwind", 0.0, 1.0, "fraction",
             "share of the hardware suppliers' AI orders whose buyers can no longer fund them: "
             "cancelled from that quarter, the financing to them written down as it rises "
             "(circular financing; block 8a, and the AI spread in block 9b)",
             "a share of unfunded orders"),
)
"""The scenario paths the blocks of this module read (``catalog.ScenarioPaths``)."""

HW_MARGIN_BOUNDS = (0.02, 0.95)
"""The hardware contribution margin (after tax, before operating costs) stays in [2%, 95%]."""

EARNINGS_SHARE_BOUNDS = (0.1, 3.0)
"""The other 490's earnings and the platforms' core earnings stay between a tenth and three
times their starting share of nominal GDP. Profits are a stationary share of output: US
after-tax corporate profits have ranged about 3-12% of GDP since 1947 and S&P 500 earnings
fell about 75% against GDP's 45% in 1929-32, so the band is wider than history on both
sides; it keeps a growth shift or an inflation held for decades from compounding earnings
away from the economy that earns them."""

HW_REVENUE_SHARE_BOUNDS = (0.001, 0.10)
"""The hardware suppliers' revenue stays between 0.1% of nominal GDP (about their revenue
before AI: NVDA, AVGO and AMD sold about $40bn in 2019, 0.19% of GDP) and 10% (it is about
1.2% at the start; all US private non-residential investment is about 14%)."""

HW_SHIFT_BOUND = 3.0
"""The hardware revenue's cumulated growth shift and cycle h_t stay in [-3, 3] (a factor of
about 20 either way on what its buyers' spend implies)."""


CORE_FLOOR = 0.1
"""The platforms' core earnings start at no less than 10% of today's operating earnings."""


def initial_core(p: ParamValues, init: Initial):
    """The platforms' core (non-AI) earnings at the start, (B,) or scalar: today's operating
    earnings less the after-tax AI P&L they include, at least ``CORE_FLOOR`` of them (anchors
    whose AI profit exceeds the platforms' earnings would start the core negative, and its
    log, the burn ratio and the P/E floor break down):

        core_0 = max(PL_0 - (1 - tax_rate) * (AIrev_0 - ai_opex_per_revenue * AIrev_0
                                              - D_0 - debt_0 * (y_0 + s_0)), CORE_FLOOR * PL_0)

    (D_0 the AI depreciation today's reported earnings include, s_0 the AI credit spread)."""
    opex0 = p.ai_opex_per_revenue * init.ai_revenue_bn
    interest0 = init.ai_debt_bn * (init.yield_10y + init.credit_spread)
    return jnp.maximum(init.platform_earnings_bn - (1.0 - p.tax_rate) * (
        init.ai_revenue_bn - opex0 - init.reported_depreciation_bn - interest0),
        CORE_FLOOR * init.platform_earnings_bn)


def share_bounded(earnings, share0, ngdp):
    """``earnings`` clipped to ``EARNINGS_SHARE_BOUNDS`` times ``share0`` (the starting
    share of nominal GDP) times this quarter's nominal GDP ``ngdp``."""
    return jnp.clip(earnings, EARNINGS_SHARE_BOUNDS[0] * share0 * ngdp,
                    EARNINGS_SHARE_BOUNDS[1] * share0 * ngdp)


def earnings_cycle(p: ParamValues, prev_cycle, eps):
    """Block 8 (cycle). The shared earnings cycle, the log deviation of every group's
    earnings from its trend:

        c_t = earnings_persistence * c_{t-1} + earnings_sigma * sqrt(DT) * eps.earnings

    Each group's log earnings move by c_t - c_{t-1} on top of their trend growth, so an
    earnings shock fades instead of compounding."""
    return p.earnings_persistence * prev_cycle + p.earnings_sigma * SQRT_DT * eps


def transitory(p: ParamValues, init: Initial, cycle, unemployment):
    """Block 8 (transitory). Each group's transitory log earnings deviation (3, B): the
    shared earnings cycle, and for the platforms and the other 490 the operating leverage to
    unemployment since the start (the part of earnings that recovers as the cycle turns):

        z_hw,t = c_t
        z_pl,t = c_t - platform_cycle_share * earnings_unemployment_beta * (U_t - U_0)
        z_o,t  = c_t - earnings_unemployment_beta * (U_t - U_0)"""
    leverage = -p.earnings_unemployment_beta * (unemployment - init.unemployment)
    return group_rows(cycle, cycle + p.platform_cycle_share * leverage, cycle + leverage)


def hardware(p: ParamValues, init: Initial, capex_bn, prev_shift, prev_margin, prev_fixed,
             china_multiplier, growth_shift, years, cycle_change, ngdp, unwind=0.0,
             prev_unwind=0.0):
    """Block 8a. AI hardware suppliers' revenue and earnings. Revenue follows the capex of
    all their buyers: the platforms' capex K_t, the other AI buyers' spend (a multiple of it
    that drifts at ``other_buyers_growth``) and China; operating costs F adjust to revenue
    only slowly, so earnings fall faster than revenue and can turn negative:

        O_0      = max(HW_0 - chip_share_of_capex * K_0 - China_0, 0)     (other buyers)
        w_t      = O_0 / (chip_share_of_capex * K_0) * exp(other_buyers_growth * t)
        h_t      = clip(h_{t-1} + shift_t * DT + (c_t - c_{t-1}), -HW_SHIFT_BOUND, HW_SHIFT_BOUND)
        HW_t     = clip(exp(h_t) * (chip_share_of_capex * K_t * (1 + w_t) * (1 - u_t)
                                    + China_0 * china_t), HW_REVENUE_SHARE_BOUNDS * NGDP_t)
        m_t      = clip(m_{t-1} + (m_floor - m_{t-1}) * (1 - exp(-hw_margin_erosion * DT)),
                        HW_MARGIN_BOUNDS)
        F_t      = F_{t-1} + (1 - exp(-hw_cost_adjustment * DT)) * (f_0 * HW_t - F_{t-1})
        W_t      = vendor_financing_bn * max(u_t - u_{t-1}, 0) / DT       (write-down)
        E^hw_t   = m_t * HW_t - F_t - W_t

    u_t is the scenario's ``hardware.financing_unwind``: the share of AI orders whose buyers
    cannot fund them (circular financing: the suppliers financed their buyers, whose orders
    now cancel at once) and W_t the financing to them written off in the quarter the share
    rises (annualised, as every flow);

    m is the contribution margin (after tax, before operating costs), m_0 = net margin_0 +
    f_0 and m_floor = hw_margin_floor + f_0, f_0 the operating cost share of revenue at the
    start (anchor ``hardware_opex_share``). Returns (HW_t, E^hw_t, h_t, m_t, F_t)."""
    chips0 = p.chip_share_of_capex * init.capex_bn
    other0 = jnp.maximum(init.hw_revenue_bn - chips0 - init.hw_china_revenue_bn, 0.0)
    other_ratio = other0 / jnp.maximum(chips0, 1e-6) * jnp.exp(p.other_buyers_growth * years)
    shift = jnp.clip(prev_shift + growth_shift * DT + cycle_change, -HW_SHIFT_BOUND,
                     HW_SHIFT_BOUND)
    revenue = jnp.clip(jnp.exp(shift) * (
        p.chip_share_of_capex * capex_bn * (1.0 + other_ratio) * (1.0 - unwind)
        + init.hw_china_revenue_bn * china_multiplier), HW_REVENUE_SHARE_BOUNDS[0] * ngdp,
        HW_REVENUE_SHARE_BOUNDS[1] * ngdp)
    floor = p.hw_margin_floor + init.hw_opex_share
    decay = 1.0 - jnp.exp(-p.hw_margin_erosion * DT)
    margin = jnp.clip(prev_margin + (floor - prev_margin) * decay, *HW_MARGIN_BOUNDS)
    adjust = 1.0 - jnp.exp(-p.hw_cost_adjustment * DT)
    fixed = prev_fixed + adjust * (init.hw_opex_share * revenue - prev_fixed)
    writedown = p.vendor_financing_bn * jnp.maximum(unwind - prev_unwind, 0.0) / DT
    return revenue, margin * revenue - fixed - writedown, shift, margin, fixed


def platforms(p: ParamValues, init: Initial, prev_core, inflation_gap, unemployment_change,
              growth_shift, ai_revenue_bn, ai_opex_bn, dep, imp, interest, cycle_change, ngdp):
    """Block 8b. Platforms' earnings: core (non-AI) earnings grow at their trend with
    inflation and take a share of the other 490's cyclical response to unemployment; the
    after-tax AI P&L is added; GAAP also books the impairment:

        core_t   = core_{t-1} * exp((platform_core_growth
                                     + earnings_inflation_beta * (pi_t - target) + shift_t) * DT
                                    - platform_cycle_share * earnings_unemployment_beta
                                      * (U_t - U_{t-1}) + (c_t - c_{t-1}))
                   (held to EARNINGS_SHARE_BOUNDS x core_0 / NGDP_0 x NGDP_t)
        E^pl_t   = core_t + (1 - tax_rate) * (AIrev_t - AIcost_t - D_t - interest_t)
        GAAP_t   = E^pl_t - (1 - tax_rate) * I_t / DT

    Returns (core_t, E^pl_t, GAAP_t)."""
    core = share_bounded(prev_core * jnp.exp(
        (p.platform_core_growth + p.earnings_inflation_beta * inflation_gap + growth_shift) * DT
        - p.platform_cycle_share * p.earnings_unemployment_beta * unemployment_change
        + cycle_change), initial_core(p, init) / init.nominal_gdp_bn, ngdp)
    operating = core + (1.0 - p.tax_rate) * (ai_revenue_bn - ai_opex_bn - dep - interest)
    gaap = operating - (1.0 - p.tax_rate) * imp / DT
    return core, operating, gaap


def other_490(p: ParamValues, init: Initial, prev_earnings, inflation_gap,
              unemployment_change, growth_shift, tariff_change, cycle_change, ngdp):
    """Block 8c. The other 490's earnings: trend growth, nominal with inflation, and
    operating leverage to the business cycle, measured by unemployment (fixed costs make
    earnings fall several times as fast as activity in a downturn and recover after):

        squeeze_t = (1 - tariff_passthrough) * import_share * dtariff_t / other_net_margin
        growth_t  = other_core_growth + earnings_inflation_beta * (pi_t - target)
                    + ai_productivity_gain + shift_t
        E^o_t     = E^o_{t-1} * exp(growth_t * DT - earnings_unemployment_beta * (U_t - U_{t-1})
                                    - squeeze_t + (c_t - c_{t-1}))
                    (held to EARNINGS_SHARE_BOUNDS x E^o_0 / NGDP_0 x NGDP_t)

    The squeeze is the tariff cost not passed on to prices, as a share of net margin."""
    squeeze = (1.0 - p.tariff_passthrough) * p.import_share * tariff_change / p.other_net_margin
    growth = (p.other_core_growth + p.earnings_inflation_beta * inflation_gap
              + p.ai_productivity_gain + growth_shift)
    return share_bounded(prev_earnings * jnp.exp(
        growth * DT - p.earnings_unemployment_beta * unemployment_change - squeeze
        + cycle_change), init.other_earnings_bn / init.nominal_gdp_bn, ngdp)
