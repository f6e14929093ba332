"""Calibration: the anchor check, fits to history with standard errors, parameter recovery
from model-simulated data, scenario-level anchors and the dot-com replay."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import aicapex
from aicapex.calibration.check import all_passed, anchor_checks, check_baseline
from aicapex.calibration.fit import ar1, fit_history, markov_switching
from aicapex.cli import main
from aicapex.scenarios import shipped_fit, with_values
from aicapex.scenarios.loader import ScenarioError, builtin_names, parse_scenario_text

# ------------------------------------------------------------------ estimators


def test_ar1_recovers_a_known_process_with_honest_standard_errors():
    rng = np.random.default_rng(1)
    phi, sigma, mean = 0.8, 0.3, 2.0
    x = np.empty((50, 400))
    x[:, 0] = mean
    for t in range(1, x.shape[1]):
        x[:, t] = mean + phi * (x[:, t - 1] - mean) + sigma * rng.standard_normal(50)
    f = ar1(x)
    assert f.n == 50 * 399  # pairs never straddle two rows
    assert abs(f.phi - phi) < 3 * f.phi_se
    assert abs(f.sigma - sigma) < 3 * f.sigma_se
    assert f.mean == pytest.approx(mean, abs=0.05)
    # the OLS standard error matches its asymptotic value sqrt((1 - phi^2) / n)
    assert f.phi_se == pytest.approx(math.sqrt((1 - phi**2) / f.n), rel=0.05)


def test_markov_switching_recovers_a_simulated_two_state_chain():
    rng = np.random.default_rng(2)
    n, p00, p11 = 1500, 0.95, 0.85
    state = np.zeros(n, int)
    for t in range(1, n):
        stay = p00 if state[t - 1] == 0 else p11
        state[t] = state[t - 1] if rng.random() < stay else 1 - state[t - 1]
    r = np.where(state == 0, 0.02 + 0.04 * rng.standard_normal(n),
                 -0.02 + 0.12 * rng.standard_normal(n))
    ms = markov_switching(r)
    truth = {"sigma0": 0.04, "sigma1": 0.12, "p00": p00, "p11": p11, "mu0": 0.02, "mu1": -0.02}
    got = {"sigma0": ms.sigma[0], "sigma1": ms.sigma[1], "p00": ms.p_stay[0],
           "p11": ms.p_stay[1], "mu0": ms.mu[0], "mu1": ms.mu[1]}
    for k, v in truth.items():
        assert abs(got[k] - v) < 3.5 * ms.se[k], (k, got[k], v, ms.se[k])
    # the filter's regime calls agree with the truth most of the time
    assert np.mean((ms.filtered[:, 1] > 0.5) == (state == 1)) > 0.85


# ------------------------------------------------------------------ recovery from the model

RECOVERY_YAML = """
name: recovery
description: >-
  known parameters, a fixed policy rate, no regime changes; per-draw levels fixed so that
  every draw's series has the same mean (pooled AR(1))
settings: {start: 2025Q4, horizon_quarters: 120, draws: 200, seed: 5, dtype: float64}
fed: {default_meeting: {hold: 1.0}, meetings: {2025-12-10: {hold: 1.0}}, policy_pull: 0.0,
      unemployment_reaction: 0.0, neutral_rate: 0.035}
inflation: {inflation_persistence: 0.7, inflation_sigma: 0.02, phillips_slope: 0.0}
rates: {term_premium_persistence: 0.9, term_premium_sigma: 0.008, long_rate_beta: 0.3}
credit: {spread_persistence: 0.75, spread_sigma: 0.002, spread_leverage_beta: 0.0,
         spread_drawdown_beta: 0.0}
volatility: {sv_persistence: 0.5, sv_sigma: 0.25, vol_ramp: 0.1}
regime: {p_ramp_to_wobble: 0.0, fragility_gap: 0.0, fragility_capex: 0.0,
         fragility_spread: 0.0, fragility_real_yield: 0.0, fragility_orders: 0.0,
         fragility_inflation: 0.0, fragility_drawdown: 0.0}
