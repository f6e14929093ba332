"""The model's per-draw parameters: names, hard bounds and units.

Every number the quarterly step uses that is not a scenario path or an initial condition is a
parameter here. Each draw samples one value per parameter from its prior (see
``aicapex.calibration.priors``); scenarios may override any prior. The hard bounds are where
the model stays defined (a probability in [0, 1], a persistence below 1); samples are clipped
to them and a prior whose support leaves them is rejected at validation.

Rates are annual decimals, flows annualised $bn, time steps one quarter (``DT`` years).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

DT = 0.25
"""Length of a step, years."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    section: str
    lo: float
    hi: float
    unit: str
    doc: str


_INF = 1e12

PARAMETERS: tuple[ParamSpec, ...] = (
    # --- policy rate
    ParamSpec("neutral_rate", "fed", 0.0, 0.15, "1/yr", "nominal neutral policy rate"),
    ParamSpec("policy_pull", "fed", 0.0, 1.0, "1/quarter",
              "share of the gap to the rule rate closed each quarter, on top of meeting moves"),
    ParamSpec("taylor_weight", "fed", 0.0, 5.0, "-",
              "rule rate = neutral + weight x (inflation - target); tariff inflation cuts cuts"),
    ParamSpec("fed_put_threshold", "fed", 0.0, 50.0, "stress units",
              "stress index above which the Fed adds emergency cuts"),
    ParamSpec("fed_put_cut", "fed", 0.0, 0.05, "1/yr",
              "extra cut per quarter while stress is above the threshold (0 = no Fed put)"),
    # --- inflation
    ParamSpec("inflation_target", "inflation", 0.0, 0.10, "1/yr", "inflation target"),
    ParamSpec("inflation_persistence", "inflation", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the inflation gap"),
    ParamSpec("inflation_sigma", "inflation", 0.0, 0.10, "1/yr",
              "annualised volatility of inflation shocks"),
    ParamSpec("tariff_passthrough", "tariffs", 0.0, 1.0, "fraction",
              "share of the tariff cost passed to consumer prices (the rest squeezes margins)"),
    ParamSpec("import_share", "tariffs", 0.0, 1.0, "fraction of GDP", "imports / GDP"),
    ParamSpec("tariff_gdp_drag", "tariffs", 0.0, 5.0, "-",
              "growth lost per unit of tariff-rate rise, spread like the pass-through"),
    # --- long rates
    ParamSpec("long_rate_beta", "rates", 0.0, 1.5, "-",
              "10y response to the policy rate's deviation from neutral"),
    ParamSpec("term_premium_mean", "rates", -0.03, 0.06, "1/yr", "mean term premium"),
    ParamSpec("term_premium_persistence", "rates", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the term premium"),
    ParamSpec("term_premium_sigma", "rates", 0.0, 0.05, "1/yr",
              "annualised volatility of the term premium"),
    # --- growth
    ParamSpec("gdp_trend", "gdp", -0.05, 0.10, "1/yr", "trend real GDP growth"),
    ParamSpec("capex_gdp_multiplier", "gdp", 0.0, 3.0, "-",
              "GDP multiplier of the change in AI capex (net of imported chips)"),
    ParamSpec("rate_gdp_drag", "gdp", 0.0, 3.0, "-",
              "growth lost per unit of real policy rate above real neutral (lagged)"),
    ParamSpec("wealth_effect", "gdp", 0.0, 0.3, "-",
              "annualised growth per unit of last quarter's index log return, x4"),
    ParamSpec("gdp_sigma", "gdp", 0.0, 0.2, "1/yr", "annualised volatility of growth shocks"),
    # --- AI capex
    ParamSpec("capex_sigma", "capex", 0.0, 1.0, "1/yr", "annualised volatility of capex growth"),
    ParamSpec("discipline_threshold", "capex", 0.0, 10.0, "$/$",
              "AI cash burn (capex - AI gross profit) / platform core earnings tolerated"),
    ParamSpec("discipline_strength", "capex", 0.0, 10.0, "1/yr",
              "capex log-growth lost per unit of smoothed burn above the threshold"),
    ParamSpec("discipline_spread_sensitivity", "capex", 0.0, 200.0, "-",
              "capex log-growth lost per unit of credit spread above its start"),
    ParamSpec("discipline_memory", "capex", 0.0, 0.99, "1/quarter",
              "EWMA weight on past funding pressure ('for several quarters')"),
    ParamSpec("debt_financed_share", "capex", 0.0, 1.0, "fraction",
              "share of AI capex financed with new debt"),
    # --- AI revenue
    ParamSpec("ai_revenue_2030_bn", "revenue", 1.0, _INF, "$bn/yr",
              "AI revenue run-rate in mid-2030 at constant prices (the S-curve passes through it)"),
    ParamSpec("ai_revenue_ceiling_multiple", "revenue", 1.01, 50.0, "-",
              "S-curve ceiling as a multiple of the 2030 level"),
    ParamSpec("ai_opex_per_revenue", "revenue", 0.0, 3.0, "$/$",
              "AI operating cost per $ of revenue at starting prices"),
    ParamSpec("ai_revenue_sigma", "revenue", 0.0, 2.0, "1/yr",
              "annualised volatility of the AI revenue surprise"),
    ParamSpec("ai_revenue_persistence", "revenue", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the AI revenue surprise"),
    # --- AI hardware suppliers
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
    # --- earnings
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
    # --- credit and stress
    ParamSpec("spread_persistence", "credit", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the credit-spread shock"),
    ParamSpec("spread_sigma", "credit", 0.0, 0.1, "1/yr", "annualised spread volatility"),
    ParamSpec("spread_leverage_beta", "credit", 0.0, 1.0, "1/yr",
              "spread per unit of AI debt / platform EBITDA above its start"),
    ParamSpec("spread_drawdown_beta", "credit", 0.0, 1.0, "1/yr",
              "spread per unit of index drawdown"),
    # --- valuation
    ParamSpec("pe_mean_reversion", "valuation", 0.0, 1.0, "1/quarter",
              "share of the gap of log P/E to its fair value closed each quarter"),
    ParamSpec("erp_stress_beta", "valuation", 0.0, 0.1, "1/yr",
              "equity risk premium per unit of stress"),
    ParamSpec("pe_max", "valuation", 5.0, 1000.0, "x",
              "largest fair P/E (floors the fair-multiple denominator at 1/pe_max)"),
    ParamSpec("growth_expectation_speed", "valuation", 0.0, 1.0, "1/quarter",
              "speed at which expected growth adapts to realised earnings growth"),
    ParamSpec("expected_growth_cap", "valuation", 0.0, 0.5, "1/yr",
              "upper bound of long-run expected earnings growth"),
    ParamSpec("regime_jump", "valuation", 0.0, 1.0, "fraction",
              "share of a regime's valuation premium applied at once when the regime changes"),
    ParamSpec("capex_reflex", "valuation", 0.0, 20.0, "$/$",
              "market cap added to platforms per $ of capex increase, in the ramp regime"),
    ParamSpec("premium_wobble_ai", "valuation", -3.0, 3.0, "log",
              "log P/E premium of AI groups in wobble (ramp = 0)"),
    ParamSpec("premium_bust_ai", "valuation", -3.0, 3.0, "log",
              "log P/E premium of AI groups in bust"),
    ParamSpec("premium_wobble_other", "valuation", -3.0, 3.0, "log",
              "log P/E premium of the other 490 in wobble"),
    ParamSpec("premium_bust_other", "valuation", -3.0, 3.0, "log",
              "log P/E premium of the other 490 in bust"),
    ParamSpec("beta_hw", "valuation", 0.0, 5.0, "-", "loading of hardware P/E on the market shock"),
    ParamSpec("beta_platforms", "valuation", 0.0, 5.0, "-",
              "loading of platform P/E on the market shock"),
    ParamSpec("beta_other", "valuation", 0.0, 5.0, "-",
              "loading of other-490 P/E on the market shock"),
    # --- volatility
    ParamSpec("vol_ramp", "volatility", 0.0, 2.0, "1/yr", "market volatility in ramp"),
    ParamSpec("vol_wobble", "volatility", 0.0, 2.0, "1/yr", "market volatility in wobble"),
    ParamSpec("vol_bust", "volatility", 0.0, 2.0, "1/yr", "market volatility in bust"),
    ParamSpec("sv_persistence", "volatility", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of log stochastic volatility"),
    ParamSpec("sv_sigma", "volatility", 0.0, 2.0, "-", "volatility of log volatility, per quarter"),
    # --- narrative regime
    ParamSpec("p_ramp_to_wobble", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_wobble_to_bust", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_wobble_to_ramp", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_bust_to_wobble", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("fragility_gap", "regime", 0.0, 20.0, "-",
              "logit shift per unit fall of log(AI revenue / AI capex) from its start"),
    ParamSpec("fragility_capex", "regime", 0.0, 20.0, "-",
              "logit shift per unit fall of annualised capex growth below 10%"),
    ParamSpec("fragility_spread", "regime", 0.0, 20.0, "-",
              "logit shift per 100bp of credit spread above its start"),
    ParamSpec("fragility_real_yield", "regime", 0.0, 20.0, "-",
              "logit shift per 100bp of real 10y yield above its start"),
)

PARAM_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
PARAM_INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAM_NAMES)}
N_PARAMS = len(PARAMETERS)

Params = namedtuple("Params", PARAM_NAMES)
Params.__doc__ = "Per-draw parameter values, one array of shape (draw,) per field; see PARAMETERS."


def params_from_matrix(matrix) -> Params:
    """Split a (N_PARAMS, draw) array into a ``Params`` of (draw,) rows."""
    return Params(*(matrix[i] for i in range(N_PARAMS)))
