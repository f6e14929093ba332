"""Assembling simulation arrays into a labelled, self-describing ``xarray.Dataset``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..sim.engine import DRAWDOWN_LEVELS, moments, quantiles_from_histogram
from ..sim.model import OUTPUTS, REGIMES
from ..sim.model import PARAMETERS as PARAM_SPECS

CF_UNITS: dict[str, str] = {"1/yr": "1/yr", "1": "1", "$bn/yr": "billion_USD/yr",
                            "$bn": "billion_USD", "x": "1", "index points": "1",
                            "stress units": "1"}
"""The human unit of each variable -> its CF ``units`` (pint and UDUNITS read ``1/yr`` and
``1``; money needs ``USD``, which ``aicapex.outputs.units.unit_registry`` defines)."""

VARIABLES: dict[str, tuple[str, str, str]] = {
    o.name: (CF_UNITS[o.unit], o.long_name if o.unit in ("1", "1/yr")
             else f"{o.long_name} ({o.unit})", o.unit)
    for o in OUTPUTS}
"""Each output's (CF units, long name with the human unit, human unit for axes)."""


def variable_attrs(name: str, **extra: Any) -> dict[str, Any]:
    """The CF attributes of output ``name``: units, long_name and ``display_units``."""
    units, long_name, human = VARIABLES[name]
    return {"units": units, "long_name": long_name, "display_units": human, **extra}


TIME_ATTRS = {"long_name": "quarter end", "standard_name": "time", "axis": "T"}
CONVENTIONS = "CF-1.10"



def start_values(init) -> dict[str, float]:
    """Each output's value at the start, from a scenario's ``Initial`` (stored as the
    variables' ``start_value`` attribute: the reference of changes, reference lines)."""
    e0 = np.array([init.hw_net_margin * init.hw_revenue_bn, init.platform_earnings_bn,
                   init.other_earnings_bn], dtype=np.float64)
    pe0 = np.asarray(init.pe, np.float64)
    return {
        "index_level": init.index_level, "policy_rate": init.policy_rate,
        "yield_10y": init.yield_10y, "inflation": init.inflation, "ai_capex": init.capex_bn,
        "unemployment": init.unemployment,
        "ai_revenue": init.ai_revenue_bn, "hw_revenue": init.hw_revenue_bn,
        "earnings_hw": e0[0], "earnings_platforms": e0[1], "earnings_other": e0[2],
        "pe_hw": pe0[0], "pe_platforms": pe0[1], "pe_other": pe0[2],
        "mcap_hw": pe0[0] * e0[0], "mcap_platforms": pe0[1] * e0[1],
        "mcap_other": pe0[2] * e0[2], "credit_spread": init.credit_spread,
        "economy_spread": init.economy_spread,
        "volatility": init.volatility, "depreciation": init.depreciation_bn,
        "mag10_weight": (pe0[0] * e0[0] + pe0[1] * e0[1]) / float(np.sum(pe0 * e0)),
    }


PARAMETERS_VAR = "parameters"
"""The variable of each draw's sampled parameters in a full-paths dataset."""


def to_dataset(arrays: Mapping[str, np.ndarray], scenario_names: Sequence[str],
               quarter_ends: pd.DatetimeIndex, attrs: Mapping[str, Any],
               start_values: Mapping[str, float] | None = None,
               parameters: Sequence[int] = ()) -> xr.Dataset:
    """Dataset with dims (scenario, draw, time) from host arrays shaped (S, T, N); the
    engine's sampled parameters (``arrays["parameters"]``, (S, P, N), the rows
    ``parameters`` of ``sim.model.PARAMETERS``) become ``parameters`` (scenario, draw,
    parameter), with each one's unit in the coordinate ``parameter_units``."""
    n = next(iter(arrays.values())).shape[-1]
    data_vars = {}
    extra_coords = {}
    for name, arr in arrays.items():
        if name == PARAMETERS_VAR:
            specs = [PARAM_SPECS[i] for i in parameters]
            data_vars[name] = (("scenario", "draw", "parameter"), np.swapaxes(arr, 1, 2), {
                "long_name": "each draw's sampled value of every parameter whose prior varies "
                             "(units: parameter_units)"})
            extra_coords = {
                "parameter": ("parameter", [p.name for p in specs],
                              {"long_name": "model parameter (aicapex params)"}),
                "parameter_units": ("parameter", [p.unit for p in specs],
                                    {"long_name": "unit of the parameter"})}
            continue
        va = variable_attrs(name)
        if name == "regime":
            va.update(flag_values=np.arange(len(REGIMES), dtype=np.int32),
                      flag_meanings=" ".join(REGIMES))
        if start_values and name in start_values:
            va["start_value"] = float(start_values[name])
        data_vars[name] = (("scenario", "draw", "time"), np.swapaxes(arr, 1, 2), va)
    coords = {
        "scenario": ("scenario", list(scenario_names), {"long_name": "scenario name"}),
        "draw": ("draw", np.arange(n, dtype=np.int64), {"long_name": "Monte Carlo draw"}),
        "time": ("time", quarter_ends.values, TIME_ATTRS),
        **extra_coords,
    }
    return xr.Dataset(data_vars, coords=coords, attrs={**attrs, "Conventions": CONVENTIONS})


