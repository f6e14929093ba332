"""Random combinations of parameters, anchors and paths, at and inside their bounds, at the
longest horizon a scenario may ask for (200 quarters), run as one compiled batch: every state
stays finite and inside the physical range its block declares (``OutputSpec.bounds``: rates,
inflation, growth, unemployment, spreads, shares), and the index stays on stable dynamics.

"Stable" is stated against nominal GDP, not against the start: a draw whose parameters put
trend growth at +10% and inflation at +25% a year for fifty years grows the economy e^20-fold,
and the index rightly with it. What the model must not do is what it did before its states
were bounded: compound away from the economy (earnings held at +50% a year for decades, a
deflation spiral to -inf). So in every combination log(index_t / index_0) - log(NGDP_t /
NGDP_0) stays within +-log(INDEX_TO_GDP) at every quarter (NGDP rebuilt from the reported
growth and inflation as block 6 builds it), and its median over a scenario's draws within
+-log(MEDIAN_INDEX_TO_GDP).

A combination is a scenario (its paths, constant or staged, pins with steps handed back, and
its anchors, each at a bound or inside) and one draw's parameters. ``N_SCENARIOS`` scenarios
are drawn; validation refuses some anchor sets jointly and those are redrawn. Every parameter
is drawn per draw from a prior that puts a sixth of its mass at each hard bound and the rest
uniform between (``bounds_box_table``), so the ``DRAWS`` draws of a scenario are as many
parameter combinations: N_SCENARIOS x DRAWS combinations share one compilation and one
run."""

from __future__ import annotations

import random

import jax
import numpy as np
import pytest
from scipy import stats

from aicapex.scenarios import compile_scenario, stack_batch
from aicapex.scenarios.anchors import default_anchors
from aicapex.scenarios.loader import ScenarioError, library_dir, parse_scenario_text
from aicapex.sim import engine
from aicapex.sim.model import OUTPUTS, PARAMETERS, PATHS
from aicapex.sim.model.types import DT, PRIOR_Z

pytestmark = pytest.mark.filterwarnings("ignore::aicapex.scenarios.loader.ScenarioWarning")

HORIZON = 200          # the schema's maximum
N_SCENARIOS = 64
DRAWS = 16             # 1,024 combinations
# Every draw's index stays within x1,000 of nominal GDP's path either way: what the bounds
# give by construction (P/Es in [3, 300] against starting P/Es of 20-40, a factor ~14 either
# way; the 490's earnings within [0.1, 3] of their share of GDP), with room for the AI
# groups. Each scenario's median stays within x100 (measured: x30 at worst).
INDEX_TO_GDP = 1e3
MEDIAN_INDEX_TO_GDP = 100.0
TOLERANCE = 1e-5       # float32 rounding at a declared bound

EXTRA_PATHS = {  # schema fields that compile to more than one path (scenarios/schema.py)
    "tariffs.effective_rate": (0.0, 2.0), "revenue.price_deflation": (-0.5, 1.0),
    "earnings.growth_shift": (-0.5, 0.5), "earnings.hardware_shift": (-0.5, 0.5),
    "earnings.platforms_shift": (-0.5, 0.5), "earnings.other_shift": (-0.5, 0.5),
    "valuation.erp_liquidity": (-0.1, 0.2), "valuation.erp_shift": (-0.1, 0.2),
}
QUARTERS = [f"{y}Q{q}" for y in range(2026, 2075) for q in range(1, 5)]


def _value(r: random.Random, lo: float, hi: float) -> float:
    """At a bound half the time, uniform inside the other half."""
    return r.choice([lo, hi]) if r.random() < 0.5 else r.uniform(lo, hi)


def _path(r: random.Random, lo: float, hi: float, pin: bool) -> str:
    if r.random() < 0.4:
        return repr(_value(r, lo, hi))
    starts = sorted(r.sample(QUARTERS[:120], r.randint(2, 4)))
    values = ["null" if pin and k and r.random() < 0.3 else repr(_value(r, lo, hi))
              for k in range(len(starts))]  # a pin hands a later step back to its equation
    steps = [f"{{from: {q}, value: {v}}}" for q, v in zip(starts, values, strict=True)]
    return "[" + ", ".join(steps) + "]"


def _base_yaml(i: int, r: random.Random) -> str:
    sections: dict[str, list[str]] = {}
    paths = {(p.section, p.field): (p.lo, p.hi, p.pin) for p in PATHS}
    paths |= {tuple(k.split(".")): (lo, hi, False) for k, (lo, hi) in EXTRA_PATHS.items()}
    for (section, name), (lo, hi, pin) in r.sample(sorted(paths.items()), r.randint(1, 5)):
        sections.setdefault(section, []).append(f"{name}: {_path(r, lo, hi, pin)}")
    anchors = [a for a in default_anchors().values() if a.bounds is not None]
    sections["anchors"] = [f"{a.name}: {_value(r, *a.bounds)!r}"
                           for a in r.sample(anchors, r.randint(0, 3))]
    body = "\n".join(f"{k}: {{{', '.join(v)}}}" for k, v in sections.items() if v)
    return (f"name: combo{i}\nextends: baseline\n"
            f"settings: {{horizon_quarters: {HORIZON}}}\n{body}\n")


