"""The standard set of charts a run writes (``write_plots``, ``aicapex plot``) and the
gallery draws, each a function of ``plots``; a large run's charts draw a selection of its
scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .plots import (
    QS,
    attribution_chart,
    exceedance_chart,
    fan_chart,
    fan_grid,
    figure_legend,
    has_sweep,
    horizon_histogram,
    quantiles_of,
    regime_chart,
    single,
    sweep_chart,
    tail_chart,
)

FAN_PANELS: dict[str, tuple[str, ...]] = {
    "index_level": ("index_level",),
    "earnings": ("earnings_hw", "earnings_platforms", "earnings_other"),
    "ai_capex_revenue": ("ai_capex", "ai_revenue"),
    "rates": ("policy_rate", "yield_10y"),
}

PLOT_SCENARIOS = 12
"""Scenarios the standard charts draw at most: a larger run (a sweep of up to 1,000 points,
whose charts took over ten minutes and a 500-inch-tall figure) draws this many, evenly
spaced from the first to the last, and says so on each chart; the sweep's response chart
draws every point."""


def chart_selection(ds: xr.Dataset) -> tuple[xr.Dataset, str | None]:
    """The scenarios a run's charts draw (all, or ``PLOT_SCENARIOS`` evenly spaced from the
    first to the last) and the note that says so (None when all are drawn)."""
    n_all = ds.sizes["scenario"]
    if n_all <= PLOT_SCENARIOS:
        return ds, None
    shown = ds.isel(scenario=np.unique(np.linspace(0, n_all - 1, PLOT_SCENARIOS).round()
                                       .astype(int)))
    return shown, (f"{shown.sizes['scenario']} of {n_all:,} scenarios, evenly spaced "
                   "(every one is in summary.csv)")


def figures(ds: xr.Dataset, qs: xr.Dataset | None = None) -> dict[str, Figure]:
    """The standard charts of a run by file stem (``write_plots`` and the gallery). ``qs``:
    the run's quantiles over draws (``summary.quantiles``) where already computed."""
    shown, note = chart_selection(ds)
    if qs is not None and note:
        qs = qs.sel(scenario=shown["scenario"])
    out = _figures(shown, qs)
    if has_sweep(ds):
        out["sweep"] = single(lambda ax: sweep_chart(ds, ax=ax))
    for key, fig in out.items():
        if note and key != "sweep":
            fig.text(0.5, 0.998, note, ha="center", va="top", fontsize=7, color="0.35")
    return out


def _figures(ds: xr.Dataset, qs: xr.Dataset | None) -> dict[str, Figure]:
    wanted = sorted({v for vs in FAN_PANELS.values() for v in vs})
    if qs is None or not set(QS) <= set(qs["quantile"].values.tolist()):
        qs = quantiles_of(ds, wanted)
    n = ds.sizes["scenario"]
    out = {"tail_probabilities": single(lambda ax: tail_chart(ds, ax=ax), (9, 0.5 * n + 1.8))}
    out["fan_index_level_grid"] = fan_grid(ds, "index_level", qs=qs)
    for key, variables in FAN_PANELS.items():
        rows = -(-n // 5)  # legend rows, roughly: a taller figure for them
        fig = Figure(figsize=(10, 3.6 * len(variables) + 0.4 * rows))
        axes = fig.subplots(len(variables), 1, sharex=True, squeeze=False)
        for ax, var in zip(axes[:, 0], variables, strict=True):
            fan_chart(ds, var, ax=ax, qs=qs)
        fig.tight_layout(rect=(0, figure_legend(fig, axes[0, 0]), 1, 1))
        out[f"fan_{key}"] = fig
    out["exceedance_index_level"] = single(lambda ax: exceedance_chart(ds, ax=ax))
    out["horizon_index_level"] = single(lambda ax: horizon_histogram(ds, ax=ax))
    out["regime_bust"] = single(lambda ax: regime_chart(ds, "bust", ax=ax))
    out["attribution"] = attribution_chart(ds)
    return out


def write_plots(ds: xr.Dataset, out_dir: Path, fmt: str = "png",
                qs: xr.Dataset | None = None) -> list[Path]:
    """Write the standard charts (``figures``) to ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in figures(ds, qs).items():
        path = out_dir / f"{stem}.{fmt}"
        fig.savefig(path, dpi=120)
        paths.append(path)
    return paths
