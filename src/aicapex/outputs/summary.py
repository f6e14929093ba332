"""Summaries over draws: quantiles per quarter, tail probabilities, the horizon table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .dataset import VARIABLES, is_summary
from .metadata import RunMetadata

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DRAWDOWN_LEVELS = (0.10, 0.20, 0.30)


def quantiles(ds: xr.Dataset, q=QUANTILES) -> xr.Dataset:
    """Quantiles over draws of every variable: dims (quantile, scenario, time). NaN-aware
    (numpy's slower nanquantile) only where the run recorded non-finite values."""
    counts = RunMetadata.of(ds).nonfinite_counts
    clean = bool(counts) and not any(counts.values())
    return ds.quantile(list(q), dim="draw", keep_attrs=True, skipna=not clean)


def summary_table(ds: xr.Dataset, q=QUANTILES, qs: xr.Dataset | None = None) -> pd.DataFrame:
    """Long table: scenario, variable, quarter, mean and one column per quantile (plus each
    quantile's error bound for a summary-only run). Rows run variable by variable, each
    scenario's quarters in order; built from whole arrays (one ``sel`` per scenario and
    variable made a 1,000-point sweep's table take minutes). ``qs``: ``quantiles(ds, q)``
    if the caller has them (the charts use the same)."""
    summary = is_summary(ds)
    qs = ds if summary else (qs if qs is not None else quantiles(ds, q))
    quarters = pd.DatetimeIndex(ds["time"].values).to_period("Q").astype(str)
    scenarios = ds["scenario"].values
    n_s, n_t = len(scenarios), len(quarters)
    frames = []
    for name in VARIABLES:
        mean = ds[f"{name}__mean"] if summary else ds[name].mean("draw")
        row = {"scenario": np.repeat(scenarios, n_t), "variable": name,
               "units": ds[name].attrs.get("units", ""), "quarter": np.tile(quarters, n_s),
               "mean": mean.transpose("scenario", "time").values.ravel()}
        for qq in q:
            row[f"q{round(qq * 100):02d}"] = qs[name].sel(quantile=qq).transpose(
                "scenario", "time").values.ravel()
        if summary:
            row["quantile_error_bound"] = ds[f"{name}__qerr"].max("quantile").transpose(
                "scenario", "time").values.ravel()
        frames.append(pd.DataFrame(row))
    return pd.concat(frames, ignore_index=True)


def tail_probabilities(ds: xr.Dataset) -> pd.DataFrame:
    """Per scenario: P(max drawdown over the horizon beyond 10/20/30%) and P(index at the
    horizon below its start)."""
    if is_summary(ds):
        p = ds["p_drawdown_exceeds"]
        out = {f"P(drawdown>{round(float(lvl) * 100)}%)": p.sel(drawdown_level=lvl).values
               for lvl in p["drawdown_level"].values}
        out["P(index<start at horizon)"] = ds["p_below_start"].values
        return pd.DataFrame(out, index=pd.Index(ds["scenario"].values, name="scenario"))
    max_dd = ds["drawdown"].max("time")
    start = ds["index_level"].attrs.get("start_value")
    final = ds["index_level"].isel(time=-1)
    out = {}
    for lvl in DRAWDOWN_LEVELS:
        out[f"P(drawdown>{round(lvl * 100)}%)"] = (max_dd > lvl).mean("draw").values
    if start is not None:
        out["P(index<start at horizon)"] = (final < start).mean("draw").values
    return pd.DataFrame(out, index=pd.Index(ds["scenario"].values, name="scenario"))


def tail_events(ds: xr.Dataset) -> pd.DataFrame:
    """The tail probabilities as a tidy table, one row per scenario and event: ``event``
    (``max_drawdown_exceeds`` over the horizon, ``index_below_start`` at the horizon),
    ``level`` (the drawdown, or 0), ``probability``, its Monte Carlo ``standard_error``
    (binomial, ``sqrt(p (1 - p) / draws)``; antithetic draws make it an upper bound of the
    usual kind) and ``draws``. (``tail_probabilities.csv``, the key-findings chart.)"""
    wide = tail_probabilities(ds)
    n = float(ds.attrs.get("draws_accumulated") or ds.sizes.get("draw") or ds.attrs["draws"])
    rows = []
    for scenario, r in wide.iterrows():
        for col, p in r.items():
            if col.startswith("P(drawdown>"):
                event, level = "max_drawdown_exceeds", int(col[11:-2]) / 100
            else:
                event, level = "index_below_start", 0.0
            rows.append({"scenario": scenario, "event": event, "level": level,
                         "probability": p, "standard_error": float(np.sqrt(p * (1 - p) / n)),
                         "draws": int(n)})
    return pd.DataFrame(rows)


def horizon_table(ds: xr.Dataset) -> pd.DataFrame:
    """The closing table: index at the horizon (median, 5%, 95%), P(drawdown > 20%), median
    Mag-10 weight and median change of platform earnings from the start."""
    final = ds.isel(time=-1)
    idx = final["index_level"]
    e_start = ds["earnings_platforms"].attrs.get("start_value", np.nan)
    if is_summary(ds):
        return pd.DataFrame({
            "index median": idx.sel(quantile=0.5).values,
            "index 5%": idx.sel(quantile=0.05).values,
            "index 95%": idx.sel(quantile=0.95).values,
            "P(drawdown>20%)": ds["p_drawdown_exceeds"].sel(drawdown_level=0.2).values,
            "Mag-10 weight median": final["mag10_weight"].sel(quantile=0.5).values,
            "platform earnings change median": (final["earnings_platforms"].sel(quantile=0.5)
                                                / e_start - 1.0).values,
        }, index=pd.Index(ds["scenario"].values, name="scenario"))
    table = pd.DataFrame({
        "index median": idx.median("draw").values,
        "index 5%": idx.quantile(0.05, "draw").values,
        "index 95%": idx.quantile(0.95, "draw").values,
        "P(drawdown>20%)": (ds["drawdown"].max("time") > 0.2).mean("draw").values,
        "Mag-10 weight median": final["mag10_weight"].median("draw").values,
        "platform earnings change median": (final["earnings_platforms"] / e_start - 1.0
                                            ).median("draw").values,
    }, index=pd.Index(ds["scenario"].values, name="scenario"))
    return table


def reference_scenario(names: Sequence[str], given: str | None = None) -> str:
    """The scenario the others are compared with: ``given`` (one of ``names``), else
    ``baseline`` where the run has it, else the first."""
    names = [str(n) for n in names]
    if given is not None and given not in names:
        raise ValueError(f"scenario {given!r} is not in the run ({names})")
    return given or ("baseline" if "baseline" in names else names[0])


def index_distribution(ds: xr.Dataset, quarters: int | None = None,
                       scenario: str | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The index at the end of quarter ``quarters`` (default: the horizon) as a weighted
    sample, whatever the run's mode: ``(values, weights, n)``, values and weights (S, M)
    float64 with each scenario's weights summing to 1, n (S,) the draws behind them. A
    full-paths run gives its draws (weight ``1/n``, a non-finite draw 0); a summary run its
    histogram's bin centres and shares (``index_level_counts``, exact to half a bin).
    ``scenario`` keeps that one (S = 1). A lazy store is read only for that quarter (and
    scenario)."""
    horizon = ds.sizes["time"]
    quarters = horizon if quarters is None else quarters
    if not 1 <= quarters <= horizon:
        raise ValueError(f"quarter {quarters} is outside the run's horizon of {horizon} "
                         "quarters")
    t = quarters - 1
    if scenario is not None:
        ds = ds.sel(scenario=[scenario])
    if is_summary(ds):
        if "index_level_counts" not in ds:
            raise ValueError("this summary run predates the stored index histograms; run it "
                             "again")
        counts = np.asarray(ds["index_level_counts"].isel(time=t).transpose(
            "scenario", "hist_bin").values, np.float64)
        edges = np.asarray(ds["index_level_edges"].isel(time=t).transpose(
            "scenario", "hist_edge").values, np.float64)
        n = counts.sum(axis=1)
        return 0.5 * (edges[:, 1:] + edges[:, :-1]), counts / np.maximum(n, 1.0)[:, None], n
    v = np.asarray(ds["index_level"].isel(time=t).transpose("scenario", "draw").values,
                   np.float64)
    finite = np.isfinite(v)
    n = finite.sum(axis=1).astype(np.float64)
    return (np.where(finite, v, 0.0), finite / np.maximum(n, 1.0)[:, None], n)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles ``q`` of one weighted sample (1-D ``values``, ``weights`` summing to 1), by
    the inverse of the weighted CDF (the sample quantile for equal weights)."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, np.asarray(q, np.float64) * cum[-1], side="left")
    return values[order][np.clip(idx, 0, values.size - 1)]
