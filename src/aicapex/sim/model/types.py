"""Types and constants of the model: parameter specs, shocks, scenario inputs, initial
conditions, state and outputs.

Shapes use T = quarters in the horizon, B = draws in a block, V = ``N_VINTAGES``,
L = ``ring_length(T)``, G = ``len(MOVE_GRID_BP)``, P = number of parameters, Q = quantile-table
points.
A batch of S scenarios stacks every ``ScenarioArrays`` leaf on a leading axis.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .deferred import jnp

Array = Any  # a jax.Array or numpy.ndarray

DT = 0.25
"""Length of a step, years."""
SQRT_DT = DT**0.5


N_VINTAGES = 40
"""Quarters a vintage of capex stays in the accounts: the longest useful life is 10 years."""


def ring_length(horizon: int) -> int:
    """Slots L of the per-draw ring of capex vintages installed during the horizon (vintage
    tau in slot tau % L): one per quarter up to ``N_VINTAGES``. Vintages installed before the
    start are the same for every draw and enter as per-quarter constants instead."""
    return min(horizon, N_VINTAGES)

def pinned(value, pin):
    """``value`` where the scenario's ``pin`` for the quarter is NaN (not pinned), else the
    pin: a pinned variable replaces its equation's result (``PathSpec.pin``)."""
    return jnp.where(jnp.isnan(pin), value, pin)


MOVE_GRID_BP = np.arange(-300, 301, 25)
"""Grid of a quarter's total policy-rate move, bp (up to three meetings of +-100bp)."""



class Shocks(NamedTuple):
    """The quarter's correlated standard-normal shocks, each (B,), read by name in the blocks.
    The order is the row order of the engine's random numbers and of the correlation matrix
    (``scenarios/priors.py``), so it must not change. ``earnings`` is shared by the platforms
    (block 8b) and the other 490 (block 8c)."""

    inflation: Array       # block 2
    term_premium: Array    # block 3
    gdp: Array             # block 6
    capex: Array           # block 4
    ai_revenue: Array      # block 7
    earnings: Array        # blocks 8b and 8c
    valuation: Array       # block 12 (the market shock of every group's P/E)
    credit_spread: Array   # block 9b
    log_volatility: Array  # block 11

    @classmethod
    def of(cls, normals) -> Shocks:
        """The shocks of a (N_NORMALS, B) array, row i the i-th field."""
        return cls(*(normals[i] for i in range(len(cls._fields))))


SHOCKS = Shocks._fields
N_NORMALS = len(SHOCKS)
"""Correlated normal shocks per draw-quarter."""
N_UNIFORMS = 2
"""Uniforms per draw-quarter: the Fed's quarterly move, the regime transition."""

PRIOR_Z = np.linspace(-6.0, 6.0, 481)
"""Standard-normal scores at which each prior's quantile function is tabulated."""

REGIMES = ("ramp", "wobble", "bust")


class Initial(NamedTuple):
    """Initial conditions of one scenario (scalars; annual rates, $bn/yr flows)."""

    policy_rate: Array
    inflation: Array
    yield_10y: Array
    nominal_gdp_bn: Array
    capex_bn: Array
    depreciation_bn: Array       # annualised AI depreciation in the quarter before the start
    reported_depreciation_bn: Array  # the same at the anchors' useful life: what today's
    #                                  reported earnings include, whatever life the scenario sets
    ai_revenue_bn: Array
    years_to_2030: Array
    hw_china_revenue_bn: Array
    hw_net_margin: Array
    hw_revenue_bn: Array
    hw_opex_share: Array         # hardware operating (fixed) cost / revenue, after tax
    platform_earnings_bn: Array  # operating, including the AI P&L at the start
    other_earnings_bn: Array
    pe: Array                    # (3,) hardware, platforms, other 490
    expected_growth: Array       # (3,)
    unemployment: Array
    in_service_bn: Array         # $bn cost of AI capital in service in the quarter before
    credit_spread: Array         # AI borrowers'
    economy_spread: Array        # economy-wide (BAA - AAA)
    ai_debt_bn: Array
    index_level: Array
    volatility: Array


