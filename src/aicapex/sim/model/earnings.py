"""Block 8: earnings of the three groups of the S&P 500. 8a the AI hardware suppliers
(NVDA, AVGO, AMD), 8b the platforms (the other Mag-10), 8c the other 490.

Earnings are annualised net $bn; arrays (B,). Platforms and the other 490 draw on one shared
earnings shock (``Shocks.earnings``); the hardware group has no shock of its own (its revenue
follows capex).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from .types import DT, SQRT_DT, ParamSpec

if TYPE_CHECKING:
    from .parameters import Params
    from .types import Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    # block 8a: AI hardware suppliers
    ParamSpec("chip_share_of_capex", "hardware", 0.0, 1.0, "fraction",
              "share of AI capex spent with the hardware suppliers"),
    ParamSpec("hw_margin_floor", "hardware", 0.0, 0.9, "fraction",
              "net margin competition erodes towards"),
    ParamSpec("hw_margin_erosion", "hardware", 0.0, 5.0, "1/yr",
              "speed at which the hardware margin decays to the floor"),
    ParamSpec("hw_operating_leverage", "hardware", 0.0, 3.0, "-",
              "margin change per unit log change in hardware revenue"),
    ParamSpec("other_demand_growth", "hardware", -1.0, 2.0, "1/yr",
              "log growth of hardware revenue outside platform capex (sovereign, neocloud,"
              " non-AI)"),
    # blocks 8b and 8c: platforms and the other 490
    ParamSpec("platform_core_growth", "earnings", -0.5, 1.0, "1/yr",
              "trend growth of platform earnings excluding AI"),
    ParamSpec("other_core_growth", "earnings", -0.5, 1.0, "1/yr",
              "trend earnings growth of the other 490"),
    ParamSpec("other_gdp_leverage", "earnings", 0.0, 10.0, "-",
              "other-490 earnings growth per unit of nominal GDP growth above trend"),
    ParamSpec("other_net_margin", "earnings", 0.01, 1.0, "fraction",
              "net margin of the other 490 (scales the tariff margin squeeze)"),
    ParamSpec("earnings_sigma", "earnings", 0.0, 1.0, "1/yr",
              "annualised volatility of core earnings growth"),
    ParamSpec("tax_rate", "earnings", 0.0, 1.0, "fraction", "tax rate on AI profit and loss"),
    ParamSpec("ai_productivity_gain", "earnings", -0.05, 0.10, "1/yr",
              "AI productivity gain added to other-490 earnings growth and (half) to GDP"),
)

HW_MARGIN_BOUNDS = (0.02, 0.85)
"""Hardware net margin stays in [2%, 85%]."""


def hardware(p: Params, init: Initial, capex_bn, prev_log_other, prev_hw_revenue, prev_margin,
             china_multiplier):
    """Block 8a. AI hardware suppliers' revenue and earnings:

        log O_t  = log O_{t-1} + other_demand_growth * DT         (demand beyond platform capex)
        HW_t     = chip_share_of_capex * K_t + O_t + China_0 * china_multiplier_t
        m_t      = clip(m_{t-1} + (hw_margin_floor - m_{t-1}) * (1 - exp(-hw_margin_erosion * DT))
                        + hw_operating_leverage * log(HW_t / HW_{t-1}),  HW_MARGIN_BOUNDS)
        E^hw_t   = m_t * HW_t

    Returns (HW_t, E^hw_t, log O_t, m_t)."""
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
    """Block 8b. Platforms' earnings: core (non-AI) earnings grow with nominal GDP; the
    after-tax AI P&L is added; GAAP also books the impairment:

        core_t   = core_{t-1} * exp((platform_core_growth + (g_t + pi_t) - (gdp_trend + target)
                                     + shift_t) * DT + earnings_sigma * sqrt(DT) * eps.earnings)
        E^pl_t   = core_t + (1 - tax_rate) * (AIrev_t - AIcost_t - D_t - interest_t)
        GAAP_t   = E^pl_t - (1 - tax_rate) * I_t / DT

    Returns (core_t, E^pl_t, GAAP_t)."""
    core = prev_core * jnp.exp((p.platform_core_growth + nominal_growth - nominal_trend
                                + growth_shift) * DT + p.earnings_sigma * SQRT_DT * eps)
    operating = core + (1.0 - p.tax_rate) * (ai_revenue_bn - ai_opex_bn - dep - interest)
    gaap = operating - (1.0 - p.tax_rate) * imp / DT
    return core, operating, gaap


def other_490(p: Params, prev_earnings, nominal_growth, nominal_trend, growth_shift,
              tariff_change, eps):
    """Block 8c. The other 490's earnings:

        squeeze_t = (1 - tariff_passthrough) * import_share * dtariff_t / other_net_margin
        growth_t  = other_core_growth + other_gdp_leverage * ((g_t + pi_t) - (gdp_trend + target))
                    + ai_productivity_gain + shift_t
        E^o_t     = E^o_{t-1} * exp(growth_t * DT - squeeze_t
                                + earnings_sigma * sqrt(DT) * eps.earnings)

    The squeeze is the tariff cost not passed on to prices, as a share of net margin."""
    squeeze = (1.0 - p.tariff_passthrough) * p.import_share * tariff_change / p.other_net_margin
    growth = p.other_core_growth + p.other_gdp_leverage * (nominal_growth - nominal_trend) + (
        p.ai_productivity_gain) + growth_shift
    return prev_earnings * jnp.exp(growth * DT - squeeze + p.earnings_sigma * SQRT_DT * eps)
