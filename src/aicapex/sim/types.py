"""Array containers of the numeric core: scenario inputs, initial conditions, state.

Shapes use T = quarters in the horizon, B = draws in a block, V = ``N_VINTAGES``,
L = ``ring_length(T)``, G = ``len(MOVE_GRID_BP)``, P = number of parameters, Q = quantile-table
points.
A batch of S scenarios stacks every ``ScenarioArrays`` leaf on a leading axis.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

Array = Any  # a jax.Array or numpy.ndarray

N_VINTAGES = 40
"""Quarters a vintage of capex stays in the accounts: the longest useful life is 10 years."""


def ring_length(horizon: int) -> int:
    """Slots L of the per-draw ring of capex vintages installed during the horizon (vintage
    tau in slot tau % L): one per quarter up to ``N_VINTAGES``. Vintages installed before the
    start are the same for every draw and enter as per-quarter constants instead."""
    return min(horizon, N_VINTAGES)

MOVE_GRID_BP = np.arange(-300, 301, 25)
"""Grid of a quarter's total policy-rate move, bp (up to three meetings of +-100bp)."""

N_NORMALS = 9
"""Correlated normal shocks per draw-quarter, in this order."""
SHOCKS = ("inflation", "term_premium", "gdp", "capex", "ai_revenue", "earnings",
          "valuation", "credit_spread", "log_volatility")
N_UNIFORMS = 2
"""Uniforms per draw-quarter: the Fed's quarterly move, the regime transition."""

PRIOR_Z = np.linspace(-6.0, 6.0, 481)
"""Standard-normal scores at which each prior's quantile function is tabulated."""

REGIMES = ("ramp", "wobble", "bust")


class Initial(NamedTuple):
    """Initial conditions of one scenario (scalars; annual rates, $bn/yr flows)."""

    policy_rate: Array
    inflation: Array
    yield_10y: Array
    nominal_gdp_bn: Array
    capex_bn: Array
    depreciation_bn: Array       # annualised AI depreciation in the quarter before the start
    ai_revenue_bn: Array
    years_to_2030: Array
    hw_china_revenue_bn: Array
    hw_net_margin: Array
    hw_revenue_bn: Array
    platform_earnings_bn: Array  # operating, including the AI P&L at the start
    other_earnings_bn: Array
    pe: Array                    # (3,) hardware, platforms, other 490
    expected_growth: Array       # (3,)
    erp: Array                   # (3,) implied so that the fair P/E at the start is pe
    credit_spread: Array
    ai_debt_bn: Array
    index_level: Array
    volatility: Array


class ScenarioArrays(NamedTuple):
    """One scenario compiled to fixed-shape arrays (all numbers traced, none static)."""

    fed_move_cdf: Array        # (T, G) CDF of the quarter's total move over MOVE_GRID_BP
    tariff_rate: Array         # (T,) effective tariff rate
    tariff_change: Array       # (T,) change of the effective rate in the quarter
    tariff_impulse: Array      # (T,) rate change spread over the pass-through window
    capex_growth: Array        # (T,) planned annual log growth of AI capex (slowdowns included)
    dep_weights: Array         # (T, L) depreciation of each ring slot's cost in quarter t
    imp_weights: Array         # (T, L) impairment of each ring slot's cost in quarter t
    nbv_weights: Array         # (T, L) book value left of each ring slot's cost after quarter t
    dep_prestart: Array        # (T,) $bn depreciation of the pre-start vintages in quarter t
    imp_prestart: Array        # (T,) $bn impairment of the pre-start vintages in quarter t
    nbv_prestart: Array        # (T,) $bn book value of the pre-start vintages after quarter t
    vintage0_bn: Array         # (V,) quarterly capex before the start, vintage tau at tau % V
    life_quarters: Array       # (T,) useful life of vintages installed in quarter t
    life_change_quarters: Array  # (T,) new life applied to all vintages in quarter t, 0 = none
    life0_quarters: Array      # () useful life of the vintages installed before the start
    impair_on_change: Array    # () 1.0 to book an impairment when the life is cut
    china_multiplier: Array    # (T,) multiplier of hardware China revenue
    price_deflation: Array     # (T,) annual log decline of the AI price index
    erp_liquidity: Array       # (T,) reduction of the equity risk premium from liquidity
    term_premium_shift: Array  # (T,) scenario shift of the 10y term premium
    spread_shift: Array        # (T,) scenario shift of the AI credit spread
    earnings_growth_shift: Array  # (T,) annual log growth added to core earnings (consensus)
    years: Array               # (T,) years from the start to the end of quarter t
    shock_chol: Array          # (N_NORMALS, N_NORMALS) Cholesky factor of the shock correlation
    prior_table: Array         # (P, Q) quantile of each parameter at the scores PRIOR_Z
    init: Initial


class State(NamedTuple):
    """State of every draw after a quarter; each leaf has shape (B,) unless noted."""

    policy_rate: Array
    inflation: Array
    term_premium: Array
    nominal_gdp_bn: Array
    log_capex: Array
    capex_bn: Array
    ring_bn: Array          # (L, B) quarterly capex of the horizon's vintages by ring slot
    funding_pressure: Array
    revenue_shock: Array
    log_price: Array
    ai_revenue_bn: Array
    ai_opex_bn: Array
    log_hw_other: Array
    hw_revenue_bn: Array
    hw_margin: Array
    core_platform_bn: Array
    other_earnings_bn: Array
    ai_debt_bn: Array
    spread_shock: Array
    credit_spread: Array
    regime: Array           # int32 index into REGIMES
    log_sv: Array
    log_pe: Array           # (3, B)
    expected_growth: Array  # (3, B)
    smooth_log_earnings: Array  # (3, B) EWMA of log earnings (what expectations follow)
    mcap_bn: Array          # (3, B)
    index_level: Array
    peak: Array
    drawdown: Array
    index_return: Array
    realized_var: Array
    volatility: Array
    stress: Array
