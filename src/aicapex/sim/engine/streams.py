"""Each parameter's random-number stream, by name: the prior score of parameter ``name`` in
block ``k`` is drawn from ``fold_in(split(fold_in(key, k))[2], stream(name))``
(``rng.block_randoms``), so adding, removing or moving a parameter changes no other
parameter's draws.

The parameters of model v2 keep the streams they had when streams were numbered by position
(``NUMBERED``, frozen: a draw made then is the draw made now); every parameter added since has
the stream of its name's CRC-32 with the top bit set, a range no numbered stream reaches.
"""

from __future__ import annotations

import zlib

from ..model import PARAM_NAMES

NUMBERED: tuple[str, ...] = (
    "neutral_rate", "policy_pull", "taylor_weight", "fed_put_threshold", "fed_put_cut",
    "inflation_target", "inflation_persistence", "inflation_sigma", "phillips_slope",
    "tariff_passthrough", "import_share", "tariff_gdp_drag", "long_rate_beta", "term_premium_mean",
    "term_premium_persistence", "term_premium_sigma", "gdp_trend", "capex_gdp_multiplier",
    "rate_gdp_drag", "wealth_effect", "gdp_sigma", "gap_persistence", "okun_coefficient",
    "natural_unemployment", "capex_sigma", "discipline_threshold", "discipline_strength",
    "discipline_spread_sensitivity", "utilisation_discipline", "discipline_memory",
    "debt_financed_share", "ai_revenue_2030_bn", "ai_revenue_ceiling_multiple",
    "ai_opex_per_revenue", "ai_revenue_sigma", "ai_revenue_persistence", "start_utilisation",
    "capacity_growth", "glut_utilisation", "glut_price_beta", "unit_cost_decline",
    "chip_share_of_capex", "hw_margin_floor", "hw_margin_erosion", "hw_cost_adjustment",
    "other_buyers_growth", "platform_core_growth", "other_core_growth", "other_gdp_leverage",
    "other_net_margin", "earnings_sigma", "earnings_persistence", "tax_rate",
    "ai_productivity_gain", "spread_persistence", "spread_sigma", "spread_leverage_beta",
    "spread_drawdown_beta", "pe_mean_reversion", "erp_stress_beta", "pe_max", "yield_passthrough",
    "long_run_growth", "excess_growth_years", "growth_expectation_speed", "expected_growth_cap",
    "growth_revision_utilisation", "capex_reflex", "premium_wobble_ai", "premium_bust_ai",
    "premium_wobble_other", "premium_bust_other", "beta_hw", "beta_platforms", "beta_other",
    "vol_ramp", "vol_wobble", "vol_bust", "sv_persistence", "sv_sigma", "p_ramp_to_wobble",
    "p_wobble_to_bust", "p_wobble_to_ramp", "p_bust_to_wobble", "fragility_gap", "fragility_capex",
    "fragility_orders", "fragility_spread", "fragility_real_yield", "fragility_inflation",
    "fragility_drawdown",
)
"""The parameters whose stream is their position here (never edit: it would change draws)."""

_NUMBER = {name: i for i, name in enumerate(NUMBERED)}


def stream(name: str) -> int:
    """The stream id (an unsigned 32-bit int) of parameter ``name``'s prior scores."""
    if name in _NUMBER:
        return _NUMBER[name]
    return (zlib.crc32(name.encode("utf-8")) | 0x8000_0000) & 0xFFFF_FFFF


PARAM_STREAMS: tuple[int, ...] = tuple(stream(n) for n in PARAM_NAMES)
"""The stream of each parameter of ``sim.model.PARAMETERS``, in its order."""

if len(set(PARAM_STREAMS)) != len(PARAM_STREAMS):
    raise ValueError("two parameters share a random-number stream; rename one")
