"""Blocks 4-5: AI capex and the capital it installs. Capex follows the scenario's plan less
funding discipline (cash burn, credit spreads and idle capacity); each quarter's capex is a
vintage that depreciates straight-line over its useful life (block 5), with impairments when
a life is cut.

Flows are annualised $bn, book values $bn; arrays (B,) unless noted.
"""

from __future__ import annotations

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues
from .types import DT, SQRT_DT, ScenarioArrays

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("capex_sigma", "capex", 0.0, 1.0, "1/yr", "annualised volatility of capex growth"),
    ParamSpec("discipline_threshold", "capex", 0.0, 10.0, "$/$",
              "AI cash burn (capex - AI gross profit) / platform core earnings tolerated"),
    ParamSpec("discipline_strength", "capex", 0.0, 10.0, "1/yr",
              "capex log-growth lost per unit of smoothed burn above the threshold"),
    ParamSpec("discipline_spread_sensitivity", "capex", 0.0, 200.0, "-",
              "capex log-growth lost per unit of credit spread above its start"),
    ParamSpec("utilisation_discipline", "capex", 0.0, 20.0, "1/yr",
              "capex log-growth lost per unit of utilisation below the glut level (idle"
              " capacity)"),
    ParamSpec("discipline_memory", "capex", 0.0, 0.99, "1/quarter",
              "EWMA weight on past funding pressure ('for several quarters')"),
    ParamSpec("debt_financed_share", "capex", 0.0, 1.0, "fraction",
              "share of AI capex financed with new debt"),
)

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("ai_capex", "$bn/yr", "AI capital expenditure of the platforms, annualised"),
    OutputSpec("depreciation", "$bn/yr", "depreciation of AI capital, annualised"),
    OutputSpec("net_book_value", "$bn", "net book value of AI capital"),
    OutputSpec("impairment", "$bn", "impairment of AI capital booked in the quarter"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""


CAPEX_SHARE_CAP = 0.10
"""AI capex stays at or below 10% of last quarter's nominal GDP (about 1.7% at the start;
all US private non-residential investment is about 14%, the railroads' peak in the 1870s
about 6%): a plan that grows for decades meets the economy that pays for it."""


def capex(p: ParamValues, log_capex, prev_capex, prev_ai_revenue, prev_ai_opex, prev_core_platform,
          prev_pressure, prev_spread, prev_utilisation, planned_growth, spread0, eps,
          prev_ngdp):
    """Block 4. Log AI capex follows the plan less funding discipline:

        burn_t     = (K_{t-1} - (AIrev_{t-1} - AIcost_{t-1})) / core_{t-1}
        pressure_t = memory * pressure_{t-1} + (1 - memory) * max(burn_t - threshold, 0)
        guided_t   = plan_t - strength * pressure_t
                     - spread_sensitivity * max(spread_{t-1} - spread_0, 0)
                     - utilisation_discipline * max(glut_utilisation - u_{t-1}, 0)
        log K_t    = min(log K_{t-1} + guided_t * DT + capex_sigma * sqrt(DT) * eps.capex,
                         log(CAPEX_SHARE_CAP * NGDP_{t-1}))

    (memory = discipline_memory, threshold = discipline_threshold, strength =
    discipline_strength, spread_sensitivity = discipline_spread_sensitivity; core = platform
    core earnings; u = utilisation of AI capacity, block 7). Returns (log K_t, pressure_t,
    guided_t), guided_t the noise-free annual growth that block 10 reads."""
    burn = (prev_capex - (prev_ai_revenue - prev_ai_opex)) / prev_core_platform
    pressure = p.discipline_memory * prev_pressure + (1.0 - p.discipline_memory) * (
        jnp.maximum(burn - p.discipline_threshold, 0.0))
    discipline = (p.discipline_strength * pressure
                  + p.discipline_spread_sensitivity * jnp.maximum(prev_spread - spread0, 0.0)
                  + p.utilisation_discipline * jnp.maximum(
                      p.glut_utilisation - prev_utilisation, 0.0))
    guided = planned_growth - discipline
    log_c = jnp.minimum(log_capex + guided * DT + p.capex_sigma * SQRT_DT * eps,
                        jnp.log(CAPEX_SHARE_CAP * prev_ngdp))
    return log_c, pressure, guided


def depreciation(ring, x: ScenarioArrays):  # x: the quarter's slice (``Quarter.inputs``)
    """Block 5. Depreciation D_t (annualised), impairment I_t ($bn booked in the quarter),
    net book value NBV_t ($bn) and the cost of capital in service S_t ($bn) of AI capital:

        D_t   = (dep_prestart_t + sum_j dep_weights_{t,j} * ring_j) / DT
        I_t   =  imp_prestart_t + sum_j imp_weights_{t,j} * ring_j
        NBV_t =  nbv_prestart_t + sum_j nbv_weights_{t,j} * ring_j
        S_t   =  svc_prestart_t + sum_j svc_weights_{t,j} * ring_j

    ``ring`` (L, B) holds the $bn capex of the vintages installed during the horizon (slot
    tau % L); the pre-start vintages are the same for every draw and enter as per-quarter
    constants. The weights (compiled from the scenario) encode straight-line lives, life
    changes and impairments (``scenarios/compile.py``); a vintage is in service while it is
    inside its (possibly changed) useful life."""
    dep = (x.dep_prestart + jnp.tensordot(x.dep_weights, ring, axes=1)) / DT
    imp = x.imp_prestart + jnp.tensordot(x.imp_weights, ring, axes=1)
    nbv = x.nbv_prestart + jnp.tensordot(x.nbv_weights, ring, axes=1)
    svc = x.svc_prestart + jnp.tensordot(x.svc_weights, ring, axes=1)
    return dep, imp, nbv, svc
