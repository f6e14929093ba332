"""Block 10: the narrative regime, a Markov chain ramp (0) -> wobble (1) -> bust (2) whose
transition probabilities are shifted by fragility, a logit score of fundamentals (idle AI
capacity, capex cuts, falling hardware orders, credit, stagflation) and of drawdowns, and
whose way back up is eased by recovery, a score of cheap prices and easy policy.

Arrays (B,); the regime is an int32 index into ``types.REGIMES``.
"""

from __future__ import annotations

from .deferred import jnp
from .specs import OutputSpec, ParamSpec, ParamValues
from .types import DT, Initial

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("p_ramp_to_wobble", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_wobble_to_bust", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_wobble_to_ramp", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("p_bust_to_wobble", "regime", 0.0, 1.0, "1/quarter", "base probability"),
    ParamSpec("fragility_gap", "regime", 0.0, 20.0, "-",
              "logit shift per 10pp of AI capacity utilisation below the glut level (revenue"
              " falling short of what capex built)"),
    ParamSpec("fragility_capex", "regime", 0.0, 20.0, "-",
              "logit shift per unit fall of guided capex growth below long-run nominal growth"),
    ParamSpec("fragility_orders", "regime", 0.0, 20.0, "-",
              "logit shift per unit of annualised log decline of hardware revenue (smoothed)"),
    ParamSpec("fragility_spread", "regime", 0.0, 20.0, "-",
              "logit shift per 100bp of credit spread above its start"),
    ParamSpec("fragility_real_yield", "regime", 0.0, 20.0, "-",
              "logit shift per 100bp rise of the real 10y yield beyond 1pp above its start"),
    ParamSpec("fragility_inflation", "regime", 0.0, 20.0, "-",
              "logit shift per 1pp of inflation beyond 1pp above its start (stagflation)"),
    ParamSpec("fragility_drawdown", "regime", 0.0, 20.0, "-",
              "logit shift per 10% of last quarter's index drawdown beyond 10% (feedback)"),
    ParamSpec("recovery_drawdown", "regime", 0.0, 20.0, "-",
              "logit shift towards recovery per 10% of drawdown beyond 20% (a bear market "
              "makes prices cheap: the way out of wobble and bust)"),
    ParamSpec("recovery_easing", "regime", 0.0, 20.0, "-",
              "logit shift towards recovery per 1pp of policy rate below neutral"),
)

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("regime", "1", "narrative regime: 0 ramp, 1 wobble, 2 bust"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""

ORDER_SMOOTHING = 0.5
"""EWMA weight on the past order trend (block 10a)."""
NOISE_TOLERANCE = 0.01
"""Moves of the real yield and of inflation within 1pp of their start are normal noise
(about one standard deviation of a year's move) and add no fragility ..."""
DRAWDOWN_TOLERANCE = 0.10
"""... nor do drawdowns of up to 10% (a correction)."""
BEAR_MARKET = 0.20
"""Drawdowns beyond 20% (a bear market) count towards recovery (block 10c)."""


def order_growth(prev_growth, hw_revenue, prev_hw_revenue):
    """Block 10a (orders). Smoothed annualised log growth of hardware revenue, the order
    trend that one quarter's noise does not move much:

        o_t = ORDER_SMOOTHING * o_{t-1} + (1 - ORDER_SMOOTHING) * log(HW_t / HW_{t-1}) / DT"""
    return ORDER_SMOOTHING * prev_growth + (1.0 - ORDER_SMOOTHING) * jnp.log(
        hw_revenue / prev_hw_revenue) / DT


def fragility(p: ParamValues, init: Initial, utilisation, orders, guided_growth, spread, y, infl,
              prev_drawdown):
    """Block 10a. Fragility f_t, a logit shift of the regime's transition probabilities. Each
    term is a fundamental (or feedback) that raises bust risk once it moves beyond its
    normal noise; with fundamentals on plan the terms are about zero (the spread's is signed)
    and the chain keeps its fitted base rates (g_L = ``long_run_growth``: capex growing
    slower than the economy is a guidance cut):

        f_t = fragility_gap * max(glut_utilisation - u_t, 0) / 10pp          (idle capacity)
              + fragility_capex * max(g_L - guided_t, 0)                   (capex guidance)
              + fragility_orders * max(-o_t, 0)                     (falling hardware orders)
              + fragility_spread * (s_t - s_0) / 1pp
              + fragility_real_yield * max((y_t - pi_t) - (y_0 - pi_0) - 1pp, 0) / 1pp
              + fragility_inflation * max(pi_t - pi_0 - 1pp, 0) / 1pp        (stagflation)
              + fragility_drawdown * max(DD_{t-1} - 10%, 0) / 10%               (feedback)"""
    real_yield0 = init.yield_10y - init.inflation
    tol = NOISE_TOLERANCE
    return (p.fragility_gap * jnp.maximum(p.glut_utilisation - utilisation, 0.0) / 0.1
            + p.fragility_capex * jnp.maximum(p.long_run_growth - guided_growth, 0.0)
            + p.fragility_orders * jnp.maximum(-orders, 0.0)
            + p.fragility_spread * (spread - init.credit_spread) / 0.01
            + p.fragility_real_yield * jnp.maximum((y - infl) - real_yield0 - tol, 0.0) / 0.01
            + p.fragility_inflation * jnp.maximum(infl - init.inflation - tol, 0.0) / 0.01
            + p.fragility_drawdown * jnp.maximum(prev_drawdown - DRAWDOWN_TOLERANCE, 0.0)
            / 0.10)


def recovery(p: ParamValues, rate, prev_drawdown):
    """Block 10c. Recovery h_t >= 0, a logit shift of the chain's upward steps only: busts
    end once prices are cheap and policy is easy (history's bear markets end in deep
    drawdowns, with the Fed below neutral):

        h_t = recovery_drawdown * max(DD_{t-1} - BEAR_MARKET, 0) / 10%
              + recovery_easing * max(neutral_rate - r_t, 0) / 1pp"""
    return (p.recovery_drawdown * jnp.maximum(prev_drawdown - BEAR_MARKET, 0.0) / 0.10
            + p.recovery_easing * jnp.maximum(p.neutral_rate - rate, 0.0) / 0.01)


def regime(p: ParamValues, prev_regime, fragility, u, length=1.0, recovery=0.0):
    """Block 10b, the regime after the step (``transition`` without its probability)."""
    return transition(p, prev_regime, fragility, u, length, recovery)[0]


def transition(p: ParamValues, prev_regime, fragility, u, length=1.0, recovery=0.0):
    """Block 10b. One step of the chain, one uniform ``u`` per draw, and the log-probability
    of the step taken (what the score-function part of a sensitivity differentiates:
    ``analysis/sensitivity.py``):

        down_t = sigmoid(logit(base_down(R_{t-1})) + f_t),  base_down = (p_ramp_to_wobble,
                                                                         p_wobble_to_bust, 0)
        up_t   = sigmoid(logit(base_up(R_{t-1})) - f_t + h_t),  base_up = (0, p_wobble_to_ramp,
                                                                          p_bust_to_wobble)
        (down_t, up_t) scaled by 1 / (down_t + up_t) where that sum exceeds 1, then by
        ``length`` (the quarter's length in quarters: < 1 in the stub first quarter)
        R_t    = R_{t-1} + 1 if u < down_t;  - 1 if u < down_t + up_t;  else R_{t-1}
        log P(R_t | R_{t-1}) = log down_t,  log up_t  or  log(1 - down_t - up_t)"""
    base_down = jnp.where(prev_regime == 0, p.p_ramp_to_wobble,
                          jnp.where(prev_regime == 1, p.p_wobble_to_bust, 0.0))
    base_up = jnp.where(prev_regime == 1, p.p_wobble_to_ramp,
                        jnp.where(prev_regime == 2, p.p_bust_to_wobble, 0.0))
    down = shift_probability(base_down, fragility)
    up = shift_probability(base_up, recovery - fragility)
    total = down + up
    scale = jnp.where(total > 1.0, 1.0 / total, 1.0) * length
    down, up = down * scale, up * scale
    step = jnp.where(u < down, 1, jnp.where(u < down + up, -1, 0))
    tiny = jnp.finfo(jnp.result_type(down)).tiny  # a step taken has probability > 0
    chosen = jnp.where(step == 1, down, jnp.where(step == -1, up, 1.0 - down - up))
    return (prev_regime + step).astype(prev_regime.dtype), jnp.log(jnp.maximum(chosen, tiny))


def shift_probability(prob, logit_shift):
    """sigmoid(logit(prob) + shift), exact at prob in {0, 1}."""
    prob = jnp.clip(prob, 0.0, 1.0)
    odds = prob / jnp.maximum(1.0 - prob, 1e-12) * jnp.exp(logit_shift)
    shifted = odds / (1.0 + odds)
    return jnp.where(prob <= 0.0, 0.0, jnp.where(prob >= 1.0, 1.0, shifted))
