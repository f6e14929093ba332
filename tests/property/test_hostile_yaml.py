"""Hostile scenario files: whatever the bytes, loading either succeeds or raises the project's
``ScenarioError`` naming the file (and, where there is one, the line and field) — never another
exception, never a hang. Examples are derandomised so CI sees the same cases every run.

Case counts (``max_examples``): 2000 + 5000 + 3000 + 300 + 400 = 10,700 per run, weighted by
cost (a depth-400 nesting or alias bomb takes about ten times as long to load as a mutated
built-in file). Nested structures are built by ``random_structure`` from a seed that
hypothesis draws: hypothesis's own recursive strategy took several times longer to draw one
than loading it takes, and a failing case is reproduced from its seed just as well.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aicapex import cli
from aicapex.scenarios.loader import (
    LoadedScenario,
    ScenarioError,
    library_dir,
    parse_scenario_text,
)

FILE = "hostile.yaml"
FAST = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOP_KEYS = ["name", "description", "extends", "settings", "fed", "tariffs", "rates", "capex",
            "depreciation", "revenue", "hardware", "credit", "valuation", "parameters",
            "inflation", "gdp", "earnings", "volatility", "regime", "bogus", "Name", ""]
SUB_KEYS = ["start", "horizon_quarters", "draws", "seed", "dtype", "meetings",
            "default_meeting", "effective_rate", "passthrough_quarters", "growth_by_year",
            "slowdown", "useful_life_years", "change", "at", "to", "impairment", "from",
            "value", "dist", "median", "sigma", "low", "high", "mode", "mean", "sd", "a", "b",
            "cut_25", "hold", "hike_25", "cut_100", "ai_revenue_2030_bn", "pe_mean_reversion",
            "capex_sigma", "taylor_weight", "price_deflation", "china_multiplier",
            "spread_shift", "quarters", "growth_shift", "x", "2025-12-10", 2026, 3.5, True]

SCALARS = [None, True, False, 0, 1, -1, 0.5, 1.3, -0.25, 1e308, -1e308, 1e-320, 2**63,
           10**400 // 10**300, math.nan, math.inf, -math.inf, -0.0, "2025Q4", "2026Q3",
           "2025Q5", "1899Q1", "9999Q4", "2025-12-10", "float32", "float64", "float16",
           "lognormal", "uniform", "beta", "gamma", "baseline", "nope", "../../etc/passwd", "",
           " ", "\t", "\u00e9\u4e2d", "nan", ".inf", "-.inf", "~", "yes", "no", "0x1F",
           "1_000"]
ALPHABET = ("abcxyz_ -:#&*!|>'\"{}[],?%@`\t\n\r\\0123456789.eE+"
            "\x00\x07\x85\u00a0\u00e9\u2028\u4e2d\ufeff\U0001f600")


def _random_text(r: random.Random, max_size: int) -> str:
    return "".join(r.choice(ALPHABET) for _ in range(r.randrange(max_size + 1)))


def _random_scalar(r: random.Random):
    kind = r.randrange(5)
    if kind == 0:
        return r.choice(SCALARS)
    if kind == 1:
        return r.choice([r.randrange(-10, 11), r.randrange(-10**30, 10**30 + 1)])
    if kind == 2:
        return r.choice([r.uniform(-2.0, 2.0), r.uniform(-1e6, 1e6),
                         math.ldexp(r.uniform(-1.0, 1.0), r.randrange(-1074, 1024))])
    if kind == 3:
        return _random_text(r, 20)
    return r.random() < 0.5


def _random_value(r: random.Random, leaves: list[int], shape: int | None = None):
    """A scalar (``shape`` 0), or while leaves remain a list of up to 5 (1) or a dict of up to
    6 values keyed by known field names or random text (2); random unless given. ``leaves``
    counts down the scalars left to place."""
    if shape is None or leaves[0] <= 1:
        shape = r.randrange(3) if leaves[0] > 1 else 0
    if shape == 0:
        leaves[0] -= 1
        return _random_scalar(r)
    if shape == 1:
        return [_random_value(r, leaves) for _ in range(r.randrange(6)) if leaves[0] > 0]
    out = {}
    for _ in range(r.randrange(7)):
        if leaves[0] <= 0:
            break
        key = r.choice(SUB_KEYS) if r.random() < 0.7 else _random_text(r, 8)
        out[key] = _random_value(r, leaves)
    return out


def random_structure(seed: int) -> dict:
    """A scenario-like mapping for ``seed``: up to 8 top-level keys (real ones, misspelt ones,
    an empty one), each holding a nested value (a mapping half the time, as real sections
    are) of at most 16 scalars of every YAML type and edge value, wrong types in right places
    included."""
    r = random.Random(seed)
    out = {r.choice(TOP_KEYS): _random_value(r, [r.randrange(1, 17)],
                                             2 if r.random() < 0.5 else None)
           for _ in range(r.randrange(9))}
    if r.random() < 0.5:  # a valid name half the time, so validation goes past it
        out["name"] = f"hostile_{seed % 1000}"
    return out


seeds = st.integers(min_value=0, max_value=2**64 - 1)


def check(text: str) -> LoadedScenario | None:
    """Load ``text``: success, or a ScenarioError that names the file. Anything else fails."""
    try:
        return parse_scenario_text(text, FILE, relative_to=library_dir())
    except ScenarioError as e:
        assert e.file, e  # this file, or the file it extends
        assert str(e) and e.message, e
        if e.line is not None:
            assert e.line >= 1
        return None


@settings(max_examples=2000, **FAST)
@given(seeds)
def test_generated_structures(seed):
    text = yaml.safe_dump(random_structure(seed), allow_unicode=True, sort_keys=False)
    check(text)


@settings(max_examples=5000, **FAST)
@given(st.sampled_from(sorted(p.name for p in library_dir().glob("*.yaml"))),
       st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=6))
def test_mutated_builtin_files(name, seed, n_mutations):
    text = (library_dir() / name).read_text(encoding="utf-8")
    check(mutate(text, random.Random(seed), n_mutations))


TOKENS = ["", "x", ":", "- ", "{", "}", "[", "]", "&a", "*a", "!!python/object:os.system",
          "1.3", "-5", "nan", ".inf", "1e308", "2025Q9", "\n  ", "\t", "'", '"', "#", "%",
          "cut_25: 2", "extends: baseline", "extends: fed_hawkish", "<<: *a", "? "]


def mutate(text: str, r: random.Random, n_mutations: int) -> str:
    """``text`` after ``n_mutations`` random edits: a token inserted, a span deleted, a line
    duplicated, or a number inserted."""
    for _ in range(n_mutations):
        op = r.randrange(4)
        i = r.randrange(len(text) + 1)
        if op == 0:
            text = text[:i] + r.choice(TOKENS) + text[i:]
        elif op == 1:
            text = text[:i] + text[i + r.randrange(1, 20):]
        elif op == 2:
            lines = text.splitlines()
            j = r.randrange(len(lines))
            lines.insert(r.randrange(len(lines) + 1), lines[j])
            text = "\n".join(lines)
        else:
            text = text[:i] + str(r.choice([r.random(), -r.random() * 1e6, 2**70])) + text[i:]
    return text


def test_what_validation_accepts_also_compiles_and_plans():
    """What validation accepts runs with the same meaning: 60 accepted mutations of the
    built-in files (deterministic) each compile to the model's arrays and plan as a run, the
    steps after validation where a date, a life, the revenue pin or a quarter's policy moves
    used to fail (the simulation of accepted extremes: ``test_extremes.py``)."""
    from aicapex.api import plan_run
    from aicapex.scenarios import compile_scenario

    files = sorted(library_dir().glob("*.yaml"))
    r = random.Random(20261201)
    accepted = tries = 0
    while accepted < 60 and tries < 2000:
        tries += 1
        text = mutate(files[tries % len(files)].read_text(encoding="utf-8"), r,
                      r.randrange(1, 4))
        loaded = check(text)
        if loaded is None:
            continue
        compile_scenario(loaded.scenario)
        plan_run([loaded], draws=1024)
        accepted += 1
    assert accepted == 60, (accepted, tries)


@settings(max_examples=3000, **FAST)
@given(st.one_of(st.text(max_size=300),
                 st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text(text):
    check(text)


@settings(max_examples=300, **FAST)
@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=12),
       st.integers(min_value=1, max_value=12), st.sampled_from(["[", "{a: "]))
def test_nesting_and_alias_bombs(depth, width, levels, opener):
    closer = "]" if opener == "[" else "}"
    check("name: x\nsettings: " + opener * depth + "1" + closer * depth + "\n")
    lines = ["name: x", "l0: &l0 [" + ", ".join(["y"] * width) + "]"]
    for k in range(1, levels + 1):
        lines.append(f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]")
    check("\n".join(lines) + "\n")


@settings(max_examples=400, **FAST)
@given(seeds)
def test_cli_validate_never_prints_a_traceback(tmp_path_factory, seed):
    path = tmp_path_factory.mktemp("cli") / "s.yaml"
    path.write_text(yaml.safe_dump(random_structure(seed), allow_unicode=True),
                    encoding="utf-8")
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["validate", str(path)])
    assert code in (0, 2)
    assert "Traceback" not in buf.getvalue()
    if code == 2:
        assert str(path) in buf.getvalue().replace("\n", "")


def test_binary_empty_huge_and_unreadable_files(tmp_path: Path):
    from aicapex.scenarios.loader import load_scenario

    cases = {
        "empty.yaml": b"",
        "nul.yaml": b"name: x\x00\n",
        "latin1.yaml": "name: caf\u00e9\n".encode("latin-1"),
        "huge.yaml": b"name: x\ndescription: " + b"a" * 6_000_000 + b"\n",
        "two_docs.yaml": b"name: a\n---\nname: b\n",
        "python_tag.yaml": b"name: !!python/object/apply:os.system ['echo hi']\n",
    }
    for fname, content in cases.items():
        p = tmp_path / fname
        p.write_bytes(content)
        try:
            load_scenario(p)
        except ScenarioError as e:
            assert e.file == str(p), (fname, e)
        else:
            raise AssertionError(f"{fname} was accepted")


def test_generated_valid_scenarios_compile_and_bounds_hold():
    """Sanity for the generators: a valid file passes, and NaN/inf never get through."""
    ok = check("name: ok\nextends: baseline\nparameters: {capex_sigma: 0.2}\n")
    assert ok is not None
    for bad in ("nan", ".inf", "-.inf", "1e400"):
        assert check(f"name: b\nparameters: {{capex_sigma: {bad}}}\n") is None
    assert math.isfinite(ok.scenario.param_overrides()["capex_sigma"].value)


REFUSED = {  # the cases of issue 27 that validation used to accept, each with its field
    "fed:\n  meetings:\n    2026-01-28: {hold: true}\n": "fed.meetings.2026-01-28.hold",
    "anchors: {sp500_level: true}\n": "anchors.sp500_level",
    "fed:\n  meetings:\n    0: {hold: 1.0}\n": "fed.meetings.0",
    "capex:\n  growth_by_year: {2026: 0.3, '2026': 5.0}\n": "capex.growth_by_year.2026",
    "description: !!binary aGVsbG8=\n": "description",
    'settings: {start: "2025Q4\\n"}\n': "settings.start",
    "settings: {start: '\uff12\uff10\uff12\uff15Q4'}\n": "settings.start",
    "settings: {start: '\u0662\u0660\u0662\u0665Q4'}\n": "settings.start",
    "fed:\n  taylor_weight: 9\n": "fed.taylor_weight",
    "fed:\n  taylor_weight: 1\nparameters:\n  taylor_weight: 1\n": "parameters.taylor_weight",
    "fed:\n  meetings:\n    2026-01-28: {hold: 0.5}\n": "fed.meetings.2026-01-28",
    "anchors: {useful_life_years: 0}\n": "anchors.useful_life_years",
    "anchors: {ai_revenue_shortfall_2030_bn: 5000}\n": "anchors.ai_revenue_shortfall_2030_bn",
    "anchors: {mag10_weight: 1.5}\n": "anchors.mag10_weight",
    "anchors: {sp500_level: -6600}\n": "anchors.sp500_level",
    "anchors: {effective_tariff_rate: -5}\n": "anchors.effective_tariff_rate",
    "settings: {start: 2200Q4}\n": "settings.start",
    "fed:\n  meetings:\n" + "".join(f"    2026-01-{d:02d}: {{hike_100: 1}}\n"
                                    for d in (5, 12, 19, 26)): "fed.meetings.2026-01-26",
    "credit: {spread_shift: 1e30}\n": "credit.spread_shift",
    "credit: {spread_shift: 1.0e+30}\n": "credit.spread_shift",
    "hardware: {china_multiplier: 1.0e+30}\n": "hardware.china_multiplier",
    "earnings: {growth_shift: 2.0}\n": "earnings.growth_shift",
    "parameters: {vol_ramp: 0}\n": "parameters.vol_ramp",
}


@pytest.mark.parametrize("body", list(REFUSED))
def test_what_the_model_cannot_take_is_refused_at_its_line(body):
    with pytest.raises(ScenarioError) as e:
        parse_scenario_text("name: x\n" + body, FILE, relative_to=library_dir())
    assert e.value.file == FILE and e.value.line is not None, str(e.value)
    assert e.value.field_path == REFUSED[body], str(e.value)


def test_a_merge_key_override_and_a_quoted_meeting_date_are_accepted():
    loaded = parse_scenario_text(
        "name: x\nfed:\n  meetings:\n    2026-01-28: &b {hold: 0.5, cut_25: 0.5}\n"
        "    '2026-03-18':\n      <<: *b\n      hold: 0.4\n      cut_25: 0.6\n", FILE)
    meetings = {str(d): dict(v) for d, v in loaded.scenario.fed.meetings.items()}
    assert meetings["2026-03-18"] == {"hold": 0.4, "cut_25": 0.6}
    assert meetings["2026-01-28"] == {"hold": 0.5, "cut_25": 0.5}
