"""Every documented bound, one at a time on the baseline, and a few together: each parameter
at its hard bounds (``aicapex params``), each scenario path and field at the ends of its schema
range, each numeric anchor at the ends of its ``bounds`` (``scenarios/data/anchors.yaml``).
What validation accepts must run finite and sensible; what it refuses (an anchor at one end
can break a relation with another, or the prior built from it) must be refused with the file,
line and field.

"Sensible" over the 5-year horizon, 1,024 draws: no non-finite value anywhere; the median index
between 1/50 and 50 times its start and its 1% and 99% quantiles between 1/500 and 500 times
(history's worst 5-year fall is about -80%, its best about 3x); the 10-year yield and inflation
within +-50% a year."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from aicapex.scenarios import compile_scenario, stack_batch
from aicapex.scenarios.anchors import default_anchors
from aicapex.scenarios.loader import ScenarioError, library_dir, parse_scenario_text
from aicapex.sim import engine
from aicapex.sim.model import PARAMETERS

# the extremes replace the baseline's staged earnings shift by one value, knowingly
pytestmark = pytest.mark.filterwarnings("ignore::aicapex.scenarios.loader.ScenarioWarning")

PATHS = {  # field: the schema's range (scenarios/schema.py)
    "tariffs.effective_rate": (0.0, 2.0), "rates.term_premium_shift": (-0.03, 0.05),
    "revenue.price_deflation": (-0.5, 1.0), "hardware.china_multiplier": (0.0, 10.0),
    "earnings.growth_shift": (-0.5, 0.5), "earnings.hardware_shift": (-0.5, 0.5),
    "earnings.platforms_shift": (-0.5, 0.5), "earnings.other_shift": (-0.5, 0.5),
    "gdp.shift": (-0.15, 0.15), "credit.spread_shift": (-0.02, 0.10),
    "valuation.erp_liquidity": (-0.1, 0.2), "valuation.erp_shift": (-0.1, 0.2),
    "depreciation.useful_life_years": (0.25, 10.0),
}


def _cases() -> dict[str, str]:
    """Case name -> the YAML that sets one thing at one of its bounds on the baseline."""
    out = {}
    for p in PARAMETERS:
        for end, v in (("lo", p.lo), ("hi", p.hi)):
            out[f"p_{p.name}_{end}"] = f"parameters: {{{p.name}: {v!r}}}"
    for field, (lo, hi) in PATHS.items():
        section, name = field.split(".")
        for end, v in (("lo", lo), ("hi", hi)):
            out[f"f_{name}_{end}"] = f"{section}: {{{name}: {v!r}}}"
    for end, g in (("lo", -0.9), ("hi", 3.0)):
        years = ", ".join(f"{y}: {g}" for y in range(2026, 2031))
        out[f"f_capex_growth_{end}"] = f"capex: {{growth_by_year: {{{years}}}}}"
    for end, g in (("lo", -3.0), ("hi", 1.5)):
        out[f"f_slowdown_{end}"] = ("capex: {slowdown: {start: 2026Q1, growth_shift: "
                                    f"{g}, quarters: 200}}}}")
    for end, life in (("lo", 0.25), ("hi", 10.0)):
        out[f"f_life_change_{end}"] = f"depreciation: {{change: {{at: 2026Q2, to: {life}}}}}"
    joint = {  # a few extremes together, each combination a way the model used to break
        "j_volatility_max": "parameters: {vol_ramp: 1.0, vol_wobble: 1.0, vol_bust: 1.0, "
                            "sv_sigma: 1.5, sv_persistence: 0.999}",
        # every group's earnings at -50% (+50%) a year for five years: (the common shift on
        # top would double it, to e^-5 of today's earnings, which no index survives)
        "j_earnings_collapse": "earnings: {hardware_shift: -0.5, platforms_shift: -0.5, "
                               "other_shift: -0.5}",
        "j_earnings_boom": "earnings: {hardware_shift: 0.5, platforms_shift: 0.5, "
                           "other_shift: 0.5}",
        "j_depression": "gdp: {shift: -0.15}\ncredit: {spread_shift: 0.10}\n"
                        "valuation: {erp_shift: 0.2}\ncapex: {slowdown: {start: 2026Q1, "
                        "growth_shift: -3.0, quarters: 200}}",
    }
    out.update(joint)
    for name, a in default_anchors().items():
        if a.bounds is not None:
            for end, v in (("lo", a.bounds[0]), ("hi", a.bounds[1])):
                out[f"a_{name}_{end}"] = f"anchors: {{{name}: {v!r}}}"
    return out


def _load(name: str, body: str):
    return parse_scenario_text(f"name: {name[:64]}\nextends: baseline\n{body}\n", f"{name}.yaml",
                               relative_to=library_dir())


@pytest.fixture(scope="module")
def accepted():
    """The cases validation accepts (parameters and fields, and anchors), and those it refused
    with their errors."""
    batch, anchored, refused = [], [], {}
    for name, body in _cases().items():
        try:
            loaded = _load(name, body)
        except ScenarioError as e:
            refused[name] = e
            continue
        (anchored if name.startswith("a_") else batch).append(loaded)
    return batch, anchored, refused


def _problems(loaded) -> list[str]:
    """What is not finite or sensible in 1,024 draws of each scenario of ``loaded``, run as
    one batch by the engine (each scenario with its own starting point: ``aicapex.simulate``
    keeps one per batch for its dataset, the engine needs none)."""
    batch = stack_batch([compile_scenario(s.scenario) for s in loaded])
    paths, _ = engine.simulate_paths(batch, jax.random.key(0), 1024)  # name: (S, T, draws)
    out = []
    for i, s in enumerate(loaded):
        name = s.scenario.name
        bad = [v for v, x in paths.items() if not np.isfinite(x[i]).all()]
        if bad:
            out.append(f"{name}: non-finite {bad[:4]}")
            continue
        level = paths["index_level"][i]
        ratio = level[-1] / level[0]
        q01, q50, q99 = np.quantile(ratio, [0.01, 0.5, 0.99])
        if not (1 / 50 <= q50 <= 50 and q01 >= 1 / 500 and q99 <= 500):
            out.append(f"{name}: index ratio q01/q50/q99 {q01:.3g}/{q50:.3g}/{q99:.3g}")
        for v in ("yield_10y", "inflation"):
            worst = float(np.abs(paths[v][i]).max())
            if worst > 0.5:
                out.append(f"{name}: |{v}| reaches {worst:.3g}")
    return out


def test_refused_bounds_name_the_file_line_and_field(accepted):
    batch, _, refused = accepted
    assert len(batch) >= 2 * len(PARAMETERS)  # every parameter bound is accepted on its own
    for name, e in refused.items():
        assert name.startswith("a_"), (name, str(e))  # only anchors interact
        assert e.file == f"{name}.yaml" and e.line is not None and e.field_path.startswith(
            "anchors."), (name, str(e))


def test_accepted_bounds_run_finite_and_sensible(accepted):
    batch, anchored, _ = accepted
    problems = _problems(batch + anchored)
    assert not problems, "\n".join(problems)
