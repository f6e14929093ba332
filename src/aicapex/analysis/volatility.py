"""The scenario-implied volatility surface: what each scenario's simulated index distribution
says index options are worth, read as Black-Scholes implied vols.

For a scenario, maturity ``tau = m / 4`` years (``m`` quarters: the index at the m-th quarter
end, ``S_m``), and strike ``K = k * S_0``:

    P(K, tau) = exp(-r tau) E[max(K - S_m, 0)]        C(K, tau) = exp(-r tau) E[max(S_m - K, 0)]

the expectation over the scenario's draws, ``r`` the policy rate at the start, no dividends
(the simulated index is a price index). The draws are the **physical** measure the model
simulates: its index drifts with the equity premium, so at ``measure="physical"`` these are
the prices at which a buyer who believes the scenario breaks even, and calls look dear and
puts cheap by the drift alone. By default (``measure="martingale"``) each maturity's draws are
first rescaled so that their mean is the forward, ``S_m * S_0 exp(r tau) / mean(S_m)``
(empirical martingale simulation, Duan & Simonato 1998): the drift goes, the shape of the
scenario's distribution (its spread, skew and tails) stays, and put-call parity holds, which
is what an implied vol compares with the market's. The out-of-the-money option (the put below
the start, the call at and above it) is inverted for the vol ``sigma`` at which Black-Scholes
gives that price (``implied_vol``, a bracketing root find). Its Monte Carlo standard error is
that of the price over the vega: ``se(sigma) = se(P) / vega``.

A summary run works too: its stored histogram of the index at every quarter end stands in
for the draws (``outputs.summary.index_distribution``: each bin's centre weighted by its share
of all the draws), which moves a price by at most half a bin's width times the probability
of the bin that holds the strike.

A vol trader reads the ATM term structure against the market's implied vol at the start (the
``implied_vol_start`` anchor, the dataset's ``volatility`` start value): "this scenario implies
X vol points more than the market". ``tail_hedge_table`` prices the standard tail hedge (a
3-month put 10% out of the money) both ways: at the market's vol and at the scenario's odds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize.elementwise import find_root
from scipy.special import ndtr

from ..outputs.summary import index_distribution, weighted_quantile

MATURITIES_Q: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
"""Option maturities in quarters (the issue's 1-8 quarters)."""

MONEYNESS: tuple[float, ...] = (0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3)
"""Strikes as a share of the index at the start."""

VOL_BRACKET = (1e-4, 5.0)
"""Implied vols searched, annualised (a price outside what these give has no implied vol)."""


def black_scholes(spot, strike, tau, rate, vol, put: bool):
    """Black-Scholes price of a European put (``put``) or call, no dividends: arrays
    broadcast; ``tau`` in years, ``rate`` and ``vol`` annual decimals."""
    spot, strike, tau, rate, vol = (np.asarray(x, np.float64)
                                    for x in (spot, strike, tau, rate, vol))
    sd = vol * np.sqrt(tau)
    d1 = (np.log(spot / strike) + (rate + 0.5 * vol**2) * tau) / sd
    d2 = d1 - sd
    disc = strike * np.exp(-rate * tau)
    if put:
        return disc * ndtr(-d2) - spot * ndtr(-d1)
    return spot * ndtr(d1) - disc * ndtr(d2)


def vega(spot, strike, tau, rate, vol):
    """dPrice/dvol of a European option (the same for puts and calls)."""
    sd = vol * np.sqrt(tau)
    d1 = (np.log(spot / strike) + (rate + 0.5 * vol**2) * tau) / sd
    return spot * np.sqrt(tau) * np.exp(-0.5 * d1**2) / np.sqrt(2 * np.pi)


def implied_vols(price, spot, strike, tau, rate, put: bool) -> np.ndarray:
    """The vols at which Black-Scholes gives ``price``, elementwise over arrays that broadcast
    (NaN where no vol in ``VOL_BRACKET`` does: a price at or below the option's value at zero
    vol, or above its value at 500%). One vectorised bracketing search
    (``scipy.optimize.elementwise.find_root``, Chandrupatla's method) for all of them, to
    1e-10 in the vol."""
    price, spot, strike, tau, rate = np.broadcast_arrays(
        *(np.asarray(x, np.float64) for x in (price, spot, strike, tau, rate)))
    lo, hi = (black_scholes(spot, strike, tau, rate, v, put) for v in VOL_BRACKET)
    ok = np.isfinite(price) & (lo < price) & (price < hi)
    out = np.full(price.shape, np.nan)
    if not ok.any():
        return out
    args = tuple(a[ok] for a in (spot, strike, tau, rate, price))
    found = find_root(lambda v, s, k, t, r, p: black_scholes(s, k, t, r, v, put) - p,
                      tuple(np.full(ok.sum(), b) for b in VOL_BRACKET), args=args,
                      tolerances={"xatol": 1e-10, "xrtol": 4 * np.finfo(float).eps})
    out[ok] = np.where(found.success, found.x, np.nan)
    return out


def implied_vol(price: float, spot: float, strike: float, tau: float, rate: float,
                put: bool) -> float:
    """The vol at which Black-Scholes gives ``price`` (``implied_vols`` of one option)."""
    return float(implied_vols(price, spot, strike, tau, rate, put))


def _market(ds: xr.Dataset) -> tuple[float, float, float]:
    """(index at the start, policy rate at the start, the market's implied vol at the start)."""
    for v in ("index_level", "policy_rate", "volatility"):
        if "start_value" not in ds[v].attrs:
            raise ValueError(f"{v} has no start_value attribute: is this an aicapex dataset?")
    return (float(ds["index_level"].attrs["start_value"]),
            float(ds["policy_rate"].attrs["start_value"]),
            float(ds["volatility"].attrs["start_value"]))


MEASURES = ("martingale", "physical")


def vol_surface(ds: xr.Dataset, maturities: Sequence[int] = MATURITIES_Q,
                moneyness: Sequence[float] = MONEYNESS, measure: str = "martingale"
                ) -> xr.Dataset:
    """Each scenario's model option prices and implied vols: a Dataset with dims (scenario,
    maturity, moneyness) holding ``price`` (index points, of the out-of-the-money option),
    ``price_se``, ``implied_vol`` and ``implied_vol_se`` (annual decimals), and ``atm_vol``
    (scenario, maturity) minus the market's in ``atm_vol_over_market``. Attributes: the
    spot, rate and market vol used. Maturities beyond the run's horizon are left out.
    ``measure``: ``"martingale"`` (drift removed, the default) or ``"physical"`` (see the
    module)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; allowed: {', '.join(MEASURES)}")
    spot, rate, market = _market(ds)
    maturities = [m for m in maturities if m <= ds.sizes["time"]]
    k = np.asarray(moneyness, np.float64)
    n_s = ds.sizes["scenario"]
    price = np.full((n_s, len(maturities), len(k)), np.nan)
    se, iv, iv_se = price.copy(), price.copy(), price.copy()
    for j, m in enumerate(maturities):
        tau = m / 4
        s_t, w, n = index_distribution(ds, m)
        if measure == "martingale":
            s_t = s_t * (spot * np.exp(rate * tau) / np.sum(w * s_t, axis=1, keepdims=True))
        disc = np.exp(-rate * tau)
        for i, kk in enumerate(k):
            strike = kk * spot
            put = kk < 1.0
            payoff = np.maximum(strike - s_t, 0) if put else np.maximum(s_t - strike, 0)
            mean = np.sum(w * payoff, axis=1)
            price[:, j, i] = disc * mean
            se[:, j, i] = disc * np.sqrt(np.sum(w * (payoff - mean[:, None]) ** 2, axis=1)
                                         / np.maximum(n - 1, 1))
            iv[:, j, i] = implied_vols(price[:, j, i], spot, strike, tau, rate, put)
            iv_se[:, j, i] = se[:, j, i] / vega(spot, strike, tau, rate, iv[:, j, i])
    coords = {"scenario": ds["scenario"].values,
              "maturity": ("maturity", np.asarray(maturities, np.int64),
                           {"long_name": "option maturity", "units": "quarters"}),
              "moneyness": ("moneyness", k, {"long_name": "strike / index at the start",
                                             "units": "1"})}
    dims = ("scenario", "maturity", "moneyness")
    out = xr.Dataset({
        "price": (dims, price, {"long_name": "model price of the out-of-the-money option "
                                "(put below the start, call at and above)",
                                "units": "index points"}),
        "price_se": (dims, se, {"long_name": "Monte Carlo standard error of price",
                                "units": "index points"}),
        "implied_vol": (dims, iv, {"long_name": "Black-Scholes implied vol of price",
                                   "units": "1/yr"}),
        "implied_vol_se": (dims, iv_se, {"long_name": "Monte Carlo standard error of the "
                                         "implied vol (price error / vega)", "units": "1/yr"}),
    }, coords=coords, attrs={"spot": spot, "rate": rate, "market_vol": market,
                             "measure": measure})
    atm = out["implied_vol"].sel(moneyness=1.0, method="nearest")
    out["atm_vol"] = atm.drop_vars("moneyness").assign_attrs(
        long_name="at-the-money implied vol", units="1/yr")
    out["atm_vol_over_market"] = (out["atm_vol"] - market).assign_attrs(
        long_name="ATM implied vol less the market's implied vol at the start", units="1/yr")
    return out


def tail_hedge_table(ds: xr.Dataset, quarters: int = 1, moneyness: float = 0.9
                     ) -> pd.DataFrame:
    """The standard tail hedge, a put ``1 - moneyness`` out of the money expiring after
    ``quarters`` quarters, per scenario: the chance it pays, its mean and 90%/99% payoffs (index
    points), its price at the market's vol, its model price (the scenario's odds, with its
    standard error and implied vol), and the expected return of buying it at the market's
    price if the scenario is right (model price / market price - 1)."""
    spot, rate, market = _market(ds)
    s_t, weights, n = index_distribution(ds, quarters)
    tau, strike = quarters / 4, moneyness * spot
    payoff = np.maximum(strike - s_t, 0)
    disc = np.exp(-rate * tau)
    market_price = float(black_scholes(spot, strike, tau, rate, market, put=True))
    rows = []
    for s, name in enumerate(ds["scenario"].values):
        p, w = payoff[s], weights[s]
        mean = float(np.sum(w * p))
        model = disc * mean
        q90, q99 = weighted_quantile(p, w, [0.9, 0.99])
        rows.append({
            "scenario": str(name), "maturity_quarters": quarters, "strike": strike,
            "moneyness": moneyness, "p_pays": float(np.sum(w * (p > 0))),
            "mean_payoff": mean, "payoff_q90": float(q90), "payoff_q99": float(q99),
            "market_vol": market, "market_price": market_price, "model_price": model,
            "model_price_se": float(disc * np.sqrt(np.sum(w * (p - mean) ** 2)
                                                   / max(n[s] - 1, 1))),
            "model_implied_vol": implied_vol(model, spot, strike, tau, rate, True),
            "expected_return_at_market": float(model / market_price - 1),
        })
    return pd.DataFrame(rows)
