"""Plots a committee would want: fan charts over time and horizon histograms, one colour per
scenario throughout.

Figures are ``matplotlib.figure.Figure`` objects made without pyplot, so nothing here touches
pyplot's global state or the user's backend; only ``fan_chart`` and ``horizon_histogram``
called without ``ax=`` (interactive use, e.g. a notebook cell) import pyplot, lazily, to
make a figure the user's backend shows."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .dataset import is_summary

BANDS = ((0.05, 0.95, 0.15), (0.25, 0.75, 0.30))

FAN_PANELS: dict[str, tuple[str, ...]] = {
    "index_level": ("index_level",),
    "earnings": ("earnings_hw", "earnings_platforms", "earnings_other"),
    "ai_capex_revenue": ("ai_capex", "ai_revenue"),
}


def scenario_colors(names: Sequence[str]) -> dict[str, tuple]:
    """A stable colour per scenario (tab10, tab20 beyond ten scenarios)."""
    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


def _label(ds: xr.Dataset, var: str) -> str:
    a = ds[var].attrs
    return f"{a.get('long_name', var)} [{a.get('units', '')}]"


def _new_axes(figsize):
    """Axes of a new pyplot figure, for interactive use (the user's backend shows it)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def fan_chart(ds: xr.Dataset, var: str = "index_level", ax=None, qs: xr.Dataset | None = None):
    """Median and 25-75% / 5-95% bands of ``var`` over time, one colour per scenario, on
    ``ax`` (default: a new figure). ``qs``: precomputed quantiles over draws (a summary-only
    dataset is its own); returns the axes."""
    if ax is None:
        ax = _new_axes((9, 5))
    names = [str(s) for s in ds["scenario"].values]
    colors = scenario_colors(names)
    if qs is None:
        qs = ds if is_summary(ds) else ds[[var]].quantile([0.05, 0.25, 0.5, 0.75, 0.95], "draw")
    q = qs
    t = ds["time"].values
    # beyond four scenarios the outer bands overlap into mush: medians and 25-75% only
    bands = BANDS if len(names) <= 4 else ((0.25, 0.75, 0.15),)
    for name in names:
        qv = q[var].sel(scenario=name)
        for lo, hi, alpha in bands:
            ax.fill_between(t, qv.sel(quantile=lo), qv.sel(quantile=hi),
                            color=colors[name], alpha=alpha, linewidth=0)
        ax.plot(t, qv.sel(quantile=0.5), color=colors[name], lw=2, label=name)
    ax.set_ylabel(ds[var].attrs.get("units", ""))
    shown = "25-75% and 5-95%" if len(bands) == 2 else "25-75%"
    title = f"{ds[var].attrs.get('long_name', var)}: median, {shown} of draws"
    ax.set_title(textwrap.fill(title, 62), fontsize=9)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(alpha=0.3)
    return ax


def horizon_histogram(ds: xr.Dataset, var: str = "index_level", ax=None, bins: int = 60):
    """Overlaid histograms of ``var`` at the last quarter, one per scenario, on ``ax``
    (default: a new figure); returns the axes."""
    if ax is None:
        ax = _new_axes((9, 5))
    names = [str(s) for s in ds["scenario"].values]
    colors = scenario_colors(names)
    if is_summary(ds):
        return _summary_histogram(ds, ax, names, colors)
    final = ds[var].isel(time=-1)
    lo, hi = np.nanpercentile(final.values, [0.5, 99.5])
    edges = np.linspace(lo, hi, bins + 1)
    for name in names:
        v = final.sel(scenario=name).values
        ax.hist(v, bins=edges, density=True, histtype="stepfilled", alpha=0.25,
                color=colors[name])
        ax.hist(v, bins=edges, density=True, histtype="step", lw=1.5, color=colors[name],
                label=f"{name} (median {np.median(v):,.0f})")
    start = ds[var].attrs.get("start_value")
    if start is not None:
        ax.axvline(start, color="k", ls="--", lw=1, label=f"start {start:,.0f}")
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    ax.set_xlabel(_label(ds, var))
    ax.set_ylabel("density")
    ax.set_title(f"{ds[var].attrs.get('long_name', var)} at the horizon ({when}), "
                 "distribution over draws (central 99%)", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


def _summary_histogram(ds: xr.Dataset, ax, names, colors):
    """Horizon histogram of a summary-only run, from its stored index histogram."""
    for name in names:
        counts = ds["index_horizon_counts"].sel(scenario=name).values
        edges = ds["index_horizon_edges"].sel(scenario=name).values
        dens = counts / max(counts.sum(), 1) / np.diff(edges)
        med = float(ds["index_level"].sel(scenario=name, quantile=0.5).isel(time=-1))
        ax.stairs(dens, edges, fill=True, alpha=0.25, color=colors[name])
        ax.stairs(dens, edges, lw=1.5, color=colors[name], label=f"{name} (median {med:,.0f})")
    start = ds["index_level"].attrs.get("start_value")
    if start is not None:
        ax.axvline(start, color="k", ls="--", lw=1, label=f"start {start:,.0f}")
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    ax.set_xlabel(_label(ds, "index_level"))
    ax.set_ylabel("density")
    ax.set_title(f"S&P 500 level at the horizon ({when}), distribution over "
                 f"{int(ds.attrs.get('draws_accumulated', 0)):,} draws", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


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


def write_plots(ds: xr.Dataset, out_dir: Path, fmt: str = "png") -> list[Path]:
    """Write the standard figures to ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = sorted({v for vs in FAN_PANELS.values() for v in vs})
    qs = ds if is_summary(ds) else ds[wanted].quantile(
        [0.05, 0.25, 0.5, 0.75, 0.95], "draw")
    paths = []
    for key, variables in FAN_PANELS.items():
        rows = -(-ds.sizes["scenario"] // 5)  # legend rows, roughly: a taller figure for them
        fig = Figure(figsize=(10, 3.6 * len(variables) + 0.4 * rows))
        axes = fig.subplots(len(variables), 1, sharex=True, squeeze=False)
        for ax, var in zip(axes[:, 0], variables, strict=True):
            fan_chart(ds, var, ax=ax, qs=qs)
        fig.tight_layout(rect=(0, figure_legend(fig, axes[0, 0]), 1, 1))
        path = out_dir / f"fan_{key}.{fmt}"
        fig.savefig(path, dpi=120)
        paths.append(path)
    fig = Figure(figsize=(10, 5.5))
    ax = fig.subplots()
    horizon_histogram(ds, "index_level", ax=ax)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    path = out_dir / f"horizon_index_level.{fmt}"
    fig.savefig(path, dpi=120)
    paths.append(path)
    return paths
