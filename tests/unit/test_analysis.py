"""The analysis layer against hand-computed values: Black-Scholes and its inverse, the vol
surface of a lognormal index (whose implied vol is known), the tail hedge, plausibility of a
shifted normal outcome, and the drivers of a linear outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import norm

from aicapex.analysis import (
    black_scholes,
    driver_table,
    implied_vol,
    plausibility_table,
    tail_hedge_table,
    variance_shares,
    vol_surface,
)

SPOT, RATE, MARKET = 6600.0, 0.04, 0.2


def lognormal_run(vols: dict[str, float], n: int = 200_000, quarters: int = 8,
                  seed: int = 0) -> xr.Dataset:
    """A dataset shaped like a run whose index is a geometric Brownian motion with drift r
    and the given vol per scenario (the risk-neutral Black-Scholes world)."""
    rng = np.random.default_rng(seed)
    dt = 0.25
    paths = []
    for vol in vols.values():
        z = rng.standard_normal((n, quarters))
        steps = (RATE - 0.5 * vol**2) * dt + vol * np.sqrt(dt) * z
        paths.append(SPOT * np.exp(np.cumsum(steps, axis=1)))
    index = np.stack(paths)  # (S, N, T)
    dims = ("scenario", "draw", "time")
    time = pd.date_range("2026-03-31", periods=quarters, freq="QE")
    return xr.Dataset(
        {"index_level": (dims, index, {"start_value": SPOT}),
         "policy_rate": (dims, np.full_like(index, RATE), {"start_value": RATE}),
         "volatility": (dims, np.full_like(index, MARKET), {"start_value": MARKET})},
        coords={"scenario": list(vols), "draw": np.arange(n), "time": time})


def test_black_scholes_and_its_inverse():
    # a textbook value: S=100, K=100, tau=1, r=5%, vol=20%: call 10.4506, put 5.5735
    assert black_scholes(100, 100, 1, 0.05, 0.2, put=False) == pytest.approx(10.4506, abs=1e-4)
    assert black_scholes(100, 100, 1, 0.05, 0.2, put=True) == pytest.approx(5.5735, abs=1e-4)
    for k in (70, 90, 100, 120):  # put-call parity, and the inverse returns the vol
        c, p = (black_scholes(100, k, 0.5, 0.03, 0.35, put) for put in (False, True))
        assert c - p == pytest.approx(100 - k * np.exp(-0.03 * 0.5), abs=1e-9)
        assert implied_vol(float(p), 100, k, 0.5, 0.03, True) == pytest.approx(0.35, abs=1e-8)
    assert np.isnan(implied_vol(0.0, 100, 70, 0.5, 0.03, True))  # no vol gives a zero price


@pytest.fixture(scope="module")
def gbm():
    return lognormal_run({"calm": 0.15, "wild": 0.30})


@pytest.mark.parametrize("measure", ["martingale", "physical"])
def test_a_lognormal_index_implies_its_own_vol_at_every_strike(gbm, measure):
    """Drift r, so both measures agree; the smile is flat at the simulated vol, within a few
    Monte Carlo standard errors."""
    vs = vol_surface(gbm, measure=measure)
    assert vs.attrs["market_vol"] == MARKET and vs.attrs["measure"] == measure
    for name, vol in (("calm", 0.15), ("wild", 0.30)):
        iv = vs["implied_vol"].sel(scenario=name)
        se = vs["implied_vol_se"].sel(scenario=name)
        ok = np.isfinite(iv)
        assert int(ok.sum()) >= 70  # the far wings of the shortest maturities may price at 0
        z = np.abs(iv - vol) / se
        assert float(z.where(ok).max()) < 5, (name, float(z.max()))
        atm = vs["atm_vol_over_market"].sel(scenario=name)
        np.testing.assert_allclose(atm, vol - MARKET, atol=5 * float(se.max()))


def test_the_martingale_measure_removes_the_drift_and_keeps_the_shape():
    """A drift above r makes physical calls dear and puts cheap; rescaled to the forward, the
    same draws give the vol they were drawn with."""
    ds = lognormal_run({"drift": 0.2}, n=100_000, quarters=4)
    ds["index_level"] = ds["index_level"] * np.exp(0.08 * 0.25 * (np.arange(4) + 1))
    phys = vol_surface(ds, measure="physical")["implied_vol"].sel(scenario="drift", maturity=4)
    mart = vol_surface(ds)["implied_vol"].sel(scenario="drift", maturity=4)
    assert float(phys.sel(moneyness=1.1)) > 0.23 and float(phys.sel(moneyness=0.9)) < 0.17
    np.testing.assert_allclose(mart.sel(moneyness=[0.9, 1.0, 1.1]), 0.2, atol=0.01)
    with pytest.raises(ValueError, match="martingale, physical"):
        vol_surface(ds, measure="q")


def test_the_tail_hedge_is_priced_at_the_market_and_at_the_scenarios_odds(gbm):
    t = tail_hedge_table(gbm).set_index("scenario")
    strike, tau = 0.9 * SPOT, 0.25
    want = black_scholes(SPOT, strike, tau, RATE, MARKET, put=True)
    assert t.loc["calm", "market_price"] == pytest.approx(float(want))
    s1 = gbm["index_level"].sel(scenario="wild").isel(time=0).values
    assert t.loc["wild", "p_pays"] == pytest.approx((s1 < strike).mean())
    model = np.exp(-RATE * tau) * np.maximum(strike - s1, 0).mean()
    assert t.loc["wild", "model_price"] == pytest.approx(model)
    assert t.loc["wild", "expected_return_at_market"] == pytest.approx(model / want - 1)
    # calm is priced below the market's 20% vol, wild above it
    assert t.loc["calm", "expected_return_at_market"] < 0 < t.loc["wild",
                                                                   "expected_return_at_market"]
    assert t.loc["wild", "model_implied_vol"] == pytest.approx(0.30, abs=0.01)


def test_plausibility_is_the_references_probability_of_the_median_outcome():
    n = 200_000
    rng = np.random.default_rng(1)
    change = np.stack([rng.normal(0.0, 0.1, n), rng.normal(-0.2, 0.1, n)])  # (S, N)
    ds = xr.Dataset({"index_level": (("scenario", "draw", "time"),
                                     (SPOT * (1 + change))[..., None], {"start_value": SPOT})},
                    coords={"scenario": ["baseline", "crash"], "draw": np.arange(n),
                            "time": pd.date_range("2030-12-31", periods=1)})
    t = plausibility_table(ds).set_index("scenario")
    assert t.loc["baseline", "p_reference"] == pytest.approx(0.5, abs=0.005)
    p = norm.cdf(-2.0)  # the crash's median is two of the baseline's sds down
    assert abs(t.loc["crash", "p_reference"] - p) < 4 * t.loc["crash", "p_reference_se"]
    assert t.loc["crash", "one_in"] == pytest.approx(1 / t.loc["crash", "p_reference"])
    assert t.loc["crash", "about_once_in_years"] == pytest.approx(0.25 / p, rel=0.1)
    with pytest.raises(ValueError, match="not in the run"):
        plausibility_table(ds, reference="nope")


def test_drivers_of_a_linear_outcome():
    """Y = 2 X1 + X2 + noise (X independent standard normals, X3 irrelevant, X4 fixed):
    one-sd effects 2 and 1, variance shares 4/6 and 1/6, nothing for the others."""
    n = 100_000
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, n, 4))
    x[..., 3] = 0.5
    y = 2 * x[..., 0] + x[..., 1] + rng.standard_normal((1, n))  # Var(Y) = 6
    ds = xr.Dataset({"index_level": (("scenario", "draw", "time"), (SPOT * (1 + y))[..., None],
                                     {"start_value": SPOT}),
                     "parameters": (("scenario", "draw", "parameter"), x)},
                    coords={"scenario": ["baseline"], "draw": np.arange(n),
                            "time": pd.date_range("2030-12-31", periods=1),
                            "parameter": ["a", "b", "c", "fixed"],
                            "parameter_units": ("parameter", ["1", "1", "1", "1"])})
    t = driver_table(ds).set_index("parameter")
    assert list(t.index[:2]) == ["a", "b"]  # sorted by the size of the effect
    assert t.loc["a", "one_sd_effect"] == pytest.approx(2, abs=0.02)
    assert t.loc["b", "one_sd_effect"] == pytest.approx(1, abs=0.02)
    assert abs(t.loc["c", "one_sd_effect"]) < 0.02 and np.isnan(t.loc["fixed", "one_sd_effect"])
    assert t.loc["a", "linear_r2"] == pytest.approx(5 / 6, abs=0.01)
    shares = variance_shares(ds).sel(scenario="baseline")
    assert float(shares.sel(parameter="a")) == pytest.approx(4 / 6, abs=0.02)
    assert float(shares.sel(parameter="b")) == pytest.approx(1 / 6, abs=0.02)
    assert abs(float(shares.sel(parameter="c"))) < 0.005  # the noise floor is corrected
    assert np.isnan(float(shares.sel(parameter="fixed")))
    with pytest.raises(ValueError, match="unknown outcome"):
        driver_table(ds, outcome="gdp")


def test_the_sensitivity_tornado_draws_the_largest_effects():
    from matplotlib.figure import Figure

    from aicapex.outputs import sensitivity_chart

    table = pd.DataFrame({
        "scenario": "baseline", "metric": "median_index", "value": 10_000.0,
        "input": ["a", "b", "c", "fixed", "spread_shift"],
        "kind": ["prior location"] * 4 + ["shock size"],
        "effect": [300.0, -900.0, 10.0, np.nan, -500.0]})
    ax = sensitivity_chart(table, "median_index", ax=Figure().subplots(), top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a (+1 sd)", "spread_shift (+1pp)", "b (+1 sd)"]  # largest on top
    assert [round(p.get_width()) for p in ax.patches] == [300, -500, -900]


@pytest.mark.parametrize(("args", "message"), [
    (["reverse-stress", "--target", "0.5"], "must be a loss between -1 and 0"),
    (["reverse-stress", "--scale", "spread_shift"], "write NAME=SD"),
    (["reverse-stress", "--shocks", "tariffs", "--confirm-draws", "0"],
     "unknown shock dimension"),
    (["reverse-stress", "--scale", "tariffs=0.1", "--confirm-draws", "0"],
     "unknown shock dimension"),
    (["sensitivities", "--draws", "0"], "--draws must be at least 1"),
    (["report", "nowhere", "--sensitivities", "--sensitivity-draws", "10"],
     "give at least 1024"),
])
def test_the_analysis_commands_refuse_bad_input(args, message, capsys):
    from aicapex import cli

    assert cli.main(args) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_a_summary_runs_histogram_prices_options_as_its_draws_do(gbm):
    """The stored histogram (512 bins over the pilot's range widened by half each side)
    stands in for the draws: the same draws binned give the same vols within a few bps."""
    from aicapex.outputs.dataset import INDEX_HIST_BINS

    v = gbm["index_level"].transpose("scenario", "time", "draw").values
    lo, hi = v.min(-1, keepdims=True), v.max(-1, keepdims=True)
    lo, hi = lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo)
    edges = lo + (hi - lo) * np.linspace(0, 1, INDEX_HIST_BINS + 1)
    counts = np.stack([[np.histogram(v[s, t], edges[s, t])[0] for t in range(v.shape[1])]
                       for s in range(v.shape[0])])
    dims = ("scenario", "time")
    summary = xr.Dataset(
        {"index_level": (("quantile", *dims), np.median(v, -1)[None], {"start_value": SPOT}),
         "index_level_counts": ((*dims, "hist_bin"), counts),
         "index_level_edges": ((*dims, "hist_edge"), edges),
         "policy_rate": (dims, np.full(v.shape[:2], RATE), {"start_value": RATE}),
         "volatility": (dims, np.full(v.shape[:2], MARKET), {"start_value": MARKET})},
        coords={"quantile": [0.5], "scenario": gbm["scenario"].values,
                "time": gbm["time"].values}, attrs={"mode": "summary"})
    draws, hist = vol_surface(gbm)["implied_vol"], vol_surface(summary)["implied_vol"]
    gap = np.abs(draws - hist).where(np.isfinite(draws) & (draws.moneyness >= 0.8))
    assert float(gap.max()) < 0.002
    d, h = (tail_hedge_table(x).set_index("scenario") for x in (gbm, summary))
    np.testing.assert_allclose(h["model_price"], d["model_price"], rtol=0.01)
    t = plausibility_table(summary).set_index("scenario")
    assert t.loc["calm", "p_reference"] == pytest.approx(0.5, abs=0.01)


@pytest.fixture(scope="module")
def space():
    from aicapex.analysis.shocks import ShockSpace

    return ShockSpace("baseline")


def test_every_shock_moves_its_own_measure_by_its_size_and_nothing_else(space):
    from aicapex.analysis.shocks import DIMENSIONS, measure, unmeasured

    sizes = {"useful_life": -1.5, "fed_path": -0.01, "tariff_rate": 0.05}
    for k, name in enumerate(DIMENSIONS):
        x = space.arrays({name: sizes.get(name, 0.01)})
        want = np.zeros(len(DIMENSIONS))
        want[k] = sizes.get(name, 0.01)
        # (the file's values are rounded to 1e-6: the Fed's odds move the sum by ~1e-8)
        np.testing.assert_allclose(measure(x) - space.position, want, atol=1e-7,
                                   err_msg=name)
        assert unmeasured(x, space.base) == [], name
    with pytest.raises(ValueError, match="unknown shock dimension"):
        space.document({"gdp": 0.01})


def test_the_plausibility_of_a_shock_vector():
    from aicapex.analysis.shocks import plausibility, prior_shifts, scales
    from aicapex.scenarios import compile_scenario, scenario

    one = plausibility(np.array([2.0]), horizon_years=5)
    assert one["distance"] == 2 and one["p_direction"] == pytest.approx(norm.cdf(-2))
    assert one["chi2_percentile"] == pytest.approx(0.9545, abs=1e-4)  # |Z| < 2
    assert one["about_once_in_years"] == pytest.approx(5 / norm.cdf(-2))
    assert plausibility(np.array([3.0, 4.0]), 5)["distance"] == pytest.approx(5)
    # history's scales where the fit has them, the stated assumption elsewhere
    sc = scales({"gdp_shift": 0.02})
    assert sc["gdp_shift"] == (0.02, "given") and sc["spread_shift"][1].startswith("history")
    assert sc["useful_life"][1].startswith("assumption")
    with pytest.raises(ValueError, match="positive"):
        scales({"erp_shift": 0.0})
    # a scenario's prior overrides, in sds of the reference's prior
    base, short = (compile_scenario(scenario(n).scenario, dtype="float64")
                   for n in ("baseline", "ai_revenue_shortfall"))
    moved, other = prior_shifts(short, base)
    assert moved["ai_revenue_2030_bn"] < -1 and other == []


def test_each_scenarios_shocks_are_scored_against_the_reference(gbm):
    import json

    from aicapex.analysis.plausibility import shock_vectors
    from aicapex.analysis.shocks import scales
    from aicapex.scenarios import scenario

    ds = gbm.copy()
    ds.attrs["scenario_yaml"] = json.dumps({"calm": scenario("baseline").resolved_yaml,
                                            "wild": scenario("credit_stress").resolved_yaml})
    t = shock_vectors(ds, reference="calm").set_index("scenario")
    spread = t.loc["wild", "spread_shift"]
    assert spread > 0.005 and t.loc["calm", "shock_distance"] == 0
    assert t.loc["wild", "shock_distance"] == pytest.approx(spread / scales()["spread_shift"][0])
    assert t.loc["wild", "binding_shocks"] == "spread_shift 100%"
