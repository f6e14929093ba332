"""Block 7: AI revenue. Volume follows an adoption S-curve through today's revenue and the
2030 level; a price index deflates with commoditisation; a persistent surprise scales both
revenue and cost.

Flows are annualised $bn; arrays (B,) unless noted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from .types import DT, SQRT_DT, UNBOUNDED, ParamSpec

if TYPE_CHECKING:
    from .parameters import Params
    from .types import Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("ai_revenue_2030_bn", "revenue", 1.0, UNBOUNDED, "$bn/yr",
              "AI revenue run-rate in mid-2030 at constant prices (the S-curve passes through it)"),
    ParamSpec("ai_revenue_ceiling_multiple", "revenue", 1.01, 50.0, "-",
              "S-curve ceiling as a multiple of the 2030 level"),
    ParamSpec("ai_opex_per_revenue", "revenue", 0.0, 3.0, "$/$",
              "AI operating cost per $ of revenue at starting prices"),
    ParamSpec("ai_revenue_sigma", "revenue", 0.0, 2.0, "1/yr",
              "annualised volatility of the AI revenue surprise"),
    ParamSpec("ai_revenue_persistence", "revenue", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the AI revenue surprise"),
)

CEILING_OVER_START = 1.01
"""The S-curve ceiling stays at least 1% above today's revenue (a lower one has no S-curve
through today's level)."""


def s_curve(p: Params, init: Initial, years):
    """Block 7a. Adoption S-curve: volume at starting prices ($bn/yr) ``years`` after the start,

        C     = max(ceiling_multiple * R2030, CEILING_OVER_START * R0)
        a     = C / R0 - 1
        k     = log(a / (C / R2030 - 1)) / years_to_2030
        V(t)  = C / (1 + a * exp(-k * t))

    so V(0) = R0 (today's revenue) and V(years_to_2030) = R2030 (``ai_revenue_2030_bn``)."""
    ceiling = jnp.maximum(p.ai_revenue_ceiling_multiple * p.ai_revenue_2030_bn,
                          CEILING_OVER_START * init.ai_revenue_bn)
    a = ceiling / init.ai_revenue_bn - 1.0
    speed = jnp.log(a / (ceiling / p.ai_revenue_2030_bn - 1.0)) / init.years_to_2030
    return ceiling / (1.0 + a * jnp.exp(-speed * years))


def ai_revenue(p: Params, init: Initial, years, prev_shock, prev_log_price, deflation, eps):
    """Block 7. AI revenue and its operating cost:

        z_t         = ai_revenue_persistence * z_{t-1}
                      + ai_revenue_sigma * sqrt(DT) * eps.ai_revenue
        log P_t     = log P_{t-1} - deflation_t * DT           (price index, P_0 = 1)
        AIrev_t     = V(t) * P_t * exp(z_t)
        AIcost_t    = ai_opex_per_revenue * V(t) * exp(z_t)

    Cost scales with volume, not price, so price deflation (commoditisation) squeezes the AI
    margin. Returns (AIrev_t, AIcost_t, z_t, log P_t)."""
    volume = s_curve(p, init, years)
    shock = p.ai_revenue_persistence * prev_shock + p.ai_revenue_sigma * SQRT_DT * eps
    log_price = prev_log_price - deflation * DT
    surprise = jnp.exp(shock)
    revenue = volume * jnp.exp(log_price) * surprise
    opex = p.ai_opex_per_revenue * volume * surprise
    return revenue, opex, shock, log_price
