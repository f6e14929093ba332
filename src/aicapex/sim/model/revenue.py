"""Block 7: AI revenue. Demand (volume at starting prices) follows an adoption S-curve
through today's revenue and the 2030 level with a persistent surprise; the volume served is
capped by the capacity of the AI capital in service; idle capacity (a glut) and
commoditisation push the price index down, never below the unit cost of serving.

Flows are annualised $bn; arrays (B,) unless noted.
"""

from __future__ import annotations

import math

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues, PathSpec
from .types import DT, SQRT_DT, Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("ai_revenue_2030_bn", "revenue", 1.0, 30_000.0, "$bn/yr",
              "AI revenue run-rate in mid-2030 at constant prices (the S-curve passes through it)"),
    ParamSpec("ai_revenue_ceiling_multiple", "revenue", 1.01, 50.0, "-",
              "S-curve ceiling as a multiple of the 2030 level"),
    ParamSpec("ai_opex_per_revenue", "revenue", 0.0, 3.0, "$/$",
              "AI operating cost per $ of revenue at starting prices"),
    ParamSpec("ai_revenue_sigma", "revenue", 0.0, 2.0, "1/yr",
              "annualised volatility of the AI revenue surprise"),
    ParamSpec("ai_revenue_persistence", "revenue", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the AI revenue surprise"),
    ParamSpec("start_utilisation", "revenue", 0.05, 1.0, "fraction",
              "AI demand / capacity at the start (1 = every GPU busy)"),
    ParamSpec("capacity_growth", "revenue", 0.0, 3.0, "1/yr",
              "log growth of the volume $1 of capital in service can serve (hardware"
              " efficiency and the shift from training to serving)"),
    ParamSpec("glut_utilisation", "revenue", 0.0, 1.0, "fraction",
              "utilisation below which idle capacity cuts prices and capex"),
    ParamSpec("glut_price_beta", "revenue", 0.0, 5.0, "1/yr",
              "annual log price decline per unit of utilisation below the glut level"),
    ParamSpec("unit_cost_decline", "revenue", 0.0, 1.0, "1/yr",
              "annual log decline of the cost of serving a unit of volume"),
)

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("ai_capacity", "$bn/yr",
               "AI volume the capital in service can serve, at starting prices"),
    OutputSpec("utilisation", "1", "AI demand served / capacity", (0.0, 1.0)),
    OutputSpec("ai_revenue", "$bn/yr", "AI revenue, annualised"),
    OutputSpec("ai_opex", "$bn/yr", "AI operating cost, annualised"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

PATHS: tuple[PathSpec, ...] = (
    PathSpec("price_deflation", "revenue", "price_deflation", -0.5, 1.0, "1/yr",
             "annual fall in AI prices per unit of capacity, a decimal (block 7)",
             "an AI price deflation rate", shock="AI price decline (an AI-revenue shortfall)",
             shock_scale=0.05, shock_scale_why="assumption: 5pp a year of extra AI price decline"),
)
"""The scenario paths the blocks of this module read (``catalog.ScenarioPaths``)."""

CAPACITY_GAIN_CAP = 20.0
"""The volume $1 of capital serves grows at most e^20 (about 5e8) times today's: far past any
hardware roadmap (price-performance doubling every two years gives 3e7 in fifty years), and
what keeps capacity finite when ``capacity_growth`` is at its bound for fifty years."""

REVENUE_SHOCK_BOUND = 3.0
"""The AI revenue surprise z stays in [-3, 3] (demand within a factor e^3, about 20, of the
S-curve either way), however volatile and persistent its draw."""

AI_DEMAND_SHARE_CAP = 0.25
"""AI demand, in volume at starting prices, stays at or below a quarter of nominal GDP (all
US software and IT services are about 5-10%; the 2030 figure of the sources is about 5%)."""

PRICE_CAP = 3.0
"""The AI price stays at or below three times today's (a negative deflation path raises it,
and fifty years of it would compound without limit)."""

CEILING_OVER_START = 1.01
"""The S-curve ceiling stays at least 1% above today's revenue (a lower one has no S-curve
through today's level)."""


def s_curve(p: ParamValues, init: Initial, years):
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


def capacity(p: ParamValues, init: Initial, years, in_service):
    """Block 7b. Volume the AI capital in service can serve ($bn/yr at starting prices):

        C_t = AIrev_0 / start_utilisation * (S_t / S_0)
              * exp(min(capacity_growth * t, CAPACITY_GAIN_CAP))

    S_t is the cost of the capital in service (block 5), S_0 that of the quarter before the
    start."""
    return (init.ai_revenue_bn / p.start_utilisation * (in_service / init.in_service_bn)
            * jnp.exp(jnp.minimum(p.capacity_growth * years, CAPACITY_GAIN_CAP)))


def ai_revenue(p: ParamValues, init: Initial, years, prev_shock, prev_log_price, deflation,
               capacity_bn, eps, ngdp):
    """Block 7. AI revenue, its operating cost and the utilisation of capacity:

        z_t      = clip(ai_revenue_persistence * z_{t-1} + ai_revenue_sigma * sqrt(DT) * eps,
                        -REVENUE_SHOCK_BOUND, REVENUE_SHOCK_BOUND)
        Q_t      = min(V(t) * exp(z_t), AI_DEMAND_SHARE_CAP * NGDP_t, C_t)  (volume served)
        u_t      = Q_t / C_t     (0 when no capital is in service)
        c_t      = ai_opex_per_revenue * exp(-unit_cost_decline * t)   (unit cost)
        log P_t  = clip(log P_{t-1} - (deflation_t + glut_price_beta
                                       * max(glut_utilisation - u_t, 0)) * DT,
                        log c_t, log PRICE_CAP)
        AIrev_t  = Q_t * P_t,   AIcost_t = Q_t * c_t

    Competition takes the price (P_0 = 1) down with the scenario's deflation and with idle
    capacity, but not below the unit cost, so the AI gross margin is never negative and the
    AI loss is at most depreciation plus interest. Returns (AIrev_t, AIcost_t, z_t, log P_t,
    u_t)."""
    shock = jnp.clip(p.ai_revenue_persistence * prev_shock + p.ai_revenue_sigma * SQRT_DT * eps,
                     -REVENUE_SHOCK_BOUND, REVENUE_SHOCK_BOUND)
    demand = jnp.minimum(s_curve(p, init, years) * jnp.exp(shock), AI_DEMAND_SHARE_CAP * ngdp)
    served = jnp.minimum(demand, capacity_bn)
    utilisation = jnp.where(capacity_bn > 0.0, served / jnp.where(capacity_bn > 0.0,
                                                                   capacity_bn, 1.0), 0.0)
    log_cost = jnp.log(p.ai_opex_per_revenue) - p.unit_cost_decline * years
    glut = p.glut_price_beta * jnp.maximum(p.glut_utilisation - utilisation, 0.0)
    log_price = jnp.minimum(jnp.maximum(prev_log_price - (deflation + glut) * DT, log_cost),
                            math.log(PRICE_CAP))
    revenue = served * jnp.exp(log_price)
    opex = served * jnp.exp(log_cost)
    return revenue, opex, shock, log_price, utilisation
