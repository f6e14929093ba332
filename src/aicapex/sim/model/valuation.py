"""Blocks 11-12: market volatility and valuation. Block 11 sets each draw's conditional
volatility from its regime and a stochastic-volatility factor; block 12 moves each group's
log P/E towards its fair multiple and updates expected long-run earnings growth.

Arrays are (B,) or, per group (hardware, platforms, other 490), (3, B).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from .types import DT, SQRT_DT, ParamSpec
from .xla import group_rows, only_row, row_is

if TYPE_CHECKING:
    from .parameters import Params
    from .types import Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    # block 12: valuation
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
    # block 11: volatility
    ParamSpec("vol_ramp", "volatility", 0.0, 2.0, "1/yr", "market volatility in ramp"),
    ParamSpec("vol_wobble", "volatility", 0.0, 2.0, "1/yr", "market volatility in wobble"),
    ParamSpec("vol_bust", "volatility", 0.0, 2.0, "1/yr", "market volatility in bust"),
    ParamSpec("sv_persistence", "volatility", 0.0, 0.999, "1/quarter",
              "AR(1) coefficient of log stochastic volatility"),
    ParamSpec("sv_sigma", "volatility", 0.0, 2.0, "-", "volatility of log volatility, per quarter"),
)

EXPECTED_GROWTH_FLOOR = 0.02
"""Long-run growth expectations stay above ~real GDP growth (2%/yr)."""
EARNINGS_SMOOTHING = 0.75
"""EWMA weight on past smoothed log earnings (what growth expectations follow)."""


def volatility(p: Params, prev_log_sv, reg, eps):
    """Block 11. Conditional index volatility (annualised):

        h_t   = sv_persistence * h_{t-1} + sv_sigma * eps.log_volatility
        vol_t = (vol_ramp, vol_wobble, vol_bust)[R_t] * exp(h_t)

    Returns (h_t, vol_t)."""
    log_sv = p.sv_persistence * prev_log_sv + p.sv_sigma * eps
    vol_regime = jnp.where(reg == 0, p.vol_ramp, jnp.where(reg == 1, p.vol_wobble, p.vol_bust))
    return log_sv, vol_regime * jnp.exp(log_sv)


def regime_premium(p: Params, reg):
    """Log P/E premium per group (3, B) in regime ``reg``: ramp 0, wobble and bust the
    ``premium_*`` parameters (one for the AI groups, one for the other 490)."""
    ai = jnp.where(reg == 1, p.premium_wobble_ai, jnp.where(reg == 2, p.premium_bust_ai, 0.0))
    other = jnp.where(reg == 1, p.premium_wobble_other,
                      jnp.where(reg == 2, p.premium_bust_other, 0.0))
    return row_is(2, other, ai)


def valuation(p: Params, init: Initial, prev_log_pe, prev_expected_growth, prev_regime,
              prev_mcap_platforms, y, stress_prev, liquidity, reg, vol, capex_change, eps):
    """Block 12a. Log P/E of each group i (3, B):

        erp_i     = erp_{i,0} + erp_stress_beta * stress_{t-1} - liquidity_t
        fair_i    = -log(max(y_t + erp_i - g^e_{i,t-1}, 1 / pe_max)) + premium_i(R_t)
        jump_i    = regime_jump * (premium_i(R_t) - premium_i(R_{t-1}))
        reflex_pl = capex_reflex * (K_t - K_{t-1}) / MCAP_pl,t-1   (platforms, in ramp only)
        log PE_i,t = log PE_i,t-1 + pe_mean_reversion * (fair_i - log PE_i,t-1) + jump_i
                     + reflex_i + beta_i * vol_t * sqrt(DT) * eps.valuation

    ``erp_{i,0}`` is implied at the start so that the fair P/E equals today's."""
    erp = init.erp[:, None] + p.erp_stress_beta * stress_prev - liquidity
    denominator = jnp.maximum(y + erp - prev_expected_growth, 1.0 / p.pe_max)
    premium = regime_premium(p, reg)
    fair = -jnp.log(denominator) + premium
    jump = p.regime_jump * (premium - regime_premium(p, prev_regime))
    beta = group_rows(p.beta_hw, p.beta_platforms, p.beta_other)
    reflex = jnp.where(reg == 0, p.capex_reflex * capex_change / prev_mcap_platforms, 0.0)
    reflex = only_row(1, reflex)
    return (prev_log_pe + p.pe_mean_reversion * (fair - prev_log_pe) + jump + reflex
            + beta * vol * SQRT_DT * eps)


def expected_growth(p: Params, prev_expected, log_earnings, prev_smooth):
    """Block 12b. Expected long-run growth adapts to the growth of smoothed log earnings
    (investors extrapolate persistent growth, not one quarter's noise):

        S_t   = EARNINGS_SMOOTHING * S_{t-1} + (1 - EARNINGS_SMOOTHING) * log E_t
        g^e_t = clip(g^e_{t-1} + growth_expectation_speed * ((S_t - S_{t-1}) / DT - g^e_{t-1}),
                     EXPECTED_GROWTH_FLOOR, expected_growth_cap)

    Returns (g^e_t, S_t)."""
    smooth = EARNINGS_SMOOTHING * prev_smooth + (1.0 - EARNINGS_SMOOTHING) * log_earnings
    realised = (smooth - prev_smooth) / DT
    updated = prev_expected + p.growth_expectation_speed * (realised - prev_expected)
    return jnp.clip(updated, EXPECTED_GROWTH_FLOOR, p.expected_growth_cap), smooth