SUMMARY_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
INDEX_HIST_BINS = 512
"""Bins of the stored index histograms of a summary run (enough to price options: a bin
is a 256th of the pilot's range)."""


def summary_to_dataset(acc, lo: np.ndarray, hi: np.ndarray, scenario_names: Sequence[str],
                       quarter_ends: pd.DatetimeIndex, attrs: Mapping[str, Any],
                       start_values: Mapping[str, float] | None = None,
                       qs: Sequence[float] = SUMMARY_QUANTILES) -> xr.Dataset:
    """The summary-only result: per variable, quantiles over draws (quantile, scenario, time)
    with their error bounds, mean and standard deviation; tail probabilities; and a histogram
    of the index at every quarter end. ``attrs['mode'] == 'summary'`` marks it."""
    q, bound = quantiles_from_histogram(acc, lo, hi, qs)
    n = np.broadcast_to(np.asarray(acc.n, np.float64), (len(scenario_names),))  # per scenario
    mean, std = moments(acc)
    data_vars: dict[str, Any] = {}
    for v, name in enumerate(VARIABLES):
        units, long_name, _ = VARIABLES[name]
        va = variable_attrs(name)
        if start_values and name in start_values:
            va["start_value"] = float(start_values[name])
        data_vars[name] = (("quantile", "scenario", "time"), q[:, :, v, :], va)
        data_vars[f"{name}__qerr"] = (("quantile", "scenario", "time"), bound[:, :, v, :],
                                      {"units": units, "long_name": f"error bound of the "
                                       f"{name} quantiles (histogram bin width)"})
        data_vars[f"{name}__mean"] = (("scenario", "time"), mean[:, v, :],
                                      {"units": units, "long_name": f"mean of {long_name}"})
        data_vars[f"{name}__std"] = (("scenario", "time"), std[:, v, :],
                                     {"units": units, "long_name": f"sd of {long_name}"})
    data_vars["p_drawdown_exceeds"] = (("scenario", "drawdown_level"), acc.dd_exceed / n[:, None],
                                       {"units": "1", "long_name": "P(max drawdown over the "
                                        "horizon > level)"})
    data_vars["p_below_start"] = (("scenario",), acc.below_start / n,
                                  {"units": "1", "long_name": "P(index below start at horizon)"})
    # the index at every quarter end: the fine histogram summed into INDEX_HIST_BINS bins,
    # the draws outside its range (rare: the pilot's range widened by half on each side)
    # counted in the end bins
    iv = list(VARIABLES).index("index_level")
    counts = acc.counts[:, iv, :, :].copy()
    counts[..., 1] += counts[..., 0]
    counts[..., -2] += counts[..., -1]
    counts = counts[..., 1:-1]
    factor = counts.shape[-1] // INDEX_HIST_BINS
    coarse = counts[..., : factor * INDEX_HIST_BINS].reshape(
        *counts.shape[:2], INDEX_HIST_BINS, factor).sum(-1)
    edges = np.linspace(lo[:, iv, :], hi[:, iv, :], INDEX_HIST_BINS + 1, axis=-1)
    data_vars["index_level_counts"] = (("scenario", "time", "hist_bin"), coarse,
                                       {"units": "1", "long_name": "histogram of the index "
                                        "at each quarter end (draws; those outside the range "
                                        "in the end bins)"})
    data_vars["index_level_edges"] = (("scenario", "time", "hist_edge"), edges,
                                      {"units": "1", "display_units": "index points",
                                       "long_name": "bin edges of index_level_counts"})
    coords = {
        "quantile": ("quantile", list(qs), {"long_name": "quantile over draws", "units": "1"}),
        "scenario": ("scenario", list(scenario_names), {"long_name": "scenario name"}),
        "time": ("time", quarter_ends.values, TIME_ATTRS),
        "drawdown_level": ("drawdown_level", list(DRAWDOWN_LEVELS),
                           {"long_name": "drawdown level", "units": "1"}),
    }
    return xr.Dataset(data_vars, coords=coords, attrs={
        **attrs, "Conventions": CONVENTIONS, "mode": "summary", "draws_accumulated": float(n[0])})


