"""Charts that carry a run's message, for full-path and summary-only datasets alike.

- ``tail_chart``: the key finding, P(drawdown > 20%) and P(index below its start) by
  scenario with Monte Carlo error bars;
- ``fan_chart`` (one axes: every scenario's median, bands while they stay legible) and
  ``fan_grid`` (small multiples: each scenario's bands, sample paths and the baseline's
  median), with the start level and a -20% line;
- ``exceedance_chart``: P(index change at the horizon <= x) by scenario;
- ``regime_chart``: the probability of each regime (a bust, by default) over time;
- ``attribution_chart``: each group's market-cap change as a waterfall of earnings and
  multiple, in %;
- ``horizon_histogram``: the distribution of the index change at the horizon;
- ``sweep_chart``: the median index change against the swept values of a sweep.

Colours are colour-blind safe (Okabe-Ito) and keyed by scenario name (``scenario_style``):
a scenario keeps its colour in every run. Rates and shares are shown in %. Figures are made
without pyplot (nothing touches pyplot's state or the user's backend); a chart called
without ``ax=`` in a notebook makes a pyplot figure, which the user's backend shows.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .dataset import is_summary
from .summary import index_distribution, reference_scenario

QS = (0.05, 0.25, 0.5, 0.75, 0.95)
BANDS = ((0.05, 0.95, 0.14), (0.25, 0.75, 0.30))
MAX_OVERLAID_BANDS = 3
"""Beyond this many scenarios one axes shows medians only (bands overlap into one colour):
``fan_grid`` gives each scenario its own panel."""

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
"""Okabe & Ito's colour-blind-safe palette (black is the baseline's)."""

FIXED_STYLES: dict[str, tuple[str, str]] = {
    "baseline": ("#000000", "-"), "ramp": ("#009E73", "-"), "capex_slowdown": ("#D55E00", "-"),
    "ai_revenue_shortfall": ("#CC79A7", "-"), "fast_depreciation": ("#E69F00", "-"),
    "credit_stress": ("#0072B2", "-"), "tariff_escalation": ("#56B4E9", "-"),
    "fed_hawkish": ("#D55E00", "--"), "fed_put": ("#009E73", "--"),
    "fed_severely_adverse": ("#CC79A7", "--"), "china_commoditisation": ("#E69F00", "--"),
    "dotcom_2000": ("#000000", "-"), "dotcom_replay": ("#0072B2", "--"),
    "financing_unwind": ("#56B4E9", "--"),
}
"""The built-ins' colours and line styles: distinct in any run of the library."""

PERCENT = ("1/yr", "1")
"""Human units shown in %: rates (annual decimals) and shares."""


