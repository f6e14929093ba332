"""Every response signed and monotone (issue 37, item 6): each dimension of the shock space
moved by -3, -1, +1 and +3 of its plausibility sds against the baseline (the edits
``analysis.shocks`` writes into scenario files), on common random numbers. The median index
at the horizon and P(max drawdown > 20%) must move in the direction the economics says,
monotonically across the five points (within their Monte Carlo error), and significantly at
the ends. The responses the model gets wrong today are strict xfails with the figures
measured here (4,000 draws, seed 2); each fails the suite the day it is fixed."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.analysis.shocks import DIMENSIONS, ShockSpace, scales

DRAWS = 4000
SIZES = (-3, -1, 1, 3)

EXPECTED: dict[str, int] = {
    "gdp_shift": +1, "erp_shift": -1, "spread_shift": -1, "term_premium_shift": -1,
    "price_deflation": -1, "earnings_growth_shift": +1, "tariff_rate": -1, "useful_life": +1,
    "fed_path": -1, "capex_growth": +1,
}
"""The sign of the median index's response to a rise of each dimension (P(drawdown) moves
the other way). AI capex: more of it is planned growth the valuation prices, so the index
should rise with it; the model's is not monotone (below)."""

KNOWN: dict[tuple[str, str], str] = {
    ("capex_growth", "median"): "median index 8,996 / 9,924 / 10,155 / 10,121 / 9,123 at "
        "-3/-1/0/+1/+3 sd: the index peaks near the plan (docs/model.md: the attribution)",
    ("capex_growth", "p_drawdown"): "P(DD>20%) 0.601 / 0.543 / 0.549 / 0.585 / 0.716: "
        "U-shaped",
    ("term_premium_shift", "p_drawdown"): "P(DD>20%) 0.629 / 0.568 / 0.549 / 0.545 / 0.617: "
        "a lower term premium raises the drawdown probability (prices jump, then fall back)",
    ("erp_shift", "p_drawdown"): "P(DD>20%) 0.299 / 0.654 / 0.549 / 1.000 / 1.000: a 1-sd "
        "lower premium raises it",
    ("useful_life", "p_drawdown"): "P(DD>20%) 0.533 / 0.549 / 0.549 / 0.546 / 0.540: "
        "a longer life lowers it by 0.009 at +3 sd, within two Monte Carlo errors",
}


def _tag(dim: str, k: int) -> str:
    return f"{dim}.{'m' if k < 0 else 'p'}{abs(k)}"


@pytest.fixture(scope="module")
def grid():
    space = ShockSpace("baseline", dtype="float32")
    sd = scales()
    docs = []
    for dim in DIMENSIONS:
        lo, hi = space.limits(dim)
        docs += [space.document({dim: float(np.clip(k * sd[dim][0], lo, hi))},
                                name=_tag(dim, k)) for k in SIZES]
    ds = aicapex.simulate(["baseline", *docs], draws=DRAWS, seed=2, summary_only=True,
                          progress=False)
    final = ds.isel(time=-1)
    med = final["index_level"].sel(quantile=0.5)
    err = final["index_level__qerr"].sel(quantile=0.5)
    pdd = ds["p_drawdown_exceeds"].sel(drawdown_level=0.2)

    def row(a, dim):
        names = [_tag(dim, k) for k in SIZES[:2]] + ["baseline"] + [
            _tag(dim, k) for k in SIZES[2:]]
        return np.array([float(a.sel(scenario=n)) for n in names])
    return {dim: {"median": (row(med, dim), row(err, dim)),
                  "p_drawdown": (row(pdd, dim), np.sqrt(row(pdd, dim) * (1 - row(pdd, dim))
                                                        / DRAWS))}
            for dim in DIMENSIONS}


CASES = [pytest.param(dim, metric, id=f"{dim}-{metric}", marks=(
    [pytest.mark.xfail(strict=True, reason=KNOWN[(dim, metric)])] if (dim, metric) in KNOWN
    else [])) for dim in EXPECTED for metric in ("median", "p_drawdown")]


@pytest.mark.parametrize(("dim", "metric"), CASES)
def test_the_response_is_signed_and_monotone(grid, dim, metric):
    values, err = grid[dim][metric]
    sign = EXPECTED[dim] * (1 if metric == "median" else -1)
    steps = np.diff(values) * sign
    noise = 2.0 * np.sqrt(err[1:] ** 2 + err[:-1] ** 2)  # two errors of the difference
    assert np.all(steps > -noise), (dim, metric, values)
    assert (values[-1] - values[0]) * sign > 2 * noise.max(), (dim, metric, values)


def test_the_grid_covers_every_dimension():
    assert set(EXPECTED) == set(DIMENSIONS)
