"""Plausibility scales of the scenario shocks, fitted to history: how far a five-year average
of each driver strays from its long-run mean.

A scenario shock (``aicapex.analysis.shocks``) shifts a driver's path over the horizon. Its
plausibility scale ``sigma_k`` is the standard deviation, over every ``H``-year window of the
history (overlapping, one period apart), of the window's mean around the sample mean:

    sigma_k = sd_w( mean_{t in w} x_t - mean_t x_t ),        H = 5 years

so a shock of one ``sigma_k`` moves the five-year average as far as history's typical
five-year episode did. The Fed path's driver is a cumulative move, so its scale is the sd of
the ``H``-year change of the 3-month T-bill rate. Overlapping windows share data: the scale
is a descriptive statistic of history, and its standard error (reported) is the block
bootstrap's, over blocks of ``H`` years.

Drivers history does not cover (AI capex growth, the AI price decline, useful lives, tariffs
in this data) keep the stated assumptions of ``analysis.shocks``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import history as h

HORIZON_YEARS = 5
BOOTSTRAP_DRAWS = 500


def window_mean_sd(x: pd.Series, per_year: int, years: int = HORIZON_YEARS) -> float:
    """sd over every ``years``-long window of ``x`` (``per_year`` observations a year) of
    the window's mean minus the sample mean."""
    w = per_year * years
    means = x.rolling(w).mean().dropna()
    return float(np.std(means - x.mean(), ddof=1))


def window_change_sd(x: pd.Series, per_year: int, years: int = HORIZON_YEARS) -> float:
    """sd of the ``years``-year change of ``x``."""
    return float(np.std(x.diff(per_year * years).dropna(), ddof=1))


def _bootstrap_se(stat, x: pd.Series, per_year: int, seed: int) -> float:
    """Moving-block bootstrap standard error of ``stat(x)``, blocks of ``HORIZON_YEARS``."""
    rng = np.random.default_rng(seed)
    v = x.to_numpy()
    block = per_year * HORIZON_YEARS
    n_blocks = -(-len(v) // block)
    out = []
    for _ in range(BOOTSTRAP_DRAWS):
        starts = rng.integers(0, len(v) - block + 1, n_blocks)
        sample = np.concatenate([v[s:s + block] for s in starts])[: len(v)]
        out.append(stat(pd.Series(sample), per_year))
    return float(np.std(out, ddof=1))


def shock_scales() -> dict[str, dict[str, Any]]:
    """The fitted scales by shock name (``estimate``, ``se``, ``unit``, ``method``, ``data``,
    ``n``): the ``shock_scales`` section of ``fitted.yaml``."""
    macro = h.macro_quarterly()
    treasury = h.treasury_quarterly()
    spread = h.credit_spread_quarterly().dropna()
    sh = h.shiller_annual()
    annual_10y = treasury["r10y"].groupby(treasury.index.year).mean()
    ep = (sh["earnings"] / sh["price"])
    years = ep.index.intersection(annual_10y.index)
    series = {
        "gdp_shift": (macro["gdp_growth"], 4, window_mean_sd,
                      "real GDP growth (annualised quarterly log change), statsmodels "
                      "macrodata", "five-year mean's departure from the sample mean"),
        "spread_shift": (spread, 4, window_mean_sd, "Moody's BAA - AAA at quarter ends "
                         "(arch.data.default)", "five-year mean's departure from the sample "
                         "mean"),
        "term_premium_shift": (treasury["r10y"] - treasury["r3m"], 4, window_mean_sd,
                               "10-year minus 3-month Treasury yield at quarter ends "
                               "(Ecdat/Irates), a proxy of the term premium",
                               "five-year mean's departure from the sample mean"),
        "erp_shift": (ep.loc[years] - annual_10y.loc[years], 1, window_mean_sd,
                      "Shiller earnings yield minus the year's mean 10-year Treasury yield "
                      "(Ecdat/PE, Ecdat/Irates), a proxy of the equity risk premium",
                      "five-year mean's departure from the sample mean"),
        "earnings_growth_shift": (np.log(sh["earnings"]).diff().dropna(), 1, window_mean_sd,
                                  "Shiller S&P composite annual log earnings growth "
                                  "(Ecdat/PE)",
                                  "five-year mean's departure from the sample mean"),
        "fed_path": (macro["tbill"], 4, window_change_sd, "3-month T-bill rate, statsmodels "
                     "macrodata", "sd of its five-year change"),
    }
    out = {}
    for i, (name, (x, per_year, stat, data, method)) in enumerate(series.items()):
        x = x.dropna()
        first, last = x.index[0], x.index[-1]
        span = (f"{getattr(first, 'year', first)}-{getattr(last, 'year', last)}")
        out[name] = {"estimate": stat(x, per_year),
                     "se": _bootstrap_se(stat, x, per_year, seed=i),
                     "unit": "1/yr",
                     "method": f"{method}, every {HORIZON_YEARS}-year window; se by "
                               f"{HORIZON_YEARS}-year block bootstrap",
                     "data": f"{data}, {span}", "n": len(x)}
    return out
