"""Block 10: the narrative regime, a Markov chain ramp (0) -> wobble (1) -> bust (2) whose
transition probabilities are shifted by fragility, a logit score of fundamentals.

Arrays (B,); the regime is an int32 index into ``types.REGIMES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from .types import ParamSpec

if TYPE_CHECKING:
    from .parameters import Params
    from .types import Initial

PARAMETERS: tuple[ParamSpec, ...] = (
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

CAPEX_GROWTH_NORMAL = 0.10
"""Guided capex growth below this (10%/yr) adds to fragility."""


def fragility(p: Params, init: Initial, revenue, capex_bn, guided_growth, spread, y, infl):
    """Block 10a. Fragility f_t, a logit shift of the regime's transition probabilities:

        f_t = fragility_gap * -(log(AIrev_t / K_t) - log(AIrev_0 / K_0))
              + fragility_capex * max(10% - guided_t, 0)
              + fragility_spread * (s_t - s_0) / 1pp
              + fragility_real_yield * ((y_t - pi_t) - (y_0 - pi_0)) / 1pp"""
    real_yield0 = init.yield_10y - init.inflation
    gap_fall = -(jnp.log(revenue / capex_bn) - jnp.log(init.ai_revenue_bn / init.capex_bn))
    return (p.fragility_gap * gap_fall
            + p.fragility_capex * jnp.maximum(CAPEX_GROWTH_NORMAL - guided_growth, 0.0)
            + p.fragility_spread * (spread - init.credit_spread) / 0.01
            + p.fragility_real_yield * ((y - infl) - real_yield0) / 0.01)


def regime(p: Params, prev_regime, fragility, u):
    """Block 10b. One step of the chain, one uniform ``u`` per draw:

        down_t = sigmoid(logit(base_down(R_{t-1})) + f_t),  base_down = (p_ramp_to_wobble,
                                                                         p_wobble_to_bust, 0)
        up_t   = sigmoid(logit(base_up(R_{t-1})) - f_t),    base_up   = (0, p_wobble_to_ramp,
                                                                         p_bust_to_wobble)
        (down_t, up_t) scaled by 1 / (down_t + up_t) where that sum exceeds 1
        R_t    = R_{t-1} + 1 if u < down_t;  - 1 if u < down_t + up_t;  else R_{t-1}"""
    base_down = jnp.where(prev_regime == 0, p.p_ramp_to_wobble,
                          jnp.where(prev_regime == 1, p.p_wobble_to_bust, 0.0))
    base_up = jnp.where(prev_regime == 1, p.p_wobble_to_ramp,
                        jnp.where(prev_regime == 2, p.p_bust_to_wobble, 0.0))
    down = shift_probability(base_down, fragility)
    up = shift_probability(base_up, -fragility)
    total = down + up
    scale = jnp.where(total > 1.0, 1.0 / total, 1.0)
    down, up = down * scale, up * scale
    step = jnp.where(u < down, 1, jnp.where(u < down + up, -1, 0))
    return (prev_regime + step).astype(prev_regime.dtype)


def shift_probability(prob, logit_shift):
    """sigmoid(logit(prob) + shift), exact at prob in {0, 1}."""
    prob = jnp.clip(prob, 0.0, 1.0)
    odds = prob / jnp.maximum(1.0 - prob, 1e-12) * jnp.exp(logit_shift)
    shifted = odds / (1.0 + odds)
    return jnp.where(prob <= 0.0, 0.0, jnp.where(prob >= 1.0, 1.0, shifted))
