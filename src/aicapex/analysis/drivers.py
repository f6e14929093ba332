"""Which prior uncertainty drives the outcome? Read from each draw's sampled parameters (the
``parameters`` variable of a full-paths run), for one outcome ``Y`` per draw (``OUTCOMES``).

**Variance shares** (first-order Sobol indices, estimated by binning; Saltelli et al. 2008,
ch. 4): for parameter ``X_i``, the draws are cut into ``B`` equal-count bins of ``X_i`` and

    S_i = [ sum_b (n_b / N) (mean_b(Y) - mean(Y))^2  -  (B - 1) / N * V_within ] / Var(Y)

the share of the outcome's variance that ``X_i`` alone explains, less the between-bin
variance that noise alone would give (``V_within``: the bins' mean variance). Shares are
exact in the limit whatever the model's shape; they do not say which way a parameter pushes.

**One-sd effects** (for the tornado): the outcome regressed on all standardised parameters,

    Y = a + sum_i beta_i (X_i - mean(X_i)) / sd(X_i) + e

``beta_i`` is the change in ``Y`` for a one-sd move of parameter ``i``'s prior, the others
held, in the linear approximation whose fit ``R^2`` the table gives. Both are global (over the
priors), not derivatives at a point; pathwise derivatives by autodiff are not computed yet.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from ..outputs.summary import reference_scenario


def _index_change(ds: xr.Dataset) -> xr.DataArray:
    return ds["index_level"].isel(time=-1) / ds["index_level"].attrs["start_value"] - 1


def _max_drawdown(ds: xr.Dataset) -> xr.DataArray:
    return ds["drawdown"].max("time")


def _platform_earnings_change(ds: xr.Dataset) -> xr.DataArray:
    e = ds["earnings_platforms"]
    return e.isel(time=-1) / e.attrs["start_value"] - 1


OUTCOMES: dict[str, tuple[str, Callable[[xr.Dataset], xr.DataArray]]] = {
    "index_change": ("index change to the horizon", _index_change),
    "max_drawdown": ("largest drawdown over the horizon", _max_drawdown),
    "mag10_weight": ("Mag-10 weight at the horizon",
                     lambda ds: ds["mag10_weight"].isel(time=-1)),
    "platform_earnings_change": ("platform earnings change to the horizon",
                                 _platform_earnings_change),
}
"""Per-draw outcomes the drivers are computed for: name -> (description, function)."""


def _inputs(ds: xr.Dataset, outcome: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(Y (S, N), X (S, N, P), parameter names) of a full-paths run."""
    if "parameters" not in ds:
        raise ValueError("the drivers need each draw's sampled parameters: a full-paths run "
                         "(not --summary-only)")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; allowed: {', '.join(OUTCOMES)}")
    y = np.asarray(OUTCOMES[outcome][1](ds).transpose("scenario", "draw").values, np.float64)
    x = np.asarray(ds["parameters"].transpose("scenario", "draw", "parameter").values,
                   np.float64)
    return y, x, [str(p) for p in ds["parameter"].values]


def binned_share(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """The bias-corrected first-order share of ``y``'s variance explained by ``x`` (1-D
    arrays of one scenario's draws), ``bins`` equal-count bins by rank; NaN for a constant
    ``x`` or ``y``."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = y.size
    total = y.var()
    if n < 2 * bins or total == 0 or np.ptp(x) == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    groups = np.array_split(y[order], bins)
    sizes = np.array([g.size for g in groups], np.float64)
    means = np.array([g.mean() for g in groups])
    within = float(np.sum(sizes / n * np.array([g.var() for g in groups])))
    between = float(np.sum(sizes / n * (means - y.mean()) ** 2))
    return (between - (bins - 1) / n * within) / total


def variance_shares(ds: xr.Dataset, outcome: str = "index_change", bins: int = 20
                    ) -> xr.DataArray:
    """First-order variance shares (scenario, parameter) of ``outcome`` (see the module)."""
    y, x, names = _inputs(ds, outcome)
    shares = np.array([[binned_share(x[s, :, p], y[s], bins) for p in range(x.shape[2])]
                       for s in range(y.shape[0])])
    return xr.DataArray(shares, dims=("scenario", "parameter"),
                        coords={"scenario": ds["scenario"].values, "parameter": names},
                        name="variance_share",
                        attrs={"long_name": f"share of the variance of the "
                               f"{OUTCOMES[outcome][0]} explained by the parameter alone",
                               "units": "1", "bins": bins})


def one_sd_effects(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(beta, R^2): the least-squares effect on ``y`` (N,) of a one-sd move of each column of
    ``x`` (N, P), the others held; NaN for a constant column."""
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    x, y = x[ok], y[ok]
    sd = x.std(axis=0)
    live = sd > 0
    z = (x[:, live] - x[:, live].mean(axis=0)) / sd[live]
    design = np.column_stack([np.ones(len(y)), z])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    fit = design @ coef
    r2 = 1 - np.sum((y - fit) ** 2) / np.sum((y - y.mean()) ** 2)
    beta = np.full(x.shape[1], np.nan)
    beta[live] = coef[1:]
    return beta, float(r2)


def driver_table(ds: xr.Dataset, outcome: str = "index_change", bins: int = 20,
                 scenario: str | None = None) -> pd.DataFrame:
    """One row per parameter of ``scenario`` (default: baseline if present, else the first):
    its variance share, its one-sd effect on ``outcome`` and the regression's R^2, sorted by
    the size of the effect."""
    y, x, names = _inputs(ds, outcome)
    scenarios = [str(s) for s in ds["scenario"].values]
    scenario = reference_scenario(scenarios, scenario)
    s = scenarios.index(scenario)
    beta, r2 = one_sd_effects(x[s], y[s])
    units = ([str(u) for u in ds["parameter_units"].values] if "parameter_units" in ds.coords
             else [""] * len(names))
    table = pd.DataFrame({
        "scenario": scenario, "outcome": outcome, "parameter": names, "unit": units,
        "prior_mean": x[s].mean(axis=0), "prior_sd": x[s].std(axis=0),
        "one_sd_effect": beta,
        "variance_share": [binned_share(x[s, :, p], y[s], bins) for p in range(len(names))],
        "linear_r2": r2})
    return table.reindex(table["one_sd_effect"].abs().sort_values(ascending=False).index
                         ).reset_index(drop=True)