class ScenarioArrays(NamedTuple):
    """One scenario compiled to fixed-shape arrays (all numbers traced, none static)."""

    fed_move_cdf: Array        # (T, G) CDF of the quarter's total move over MOVE_GRID_BP
    fed_rule_weight: Array     # (T,) 0 up to the last listed meeting's quarter, then 1
    tariff_rate: Array         # (T,) effective tariff rate
    tariff_change: Array       # (T,) change of the effective rate in the quarter
    tariff_impulse: Array      # (T,) rate change spread over the pass-through window
    capex_growth: Array        # (T,) planned annual log growth of AI capex (slowdowns included)
    dep_weights: Array         # (T, L) depreciation of each ring slot's cost in quarter t
    imp_weights: Array         # (T, L) impairment of each ring slot's cost in quarter t
    nbv_weights: Array         # (T, L) book value left of each ring slot's cost after quarter t
    dep_prestart: Array        # (T,) $bn depreciation of the pre-start vintages in quarter t
    imp_prestart: Array        # (T,) $bn impairment of the pre-start vintages in quarter t
    nbv_prestart: Array        # (T,) $bn book value of the pre-start vintages after quarter t
    vintage0_bn: Array         # (V,) quarterly capex before the start, vintage tau at tau % V
    life_quarters: Array       # (T,) useful life of vintages installed in quarter t
    life_change_quarters: Array  # (T,) new life applied to all vintages in quarter t, 0 = none
    life0_quarters: Array      # () useful life of the vintages installed before the start
    impair_on_change: Array    # () 1.0 to book an impairment when the life is cut
    svc_weights: Array         # (T, L) 1 where a ring slot's vintage is in service in quarter t
    svc_prestart: Array        # (T,) $bn cost of the pre-start vintages in service in quarter t
    paths: Any                 # catalog.ScenarioPaths: every declared path, each (T,)
    earnings_growth_shift: Array  # (T, 3) annual log growth added to each group's earnings
    shock_scale: Array         # (T,) sqrt(quarter length / DT): the stub first quarter < 1
    years: Array               # (T,) years from the start to the end of quarter t
    shock_chol: Array          # (N_NORMALS, N_NORMALS) Cholesky factor of the shock correlation
    prior_table: Array         # (P, Q) quantile of each parameter at the scores PRIOR_Z
    init: Initial


class State(NamedTuple):
    """State of every draw after a quarter; each leaf has shape (B,) unless noted."""

    policy_rate: Array
    inflation: Array
    core_inflation: Array
    output_gap: Array
    unemployment: Array
    unemployment_change: Array  # U_t - U_{t-1}: what the Fed's rule reacts to next quarter
    term_premium: Array
    nominal_gdp_bn: Array
    log_capex: Array
    capex_bn: Array
    ring_bn: Array          # (L, B) quarterly capex of the horizon's vintages by ring slot
    funding_pressure: Array
    revenue_shock: Array
    log_price: Array
    utilisation: Array
    ai_revenue_bn: Array
    ai_opex_bn: Array
    hw_shift: Array         # cumulated log shift and shocks of hardware revenue
    hw_revenue_bn: Array
    hw_orders: Array        # smoothed annualised log growth of hardware revenue
    hw_margin: Array        # contribution margin (before the operating cost), after tax
    hw_fixed_bn: Array      # operating cost, after tax, annualised $bn
    earnings_cycle: Array   # log deviation of every group's earnings from trend
    core_platform_bn: Array
    other_earnings_bn: Array
    ai_debt_bn: Array
    spread_shock: Array     # the economy-wide spread's AR(1) shock (block 9b)
    economy_spread: Array
    credit_spread: Array
    regime: Array           # int32 index into REGIMES
    log_sv: Array
    pe_residual: Array      # (3, B) log P/E less its fair value (mean-reverting noise)
    log_pe: Array           # (3, B)
    expected_growth: Array  # (3, B)
    smooth_log_earnings: Array  # (3, B) EWMA of log earnings (what expectations follow)
    mcap_bn: Array          # (3, B)
    index_level: Array
    peak: Array
    drawdown: Array
    index_return: Array
    realized_var: Array
    volatility: Array
    stress: Array
    unwound: Array          # the share of hardware orders unfunded last quarter (block 8a)
    path_log_prob: Array    # log-probability of the regime path so far (score-function
    # sensitivities: ``regime.transition``); nothing the model reports depends on it


STATIC_FIELDS: tuple[str, ...] = ("vintage0_bn", "life0_quarters", "impair_on_change",
                                  "shock_chol", "prior_table", "init")
"""The fields of ``ScenarioArrays`` that are not per quarter; every other has a leading T."""


class Quarter(NamedTuple):
    """What the scan hands ``step()`` for one quarter: the scenario's inputs for the quarter
    (``inputs``: ``ScenarioArrays`` sliced at the quarter, its ``STATIC_FIELDS`` None), the
    ring slot its capex vintage goes to, and the quarter's random numbers."""

    inputs: ScenarioArrays
    slot: Array              # ring slot written this quarter (int32)
    normals: Array           # (N_NORMALS, B) correlated
    uniforms: Array          # (N_UNIFORMS, B): the Fed's move, the regime transition