"""


@pytest.fixture(scope="module")
def recovery_run():
    scen = parse_scenario_text(RECOVERY_YAML, "<recovery>")
    return aicapex.simulate(scen, dtype="float64").isel(scenario=0)


@pytest.mark.parametrize("variable, transform, truth", [
    ("inflation", None, {"phi": 0.7, "sigma": 0.02 * 0.5}),
    ("yield_10y", None, {"phi": 0.9, "sigma": 0.008 * 0.5}),
    ("credit_spread", None, {"phi": 0.75, "sigma": 0.002 * 0.5}),
    ("volatility", "log", {"phi": 0.5, "sigma": 0.25}),
])
def test_parameter_recovery_from_model_simulated_data(recovery_run, variable, transform,
                                                      truth):
    """The estimators used on history recover the parameters that generated the model's own
    paths, within 3 standard errors (the stated tolerance)."""
    x = recovery_run[variable].transpose("draw", "time").values
    if transform == "log":
        x = np.log(x)
    f = ar1(x)
    assert abs(f.phi - truth["phi"]) < 3 * f.phi_se, (f.phi, truth, f.phi_se)
    assert abs(f.sigma - truth["sigma"]) < 3 * f.sigma_se, (f.sigma, truth, f.sigma_se)


# ------------------------------------------------------------------ fits to history


@pytest.fixture(scope="module")
def history_fit():
    return fit_history()


def test_fit_history_reproduces_the_shipped_fit_with_standard_errors(history_fit):
    fits, moments = history_fit
    shipped = shipped_fit()
    assert {f.name for f in fits} == set(shipped["parameters"])
    for f in fits:
        s = shipped["parameters"][f.name]
        # optimiser and numerical-Hessian tolerances, not library-version noise; a failure
        # means fitted.yaml is stale: regenerate it with `aicapex calibrate --fit --out DIR`
        assert f.estimate == pytest.approx(s["estimate"], rel=1e-4), f.name
        assert f.se == pytest.approx(s["se"], rel=1e-3), f.name
        assert np.isfinite(f.se) and f.se > 0, f.name
        assert f.n >= 40, f.name
    corr = moments["correlations"]["earnings,valuation"]
    assert -1 < corr["estimate"] < 0 and corr["se"] > 0
    assert 0.3 < moments["drawdown_20pct_5y"]["value"] < 0.7


def test_shock_scales_reproduce_the_shipped_ones_and_measure_what_they_say():
    from aicapex.calibration.scales import shock_scales, window_change_sd, window_mean_sd

    # blocks of five years at 0 and 2 (window means about 1); a constant gives 0
    blocks = pd.Series(np.repeat(np.tile([0.0, 2.0], 10), 5))
    means = blocks.rolling(5).mean().dropna()
    assert window_mean_sd(blocks, 1) == pytest.approx(np.std(means - 1.0, ddof=1))
    assert window_mean_sd(pd.Series(np.full(40, 3.0)), 4) == 0.0
    # a trend plus +-0.1 alternating: the five-year change at t is 5 + 0.2 (-1)^t
    wobble = pd.Series(np.arange(40.0) + 0.1 * (-1.0) ** np.arange(40))
    assert window_change_sd(wobble, 1) == pytest.approx(
        np.std(5 + 0.2 * (-1.0) ** np.arange(5, 40), ddof=1))
    fitted, shipped = shock_scales(), shipped_fit()["shock_scales"]
    assert set(fitted) == set(shipped)
    for name, v in fitted.items():
        # a failure means fitted.yaml is stale: `aicapex calibrate --fit --out DIR`
        assert v["estimate"] == pytest.approx(shipped[name]["estimate"], rel=1e-9), name
        assert 0 < v["se"] < v["estimate"], name
    # history's own figures: a five-year average of GDP growth strays ~1pp, BAA-AAA ~0.5pp
    assert 0.005 < fitted["gdp_shift"]["estimate"] < 0.02
    assert 0.002 < fitted["spread_shift"]["estimate"] < 0.012


def test_default_priors_use_the_adopted_fits_and_say_so():
    from aicapex.scenarios import default_priors

    priors = default_priors()
    smm = shipped_fit()["smm"]["parameters"]
    for name, f in shipped_fit()["parameters"].items():
        if name in smm:  # the simulated-moment fit supersedes the single-series fit
            assert priors[name].source == "SMM", name
        elif f["adopted"]:
            assert priors[name].source == "FIT", name
        else:  # a source-document figure governs it
            assert priors[name].source != "FIT", name
    for name, f in smm.items():  # fixed at the estimate the moments were matched with
        assert priors[name].spec == pytest.approx(f["estimate"]), name
    assert priors["inflation_persistence"].source == "inflation_target"


# ------------------------------------------------------------------ anchor check


def test_baseline_passes_every_anchor():
    table, _ = check_baseline(draws=20_000, seed=3)
    assert len(table) >= 12
    assert all_passed(table), table[table["passed"] == "FAIL"].to_string()
    assert (table["passed"] == "pass").sum() == len(table)


def test_a_scenario_far_from_the_anchors_fails_the_check():
    # the check can fail: a capex collapse misses the > $500bn-by-2030 anchor
    table, _ = check_baseline(draws=5_000, seed=0, scenario="capex_slowdown")
    row = table.set_index("check").loc["AI capex, mid-2030"]
    assert row["passed"] == "FAIL"


def test_changing_an_anchor_changes_the_baseline_start():
    anchors = with_values({"mag10_weight": 0.45, "sp500_level": 7000.0,
                           "ai_revenue_monthly_bn": 2.0})
    ds = aicapex.simulate("baseline", draws=2_000, seed=0, anchors=anchors)
    assert ds["index_level"].attrs["start_value"] == pytest.approx(7000.0)
    assert ds["mag10_weight"].attrs["start_value"] == pytest.approx(0.45)
    assert ds["ai_revenue"].attrs["start_value"] == pytest.approx(24.0)
    first = ds.isel(scenario=0, time=0)
    assert float(first["mag10_weight"].median()) == pytest.approx(0.45, abs=0.02)
    table = anchor_checks(ds, anchors=anchors)
    assert table.set_index("check").loc["Mag-10 weight, first quarter", "target"].startswith(
        "45%")


def test_calibrate_check_cli_prints_and_saves_the_table(tmp_path, capsys):
    assert main(["calibrate", "--check", "--draws", "5000", "--out", str(tmp_path / "c")]) == 0
    table = pd.read_csv(tmp_path / "c" / "anchor_check.csv")
    assert set(table["passed"]) == {"pass"}
    assert "Mag-10" in capsys.readouterr().out  # the first row (rich wraps its name)


def test_run_saves_the_anchor_table(tmp_path):
    assert main(["run", "baseline", "--draws", "500", "--out", str(tmp_path / "r"),
                 "--no-plots"]) == 0
    table = pd.read_csv(tmp_path / "r" / "anchor_check.csv")
    assert list(table["scenario"].unique()) == ["baseline"]
    assert len(table) >= 12


# ------------------------------------------------------------------ scenario anchors


def test_scenario_anchors_set_the_start_and_bad_ones_are_named():
    ds = aicapex.simulate("dotcom_2000", draws=500, seed=0)
    assert ds.attrs["start"] == "2000Q1"
    assert ds["index_level"].attrs["start_value"] == pytest.approx(1469.25)
    assert ds["policy_rate"].attrs["start_value"] == pytest.approx(0.055)
    with pytest.raises(ScenarioError, match=r"unknown anchor 'sp500_levl'.*sp500_level"):
        parse_scenario_text("name: x\nanchors: {sp500_levl: 10}\n")
    with pytest.raises(ScenarioError, match="takes a date"):
        parse_scenario_text("name: x\nanchors: {as_of_date: 3}\n")
    with pytest.raises(ScenarioError, match="initial conditions"):
        aicapex.simulate(["baseline", parse_scenario_text(
            "name: y\nextends: baseline\nanchors: {sp500_level: 5000}\n",
            relative_to=aicapex.scenarios.loader.library_dir())], draws=10)


# ------------------------------------------------------------------ replay


def test_dotcom_replay_cli_writes_its_table_and_plot(tmp_path):
    out = tmp_path / "rp"
    assert main(["replay", "dotcom_2000", "--draws", "2000", "--out", str(out)]) == 0
    table = pd.read_csv(out / "replay.csv")
    assert len(table) == 20 and table["quarter"].iloc[0] == "2000Q1"
    # realised values are the shipped data's quarter-end closes
    sp = table.set_index("quarter")["sp500_realised"]
    assert sp["2002Q3"] == pytest.approx(815.28, abs=0.01)
    for col in ("sp500_percentile", "nasdaq_percentile"):
        assert table[col].between(0, 100).all()
    summary = pd.read_csv(out / "replay_summary.csv").set_index("series")
    assert summary.loc["sp500", "realised max drawdown"] == pytest.approx(
        1 - 815.28 / 1498.58, abs=1e-3)
    assert main(["replay", "baseline", "--draws", "200", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
    png = (out / "replay.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


# ------------------------------------------------------------------ every built-in


def test_all_builtins_run_at_50k_draws_without_nonfinite_values():
    """Rare tail draws of every built-in stay finite (the model's extremes, one bound at a
    time: ``tests/property/test_extremes.py``)."""
    names = builtin_names()
    today = [n for n in names if n != "dotcom_2000"]
    for batch in (today, ["dotcom_2000"]):  # a batch shares its start
        ds = aicapex.simulate(batch, draws=50_000, seed=0, summary_only=True)
        bad = {k: v for k, v in aicapex.api.nonfinite_counts(ds).items() if v}
        assert not bad, (batch, bad)
        assert float(ds.attrs["draws_accumulated"]) == 50_000
    assert len(names) >= 12


def test_missing_calibration_extra_is_a_clear_error():
    from aicapex.calibration.history import MissingHistoryDataError, _need

    with pytest.raises(MissingHistoryDataError, match=r"aicapex\[calibration\]"):
        _need("no_such_package_for_aicapex")


@pytest.mark.parametrize("summary_only", [False, True])
def test_a_horizon_short_of_the_anchor_dates_marks_those_checks_na(tmp_path, summary_only):
    """A run whose horizon ends before mid-2030 (the schema allows 1-200 quarters) gets its
    anchor table, the checks it cannot reach n/a, instead of failing after simulating."""
    from aicapex.calibration.check import run_anchor_table

    path = tmp_path / "short.yaml"
    path.write_text("name: short\nextends: baseline\nsettings: {horizon_quarters: 1}\n")
    loaded = aicapex.load_scenario(path)
    ds = aicapex.simulate(loaded, draws=1024, seed=0, summary_only=summary_only)
    table = run_anchor_table(ds, [loaded])
    verdicts = dict(zip(table["check"], table["passed"], strict=True))
    assert verdicts["AI capex, mid-2030"] == "n/a"
    assert verdicts["AI revenue, mid-2030"] == "n/a"
    assert verdicts["Index volatility (sd of quarterly log returns, annualised)"] == "n/a"
    assert verdicts["Mag-10 weight, first quarter"] == "pass"