def is_summary(ds: xr.Dataset) -> bool:
    """True for a summary-only result (no per-draw paths)."""
    return ds.attrs.get("mode") == "summary"


def sweep_coordinate_names(fields, taken=()) -> dict[str, str]:
    """Each swept field's coordinate name: its last part (``useful_life_years``), or the
    whole field with ``__`` for dots where two fields share a last part or the last part is
    already a name of the dataset's (``taken``: its variables, dimensions and coordinates;
    ``depreciation.change.impairment`` would otherwise replace the output ``impairment``)."""
    last = [f.rsplit(".", 1)[-1] for f in fields]
    taken = set(taken)
    return {f: (n if last.count(n) == 1 and n not in taken else f.replace(".", "__"))
            for f, n in zip(fields, last, strict=True)}


def with_sweep_coords(ds: xr.Dataset, swept: Mapping[str, Mapping[str, Any]]) -> xr.Dataset:
    """``ds`` with a coordinate along ``scenario`` per swept field (``swept``: scenario name ->
    {field: value}; NaN, or "" for text, where a scenario does not sweep it), each indexed, so
    that ``ds.sel(useful_life_years=3)`` selects the points with that value."""
    fields = list(dict.fromkeys(f for point in swept.values() for f in point))
    if not fields:
        return ds
    names = [str(s) for s in ds["scenario"].values]
    out = ds
    taken = {*map(str, ds.variables), *map(str, ds.dims)}
    for field, coord in sweep_coordinate_names(fields, taken).items():
        values = [swept.get(n, {}).get(field) for n in names]
        numeric = all((isinstance(v, int | float) and not isinstance(v, bool)) or v is None
                      for v in values)
        data = (np.array([np.nan if v is None else float(v) for v in values]) if numeric
                else np.array(["" if v is None else str(v) for v in values], dtype=object))
        out = out.assign_coords({coord: ("scenario", data, {"long_name": field,
                                                              "sweep_field": field})})
    return index_sweep_coords(out)


def index_sweep_coords(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with an index on each sweep coordinate (a file stores the coordinates, not
    their indexes: ``open_run`` puts them back)."""
    for name, c in ds.coords.items():
        if "sweep_field" in c.attrs and name not in ds.xindexes:
            ds = ds.set_xindex(name)
    return ds


def sweep_grid(ds: xr.Dataset) -> xr.Dataset:
    """The points of a sweep as a grid: ``scenario`` replaced by one dimension per swept
    field (``grid.sel(useful_life_years=3, growth_shift=-0.4)``); scenarios outside the sweep
    are left out."""
    coords = [n for n, c in ds.coords.items() if "sweep_field" in c.attrs]
    if not coords:
        raise ValueError("the dataset holds no sweep (a scenario with sweep: makes one)")
    keep = np.ones(ds.sizes["scenario"], bool)
    for n in coords:
        v = ds[n].values
        keep &= ~pd.isna(v) & (v != "") if v.dtype == object else ~np.isnan(v)
    sub = ds.isel(scenario=np.flatnonzero(keep)).drop_indexes(coords)
    sub = sub.assign_coords(point=("scenario", sub["scenario"].values)).drop_vars("scenario")
    return sub.set_index(scenario=coords).unstack("scenario")
