"""Scenario files: the built-ins, inheritance, and errors that name file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import aicapex
from aicapex.scenarios import ScenarioError, load_scenario
from aicapex.scenarios.compile import compile_scenario


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


def error_of(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    return e.value


def test_builtins_load_compile_and_describe_their_sources():
    names = aicapex.builtin_names()
    assert {"baseline", "fed_hawkish", "tariff_escalation", "capex_slowdown",
            "fast_depreciation"} <= set(names)
    for n in names:
        s = load_scenario(n)
        assert s.scenario.name == n
        assert any(tag in s.scenario.description for tag in ("TP", "NEWS", "KUP", "JIN",
                                                              "CICC")), n
        compile_scenario(s.scenario)


def test_typo_in_field_name(tmp_path):
    p = write(tmp_path, "typo.yaml", """
        name: typo
        extends: baseline
        capex:
          growth_by_yaer: {2026: 0.3}
    """)
    e = error_of(p)
    assert (e.file, e.line, e.field_path) == (str(p), 4, "capex.growth_by_yaer")
    assert "did you mean 'growth_by_year'" in str(e).lower()
    assert "Allowed here" in str(e)


def test_probability_above_one(tmp_path):
    p = write(tmp_path, "prob.yaml", """
        name: prob
        fed:
          meetings:
            2025-12-10:
              cut_25: 1.3
              hold: 0.0
    """)
    e = error_of(p)
    assert e.line == 5 and e.field_path == "fed.meetings.2025-12-10.cut_25"
    assert "less than or equal to 1" in e.message


def test_probabilities_must_sum_to_one(tmp_path):
    p = write(tmp_path, "sum.yaml", """
        name: s
        fed:
          default_meeting: {cut_25: 0.5, hold: 0.4}
    """)
    e = error_of(p)
    assert e.field_path == "fed.default_meeting" and "sum to 1" in e.message


def test_parameter_override_distributions_and_checks(tmp_path):
    ok = write(tmp_path, "ok.yaml", """
        name: ok
        extends: baseline
        revenue:
          ai_revenue_2030_bn: {dist: lognormal, median: 800, sigma: 0.3}
        parameters:
          pe_mean_reversion: {dist: beta, a: 2, b: 8}
          capex_sigma: 0.2
    """)
    s = load_scenario(ok).scenario
    assert s.param_overrides()["ai_revenue_2030_bn"].median == 800
    unknown = write(tmp_path, "unknown.yaml", """
        name: u
        parameters:
          pe_mean_revertion: 0.1
    """)
    assert "did you mean pe_mean_reversion" in error_of(unknown).message
    twice = write(tmp_path, "twice.yaml", """
        name: t
        capex: {capex_sigma: 0.1}
        parameters: {capex_sigma: 0.2}
    """)
    assert "set both" in error_of(twice).message
    bounds = write(tmp_path, "bounds.yaml", """
        name: b
        parameters:
          p_ramp_to_wobble: {dist: uniform, low: 0.5, high: 1.5}
    """)
    assert "must lie in [0, 1]" in error_of(bounds).message
    bad_dist = write(tmp_path, "baddist.yaml", """
        name: b
        parameters:
          capex_sigma: {dist: gamma, shape: 2}
    """)
    e = error_of(bad_dist)
    assert e.line == 3 and "unknown dist 'gamma'" in e.message


def test_extends_file_relative_and_child_wins(tmp_path):
    write(tmp_path, "parent.yaml", """
        name: parent
        extends: baseline
        capex:
          growth_by_year: {2026: 0.5}
          discipline_strength: 2.0
    """)
    child = write(tmp_path, "child.yaml", """
        name: child
        extends: parent.yaml
        capex:
          growth_by_year: {2027: 0.0}
        fed:
          meetings:
            2025-12-10: {hold: 1.0}
    """)
    s = load_scenario(child).scenario
    # mappings merge key by key ...
    assert s.capex.growth_by_year == {2025: 0.40, 2026: 0.5, 2027: 0.0, 2028: 0.10, 2029: 0.05}
    assert s.capex.discipline_strength.value == 2.0
    # ... but meeting odds replace the parent's whole
    import datetime as dt
    assert s.fed.meetings[dt.date(2025, 12, 10)] == {"hold": 1.0}
    assert s.description == ""


def test_extends_path_is_relative_to_its_file_only(tmp_path, monkeypatch):
    """Not to the working directory: the same file must mean the same scenario wherever it is
    run from (the hostile-input tests found ``extends: ../../etc/passwd`` reaching a file
    through the working directory)."""
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere", "parent.yaml", "name: p\nextends: baseline\n")
    (tmp_path / "here").mkdir()
    child = write(tmp_path / "here", "child.yaml", "name: c\nextends: parent.yaml\n")
    monkeypatch.chdir(tmp_path / "elsewhere")
    e = error_of(child)
    assert (e.file, e.line, e.field_path) == (str(child), 2, "extends")
    assert "no scenario file or built-in named 'parent.yaml'" in e.message
    write(tmp_path / "here", "parent.yaml", "name: p\nextends: fed_hawkish\n")
    assert load_scenario(child).chain[1].endswith("here/parent.yaml")


def test_error_in_an_extended_file_names_it_and_who_extends_it(tmp_path):
    parent = write(tmp_path, "parent.yaml", "- not\n- a mapping\n")
    child = write(tmp_path, "child.yaml", "name: c\n\nextends: parent.yaml\n")
    e = error_of(child)
    assert (e.file, e.line) == (str(parent), 1) and "must be a mapping" in e.message
    assert f"(extended by {child}:3)" in str(e)
    top = write(tmp_path, "top.yaml", "name: t\nextends: child.yaml\n")
    assert str(error_of(top)).endswith(f"(extended by {child}:3) (extended by {top}:2)")


def test_extends_cycle_and_missing(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    assert "cycle" in error_of(b).message
    m = write(tmp_path, "m.yaml", "name: m\nextends: baselin\n")
    e = error_of(m)
    assert e.line == 2 and "did you mean baseline" in e.message


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("- 1\n- 2\n", "must be a mapping"),
    ("name: x\nname: y\n", "duplicate key"),
    ("name: [unclosed\n", "not valid YAML"),
    ("name: x\nsettings: {start: 2025Q5}\n", "like 2026Q3"),
    ("name: x\nsettings: {dtype: float16}\n", "float32"),
    ("name: x\ndepreciation: {useful_life_years: 0}\n", "greater than or equal to 0.25"),
    ("name: ../../etc\n", "a scenario name is 1-64 letters"),
    ("name: x\nsettings: {draws: 1.5}\n", "valid integer"),
])
def test_bad_files_give_located_errors(tmp_path, text, needle):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    e = error_of(p)
    assert e.file == str(p)
    assert needle in str(e), str(e)


def test_binary_garbage_and_alias_bomb(tmp_path):
    g = tmp_path / "garbage.yaml"
    g.write_bytes(bytes(range(256)) * 4)
    assert "not UTF-8" in str(error_of(g)) or "NUL" in str(error_of(g))
    levels = zip("abcdefgh", "bcdefghi", strict=True)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in levels)
    b = tmp_path / "bomb.yaml"
    b.write_text("name: x\n" + bomb, encoding="utf-8")
    assert "YAML nodes" in str(error_of(b))


def test_the_capex_sweep_example_is_the_response_grids_capex_row():
    """examples/capex_sweep.yaml (docs/model.md's capex attribution) runs the points the
    response grid moves AI capex to: -3, -1, 0, +1, +3 plausibility sds."""
    from aicapex.analysis.shocks import scales
    from aicapex.api import resolve_scenarios

    path = Path(__file__).resolve().parents[2] / "examples" / "capex_sweep.yaml"
    points = resolve_scenarios(str(path))
    sd = scales()["capex_growth"][0]
    slowdowns = [p.scenario.capex.slowdown for p in points]
    assert [s.growth_shift for s in slowdowns] == pytest.approx([k * sd for k in (-3, -1, 0, 1, 3)])
    assert all(s.quarters == 20 and str(s.start) == "2025Q4" for s in slowdowns)


def test_a_value_of_neither_form_of_a_union_names_its_line_and_the_forms(tmp_path):
    """Issue 41's reproducer: a scalar slowdown crashed validation with 'not enough values to
    unpack' and no location."""
    f = tmp_path / "s.yaml"
    f.write_text("name: s\nextends: baseline\ncapex:\n  slowdown: 2026Q1\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert e.value.file == str(f) and e.value.line == 4
    assert e.value.field_path == "capex.slowdown"
    msg = str(e.value)
    assert "a mapping of fields (start, growth_shift, quarters) or a list" in msg, msg


def test_a_year_written_as_text_is_that_year(tmp_path):
    """A JSON document's keys are text: {"2026": 0.1} is the year 2026 (and wins over the
    baseline's 2026 it extends); text that spells no year is still refused."""
    f = tmp_path / "j.yaml"
    f.write_text('{"name": "j", "extends": "baseline", "capex": {"growth_by_year": '
                 '{"2026": 0.1}}}\n')
    assert load_scenario(f).scenario.capex.growth_by_year[2026] == 0.1
    as_dict = aicapex.scenario({"name": "d", "capex": {"growth_by_year": {"2027": 0.2}}})
    assert as_dict.scenario.capex.growth_by_year == {2027: 0.2}
    f.write_text('{"name": "j", "capex": {"growth_by_year": {"20x6": 0.1}}}\n')
    with pytest.raises(ScenarioError, match=r"growth_by_year\.20x6"):
        load_scenario(f)
