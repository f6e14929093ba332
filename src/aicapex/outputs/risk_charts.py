"""Charts of the analyses of a run (``aicapex.analysis``): the scenario-implied volatility
surface, the drivers' tornado and the autodiff sensitivities. Made without pyplot, like
``plots``; a chart called without ``ax=`` in a notebook makes a pyplot figure.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .plots import _new_axes, scenario_style


def vol_chart(surface: xr.Dataset, maturity: int = 4, fig: Figure | None = None) -> Figure:
    """The scenario-implied volatility (``aicapex.analysis.vol_surface``'s result): left, each
    scenario's smile at ``maturity`` quarters (implied vol against strike / start); right, the
    at-the-money term structure; the market's implied vol at the start as a dashed line, both
    in %. ``maturity`` falls back to the longest available below it."""
    fig = fig or Figure(figsize=(11, 4.4))
    left, right = fig.subplots(1, 2)
    mats = [int(m) for m in surface["maturity"].values]
    m = max([x for x in mats if x <= maturity] or mats[:1])
    market = 100 * float(surface.attrs.get("market_vol", np.nan))
    for name in surface["scenario"].values:
        colour, style = scenario_style(str(name))
        iv = surface["implied_vol"].sel(scenario=name)
        left.plot(100 * surface["moneyness"], 100 * iv.sel(maturity=m), style, color=colour,
                  marker="o", ms=3, label=str(name))
        right.plot(mats, 100 * surface["atm_vol"].sel(scenario=name), style, color=colour,
                   marker="o", ms=3, label=str(name))
    for ax in (left, right):
        ax.axhline(market, color="k", ls="--", lw=1, label=f"market at the start {market:.1f}%")
        ax.set_ylabel("implied vol (%)")
        ax.grid(alpha=0.3)
    left.set_xlabel("strike (% of the index at the start)")
    left.set_title(f"Smile at {m} quarter(s)", fontsize=10)
    right.set_xlabel("maturity (quarters)")
    right.set_title("At-the-money term structure", fontsize=10)
    right.legend(fontsize=7, loc="best")
    fig.suptitle(f"Implied volatility of the scenarios' index distributions "
                 f"({surface.attrs.get('measure', '')} measure)", fontsize=11)
    fig.tight_layout()
    return fig


def tornado_chart(drivers, ax=None, top: int = 12):
    """What drives the outcome (``aicapex.analysis.driver_table``'s result): the ``top``
    parameters by the size of their one-sd effect, as horizontal bars (in % for rates and
    shares of the outcome), each labelled with its variance share."""
    if ax is None:
        ax = _new_axes((9, 0.35 * min(top, len(drivers)) + 1.6))
    t = drivers.dropna(subset=["one_sd_effect"]).head(top).iloc[::-1]
    y = np.arange(len(t))
    effect = 100 * t["one_sd_effect"].to_numpy()
    ax.barh(y, effect, color=["#D55E00" if e < 0 else "#0072B2" for e in effect], alpha=0.85)
    ax.set_yticks(y, [str(p) for p in t["parameter"]], fontsize=8)
    for yi, e, share in zip(y, effect, t["variance_share"], strict=True):
        ax.annotate(f"{100 * share:.0f}% of var" if np.isfinite(share) else "", (e, yi),
                    xytext=(3 if e >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if e >= 0 else "right", va="center", fontsize=7)
    ax.axvline(0, color="k", lw=0.8)
    outcome = str(t["outcome"].iloc[0]).replace("_", " ") if len(t) else ""
    ax.set_xlabel(f"effect of a one-sd move of the prior on the {outcome} (pp)")
    scen = str(t["scenario"].iloc[0]) if len(t) else ""
    ax.set_title(f"What drives the outcome ({scen}; linear fit R² "
                 f"{float(t['linear_r2'].iloc[0]) if len(t) else float('nan'):.2f})",
                 fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax


def sensitivity_chart(table, metric: str = "median_index", ax=None, top: int = 12):
    """Autodiff sensitivities (``aicapex.analysis.sensitivity.sensitivity_table``) of one
    metric as a tornado: the ``top`` inputs by the size of the effect of a one-sd move of a
    prior or a 1pp shock."""
    t = table[(table["metric"] == metric)].dropna(subset=["effect"])
    t = t.reindex(t["effect"].abs().sort_values(ascending=False).index).head(top).iloc[::-1]
    if ax is None:
        ax = _new_axes((9, 0.35 * len(t) + 1.6))
    y = np.arange(len(t))
    effect = t["effect"].to_numpy()
    ax.barh(y, effect, color=["#D55E00" if e < 0 else "#0072B2" for e in effect], alpha=0.85,
            hatch=["//" if k == "shock size" else "" for k in t["kind"]], edgecolor="white")
    labels = [f"{i} (+1pp)" if k == "shock size" else f"{i} (+1 sd)"
              for i, k in zip(t["input"], t["kind"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"change of {metric.replace('_', ' ')}")
    scen = str(t["scenario"].iloc[0]) if len(t) else ""
    ax.set_title(f"Sensitivities by autodiff ({scen})", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax
