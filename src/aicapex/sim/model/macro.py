"""Blocks 1-3 and 6: the macro economy. The Fed's policy rate, inflation, the 10-year yield,
real GDP growth, the output gap and unemployment.

Rates are annual decimals, one step is ``DT`` years; every array is (B,) (draws) unless noted,
with the quarter's scenario inputs broadcast against it.
"""

from __future__ import annotations

import math

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues, PathSpec
from .types import DT, MOVE_GRID_BP, SQRT_DT, pinned

PARAMETERS: tuple[ParamSpec, ...] = (
    # block 1: policy rate
    ParamSpec("neutral_rate", "fed", 0.0, 0.15, "1/yr", "nominal neutral policy rate"),
    ParamSpec("policy_pull", "fed", 0.0, 1.0, "1/quarter",
              "share of the gap to the rule rate closed each quarter once the market's "
              "priced meetings are past (1 - the rule's inertia)"),
    ParamSpec("taylor_weight", "fed", 0.0, 5.0, "-",
              "rule rate = neutral + weight x (inflation - target); tariff inflation cuts cuts"),
    ParamSpec("unemployment_reaction", "fed", 0.0, 5.0, "-",
              "cut in the policy rate per unit rise of unemployment last quarter, once the "
              "market's priced meetings are past (a 1pp rise: this many pp of cuts)"),
    ParamSpec("effective_lower_bound", "fed", 0.0, 0.05, "1/yr",
              "the policy rate no cut goes below"),
    ParamSpec("fed_put_threshold", "fed", 0.0, 50.0, "stress units",
              "stress index above which the Fed adds emergency cuts"),
    ParamSpec("fed_put_cut", "fed", 0.0, 0.05, "1/yr",
              "extra cut per quarter while stress is above the threshold, priced meetings "
              "or not (0 = no Fed put)"),
    # block 2: inflation (and the tariff channel of blocks 2, 6 and 8c)
    ParamSpec("inflation_target", "inflation", 0.0, 0.10, "1/yr", "inflation target"),
    ParamSpec("inflation_persistence", "inflation", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the inflation gap"),
    ParamSpec("inflation_sigma", "inflation", 0.0, 0.10, "1/yr",
              "annualised volatility of inflation shocks"),
    ParamSpec("phillips_slope", "inflation", 0.0, 0.3, "1/yr per unit gap",
              "annualised core inflation added per unit of last quarter's output gap"),
    ParamSpec("tariff_passthrough", "tariffs", 0.0, 1.0, "fraction",
              "share of the tariff cost passed to consumer prices (the rest squeezes margins)"),
    ParamSpec("import_share", "tariffs", 0.0, 1.0, "fraction of GDP", "imports / GDP"),
    ParamSpec("tariff_gdp_drag", "tariffs", 0.0, 5.0, "-",
              "growth lost per unit of tariff-rate rise, spread like the pass-through"),
    # block 3: the 10-year yield
    ParamSpec("long_rate_beta", "rates", 0.0, 1.5, "-",
              "10y response to the policy rate's deviation from neutral"),
    ParamSpec("term_premium_mean", "rates", -0.03, 0.06, "1/yr", "mean term premium"),
    ParamSpec("term_premium_persistence", "rates", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of the term premium"),
    ParamSpec("term_premium_sigma", "rates", 0.0, 0.05, "1/yr",
              "annualised volatility of the term premium"),
    # block 6: real GDP growth
    ParamSpec("gdp_trend", "gdp", -0.05, 0.10, "1/yr", "trend real GDP growth"),
    ParamSpec("capex_gdp_multiplier", "gdp", 0.0, 3.0, "-",
              "GDP multiplier of the change in AI capex (net of imported chips)"),
    ParamSpec("rate_gdp_drag", "gdp", 0.0, 1.5, "-",
              "growth lost per unit of real policy rate above real neutral (lagged)"),
    ParamSpec("wealth_effect", "gdp", 0.0, 0.1, "-",
              "annualised growth per unit of last quarter's annualised index log return "
              "beyond the long-run growth of prices"),
    ParamSpec("gdp_sigma", "gdp", 0.0, 0.2, "1/yr", "annualised volatility of growth shocks"),
    ParamSpec("gap_persistence", "gdp", 0.0, 0.999, "1/quarter",
              "share of the output gap left after a quarter (potential output catches up)"),
    ParamSpec("okun_coefficient", "gdp", 0.5, 5.0, "-",
              "output gap per unit of unemployment below its natural rate (Okun's law)"),
    ParamSpec("natural_unemployment", "gdp", 0.0, 0.2, "fraction",
              "unemployment rate at a zero output gap"),
)

UNEMPLOYMENT_BOUNDS = (0.01, 0.30)
"""Unemployment stays in [1%, 30%]: the Great Depression's peak was about 25%, the lowest US
rate on record 1.2% (1944). The output gap is held to what Okun's law gives at these bounds,
so a GDP path, however deep or long, moves output a bounded distance from potential and the
earnings that follow it (block 8c) stay finite."""

GROWTH_BOUNDS = (-0.40, 0.40)
"""Real GDP growth, annualised, stays in [-40%, +40%] (2020Q2: -28%, 2020Q3: +34%); the
range a pin may set."""

CORE_INFLATION_BOUNDS = (-0.10, 0.25)
"""Core inflation, annualised, stays in [-10%, +25%] (US CPI: -10% in 1932, ~20% in 1947 and
1980); no Phillips curve or deflation spiral leaves it. The range a pin may set."""

INFLATION_BOUNDS = (-0.15, 0.60)
"""Headline inflation, annualised, stays in [-15%, +60%]: core inflation's range plus a
tariff's pass-through up to 35 points a year (a 100-point rise of the effective tariff rate,
an 11% import share fully passed on over a year adds 11; a larger jump moves the price level
by more than the model's linear pass-through is good for)."""

POLICY_RATE_CAP = 0.25
"""The policy rate stays at or below 25% (Volcker's peak was 20%); the range a pin may set
is [0, POLICY_RATE_CAP]."""

YIELD_BOUNDS = (-0.02, 0.25)
"""The 10-year yield stays in [-2%, +25%] (the term premium takes the difference when it
would leave it); the range a pin may set."""


OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("policy_rate", "1/yr", "Fed policy rate (annual decimal)",
               (0.0, POLICY_RATE_CAP)),
    OutputSpec("yield_10y", "1/yr", "US 10-year Treasury yield (annual decimal)", YIELD_BOUNDS),
    OutputSpec("inflation", "1/yr", "CPI inflation, annualised quarterly rate (decimal)",
               INFLATION_BOUNDS),
    OutputSpec("gdp_growth", "1/yr", "real GDP growth, annualised quarterly rate (decimal)",
               GROWTH_BOUNDS),
    OutputSpec("unemployment", "1", "unemployment rate (decimal)", UNEMPLOYMENT_BOUNDS),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

PATHS: tuple[PathSpec, ...] = (
    PathSpec("term_premium_shift", "rates", "term_premium_shift", -0.03, 0.05, "1/yr",
             "added to the 10-year term premium, an annual decimal (block 3)",
             "a term-premium shift", shock="10-year term premium", shock_scale=0.005,
             shock_scale_why="assumption: 50bp"),
    PathSpec("gdp_shift", "gdp", "shift", -0.15, 0.15, "1/yr",
             "annual real GDP growth added (a recession path; block 6)", "a GDP growth shift",
             shock="real GDP growth", shock_scale=0.01, shock_scale_why="assumption: 1pp a year"),
    PathSpec("pin_policy_rate", "pin", "policy_rate", 0.0, POLICY_RATE_CAP, "1/yr",
             "the policy rate after the quarter's meetings, in place of block 1",
             "a pinned policy rate", default=float("nan"), pin=True),
    PathSpec("pin_core_inflation", "pin", "core_inflation", *CORE_INFLATION_BOUNDS, "1/yr",
             "core inflation, annualised, in place of block 2's core (tariffs still add)",
             "a pinned core inflation rate", default=float("nan"), pin=True),
    PathSpec("pin_yield_10y", "pin", "yield_10y", *YIELD_BOUNDS, "1/yr",
             "the 10-year Treasury yield, in place of block 3", "a pinned 10-year yield",
             default=float("nan"), pin=True),
    PathSpec("pin_gdp_growth", "pin", "gdp_growth", *GROWTH_BOUNDS, "1/yr",
             "real GDP growth, annualised, in place of block 6's equation",
             "a pinned GDP growth rate", default=float("nan"), pin=True),
    PathSpec("pin_unemployment", "pin", "unemployment", *UNEMPLOYMENT_BOUNDS, "1",
             "the unemployment rate; the output gap follows by Okun's law (block 6)",
             "a pinned unemployment rate", default=float("nan"), pin=True),
)
"""The scenario paths the blocks of this module read (``catalog.ScenarioPaths``)."""


def policy_rate(p: ParamValues, prev_rate, prev_inflation, prev_unemployment_change,
                prev_stress, move_cdf, rule_weight, u, pin=math.nan):
    """Block 1. Policy rate after the quarter's meetings, an inertial rule on inflation and
    unemployment that takes over from the market's priced meetings, and the Fed put:

        move_t = MOVE_GRID_BP[n] * 1e-4,   n = #{g : u_t > F_t(g)}   (u_t ~ U(0, 1))
        r*_t   = neutral_rate + taylor_weight * (pi_{t-1} - inflation_target)
        rule_t = policy_pull * (r*_t - r_{t-1}) - unemployment_reaction * (U_{t-1} - U_{t-2})
        put_t  = fed_put_cut  if stress_{t-1} > fed_put_threshold  else 0
        r_t    = clip(r_{t-1} + move_t + w_t * rule_t - put_t, effective_lower_bound,
                      POLICY_RATE_CAP)

    ``move_cdf`` (G,) is the CDF F_t of the quarter's total meeting move over
    ``MOVE_GRID_BP``; ``u`` (B,) one uniform per draw picks the move by inversion.
    ``rule_weight`` w_t is 0 up to the quarter of the scenario's last listed meeting (the
    market's odds are the path there) and 1 after; the put applies in every quarter (an
    emergency cut). A pinned quarter (``pin.policy_rate``) sets r_t to the pin."""
    n_below = jnp.sum(u[None, :] > move_cdf[:-1, None], axis=0)
    move = (MOVE_GRID_BP[0] + 25.0 * n_below) * 1e-4
    target = p.neutral_rate + p.taylor_weight * (prev_inflation - p.inflation_target)
    rule = (p.policy_pull * (target - prev_rate)
            - p.unemployment_reaction * prev_unemployment_change)
    put = jnp.where(prev_stress > p.fed_put_threshold, p.fed_put_cut, 0.0)
    rate = prev_rate + move + rule_weight * rule - put
    return pinned(jnp.clip(rate, p.effective_lower_bound, POLICY_RATE_CAP), pin)


def inflation(p: ParamValues, prev_core, prev_gap, tariff_impulse, eps, pin=math.nan):
    """Block 2. Core inflation is an AR(1) gap to target pushed by demand (a Phillips curve
    on last quarter's output gap); headline inflation adds the pass-through of the quarter's
    tariff impulse, a one-off rise of the price level spread over the pass-through window
    (it does not persist in core inflation):

        core_t = clip(target + inflation_persistence * (core_{t-1} - target)
                      + phillips_slope * x_{t-1} + inflation_sigma * sqrt(DT) * eps.inflation,
                      CORE_INFLATION_BOUNDS)
        pi_t   = clip(core_t + import_share * tariff_passthrough * impulse_t,
                      INFLATION_BOUNDS)

    A pinned quarter (``pin.core_inflation``) sets core_t to the pin (the next quarter's AR(1)
    starts from it). Returns (pi_t, core_t), annualised quarterly rates."""
    core = pinned(jnp.clip(p.inflation_target + p.inflation_persistence * (
        prev_core - p.inflation_target) + p.phillips_slope * prev_gap
        + p.inflation_sigma * SQRT_DT * eps, *CORE_INFLATION_BOUNDS), pin)
    return jnp.clip(core + p.import_share * p.tariff_passthrough * tariff_impulse,
                    *INFLATION_BOUNDS), core


def yield_10y(p: ParamValues, rate, prev_term_premium, shift, eps, pin=math.nan):
    """Block 3. The 10-year yield and its term premium (an AR(1)):

        tp_t  = tp_mean + tp_persistence * (tp_{t-1} - tp_mean)
                + tp_sigma * sqrt(DT) * eps.term_premium
        a_t   = neutral_rate + long_rate_beta * (r_t - neutral_rate) + shift_t
        tp_t  = clip(tp_t, YIELD_BOUNDS - a_t)      (the yield stays in YIELD_BOUNDS)
        y_t   = a_t + tp_t

    A pinned quarter (``pin.yield_10y``) sets y_t to the pin and the term premium to what
    the pin implies (tp_t = y_t - neutral - beta * (r_t - neutral) - shift_t), from which the
    AR(1) goes on. Returns (y_t, tp_t)."""
    tp = p.term_premium_mean + p.term_premium_persistence * (
        prev_term_premium - p.term_premium_mean) + p.term_premium_sigma * SQRT_DT * eps
    anchor = p.neutral_rate + p.long_rate_beta * (rate - p.neutral_rate) + shift
    tp = pinned(jnp.clip(tp, YIELD_BOUNDS[0] - anchor, YIELD_BOUNDS[1] - anchor), pin - anchor)
    return anchor + tp, tp


def gdp_growth(p: ParamValues, capex, prev_capex, prev_ngdp, tariff_impulse, prev_rate,
               prev_inflation, prev_return, shift, eps, pin=math.nan):
    """Block 6. Real GDP growth (annualised):

        g_t = gdp_trend
              + capex_gdp_multiplier * (K_t - K_{t-1}) / NGDP_{t-1} / DT      (capex impulse)
              - tariff_gdp_drag * impulse_t
              - rate_gdp_drag * ((r_{t-1} - pi_{t-1}) - (neutral_rate - inflation_target))
              + wealth_effect * (R_{t-1} / DT - long_run_growth)   (last quarter's index
                                                    log return beyond its long-run trend)
              + 0.5 * ai_productivity_gain + shift_t + gdp_sigma * sqrt(DT) * eps.gdp
        (clipped to GROWTH_BOUNDS)

    K_t is this quarter's AI capex (block 4), so growth is evaluated after it; ``shift_t``
    is the scenario's GDP path (``gdp.shift``). A pinned quarter (``pin.gdp_growth``) sets
    g_t to the pin; the gap, unemployment and nominal GDP follow from it."""
    capex_impulse = p.capex_gdp_multiplier * (capex - prev_capex) / prev_ngdp / DT
    real_rate_gap = prev_rate - prev_inflation - (p.neutral_rate - p.inflation_target)
    return pinned(jnp.clip(p.gdp_trend + capex_impulse - p.tariff_gdp_drag * tariff_impulse
                           - p.rate_gdp_drag * real_rate_gap
                           + p.wealth_effect * (prev_return / DT - p.long_run_growth)
                           + 0.5 * p.ai_productivity_gain + shift
                           + p.gdp_sigma * SQRT_DT * eps, *GROWTH_BOUNDS), pin)


def output_gap(p: ParamValues, prev_gap, growth, pin=math.nan, growth_pin=math.nan):
    """Block 6 (gap). The output gap accumulates growth above potential and closes as
    potential output catches up; unemployment follows it by Okun's law. The gap is held to
    the band Okun's law gives at ``UNEMPLOYMENT_BOUNDS`` [U_lo, U_hi], and where it is held
    growth is what keeps it there (a demand shock cannot take output further from potential
    than the labour market allows):

        g*_t = gdp_trend + 0.5 * ai_productivity_gain                         (potential)
        x_t  = clip(gap_persistence * x_{t-1} + (g_t - g*_t) * DT,
                    okun_coefficient * (natural_unemployment - [U_hi, U_lo]))
        g_t  = g*_t + (x_t - gap_persistence * x_{t-1}) / DT    where x_t was held
        U_t  = natural_unemployment - x_t / okun_coefficient

    (the AI productivity gain raises potential growth as well as growth). A pinned quarter
    (``pin.unemployment``) sets U_t to the pin and the gap to what Okun's law gives for it,
    x_t = okun_coefficient * (natural_unemployment - U_t); a pinned growth (``growth_pin``),
    or growth beside a pinned unemployment, is kept whatever the gap. Returns (x_t, U_t,
    g_t)."""
    potential = p.gdp_trend + 0.5 * p.ai_productivity_gain
    low, high = (p.okun_coefficient * (p.natural_unemployment - u)
                 for u in UNEMPLOYMENT_BOUNDS[::-1])
    carried = p.gap_persistence * prev_gap
    free = carried + (growth - potential) * DT
    held = jnp.clip(free, low, high)
    growth = jnp.where((held != free) & jnp.isnan(growth_pin) & jnp.isnan(pin),
                       potential + (held - carried) / DT, growth)
    gap = pinned(held, p.okun_coefficient * (p.natural_unemployment - pin))
    return gap, pinned(jnp.clip(p.natural_unemployment - gap / p.okun_coefficient,
                                *UNEMPLOYMENT_BOUNDS), pin), growth


def nominal_gdp(prev_ngdp, growth, inflation_rate):
    """Block 6 (level). NGDP_t = NGDP_{t-1} * exp((g_t + pi_t) * DT)."""
    return prev_ngdp * jnp.exp((growth + inflation_rate) * DT)