def bounds_box_table(n_scenarios: int) -> np.ndarray:
    """A prior table (S, P, Q) under which each parameter sits at its lower bound for scores
    below the 1/6 quantile, at its upper above the 5/6, and uniform between."""
    u = np.clip(stats.norm.cdf(PRIOR_Z) * 1.5 - 0.25, 0.0, 1.0)
    table = np.stack([p.lo + (p.hi - p.lo) * u for p in PARAMETERS])
    return np.broadcast_to(table, (n_scenarios, *table.shape)).copy()


@pytest.fixture(scope="module")
def combinations():
    """The stacked batch of N_SCENARIOS scenarios with the bounds-box prior."""
    r = random.Random(20261207)
    compiled = []
    attempt = 0
    while len(compiled) < N_SCENARIOS:
        text = _base_yaml(attempt, r)
        attempt += 1
        try:
            loaded = parse_scenario_text(text, f"combo{attempt}.yaml", relative_to=library_dir())
        except ScenarioError:
            continue  # an anchor set refused jointly, with its file, line and field
        compiled.append(compile_scenario(loaded.scenario))
    assert attempt < 3 * N_SCENARIOS, "validation refused most combinations"
    batch = stack_batch(compiled)
    return batch._replace(prior_table=bounds_box_table(N_SCENARIOS).astype(
        np.asarray(batch.prior_table).dtype))


def test_random_combinations_stay_physical_at_the_longest_horizon(combinations):
    batch = combinations
    paths, _ = engine.simulate_paths(batch, jax.random.key(7), DRAWS)  # name: (S, T, draws)
    problems = _problems(paths)
    for name in ("index_level", "mcap_hw", "mcap_platforms", "mcap_other", "pe_hw",
                 "pe_platforms", "pe_other"):
        if np.isfinite(paths[name]).all() and not (paths[name] > 0).all():
            problems.append(f"{name} is not positive everywhere")
    assert not problems, "\n".join(problems)

    relative = _index_over_gdp(paths, batch)  # (S, T, draws)
    worst = np.abs(relative).max()
    assert worst <= np.log(INDEX_TO_GDP), (
        f"a draw's index reaches x{np.exp(worst):.3g} of nominal GDP's path")
    median = np.abs(np.median(relative, axis=2)).max(axis=1)
    assert median.max() <= np.log(MEDIAN_INDEX_TO_GDP), (
        f"scenario {int(median.argmax())}'s median index reaches x{np.exp(median.max()):.3g} "
        "of nominal GDP's path")


def _index_over_gdp(paths, batch) -> np.ndarray:
    """log(index_t / index_0) - log(NGDP_t / NGDP_0), (S, T, draws): NGDP rebuilt from the
    reported growth and inflation as block 6 builds it, index_0 the anchors' level."""
    log_ngdp = np.cumsum((paths["gdp_growth"] + paths["inflation"]) * DT, axis=1)
    start = np.asarray(batch.init.index_level)[:, None, None]
    return np.log(paths["index_level"] / start) - log_ngdp


def _problems(paths) -> list[str]:
    """What is non-finite or outside its declared range in ``paths``."""
    out = []
    for spec in OUTPUTS:
        x = paths[spec.name]
        if not np.isfinite(x).all():
            out.append(f"{spec.name}: non-finite")
        elif spec.bounds is not None:
            lo, hi = spec.bounds
            tol = TOLERANCE * max(1.0, abs(lo), abs(hi))
            if x.min() < lo - tol or x.max() > hi + tol:
                out.append(f"{spec.name} over [{x.min():.4g}, {x.max():.4g}]")
    return out


REPRODUCERS = ("gdp: {shift: -0.15}", "gdp: {shift: 0.15}", "earnings: {growth_shift: 0.5}", "")


def test_the_issue_s_reproducers_stay_physical_at_the_longest_horizon():
    """The reproducers of issue 41, held for the whole horizon: a GDP path of -15% a year
    gave unemployment of 4,896% and inflation of -284% (at 40 quarters), +15% a median index
    2,300 times its start, an earnings shift of +50% 530 times, and the baseline alone at
    150-200 quarters non-finite values. Each now stays finite and in range, and its median
    index within MEDIAN_INDEX_TO_GDP of nominal GDP's path."""
    batch = stack_batch([compile_scenario(parse_scenario_text(
        f"name: repro{i}\nsettings: {{horizon_quarters: {HORIZON}}}\n{body}\n",
        f"repro{i}.yaml").scenario) for i, body in enumerate(REPRODUCERS)])
    paths, _ = engine.simulate_paths(batch, jax.random.key(3), 256)
    assert not _problems(paths)
    median = np.abs(np.median(_index_over_gdp(paths, batch), axis=2)).max(axis=1)
    assert (median <= np.log(MEDIAN_INDEX_TO_GDP)).all(), dict(zip(REPRODUCERS, np.exp(median),
                                                                   strict=True))
