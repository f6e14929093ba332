"""Block 9: AI borrowing and credit: the platforms' AI debt and its interest, the AI-borrower
credit spread; and block 14, the financial stress index that the Fed put (block 1) and the
equity risk premium (block 12) read next quarter.

Rates are annual decimals, debt $bn, interest annualised $bn; arrays (B,).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from .types import DT, SQRT_DT, ParamSpec

if TYPE_CHECKING:
    from .parameters import Params
    from .types import Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("spread_persistence", "credit", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the credit-spread shock"),
    ParamSpec("spread_sigma", "credit", 0.0, 0.1, "1/yr", "annualised spread volatility"),
    ParamSpec("spread_leverage_beta", "credit", 0.0, 1.0, "1/yr",
              "spread per unit of AI debt / platform EBITDA above its start"),
    ParamSpec("spread_drawdown_beta", "credit", 0.0, 1.0, "1/yr",
              "spread per unit of index drawdown"),
)

SPREAD_FLOOR = 0.0005
"""The AI-borrower spread stays above 5bp."""
STRESS_SPREAD_UNIT = 0.005
"""A unit of stress is 50bp of spread, ..."""
STRESS_VOL_UNIT = 0.05
"""... 5 points of volatility, ..."""
STRESS_DRAWDOWN_UNIT = 0.10
"""... or a 10% drawdown."""


def ai_debt(p: Params, prev_debt, prev_spread, y, capex_bn):
    """Block 9a. Interest on last quarter's AI debt and the new debt:

        interest_t = Debt_{t-1} * (y_t + spread_{t-1})
        Debt_t     = Debt_{t-1} + debt_financed_share * K_t * DT

    Returns (interest_t, Debt_t)."""
    interest = prev_debt * (y + prev_spread)
    debt = prev_debt + p.debt_financed_share * capex_bn * DT
    return interest, debt


def credit(p: Params, init: Initial, prev_shock, debt, earnings, dep, prev_drawdown, shift,
           eps):
    """Block 9b. The AI-borrower credit spread:

        x_t      = spread_persistence * x_{t-1} + spread_sigma * sqrt(DT) * eps.credit_spread
        lev_t    = Debt_t / max(E^pl_t + D_t, 1)       (debt / earnings before AI depreciation)
        s_t      = max(s_0 + x_t + shift_t + spread_leverage_beta * (lev_t - lev_0)
                       + spread_drawdown_beta * DD_{t-1},  SPREAD_FLOOR)

    Returns (s_t, x_t)."""
    shock = p.spread_persistence * prev_shock + p.spread_sigma * SQRT_DT * eps
    leverage = debt / jnp.maximum(earnings + dep, 1.0)
    leverage0 = init.ai_debt_bn / (init.platform_earnings_bn + init.depreciation_bn)
    spread = init.credit_spread + shock + shift + p.spread_leverage_beta * (
        leverage - leverage0) + p.spread_drawdown_beta * prev_drawdown
    return jnp.maximum(spread, SPREAD_FLOOR), shock


def stress_index(p: Params, init: Initial, spread, vol, drawdown):
    """Block 14. Financial stress, about 0 in a calm ramp:

        stress_t = ((s_t - s_0) / 50bp + (vol_t - vol_ramp) / 5pp + DD_t / 10%) / 3"""
    return ((spread - init.credit_spread) / STRESS_SPREAD_UNIT
            + (vol - p.vol_ramp) / STRESS_VOL_UNIT + drawdown / STRESS_DRAWDOWN_UNIT) / 3.0
