"""Block 9: AI borrowing and credit: the platforms' AI debt and its interest, the economy-wide
corporate spread and the AI-borrower spread on top of it; and block 14, the financial stress
index that the Fed put (block 1) and the equity risk premium (block 12) read next quarter.

Rates are annual decimals, debt $bn, interest annualised $bn; arrays (B,).
"""

from __future__ import annotations

import math

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues, PathSpec
from .types import DT, SQRT_DT, Initial, pinned

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("spread_persistence", "credit", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the economy-wide credit-spread shock"),
    ParamSpec("spread_sigma", "credit", 0.0, 0.1, "1/yr",
              "annualised volatility of the economy-wide spread"),
    ParamSpec("spread_leverage_beta", "credit", 0.0, 1.0, "1/yr",
              "spread per unit of AI debt / platform EBITDA above its start"),
    ParamSpec("spread_drawdown_beta", "credit", 0.0, 1.0, "1/yr",
              "economy-wide spread per unit of index drawdown"),
    ParamSpec("unwind_spread_beta", "credit", 0.0, 0.5, "1/yr",
              "spread per unit share of the hardware order book whose buyers cannot fund it"),
)

SPREAD_FLOOR = 0.0005
"""The AI-borrower spread stays above 5bp ..."""
SPREAD_CAP = 0.10
"""... and below 10pp: three times the widest Moody's BAA-AAA spread since 1950 (3.4pp,
2008Q4) and about the US high-yield index's widest (~20pp in Dec 2008) halved, for borrowers
that are investment-grade platforms today."""

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("credit_spread", "1/yr", "credit spread of AI borrowers (annual decimal)",
               (SPREAD_FLOOR, SPREAD_CAP)),
    OutputSpec("economy_spread", "1/yr",
               "economy-wide corporate credit spread, BAA - AAA (annual decimal)",
               (SPREAD_FLOOR, SPREAD_CAP)),
    OutputSpec("stress", "stress units",
               "financial stress index (0 at the start; mean of spread, "
               "vol, drawdown in units of 50bp, 5 vol points, 10%)"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

PATHS: tuple[PathSpec, ...] = (
    PathSpec("spread_shift", "credit", "spread_shift", -0.02, 0.10, "1/yr",
             "added to AI borrowers' credit spread, an annual decimal (0.015 = 150bp; block 9b)",
             "a credit-spread shift", shock="AI credit spread", shock_scale=0.01,
             shock_scale_why="assumption: 100bp"),
    PathSpec("economy_spread_shift", "credit", "economy_spread_shift", -0.02, 0.10, "1/yr",
             "added to the economy-wide (BAA - AAA) spread, and so to AI borrowers' as well "
             "(block 9b)", "an economy-wide spread shift"),
    PathSpec("pin_economy_spread", "pin", "economy_spread", 0.0, 0.1, "1/yr",
             "the economy-wide (BAA - AAA) spread, in place of block 9b's; AI borrowers' "
             "spread keeps its premium over it", "a pinned economy-wide spread",
             default=float("nan"), pin=True),
)
"""The scenario paths the blocks of this module read (``catalog.ScenarioPaths``)."""

LEVERAGE_EBITDA_FLOOR = 0.25
"""Leverage divides by earnings before AI depreciation floored at 25% of their start, so a
loss-making AI business gives a high, not an infinite or negative, leverage."""
STRESS_SPREAD_UNIT = 0.005
"""A unit of stress is 50bp of spread, ..."""
STRESS_VOL_UNIT = 0.05
"""... 5 points of volatility, ..."""
STRESS_DRAWDOWN_UNIT = 0.10
"""... or a 10% drawdown."""


def ai_debt(p: ParamValues, prev_debt, prev_spread, y, capex_bn):
    """Block 9a. Interest on last quarter's AI debt and the new debt:

        interest_t = Debt_{t-1} * (y_t + spread_{t-1})
        Debt_t     = Debt_{t-1} + debt_financed_share * K_t * DT

    Returns (interest_t, Debt_t)."""
    interest = prev_debt * (y + prev_spread)
    debt = prev_debt + p.debt_financed_share * capex_bn * DT
    return interest, debt


def economy_spread(p: ParamValues, init: Initial, prev_shock, prev_drawdown, shift, eps,
                   pin=math.nan):
    """Block 9b (economy). The economy-wide corporate spread (Moody's BAA - AAA), an AR(1)
    around its start that widens with the index's drawdown:

        x_t = spread_persistence * x_{t-1} + spread_sigma * sqrt(DT) * eps.credit_spread
        e_t = clip(e_0 + x_t + shift_t + spread_drawdown_beta * DD_{t-1},
                   SPREAD_FLOOR, SPREAD_CAP)

    ``shift_t`` is ``credit.economy_spread_shift``; a pinned quarter (``pin.economy_spread``)
    sets e_t to the pin and x_t to what the pin implies, from which the AR(1) goes on.
    Returns (e_t, x_t)."""
    shock = p.spread_persistence * prev_shock + p.spread_sigma * SQRT_DT * eps
    anchor = init.economy_spread + shift + p.spread_drawdown_beta * prev_drawdown
    shock = pinned(shock, pin - anchor)
    return jnp.clip(anchor + shock, SPREAD_FLOOR, SPREAD_CAP), shock


def credit(p: ParamValues, init: Initial, economy, debt, earnings, dep, shift, unwind=0.0):
    """Block 9b (AI). The AI-borrower credit spread, the economy-wide spread plus the AI
    borrowers' premium at the start and what moves it since:

        lev_t = Debt_t / max(E^pl_t + D_t, LEVERAGE_EBITDA_FLOOR * (E^pl_0 + D^rep_0))
        s_t   = clip(s_0 + (e_t - e_0) + shift_t + spread_leverage_beta * (lev_t - lev_0)
                     + unwind_spread_beta * u_t, SPREAD_FLOOR, SPREAD_CAP)

    u_t: the share of the hardware order book whose buyers cannot fund it (block 8a): AI
    lenders reprice the sector's credit while it lasts."""
    shift = shift + p.unwind_spread_beta * unwind  # repricing while orders stay unfunded
    ebitda0 = init.platform_earnings_bn + init.reported_depreciation_bn
    leverage = debt / jnp.maximum(earnings + dep, LEVERAGE_EBITDA_FLOOR * ebitda0)
    spread = init.credit_spread + (economy - init.economy_spread) + shift + (
        p.spread_leverage_beta * (leverage - init.ai_debt_bn / ebitda0))
    return jnp.clip(spread, SPREAD_FLOOR, SPREAD_CAP)


def stress_index(p: ParamValues, init: Initial, spread, vol, drawdown):
    """Block 14. Financial stress, about 0 in a calm ramp:

        stress_t = ((s_t - s_0) / 50bp + (vol_t - vol_ramp) / 5pp + DD_t / 10%) / 3"""
    return ((spread - init.credit_spread) / STRESS_SPREAD_UNIT
            + (vol - p.vol_ramp) / STRESS_VOL_UNIT + drawdown / STRESS_DRAWDOWN_UNIT) / 3.0
