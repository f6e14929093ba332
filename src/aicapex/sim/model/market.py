"""Block 13: market caps, the S&P 500 level, its drawdown and realised volatility.

Market caps are $bn (3, B) per group (hardware, platforms, other 490); the index is in index
points, (B,).
"""

from __future__ import annotations

from .deferred import jnp
from .specs import OutputSpec
from .types import DT, Initial
from .xla import group_rows, nonnegative, sum_rows3

REALIZED_VAR_MEMORY = 0.5
"""EWMA weight on last quarter's realised variance."""
PLATFORM_EARNINGS_FLOOR = 0.1
"""The platforms' P/E applies to earnings floored at 10% of their core earnings ..."""
HW_EARNINGS_FLOOR = 0.03
"""... and the hardware group's to earnings floored at 3% of its revenue: in a collapse with
losses the market values it on sales (Cisco, Lucent, Nortel in 2001-02), so its market cap
stays positive and defined."""

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("mcap_hw", "$bn", "market cap of AI hardware suppliers"),
    OutputSpec("mcap_platforms", "$bn", "market cap of the platforms"),
    OutputSpec("mcap_other", "$bn", "market cap of the other 490"),
    OutputSpec("mag10_weight", "1", "Magnificent-Ten share of S&P 500 market cap", (0.0, 1.0)),
    OutputSpec("index_level", "index points", "S&P 500 level"),
    OutputSpec("drawdown", "1", "drawdown of the index from its running peak (quarter-end)",
               (0.0, 1.0)),
    OutputSpec("realized_vol", "1/yr",
               "realised index volatility, EWMA of quarterly returns, annualised"),
)
"""What the blocks of this module report every quarter (``catalog.Outputs``)."""


def initial_earnings(init: Initial):
    """Earnings of the three groups at the start (3,), annualised $bn."""
    return jnp.stack([init.hw_net_margin * init.hw_revenue_bn, init.platform_earnings_bn,
                      init.other_earnings_bn])


def priced_earnings(e_hw, hw_revenue, e_platforms, core_platforms, e_other):
    """The earnings each group's P/E applies to, as (3, B) logs:
    log (max(E^hw_t, HW_EARNINGS_FLOOR * HW_t), max(E^pl_t, PLATFORM_EARNINGS_FLOOR * core_t),
    E^o_t)."""
    hw_for_pe = jnp.maximum(e_hw, HW_EARNINGS_FLOOR * hw_revenue)
    platform_for_pe = jnp.maximum(e_platforms, PLATFORM_EARNINGS_FLOOR * core_platforms)
    return jnp.log(group_rows(hw_for_pe, platform_for_pe, e_other))


def index(init: Initial, log_pe, log_e, prev_index, prev_peak, prev_realized_var):
    """Block 13. Market caps, the index and its path statistics:

        MCAP_i,t = exp(log PE_i,t + log E_i,t)
        X_t      = X_0 * sum_i MCAP_i,t / sum_i PE_i,0 * E_i,0      (index level)
        ret_t    = log(X_t / X_{t-1}),   peak_t = max(peak_{t-1}, X_t)
        DD_t     = max(1 - X_t / peak_t, 0)
        RV_t     = REALIZED_VAR_MEMORY * RV_{t-1} + (1 - REALIZED_VAR_MEMORY) * ret_t^2 / DT

    Returns (MCAP_t (3, B), total market cap, X_t, ret_t, peak_t, DD_t, RV_t)."""
    mcap = jnp.exp(log_pe + log_e)
    total = sum_rows3(mcap)
    level = init.index_level * total / jnp.sum(init.pe * initial_earnings(init))
    ret = jnp.log(level / prev_index)
    peak = jnp.maximum(prev_peak, level)
    dd = nonnegative(1.0 - level / peak)
    rv = REALIZED_VAR_MEMORY * prev_realized_var + (1.0 - REALIZED_VAR_MEMORY) * ret**2 / DT
    return mcap, total, level, ret, peak, dd, rv
