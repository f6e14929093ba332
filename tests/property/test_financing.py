"""Circular financing (``hardware.financing_unwind``): when a share of the hardware
suppliers' buyers cannot fund their orders, the orders cancel at once, the suppliers write
down what they financed, and AI spreads widen; the built-in ``financing_unwind`` tells the
story, and it hits the AI groups harder than the other 490."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.scenarios import default_priors


@pytest.fixture(scope="module")
def ds():
    return aicapex.simulate(["baseline", "financing_unwind"], draws=4096, seed=5, progress=False)


def _median(ds, var, t):
    x = ds[var].isel(time=t).median("draw")
    return float(x.sel(scenario="baseline")), float(x.sel(scenario="financing_unwind"))


def test_orders_cancel_and_the_write_down_lands_in_the_quarter_it_starts(ds):
    start = int(np.flatnonzero(ds["time"].to_index().to_period("Q") == "2026Q3")[0])
    before_b, before_u = _median(ds, "hw_revenue", start - 1)
    assert before_u == pytest.approx(before_b)  # nothing happens before it starts
    rev_b, rev_u = _median(ds, "hw_revenue", start)
    assert rev_u < 0.85 * rev_b  # a quarter of the non-China orders, gone at once
    e_b, e_u = _median(ds, "earnings_hw", start)
    write_off = 0.25 * default_priors()["vendor_financing_bn"].spec / 0.25  # annualised
    assert e_b - e_u > 0.8 * write_off  # the financing written off, and the lost margin
    for t in (start, start + 1):  # within two quarters: spreads wider
        s_b, s_u = _median(ds, "credit_spread", t)
        assert s_u > s_b + 0.008
    e2_b, e2_u = _median(ds, "earnings_hw", start + 1)
    assert e_u < e2_u < e2_b  # the write-off is once; the lost orders stay lost


def test_the_unwind_hits_the_ai_groups_harder_than_the_other_490(ds):
    """In the year after it starts each AI group loses more than the other 490 (the direct
    hit); over five years the AI groups together still do, though the recession the lost
    orders cause (operating leverage to unemployment, block 8c) catches the other 490 up with
    the platforms."""
    start = int(np.flatnonzero(ds["time"].to_index().to_period("Q") == "2026Q3")[0])
    med = ds.median("draw")

    def change(var, t):
        x = med[var].isel(time=t) if isinstance(var, str) else sum(med[v].isel(time=t)
                                                                     for v in var)
        b, u = (float(x.sel(scenario=s)) for s in ("baseline", "financing_unwind"))
        return u / b - 1

    for t in range(start, start + 4):
        assert change("mcap_hw", t) < change("mcap_platforms", t) < change("mcap_other", t) <= 0
    ai = ("mcap_hw", "mcap_platforms")
    assert change(ai, -1) < change("mcap_other", -1) < 0
