"""Analysis: questions asked of a finished run, after "what is the distribution?".

- ``volatility``    the scenario-implied volatility surface: model prices of index options,
  their Black-Scholes implied vols by maturity and strike, the ATM term structure against the
  market's implied vol at the start, and the payoff of a tail hedge
- ``plausibility``  where each scenario's median outcome sits in the reference scenario's
  Monte Carlo cloud ("a 1-in-N outcome")
- ``sensitivity``   derivatives of the risk metrics with respect to every prior's location
  and every scenario shock's size by reverse-mode autodiff (pathwise plus the regime chain's
  score function), and the finite differences that check them
- ``drivers``       which prior uncertainty drives the outcome, from each draw's sampled
  parameters: first-order variance shares (Sobol indices by binning) and the effect of a
  one-sd move of each prior (a regression on the standardised parameters), for a tornado

- ``shocks``        the shock space: each scenario's position on ten dimensions (seven path
  shifts, tariffs, useful life, the Fed path), their plausibility scales (fitted to history
  where it can be), and the scenario file of a shock
- ``reverse_stress`` the most plausible shocks that reach a loss, written as a scenario

Each takes a run's dataset (``aicapex.simulate``: full paths, a streamed store or, all but
the drivers, a summary run) and returns xarray or pandas objects; the charts that draw them
are in ``aicapex.outputs.plots``. This layer sits above the API, beside ``calibration``;
neither imports the other.
"""

from .drivers import driver_table, variance_shares
from .plausibility import plausibility_table
from .sensitivity import sensitivity_table
from .volatility import (
    MATURITIES_Q,
    MONEYNESS,
    black_scholes,
    implied_vol,
    tail_hedge_table,
    vol_surface,
)

__all__ = ["MATURITIES_Q", "MONEYNESS", "analyze", "black_scholes", "driver_table",
           "implied_vol", "plausibility_table", "sensitivity_table", "tail_hedge_table",
           "variance_shares", "vol_surface"]


def analyze(ds, reference: str | None = None, outcome: str = "index_change") -> dict:
    """Every analysis of a run, by name: ``vol_surface`` (xarray), ``tail_hedge``,
    ``plausibility`` and ``drivers`` (pandas; drivers of ``reference``'s ``outcome``), and
    ``tables``, the pandas form of each. A summary run has all but the drivers, which need
    every draw's sampled parameters (a full-paths run)."""
    import pandas as pd

    out = {"vol_surface": vol_surface(ds), "tail_hedge": tail_hedge_table(ds),
           "plausibility": plausibility_table(ds, reference)}
    if "parameters" in ds:
        out["drivers"] = driver_table(ds, outcome, scenario=reference)
    out["tables"] = {
        "vol_surface": out["vol_surface"][["price", "price_se", "implied_vol",
                                           "implied_vol_se"]].to_dataframe().reset_index(),
        **{k: v for k, v in out.items() if isinstance(v, pd.DataFrame)}}
    return out
