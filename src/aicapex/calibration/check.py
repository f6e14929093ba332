"""The anchor check: does a simulated scenario start where the published figures say, and do
its distributions sit where history puts them?

``anchor_checks(ds)`` compares a simulation with every anchor figure the model can express
(target, model median and 5-95% band, pass band, pass/fail); ``check_baseline()`` runs the
baseline and returns its table. The pass bands are stated in each row, so a reader can see
how demanding each check is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from ..api import simulate
from ..outputs import RunMetadata, is_summary
from ..scenarios import (
    Anchor,
    LoadedScenario,
    Scenario,
    anchor_values,
    as_dist,
    default_priors,
    load_scenario,
    prior_quantiles,
    shipped_fit,
    with_values,
)
from ..scenarios.fields import PathStep
from ..sim.model import PARAMETERS, PRIOR_Z

COLUMNS = ["check", "target", "pass_low", "pass_high", "median", "5%", "95%", "unit", "source",
           "passed"]
"""The anchor table's columns: the pass band is [pass_low, pass_high] (pass_high inf: open)."""


@dataclass(frozen=True)
class _Row:
    name: str
    target: str
    low: float
    high: float
    unit: str
    source: str
    # per-draw values (full runs) from the scenario's dataset; None: not computable
    values: Callable[[xr.Dataset], np.ndarray | None]
    # quantiles (5%, 50%, 95%) from a summary-only dataset; None: not available there
    summary: Callable[[xr.Dataset], tuple[float, float, float] | None] | None = None


def _time_index(ds: xr.Dataset, year: float) -> int | None:
    """Index of the quarter whose end is closest to decimal ``year`` (2030.5 = end of June);
    None where the run's horizon does not reach it (its checks are then n/a)."""
    t = pd.DatetimeIndex(ds["time"].values)
    dec = t.year + (t.day_of_year / (365.0 + t.is_leap_year))
    i = int(np.argmin(np.abs(dec - year)))
    return None if abs(dec[i] - year) > 0.2 else i


def _nominal_gdp(ds: xr.Dataset, ngdp0: float) -> np.ndarray:
    """(draw, time) nominal GDP rebuilt from the model's growth and inflation outputs."""
    g = (ds["gdp_growth"] + ds["inflation"]).transpose("draw", "time").values
    return ngdp0 * np.exp(0.25 * np.cumsum(g, axis=1))


def _quarterly_vol(ds: xr.Dataset) -> np.ndarray | None:
    if ds.sizes["time"] < 2:  # one return has no sd
        return None
    lv = np.log(ds["index_level"].transpose("draw", "time").values)
    start = ds["index_level"].attrs["start_value"]
    r = np.diff(np.concatenate([np.full((lv.shape[0], 1), np.log(start)), lv], axis=1))
    return 2.0 * r.std(axis=1, ddof=1)


