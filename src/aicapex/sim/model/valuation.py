"""Blocks 11-12: market volatility and valuation. Block 11 sets each draw's conditional
volatility from its regime and a stochastic-volatility factor; block 12 prices each group
forward-looking: its log P/E is the present-value multiple of today's discount rate, risk
premium, expected growth and regime, plus a slowly mean-reverting residual.

Arrays are (B,) or, per group (hardware, platforms, other 490), (3, B).
"""

from __future__ import annotations

import math

from .deferred import jnp
from .market import initial_earnings
from .specs import OutputSpec, ParamSpec, ParamValues, PathSpec
from .types import DT, SQRT_DT, Initial, pinned
from .xla import group_rows, only_row, row_is

PARAMETERS: tuple[ParamSpec, ...] = (
    # block 12: valuation
    ParamSpec("pe_mean_reversion", "valuation", 0.0, 1.0, "1/quarter",
              "share of the residual of log P/E over its fair value that decays each quarter"),
    ParamSpec("earnings_look_through", "valuation", 0.0, 1.0, "fraction",
              "share of each group's transitory earnings deviation (the earnings cycle and "
              "the operating leverage to unemployment) its multiple offsets: prices look "
              "through part of a cyclical earnings fall"),
    ParamSpec("erp_stress_beta", "valuation", 0.0, 0.05, "1/yr",
              "equity risk premium per unit of stress"),
    ParamSpec("pe_max", "valuation", 5.0, 1000.0, "x",
              "largest fair P/E (floors the fair-multiple denominator at 1/pe_max)"),
    ParamSpec("yield_passthrough", "valuation", 0.0, 1.5, "-",
              "share of a change in the 10y yield that reaches the equity discount rate"),
    ParamSpec("long_run_growth", "valuation", -0.05, 0.15, "1/yr",
              "nominal earnings growth after the excess-growth years (the fair multiple's g)"),
    ParamSpec("excess_growth_years", "valuation", 0.0, 30.0, "yr",
              "years for which expected growth above the long-run rate is priced"),
    ParamSpec("growth_expectation_speed", "valuation", 0.0, 1.0, "1/quarter",
              "speed at which expected growth adapts to realised earnings growth"),
    ParamSpec("expected_growth_cap", "valuation", 0.0, 0.5, "1/yr",
              "upper bound of long-run expected earnings growth"),
    ParamSpec("growth_revision_utilisation", "valuation", 0.0, 2.0, "1/yr",
              "AI groups' expected growth revised per unit change of AI capacity utilisation"
              " (revenue against what capex built)"),
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
    ParamSpec("beta_hw", "valuation", 0.1, 5.0, "-", "loading of hardware P/E on the market shock"),
    ParamSpec("beta_platforms", "valuation", 0.1, 5.0, "-",
              "loading of platform P/E on the market shock"),
    ParamSpec("beta_other", "valuation", 0.1, 5.0, "-",
              "loading of other-490 P/E on the market shock"),
    # block 11: volatility
    ParamSpec("vol_ramp", "volatility", 0.02, 1.0, "1/yr", "market volatility in ramp"),
    ParamSpec("vol_wobble", "volatility", 0.02, 1.0, "1/yr", "market volatility in wobble"),
    ParamSpec("vol_bust", "volatility", 0.02, 1.0, "1/yr", "market volatility in bust"),
    ParamSpec("sv_persistence", "volatility", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of log stochastic volatility"),
    ParamSpec("sv_sigma", "volatility", 0.0, 1.5, "-", "volatility of log volatility, per quarter"),
)

PE_BOUNDS = (3.0, 300.0)
"""Each group's P/E stays in [3, 300]: the S&P 500's lowest on record is about 5 (1917,
1949), the Nasdaq-100's highest about 175 (2000) and a group of three companies may go past
it; beyond these the fair multiple's terms (excess growth priced for years, a bust premium,
the look-through of a depression's earnings) have left the range they were fitted on."""

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("pe_hw", "x", "P/E of AI hardware suppliers", PE_BOUNDS),
    OutputSpec("pe_platforms", "x", "P/E of the platforms (on operating earnings)", PE_BOUNDS),
    OutputSpec("pe_other", "x", "P/E of the other 490", PE_BOUNDS),
    OutputSpec("volatility", "1/yr",
               "conditional index volatility (regime x stochastic vol), annualised"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

PATHS: tuple[PathSpec, ...] = (
    PathSpec("erp_liquidity", "valuation", "erp_liquidity", -0.1, 0.2, "1/yr",
             "lowers every group's equity risk premium, an annual decimal (block 12)",
             "an equity-risk-premium shift"),
    PathSpec("erp_shift", "valuation", "erp_shift", -0.1, 0.2, "1/yr",
             "raises every group's equity risk premium, an annual decimal (block 12)",
             "an equity-risk-premium shift", shock="equity risk premium of every group",
             shock_scale=0.01, shock_scale_why="assumption: 1pp"),
    PathSpec("pin_volatility", "pin", "implied_vol", 0.02, 2.0, "1/yr",
             "the index's conditional (implied) volatility, annualised, in place of block 11",
             "a pinned implied volatility", default=float("nan"), pin=True),
)
"""The scenario paths the blocks of this module read (``catalog.ScenarioPaths``)."""

EXPECTED_GROWTH_FLOOR = 0.02
"""Long-run growth expectations stay above ~real GDP growth (2%/yr)."""
EARNINGS_SMOOTHING = 0.75
"""EWMA weight on past smoothed log earnings (what growth expectations follow)."""


VOL_CAP = 2.0
"""Largest conditional index volatility, annualised: above any on record (the VIX peaked
near 0.9 in 2008)."""


def volatility(p: ParamValues, prev_log_sv, reg, eps, pin=math.nan):
    """Block 11. Conditional index volatility (annualised), known at the start of the quarter
    from last quarter's stochastic-volatility factor (so a return shock raises next
    quarter's volatility, through the correlation of ``eps.log_volatility`` with the market
    shock) and this quarter's regime:

        vol_t = min((vol_ramp, vol_wobble, vol_bust)[R_t] * exp(h_{t-1}), VOL_CAP)
        h_t   = sv_persistence * h_{t-1} + sv_sigma * eps.log_volatility

    h_0 makes the first quarter's volatility the market's implied volatility (block 12's
    ``initial_log_sv``). A pinned quarter (``pin.implied_vol``) sets vol_t to the pin and
    h_{t-1} to the factor it implies, log(vol_t / regime vol), from which h_t goes on.
    Returns (h_t, vol_t)."""
    vol_regime = jnp.where(reg == 0, p.vol_ramp, jnp.where(reg == 1, p.vol_wobble, p.vol_bust))
    prev_log_sv = pinned(prev_log_sv, jnp.log(pin / vol_regime))
    log_sv = p.sv_persistence * prev_log_sv + p.sv_sigma * eps
    # binds only where volatility of volatility and its persistence are both near their
    # bounds (a random walk of log volatility then overflowed the P/E within 10 quarters)
    return log_sv, pinned(jnp.minimum(vol_regime * jnp.exp(prev_log_sv), VOL_CAP), pin)


def market_beta(p: ParamValues, init: Initial):
    """Market-cap-weighted P/E loading of the index at the start (scalar or (B,))."""
    mcap0 = init.pe * initial_earnings(init)
    weights = mcap0 / jnp.sum(mcap0)
    return weights[0] * p.beta_hw + weights[1] * p.beta_platforms + weights[2] * p.beta_other


def initial_log_sv(p: ParamValues, init: Initial):
    """h_0 = log(implied_vol_0 / (ramp volatility * market beta)): the first quarter's
    conditional index volatility in a ramp equals the ``implied_vol_start`` anchor."""
    return jnp.log(init.volatility / (p.vol_ramp * market_beta(p, init)))


def regime_premium(p: ParamValues, reg):
    """Log P/E premium per group (3, B) in regime ``reg``: ramp 0, wobble and bust the
    ``premium_*`` parameters (one for the AI groups, one for the other 490)."""
    ai = jnp.where(reg == 1, p.premium_wobble_ai, jnp.where(reg == 2, p.premium_bust_ai, 0.0))
    other = jnp.where(reg == 1, p.premium_wobble_other,
                      jnp.where(reg == 2, p.premium_bust_other, 0.0))
    return row_is(2, other, ai)


def implied_erp(p: ParamValues, init: Initial):
    """Equity risk premium of each group (3, B) at the start, implied so that the fair
    multiple (block 12a, ramp, zero residual) equals today's P/E:

        erp_i,0 = exp(-(log PE_i,0 - H * (g^e_i,0 - g_L))) - y_0 + g_L"""
    log_pe0 = jnp.log(init.pe)[:, None]
    g0 = init.expected_growth[:, None]
    return (jnp.exp(-(log_pe0 - p.excess_growth_years * (g0 - p.long_run_growth)))
            - init.yield_10y + p.long_run_growth)


def fair_log_pe(p: ParamValues, init: Initial, expected, y, stress_prev, liquidity, erp_shift, reg,
                transitory=0.0):
    """Block 12b. The fair log P/E of each group (3, B): a Gordon multiple on the long-run
    growth, plus the excess growth priced for ``excess_growth_years``, plus the regime's
    premium, less the share ``earnings_look_through`` of the group's transitory earnings
    deviation z_i,t (3, B; ``transitory``, block 8), which the multiple offsets:

        r_t     = y_0 + yield_passthrough * (y_t - y_0)
        erp_i,t = erp_i,0 + erp_stress_beta * stress_{t-1} + erp_shift_t - liquidity_t
        fair_i  = -log(max(r_t + erp_i,t - g_L, 1 / pe_max)) + H * (g^e_i,t - g_L)
                  + premium_i(R_t) - earnings_look_through * z_i,t

    (g_L = ``long_run_growth``, H = ``excess_growth_years``). A change in the discount rate,
    the risk premium or expected growth moves the fair multiple, and so the price, in the
    quarter it happens, by its present-value size."""
    rate = init.yield_10y + p.yield_passthrough * (y - init.yield_10y)
    erp = implied_erp(p, init) + p.erp_stress_beta * stress_prev + erp_shift - liquidity
    denominator = jnp.maximum(rate + erp - p.long_run_growth, 1.0 / p.pe_max)
    return (-jnp.log(denominator) + p.excess_growth_years * (expected - p.long_run_growth)
            + regime_premium(p, reg) - p.earnings_look_through * transitory)


RESIDUAL_CAP = 1.5
"""The P/E residual stays within +-1.5 in logs (a factor 4.5 either way) of the fair
multiple: its sd is about 0.15 in a calibrated run, so the cap binds only where a scenario
sets volatilities at their bounds and the residual would otherwise wander without limit."""
REFLEX_CAP = 0.25
"""Largest move of the platforms' log P/E from the capex reflex in one quarter."""


def valuation(p: ParamValues, fair, prev_residual, reg, prev_mcap_platforms, vol, capex_change,
              eps):
    """Block 12c. Log P/E of each group i (3, B): its fair value plus a residual that decays
    at ``pe_mean_reversion`` (the noise in multiples, and the capex reflex of a ramp):

        reflex_pl = clip(capex_reflex * (K_t - K_{t-1}) / MCAP_pl,t-1, -REFLEX_CAP, REFLEX_CAP)
                    (platforms, in ramp only)
        v_i,t     = clip((1 - pe_mean_reversion) * v_i,t-1 + reflex_i
                         + beta_i * vol_t * sqrt(DT) * eps.valuation, -RESIDUAL_CAP, RESIDUAL_CAP)
        log PE_i,t = clip(fair_i,t + v_i,t, log PE_BOUNDS)

    Returns (log PE_t, v_t)."""
    beta = group_rows(p.beta_hw, p.beta_platforms, p.beta_other)
    # the cap binds only once the platforms' market cap has collapsed (the ratio is ~0.01 in a
    # normal quarter); uncapped, a capex change divided by a vanishing market cap diverged
    reflex = jnp.where(reg == 0, jnp.clip(p.capex_reflex * capex_change / prev_mcap_platforms,
                                          -REFLEX_CAP, REFLEX_CAP), 0.0)
    residual = jnp.clip((1.0 - p.pe_mean_reversion) * prev_residual + only_row(1, reflex)
                        + beta * vol * SQRT_DT * eps, -RESIDUAL_CAP, RESIDUAL_CAP)
    return jnp.clip(fair + residual, math.log(PE_BOUNDS[0]), math.log(PE_BOUNDS[1])), residual


def expected_growth(p: ParamValues, prev_expected, log_earnings, prev_smooth, utilisation,
                    prev_utilisation):
    """Block 12a. Expected long-run growth adapts to the growth of smoothed log earnings
    (investors extrapolate persistent growth, not one quarter's noise) and, for the AI groups,
    is revised with the AI fundamentals: revenue falling short of what capex built (capacity
    utilisation falling) cuts it, revenue catching up raises it:

        S_t   = EARNINGS_SMOOTHING * S_{t-1} + (1 - EARNINGS_SMOOTHING) * log E_t
        g^e_t = clip(g^e_{t-1} + growth_expectation_speed * ((S_t - S_{t-1}) / DT - g^e_{t-1})
                     + [hw, pl] growth_revision_utilisation * (u_t - u_{t-1}),
                     EXPECTED_GROWTH_FLOOR, expected_growth_cap)

    Returns (g^e_t, S_t)."""
    smooth = EARNINGS_SMOOTHING * prev_smooth + (1.0 - EARNINGS_SMOOTHING) * log_earnings
    realised = (smooth - prev_smooth) / DT
    revision = row_is(2, 0.0, p.growth_revision_utilisation * (utilisation - prev_utilisation))
    # the two revisions are added first: summed onto prev_expected one by one, XLA:CPU
    # rounded a fixed (scalar) revision parameter differently from a sampled one
    # (tests/engine: test_fixed_parameters_as_scalars_change_no_result)
    updated = prev_expected + (p.growth_expectation_speed * (realised - prev_expected)
                               + revision)
    return jnp.clip(updated, EXPECTED_GROWTH_FLOOR, p.expected_growth_cap), smooth
