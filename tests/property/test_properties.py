"""Properties that must hold for any draw: accounting identities, bounds, and the direction
of each scenario's effect under common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.sim.model.catalog import DT


@pytest.fixture(scope="module")
def batch():
    return aicapex.simulate(["baseline", "capex_slowdown", "fast_depreciation", "fed_hawkish",
                             "tariff_escalation"], draws=2000, seed=21, dtype="float64")


@pytest.mark.parametrize("name", ["baseline", "fast_depreciation", "capex_slowdown"])
def test_capex_equals_depreciation_plus_impairment_plus_book_value(batch, name, compiled64):
    """cumulative capex + starting book = cumulative depreciation + impairments + book value"""
    sc = compiled64[name]
    taus = np.arange(-40, 0)
    nbv0 = np.sum(sc.vintage0_bn[taus % 40] * np.maximum(0, 1 + taus / float(sc.life0_quarters)))
    d = batch.sel(scenario=name)
    cum_capex = (d["ai_capex"] * DT).cumsum("time")
    cum_dep = (d["depreciation"] * DT).cumsum("time")
    cum_imp = d["impairment"].cumsum("time")
    lhs = nbv0 + cum_capex
    rhs = cum_dep + cum_imp + d["net_book_value"]
    np.testing.assert_allclose(lhs.values, rhs.values, rtol=1e-10)


def test_fast_depreciation_books_an_impairment_and_raises_depreciation(batch):
    imp = batch["impairment"].sel(scenario="fast_depreciation")
    t_change = int(np.argmax(imp.isel(draw=0).values > 0))
    when = str(batch["time"].values[t_change])[:10]
    assert when == "2026-12-31"
    assert (imp.isel(time=t_change) > 0).all()
    assert float(batch["impairment"].sel(scenario="baseline").sum()) == 0.0
    dep_fast = batch["depreciation"].sel(scenario="fast_depreciation").isel(time=t_change)
    dep_base = batch["depreciation"].sel(scenario="baseline").isel(time=t_change)
    assert (dep_fast > dep_base).all()


def test_capex_slowdown_lowers_hardware_revenue(batch):
    # the slowdown runs 2026Q3..2027Q4; compare at its end, draw by draw
    t = np.datetime64("2027-12-31")
    slow = batch["hw_revenue"].sel(scenario="capex_slowdown", time=t)
    base = batch["hw_revenue"].sel(scenario="baseline", time=t)
    assert float((slow < base).mean()) == 1.0
    assert float(slow.mean()) < 0.8 * float(base.mean())


def test_fast_depreciation_lowers_platform_earnings(batch):
    t = np.datetime64("2027-06-30")
    fast = batch["earnings_platforms"].sel(scenario="fast_depreciation", time=t)
    base = batch["earnings_platforms"].sel(scenario="baseline", time=t)
    assert float((fast < base).mean()) > 0.99
    gaap_fast = batch["earnings_platforms_gaap"].sel(scenario="fast_depreciation",
                                                    time=np.datetime64("2026-12-31"))
    gaap_base = batch["earnings_platforms_gaap"].sel(scenario="baseline",
                                                    time=np.datetime64("2026-12-31"))
    assert (gaap_fast < gaap_base).all()


def test_fed_hawkish_raises_the_10y_yield(batch):
    hawk = batch["yield_10y"].sel(scenario="fed_hawkish")
    base = batch["yield_10y"].sel(scenario="baseline")
    assert float((hawk - base).mean()) > 0.001
    # first quarter: December odds of 30% instead of 71%: never lower, draw by draw
    assert bool((hawk.isel(time=0) >= base.isel(time=0) - 1e-12).all())


def test_bounds_and_identities_every_draw(batch):
    assert (batch["policy_rate"] >= 0).all()
    assert ((batch["drawdown"] >= 0) & (batch["drawdown"] < 1)).all()
    assert ((batch["mag10_weight"] > 0) & (batch["mag10_weight"] < 1)).all()
    assert batch["regime"].isin([0, 1, 2]).all()
    mcap = batch["mcap_hw"] + batch["mcap_platforms"] + batch["mcap_other"]
    start = batch["index_level"].attrs["start_value"]
    mcap0 = sum(batch[v].attrs["start_value"] for v in ("mcap_hw", "mcap_platforms",
                                                         "mcap_other"))
    np.testing.assert_allclose(batch["index_level"], start * mcap / mcap0, rtol=1e-10)
    np.testing.assert_allclose(batch["mag10_weight"],
                               (batch["mcap_hw"] + batch["mcap_platforms"]) / mcap, rtol=1e-10)
    np.testing.assert_allclose(batch["mcap_hw"], batch["pe_hw"] * batch["earnings_hw"],
                               rtol=1e-10)