def _rows(ds: xr.Dataset, a: Mapping[str, float], moments: Mapping[str, dict],
          gpu_share: tuple[float, float, float]) -> list[_Row]:
    t0 = 0
    pin = _time_index(ds, float(a["ai_revenue_pin_year"]))
    in_2026 = np.flatnonzero(pd.DatetimeIndex(ds["time"].values).year == 2026)
    eps_consensus = 2.0 * a["eps_growth_10y"]
    e_names = ("earnings_hw", "earnings_platforms", "earnings_other")
    e_start = sum(ds[v].attrs["start_value"] for v in e_names)
    dc_spend = 12.0 * a["datacenter_spend_monthly_bn"]
    hw_target = 4.0 * (a["nvidia_q4_guide_bn"] + a["broadcom_amd_quarterly_revenue_bn"])
    bain = a["ai_revenue_needed_2030_bn"] - a["ai_revenue_shortfall_2030_bn"]
    y_lo, y_hi = a["yield_10y"], a["yield_10y_high"]
    dd = moments["drawdown_20pct_5y"]["value"]
    vol = moments["index_vol_quarterly"]["value"]
    share = a["ai_buildout_gdp_share"]

    def var(name, t):
        return lambda d: None if t is None else d[name].isel(time=t).values

    def q_of(name, t, scale=1.0):
        return lambda d: None if t is None else tuple(
            float(d[name].isel(time=t).sel(quantile=q)) * scale for q in (0.05, 0.5, 0.95))

    rows = [
        _Row("Mag-10 weight, first quarter", f"{a['mag10_weight']:.0%} (19 Sep 2025)",
             a["mag10_weight"] - 0.02, a["mag10_weight"] + 0.02, "fraction", "TP",
             var("mag10_weight", t0), q_of("mag10_weight", t0)),
        _Row("AI-hardware revenue run-rate, first quarter",
             f"4 x (Nvidia Q4 guide ${a['nvidia_q4_guide_bn']:.0f}bn + Broadcom/AMD "
             f"${a['broadcom_amd_quarterly_revenue_bn']:.1f}bn) = ${hw_target:.0f}bn",
             0.9 * hw_target, 1.1 * hw_target, "$bn/yr", "NEWS, PUBLIC",
             var("hw_revenue", t0), q_of("hw_revenue", t0)),
        _Row("AI capex run-rate, first quarter",
             f">= KUP's ${a['datacenter_spend_monthly_bn']:.0f}bn/month of data-centre spend "
             "(the build-out also buys power, networks; not only hyperscalers): 1-1.5x",
             dc_spend, 1.5 * dc_spend, "$bn/yr", "KUP", var("ai_capex", t0),
             q_of("ai_capex", t0)),
        _Row("AI build-out share of GDP, first quarter", f"~{share:.1%} of GDP",
             share - 0.003, share + 0.003, "fraction", "KUP",
             lambda d: d["ai_capex"].isel(time=t0).values
             / _nominal_gdp(d, a["us_nominal_gdp_bn"])[:, t0]),
        _Row("AI capex, mid-2030", f"> ${a['big_tech_ai_capex_2030_bn']:.0f}bn a year "
             "(Bloomberg Intelligence)", a["big_tech_ai_capex_2030_bn"], np.inf, "$bn/yr",
             "TP", var("ai_capex", pin), q_of("ai_capex", pin)),
        _Row("AI revenue, first quarter", f"~${a['ai_revenue_monthly_bn']:.2f}bn+/month",
             1.0, 2.0, "$bn/month", "KUP", lambda d: d["ai_revenue"].isel(time=t0).values / 12,
             q_of("ai_revenue", t0, 1.0 / 12.0)),
        _Row("AI revenue, mid-2030", f"Bain: ${a['ai_revenue_needed_2030_bn']:.0f}bn needed, "
             f"${a['ai_revenue_shortfall_2030_bn']:.0f}bn short = ${bain:.0f}bn (+-25%)",
             0.75 * bain, 1.25 * bain, "$bn/yr", "TP", var("ai_revenue", pin),
             q_of("ai_revenue", pin)),
        _Row("P(AI revenue reaches Bain's need by mid-2030)",
             f"< 50% (Bain expects a ${a['ai_revenue_shortfall_2030_bn']:.0f}bn shortfall)",
             0.0, 0.5, "probability", "TP",
             lambda d: None if pin is None else (d["ai_revenue"].isel(time=pin).values
                        >= a["ai_revenue_needed_2030_bn"]).astype(float)[None].mean(1)),
        _Row("10-year yield, first quarter",
             f"JIN's {y_lo:.2%}-{y_hi:.2%} range (+-0.15pp)", y_lo - 0.0015, y_hi + 0.0015,
             "1/yr", "JIN", var("yield_10y", t0), q_of("yield_10y", t0)),
        _Row("S&P 500 earnings growth, 2026 vs 2025Q3 run-rate",
             f"consensus ~2 x the 10-year {a['eps_growth_10y']:.1%} = {eps_consensus:.1%} "
             "(+-5pp)", eps_consensus - 0.05, eps_consensus + 0.05, "fraction", "TP",
             lambda d: (sum(d[v] for v in e_names).isel(time=in_2026).mean("time").values
                        / e_start - 1.0) if len(in_2026) == 4 else None),
        _Row("GPU share of data-centre cost (prior of chip_share_of_capex)",
             f"~{a['gpu_share_of_dc_cost']:.0%}", a["gpu_share_of_dc_cost"] - 0.05,
             a["gpu_share_of_dc_cost"] + 0.05, "fraction", "CICC", lambda d: None,
             lambda d: gpu_share),
        _Row("P(quarter-end drawdown > 20% within 5 years)",
             f"history {dd:.0%} (S&P 500 1950-2018, every 5-year window; +-15pp)",
             dd - 0.15, dd + 0.15, "probability", "FIT",
             lambda d: (d["drawdown"].isel(time=slice(0, 20)).max("time").values > 0.2
                        ).astype(float)[None].mean(1) if d.sizes["time"] >= 20 else None,
             lambda d: (lambda p: (p, p, p))(float(d["p_drawdown_exceeds"].sel(
                 drawdown_level=0.2))) if d.sizes["time"] == 20 else None),
        _Row("Index volatility (sd of quarterly log returns, annualised)",
             f"history {vol:.1%} (S&P 500 1950-2018; +-5pp)", vol - 0.05, vol + 0.05, "1/yr",
             "FIT", _quarterly_vol),
    ]
    return rows


