"""Initial conditions of the model, derived from the anchor figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..sim.model.earnings import HW_REVENUE_SHARE_BOUNDS
from ..sim.model.valuation import PE_BOUNDS
from .anchors import Anchor, anchor_values


def initial_conditions(anchors: Mapping[str, Anchor] | None = None) -> dict[str, Any]:
    """Starting values (annual rates, $bn/yr flows, $bn stocks) for the fields of
    ``aicapex.sim.model.Initial`` that do not depend on the scenario's dates or lives."""
    a = anchor_values(anchors)
    hw_revenue = 4.0 * (a["nvidia_q3_revenue_bn"] + a["broadcom_amd_quarterly_revenue_bn"])
    hw_earnings = 4.0 * (a["nvidia_q3_net_income_bn"]
                         + a["broadcom_amd_quarterly_net_income_bn"])
    platform_earnings = 4.0 * a["platform_quarterly_net_income_bn"]
    other_earnings = a["sp500_annual_earnings_bn"] - hw_earnings - platform_earnings
    mag10_mcap = a["mag10_weight"] * a["sp500_market_cap_bn"]
    mcap = np.array([a["hardware_market_cap_bn"], mag10_mcap - a["hardware_market_cap_bn"],
                     a["sp500_market_cap_bn"] - mag10_mcap])
    earnings = np.array([hw_earnings, platform_earnings, other_earnings])
    if np.any(mcap <= 0) or np.any(earnings <= 0):
        raise ValueError("anchors give a non-positive market cap or earnings for a group: "
                         f"market caps {mcap.tolist()}, earnings {earnings.tolist()}")
    pe = mcap / earnings
    if np.any((pe < PE_BOUNDS[0]) | (pe > PE_BOUNDS[1])):
        raise ValueError(
            f"anchors give starting P/Es of {', '.join(f'{x:.3g}' for x in pe)} (hardware, "
            f"platforms, other 490), outside the [{PE_BOUNDS[0]:g}, {PE_BOUNDS[1]:g}] the model "
            "keeps a P/E in, so the first quarter would jump to it: a group's P/E is its market "
            "cap (sp500_market_cap_bn, mag10_weight, hardware_market_cap_bn) over its earnings "
            "(sp500_annual_earnings_bn, platform_quarterly_net_income_bn, nvidia_q3_net_income_bn"
            ", broadcom_amd_quarterly_net_income_bn)")
    share = hw_revenue / a["us_nominal_gdp_bn"]
    lo, hi = HW_REVENUE_SHARE_BOUNDS
    if not lo <= share <= hi:
        raise ValueError(
            f"anchors give the hardware suppliers a revenue of {share:.3%} of nominal GDP, "
            f"outside the [{lo:.1%}, {hi:.0%}] the model keeps it in: their revenue is four "
            "quarters of nvidia_q3_revenue_bn and broadcom_amd_quarterly_revenue_bn, over "
            "us_nominal_gdp_bn")
    expected_growth = np.full(3, a["eps_growth_10y"])
    return dict(
        policy_rate=a["policy_rate"],
        inflation=a["inflation"],
        yield_10y=a["yield_10y"],
        nominal_gdp_bn=a["us_nominal_gdp_bn"],
        capex_bn=a["ai_buildout_gdp_share"] * a["us_nominal_gdp_bn"],
        ai_revenue_bn=12.0 * a["ai_revenue_monthly_bn"],
        hw_china_revenue_bn=4.0 * a["nvidia_china_quarterly_bn"],
        hw_net_margin=hw_earnings / hw_revenue,
        hw_revenue_bn=hw_revenue,
        hw_opex_share=a["hardware_opex_share"],
        unemployment=a["unemployment_rate"],
        platform_earnings_bn=platform_earnings,
        other_earnings_bn=other_earnings,
        pe=pe,
        expected_growth=expected_growth,
        credit_spread=a["ai_credit_spread"],
        economy_spread=a["economy_credit_spread"],
        ai_debt_bn=a["ai_debt_bn"],
        index_level=a["sp500_level"],
        volatility=a["implied_vol_start"],
    )