def scenario_style(name: str) -> tuple[str, str]:
    """(colour, line style) of a scenario, from its name only: fixed for the built-ins, a
    hash of the name into the palette and three line styles for any other."""
    if name in FIXED_STYLES:
        return FIXED_STYLES[name]
    h = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    return OKABE_ITO[h % len(OKABE_ITO)], ("-", "--", ":")[(h // len(OKABE_ITO)) % 3]


def scenario_colors(names: Sequence[str]) -> dict[str, str]:
    """Each scenario's colour (``scenario_style``)."""
    return {n: scenario_style(n)[0] for n in names}


def display(ds: xr.Dataset, var: str) -> tuple[float, str]:
    """(scale, unit label) a chart shows ``var`` in: rates and shares x100 in %."""
    a = ds[var].attrs
    human = a.get("display_units", a.get("units", ""))
    if human in PERCENT and var != "regime":
        return 100.0, "%"
    return 1.0, human


def _title(ds: xr.Dataset, var: str) -> str:
    long = ds[var].attrs.get("long_name", var)
    return long.split(" (")[0]


def _new_axes(figsize):
    """Axes of a new pyplot figure, for interactive use (the user's backend shows it)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def _names(ds: xr.Dataset) -> list[str]:
    return [str(s) for s in ds["scenario"].values]


def quantiles_of(ds: xr.Dataset, variables: Sequence[str]) -> xr.Dataset:
    """The chart quantiles (``QS``) over draws of ``variables`` (a summary dataset is its
    own)."""
    return ds if is_summary(ds) else ds[list(variables)].quantile(list(QS), "draw")


def _references(ax, ds: xr.Dataset, var: str, scale: float) -> None:
    """The start level (dotted) and, for the index, the level 20% below it (dashed red)."""
    start = ds[var].attrs.get("start_value")
    if start is None:
        return
    ax.axhline(start * scale, color="0.35", ls=":", lw=1, label="start")
    if var == "index_level":
        ax.axhline(0.8 * start, color="#D55E00", ls="--", lw=0.9, label="-20% from start")


def fan_chart(ds: xr.Dataset, var: str = "index_level", ax=None, qs: xr.Dataset | None = None,
              scenarios: Sequence[str] | None = None):
    """Every scenario's median of ``var`` over time, with its 25-75% and 5-95% bands while
    at most ``MAX_OVERLAID_BANDS`` scenarios share the axes (``fan_grid`` shows each
    scenario's bands in its own panel), on ``ax`` (default: a new figure). ``qs``: the
    quantiles (``quantiles_of``) if already computed. Returns the axes."""
    if ax is None:
        ax = _new_axes((9, 5))
    names = list(scenarios) if scenarios is not None else _names(ds)
    q = qs if qs is not None else quantiles_of(ds, [var])
    scale, unit = display(ds, var)
    t = ds["time"].values
    banded = len(names) <= MAX_OVERLAID_BANDS
    drawn: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        colour, style = scenario_style(name)
        qv = q[var].sel(scenario=name) * scale
        if banded:
            for lo, hi, alpha in BANDS:
                ax.fill_between(t, qv.sel(quantile=lo), qv.sel(quantile=hi), color=colour,
                                alpha=alpha, linewidth=0)
        median = qv.sel(quantile=0.5).values
        # a scenario that does not move this variable has another's median: say so, and
        # draw later lines thinner, so that the one beneath stays visible
        same = next((n for n, m in drawn.items() if np.allclose(m, median, rtol=1e-6)), None)
        label = name if same is None else f"{name} (= {same})"
        ax.plot(t, median, color=colour, ls=style, lw=max(3.2 - 0.25 * i, 1.0), label=label)
        drawn.setdefault(name, median)
    _references(ax, ds, var, scale)
    ax.set_ylabel(unit)
    shown = "median, 25-75% and 5-95% of draws" if banded else "medians of draws"
    ax.set_title(textwrap.fill(f"{_title(ds, var)}: {shown}", 62), fontsize=9)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(alpha=0.3)
    return ax


def _wrapped(name: str, width: int) -> str:
    """A scenario's name on lines of about ``width`` characters, broken at the dots before
    its parts (a sweep point's ``name.field1value.field2value``), so that a panel's title
    fits it."""
    lines = [""]
    for part in re.split(r"\.(?=[A-Za-z_])", name):  # not a value's decimal point
        piece = part if not lines[-1] else "." + part
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


def fan_grid(ds: xr.Dataset, var: str = "index_level", qs: xr.Dataset | None = None,
             paths: int = 12, columns: int = 4, fig: Figure | None = None) -> Figure:
    """Small multiples: one panel per scenario with its median, 25-75% and 5-95% bands,
    ``paths`` sample paths (full-path runs), the baseline's median (grey, dashed) and the
    reference lines; shared axes, so panels compare at a glance. Drawn on ``fig`` (default:
    a new figure, which a notebook displays); returns the figure."""
    names = _names(ds)
    q = qs if qs is not None else quantiles_of(ds, [var])
    cols = min(columns, len(names))
    rows = -(-len(names) // cols)
    fig = fig or Figure(figsize=(3.6 * cols + 0.6, 2.7 * rows + 0.6))
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    scale, unit = display(ds, var)
    t = ds["time"].values
    base = reference_scenario(names)
    rng = np.random.default_rng(0)
    for ax, name in zip(axes.flat, names, strict=False):
        colour, _ = scenario_style(name)
        qv = q[var].sel(scenario=name) * scale
        for lo, hi, alpha in BANDS:
            ax.fill_between(t, qv.sel(quantile=lo), qv.sel(quantile=hi), color=colour,
                            alpha=alpha, linewidth=0)
        if not is_summary(ds) and paths:
            draws = rng.choice(ds.sizes["draw"], min(paths, ds.sizes["draw"]), replace=False)
            sample = ds[var].sel(scenario=name).isel(draw=np.sort(draws)).values * scale
            ax.plot(t, sample.T, color=colour, lw=0.4, alpha=0.45)
        if name != base:
            ax.plot(t, q[var].sel(scenario=base, quantile=0.5) * scale, color="0.45", ls="--",
                    lw=1.2, label=f"{base} median")
        ax.plot(t, qv.sel(quantile=0.5), color=colour if colour != "#F0E442" else "0.2",
                lw=2, label="median")
        _references(ax, ds, var, scale)
        ax.set_title(_wrapped(name, 30), fontsize=9, color="k")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("'%y"))
        ax.grid(alpha=0.3)
    lo = float((q[var].sel(quantile=0.05) * scale).min())
    hi = float((q[var].sel(quantile=0.95) * scale).max())
    pad = 0.08 * (hi - lo)  # the bands set the scale; a sample path beyond them is cut
    axes[0, 0].set_ylim(min(lo, 0.75 * (ds[var].attrs.get("start_value", lo) * scale)) - pad,
                        hi + pad)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(unit)
    sample = "" if is_summary(ds) or not paths else f", {paths} sample paths"
    fig.suptitle(f"{_title(ds, var)}: median, 25-75% and 5-95% of draws{sample}; grey: "
                 f"{base}'s median, dotted: start" + (", red: -20%" if var == "index_level"
                                                      else ""), fontsize=10)
    fig.tight_layout()
    return fig


def _horizon_change(ds: xr.Dataset, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(change from the start at the horizon, weight) of one scenario: the draws (weights
    1/n) or, in summary mode, the stored histogram's bin centres and shares."""
    values, weights, _ = index_distribution(ds, scenario=name)
    keep = weights[0] > 0
    return values[0][keep] / ds["index_level"].attrs["start_value"] - 1.0, weights[0][keep]


def exceedance_chart(ds: xr.Dataset, ax=None):
    """P(index change from the start to the horizon <= x) against x, by scenario: read off
    "a 30% fall or worse has probability p" (reference lines at 0 and -20%)."""
    if ax is None:
        ax = _new_axes((9, 5))
    span = [np.inf, -np.inf]
    for name in _names(ds):
        x, w = _horizon_change(ds, name)
        order = np.argsort(x)
        cum = np.cumsum(w[order])
        colour, style = scenario_style(name)
        ax.step(x[order] * 100, cum * 100, where="post", color=colour, ls=style, lw=1.8,
                label=name)
        lo, hi = np.interp([0.002, 0.998], cum, x[order]) * 100
        span = [min(span[0], lo), max(span[1], hi)]
    ax.set_xlim(max(span[0], -100.0) - 5, span[1] + 5)  # the central 99.6% of every scenario
    for level, c in ((0.0, "0.35"), (-20.0, "#D55E00")):
        ax.axvline(level, color=c, ls=":" if level == 0 else "--", lw=1)
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    ax.set_xlabel(f"S&P 500 change from the start to {when}, %")
    ax.set_ylabel("probability of this change or worse, %")
    ax.set_title("How likely is each outcome? P(change <= x) over draws", fontsize=10)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    return ax


def horizon_histogram(ds: xr.Dataset, var: str = "index_level", ax=None, bins: int = 60):
    """The distribution of the index change from the start at the horizon, one outline per
    scenario, in % of draws per percentage point (full paths: the draws; summary: the
    stored histogram); returns the axes."""
    if var != "index_level":
        raise ValueError("the horizon histogram is of the index (index_level)")
    if ax is None:
        ax = _new_axes((9, 5))
    for name in _names(ds):
        x, w = _horizon_change(ds, name)
        colour, style = scenario_style(name)
        if is_summary(ds):
            # the stored bins, summed four by four (a 128th of the range: smooth enough)
            counts = ds["index_level_counts"].sel(scenario=name).isel(time=-1).values
            edges = ds["index_level_edges"].sel(scenario=name).isel(time=-1).values[::4]
            shares = counts.reshape(-1, 4).sum(-1) / max(counts.sum(), 1.0)
            edges = (edges / ds["index_level"].attrs["start_value"] - 1.0) * 100
            dens = shares * 100 / np.diff(edges)
        else:
            lo, hi = np.percentile(x, [0.5, 99.5]) * 100
            edges = np.linspace(lo, hi, bins + 1)
            dens = np.histogram(x * 100, bins=edges, weights=w * 100)[0] / np.diff(edges)
        median = np.interp(0.5, np.cumsum(w[np.argsort(x)]), np.sort(x)) * 100
        ax.stairs(dens, edges, color=colour, ls=style, lw=1.5,
                  label=f"{name} (median {median:+.0f}%)")
    ax.axvline(0, color="0.35", ls=":", lw=1)
    ax.axvline(-20, color="#D55E00", ls="--", lw=1)
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    ax.set_xlabel(f"S&P 500 change from the start to {when}, %")
    ax.set_ylabel("% of draws per percentage point")
    ax.set_title("Distribution of the index change at the horizon", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


def tail_chart(ds: xr.Dataset, ax=None):
    """The key finding: by scenario, P(max drawdown > 20% over the horizon) and P(index
    below its start at the horizon), with 95% Monte Carlo error bars (+-1.96 binomial
    standard errors), worst scenario on top."""
    from .summary import tail_events

    if ax is None:
        ax = _new_axes((9, 0.5 * ds.sizes["scenario"] + 1.6))
    t = tail_events(ds)
    dd = t[(t.event == "max_drawdown_exceeds") & np.isclose(t.level, 0.2)].set_index("scenario")
    below = t[t.event == "index_below_start"].set_index("scenario")
    names = list(dd.sort_values("probability").index)
    y = np.arange(len(names))
    colours = [scenario_style(n)[0] for n in names]
    hatches = ["" if scenario_style(n)[1] == "-" else "//" for n in names]
    ax.barh(y, dd.loc[names, "probability"] * 100, xerr=1.96 * dd.loc[names, "standard_error"]
            * 100, color=colours, alpha=0.85, hatch=hatches, edgecolor="white",
            error_kw={"lw": 1, "capsize": 3}, label="P(drawdown > 20%)")
    ax.errorbar(below.loc[names, "probability"] * 100, y,
                xerr=1.96 * below.loc[names, "standard_error"] * 100, fmt="D", color="k",
                ms=4, lw=1, capsize=2, label="P(index below start at the horizon)")
    for yi, n in zip(y, names, strict=True):
        p, se = dd.loc[n, "probability"], dd.loc[n, "standard_error"]
        ax.text((p + 1.96 * se) * 100 + 1, yi, f"{p:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 108)
    ax.set_xlabel("probability over draws, % (bars: 95% Monte Carlo interval)")
    ax.set_title("How likely is a 20% drawdown, and a loss at the horizon?", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return ax


def regime_probabilities(ds: xr.Dataset) -> xr.DataArray:
    """P(regime = r) by scenario, time and regime (0 ramp, 1 wobble, 2 bust): the share of
    draws (full paths) or, in summary mode, exactly from the stored mean m and sd s of the
    regime index: with values in {0, 1, 2}, P(2) = (s^2 + m^2 - m) / 2, P(1) = m - 2 P(2)."""
    from ..sim.model import REGIMES

    if is_summary(ds):
        m, s = ds["regime__mean"], ds["regime__std"]
        p2 = ((s**2 + m**2 - m) / 2).clip(0, 1)
        p1 = (m - 2 * p2).clip(0, 1)
        p = xr.concat([1 - p1 - p2, p1, p2], "regime")
    else:
        r = ds["regime"]
        p = xr.concat([(r == k).mean("draw") for k in range(len(REGIMES))], "regime")
    return p.assign_coords(regime=list(REGIMES)).transpose("scenario", "time", "regime")


def regime_chart(ds: xr.Dataset, regime: str = "bust", ax=None):
    """The probability of ``regime`` (``ramp``, ``wobble`` or ``bust``) over time, by
    scenario; returns the axes."""
    if ax is None:
        ax = _new_axes((9, 5))
    p = regime_probabilities(ds).sel(regime=regime)
    t = ds["time"].values
    for name in _names(ds):
        colour, style = scenario_style(name)
        ax.plot(t, p.sel(scenario=name) * 100, color=colour, ls=style, lw=1.8, label=name)
    ax.set_ylabel("% of draws")
    ax.set_ylim(0, 100)
    ax.set_title(f"Probability of the {regime} regime over time", fontsize=10)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(alpha=0.3)
    return ax


GROUPS = (("hw", "AI hardware"), ("platforms", "platforms"), ("other", "other 490"))


def attribution(ds: xr.Dataset):
    """Per scenario and group: the median market-cap change from the start to the horizon
    in % and its two parts, which add up to it: earnings (E_T/E_0 - 1 at the medians) and
    multiple ((E_T/E_0)(PE_T/PE_0) - E_T/E_0, the re-rating of the new earnings)."""
    import pandas as pd

    final = ds.isel(time=-1)

    def median(var):
        return final[var].sel(quantile=0.5) if is_summary(ds) else final[var].median("draw")

    rows = []
    for s in _names(ds):
        for key, label in GROUPS:
            e = float(median(f"earnings_{key}").sel(scenario=s)) / ds[
                f"earnings_{key}"].attrs["start_value"]
            pe = float(median(f"pe_{key}").sel(scenario=s)) / ds[f"pe_{key}"].attrs["start_value"]
            rows.append({"scenario": s, "group": label, "earnings": e - 1.0,
                         "multiple": e * pe - e, "market_cap": e * pe - 1.0})
    return pd.DataFrame(rows)


def attribution_chart(ds: xr.Dataset, fig: Figure | None = None) -> Figure:
    """Each group's median market-cap change as a waterfall, in %: the earnings bar from 0,
    the multiple's bar from there, a dot at the total; one panel per group, on ``fig``
    (default: a new figure); returns the figure."""
    a = attribution(ds)
    names = _names(ds)
    fig = fig or Figure(figsize=(15.6, 2.2 + 0.32 * len(names)))
    axes = fig.subplots(1, len(GROUPS), sharey=True)
    y = np.arange(len(names))
    for ax, (_, label) in zip(axes, GROUPS, strict=True):
        g = a[a["group"] == label].set_index("scenario").loc[names] * 100
        colours = [scenario_style(n)[0] for n in names]
        ax.barh(y, g["earnings"], color=colours, alpha=0.9, label="earnings")
        ax.barh(y, g["multiple"], left=g["earnings"], color=colours, alpha=0.35, hatch="//",
                edgecolor="k", lw=0.3, label="multiple (re-rating)")
        ax.scatter(g["market_cap"], y, color="k", zorder=3, s=14, label="market cap")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, names, fontsize=8)
        ax.set_xlabel("change from start to horizon, % (medians)")
        ax.set_title(f"{label}: earnings + re-rating = market cap", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].invert_yaxis()
    axes[0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def sweep_chart(ds: xr.Dataset, ax=None):
    """The response to a sweep: the median index change from the start to the horizon, in
    %, against the first swept field, one line per value of the second (if any); the
    others at each point's values. Returns the axes."""
    from .dataset import sweep_grid

    if ax is None:
        ax = _new_axes((9, 5))
    grid = sweep_grid(ds)
    fields = [d for d in grid["index_level"].dims if d not in ("draw", "quantile", "time")]
    final = grid["index_level"].isel(time=-1)
    median = final.sel(quantile=0.5) if is_summary(ds) else final.median("draw")
    change = (median / ds["index_level"].attrs["start_value"] - 1.0) * 100
    x = fields[0]
    others = change.stack(line=fields[1:]) if len(fields) > 1 else change.expand_dims(line=[0])
    shade = _shades(change, fields[1]) if len(fields) == 2 and others.sizes[
        "line"] > len(OKABE_ITO) else None  # more lines than distinct colours: a scale
    for k, line in enumerate(others.transpose("line", x)):
        label = (", ".join(f"{f} {line[f].item():g}" if isinstance(line[f].item(), float)
                           else f"{f} {line[f].item()}" for f in fields[1:])
                 if len(fields) > 1 else "median")
        color = OKABE_ITO[k % len(OKABE_ITO)] if shade is None else shade(line[fields[1]].item())
        ax.plot(line[x].values, line.values, marker="o" if shade is None else None,
                lw=1.8 if shade is None else 1.2, color=color,
                label=label if shade is None else None)
    if shade is not None:
        ax.figure.colorbar(shade.mappable, ax=ax, label=ds[fields[1]].attrs.get(
            "long_name", fields[1]))
    ax.axhline(0, color="0.35", ls=":", lw=1)
    ax.axhline(-20, color="#D55E00", ls="--", lw=0.9)
    ax.set_xlabel(ds[x].attrs.get("long_name", x))
    ax.set_ylabel("median S&P 500 change to the horizon, %")
    ax.set_title(f"Response to the sweep over {', '.join(fields)}", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


def _shades(change: xr.DataArray, field: str):
    """A colour per value of a numeric swept ``field`` on a sequential scale (``viridis``),
    for more lines than the palette has colours; ``.mappable`` draws its colour bar. None
    for values that are not numbers."""
    from matplotlib import cm, colors

    values = np.asarray(change[field].values)
    if values.dtype.kind not in "iuf":
        return None
    scale = cm.ScalarMappable(colors.Normalize(float(values.min()), float(values.max())),
                              "viridis")

    def shade(v):
        return scale.to_rgba(float(v))
    shade.mappable = scale
    return shade


def has_sweep(ds: xr.Dataset) -> bool:
    """Whether ``ds`` holds the points of a sweep (coordinates marked ``sweep_field``)."""
    return any("sweep_field" in c.attrs for c in ds.coords.values())


def figure_legend(fig, ax, fontsize: float = 8.0) -> float:
    """A legend below the axes with as many columns as the figure's width allows for the
    longest label; returns the fraction of the figure height it needs."""
    handles, labels = ax.get_legend_handles_labels()
    width_in, height_in = fig.get_size_inches()
    longest = max((len(lbl) for lbl in labels), default=1)
    chars_per_inch = 120.0 / fontsize  # ~15 characters per inch at 8 pt
    ncol = max(1, min(len(labels), int(width_in * chars_per_inch // (longest + 5))))
    rows = -(-len(labels) // ncol)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False,
               fontsize=fontsize)
    return min(0.5, (rows * fontsize * 1.5 / 72 + 0.15) / height_in)


def single(draw, figsize=(10, 5.5)) -> Figure:
    """A figure of one chart: ``draw(ax)``, then a legend unless the chart made its own."""
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    draw(ax)
    if not ax.get_legend() and ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=8, loc="best", ncol=1 if len(ax.get_legend_handles_labels()[1]) <= 8
                  else 2)
    fig.tight_layout()
    return fig