def anchor_checks(ds: xr.Dataset, scenario: str | None = None,
                  anchors: Mapping[str, Anchor] | None = None,
                  gpu_share: tuple[float, float, float] | None = None) -> pd.DataFrame:
    """The anchor table of one scenario of a simulated dataset (full or summary-only; rows a
    summary cannot give are marked n/a). ``gpu_share``: (5%, 50%, 95%) of the scenario's
    ``chip_share_of_capex`` prior (default: the default prior's)."""
    a = anchor_values(anchors)
    name = scenario if scenario is not None else str(ds["scenario"].values[0])
    d = ds.sel(scenario=name)
    if gpu_share is None:
        gpu_share = prior_band("chip_share_of_capex", anchors)
    summary = is_summary(ds)
    records = []
    for row in _rows(d, a, shipped_fit()["moments"], gpu_share):
        if summary:
            q = row.summary(d) if row.summary else None
        else:
            v = row.values(d)
            if v is None and row.summary is not None:
                q = row.summary(d)
            else:
                q = None if v is None else tuple(np.quantile(np.asarray(v, float),
                                                             [0.05, 0.5, 0.95]))
        if q is None:
            passed = None
            q = (np.nan, np.nan, np.nan)
        else:
            passed = bool(row.low <= q[1] <= row.high)
        records.append({"check": row.name, "target": row.target, "pass_low": row.low,
                        "pass_high": row.high,
                        "median": q[1], "5%": q[0], "95%": q[2], "unit": row.unit,
                        "source": row.source,
                        "passed": "n/a" if passed is None else ("pass" if passed else "FAIL")})
    out = pd.DataFrame.from_records(records, columns=COLUMNS)
    out.insert(0, "scenario", name)
    return out


def prior_band(param: str, anchors: Mapping[str, Anchor] | None = None,
               scenario="baseline") -> tuple[float, float, float]:
    """(5%, 50%, 95%) of a parameter's prior in a scenario (a built-in name, a path or a
    validated ``Scenario``): the scenario's override, else the default prior."""
    scen = scenario if hasattr(scenario, "settings") else load_scenario(scenario).scenario
    overrides = scen.param_overrides()
    if param in overrides:
        spec = overrides[param]
    else:
        spec = default_priors(with_values(scen.anchors, anchors) if scen.anchors
                              else anchors)[param].spec
    bounds = next((p.lo, p.hi) for p in PARAMETERS if p.name == param)
    row = prior_quantiles(as_dist(spec), *bounds)
    u = stats.norm.cdf(PRIOR_Z)
    return tuple(float(np.interp(p, u, row)) for p in (0.05, 0.5, 0.95))


def scenario_checks(ds: xr.Dataset, scen, anchors: Mapping[str, Anchor] | None = None
                    ) -> pd.DataFrame:
    """``anchor_checks`` of the validated scenario ``scen`` in ``ds``, its own ``anchors:``
    replacing those of ``anchors`` in the targets as they did in the run."""
    if scen.anchors:
        anchors = with_values(scen.anchors, anchors)
    return anchor_checks(ds, scen.name, anchors,
                         prior_band("chip_share_of_capex", anchors, scen))


def check_baseline(draws: int = 20_000, seed: int = 0,
                   anchors: Mapping[str, Anchor] | None = None,
                   scenario: str = "baseline") -> tuple[pd.DataFrame, xr.Dataset]:
    """Simulate ``scenario`` (default the baseline) and return its anchor table and the run.
    The scenario's own ``anchors:`` replace those of ``anchors`` in the targets too."""
    loaded = load_scenario(scenario)
    ds = simulate(loaded, draws=draws, seed=seed, anchors=anchors)
    table = scenario_checks(ds, loaded.scenario, anchors)
    row = tariff_passthrough_check(loaded.scenario, min(draws, 4000), seed, anchors)
    return pd.concat([table, row], ignore_index=True), ds


def tariff_passthrough_check(scen: Scenario, draws: int, seed: int,
                             anchors: Mapping[str, Anchor] | None = None) -> pd.DataFrame:
    """The model's tariff pass-through against the anchor ``tariff_inflation_effect`` (JIN:
    2025's tariffs add ~0.5pp to inflation): ``scen`` with the effective tariff rate raised
    from its 2024 level (anchor ``effective_tariff_rate_2024``) to today's at the start,
    against the same with the 2024 rate throughout, on common random numbers; the row is the
    extra inflation over the first year (mean of the four quarterly annualised rates)."""
    a = anchor_values(with_values(scen.anchors, anchors) if scen.anchors else anchors)
    tau0, tau1 = a["effective_tariff_rate_2024"], a["effective_tariff_rate"]
    target = a["tariff_inflation_effect"]
    base = scen.model_copy(update={"name": "tariffs_2024", "tariffs": scen.tariffs.model_copy(
        update={"effective_rate": [PathStep(value=tau0)]})})
    rise = scen.model_copy(update={"name": "tariffs_now", "tariffs": scen.tariffs.model_copy(
        update={"effective_rate": [PathStep(value=tau0),
                                   PathStep(start=_next_quarter(scen.settings.start),
                                            value=tau1)]})})
    ds = simulate([LoadedScenario(s, s.name, "", ()) for s in (base, rise)], draws=draws,
                  seed=seed, anchors=anchors)
    first_year = slice(1, 5)
    extra = (ds["inflation"].sel(scenario="tariffs_now").isel(time=first_year)
             - ds["inflation"].sel(scenario="tariffs_2024").isel(time=first_year)
             ).mean("time").values
    q = np.quantile(extra, [0.05, 0.5, 0.95])
    lo, hi = target - 0.0015, target + 0.0015
    return pd.DataFrame([{
        "scenario": scen.name, "check": "Inflation added by the tariff rise, first year",
        "target": f"~{target:.1%} for {tau0:.1%} -> {tau1:.1%} (JIN)",
        "pass_low": lo, "pass_high": hi, "median": q[1], "5%": q[0], "95%": q[2],
        "unit": "1/yr", "source": "JIN", "passed": "pass" if lo <= q[1] <= hi else "FAIL"}])


def _next_quarter(quarter: str) -> str:
    p = pd.Period(quarter, freq="Q") + 1
    return f"{p.year}Q{p.quarter}"


def run_anchor_table(ds: xr.Dataset, scenarios: list[LoadedScenario] | tuple,
                     anchors: Mapping[str, Anchor] | None = None) -> pd.DataFrame:
    """The anchor check of every scenario of a run (the loaded scenarios it ran, in
    ``scenarios``) that starts where the anchors do: a run from another start, like a
    historical replay, gets an empty table."""
    start = RunMetadata.of(ds).start
    tables = []
    for loaded in scenarios:
        scen: Scenario = loaded.scenario
        as_of = scen.anchors.get("as_of_date", anchor_values(anchors)["as_of_date"])
        if _starts_at(start, str(as_of)):
            tables.append(scenario_checks(ds, scen, anchors))
    return pd.concat(tables) if tables else pd.DataFrame(columns=["scenario", *COLUMNS])


def _starts_at(quarter: str, as_of: str) -> bool:
    """Whether a run starting in ``quarter`` (e.g. 2025Q4) starts in the quarter of date
    ``as_of`` (the quarter the anchors describe)."""
    y, m = int(as_of[:4]), int(as_of[5:7])
    return quarter == f"{y}Q{(m - 1) // 3 + 1}"


def all_passed(table: pd.DataFrame) -> bool:
    """True when no row failed (n/a rows do not count)."""
    return bool((table["passed"] != "FAIL").all())
