"""Scenarios that combine (``extends:`` with several parents), explain themselves (every
problem at once, in the scenario's words; a warning where a staged path is replaced) and are
built in code."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from aicapex.scenarios import ScenarioError, load_scenario
from aicapex.scenarios.loader import ScenarioWarning


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


def loaded_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        return load_scenario(path)


def test_several_parents_apply_in_order_each_file_once(tmp_path):
    """credit stress + tariffs + a 2027 capex cut, the issue's scenario: each parent's own
    changes survive (the baseline they share applies once, first, so the second parent's copy
    of it does not undo the first's changes), a later parent wins where two set the same
    field, and the file itself wins over both."""
    p = write(tmp_path, "combo.yaml", """
        name: combo
        extends: [credit_stress, tariff_escalation]
        capex:
          slowdown: {start: 2027Q1, growth_shift: -0.4, quarters: 8}
        """)
    s = loaded_quietly(p)
    credit, tariffs = load_scenario("credit_stress"), load_scenario("tariff_escalation")
    sc = s.scenario
    assert sc.credit == credit.scenario.credit
    assert sc.capex.debt_financed_share == credit.scenario.capex.debt_financed_share
    assert sc.tariffs == tariffs.scenario.tariffs
    assert sc.capex.slowdown.start == "2027Q1"
    assert s.chain == (str(p), "<built-in tariff_escalation>", "<built-in credit_stress>",
                       "<built-in baseline>")
    # a later parent wins; the file wins over every parent
    write(tmp_path, "a.yaml", "name: a\nextends: baseline\ncredit: {spread_shift: 0.01}\n")
    write(tmp_path, "b.yaml", "name: b\nextends: baseline\ncredit: {spread_shift: 0.03}\n")
    ab = write(tmp_path, "ab.yaml", "name: ab\nextends: [a.yaml, b.yaml]\n")
    ba = write(tmp_path, "ba.yaml", "name: ba\nextends: [b.yaml, a.yaml]\n")
    assert loaded_quietly(ab).scenario.credit.spread_shift[0].value == 0.03
    assert loaded_quietly(ba).scenario.credit.spread_shift[0].value == 0.01
    own = write(tmp_path, "own.yaml", "name: own\nextends: [a.yaml, b.yaml]\n"
                "credit: {spread_shift: 0.02}\n")
    assert loaded_quietly(own).scenario.credit.spread_shift[0].value == 0.02


def test_bad_parent_lists_are_located(tmp_path):
    for text, needle in [("extends: []\n", "a list of 1-16"),
                         ("extends: [baseline, 3]\n", "a list of 1-16"),
                         ("extends: [baseline, credit_stres]\n", "did you mean credit_stress")]:
        p = write(tmp_path, "bad.yaml", "name: bad\n" + text)
        with pytest.raises(ScenarioError) as e:
            load_scenario(p)
        assert e.value.line == 2 and e.value.field_path == "extends", e.value
        assert needle in e.value.message
    write(tmp_path, "x.yaml", "name: x\nextends: [baseline, y.yaml]\n")
    y = write(tmp_path, "y.yaml", "name: y\nextends: [x.yaml]\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(y)


def test_replacing_a_staged_path_with_one_value_warns_naming_both(tmp_path):
    p = write(tmp_path, "wide.yaml", """
        name: wide
        extends: [credit_stress, tariff_escalation]
        credit:
          spread_shift: 0.02
        """)
    with pytest.warns(ScenarioWarning) as caught:
        s = load_scenario(p)
    (w,) = [c.message for c in caught]
    assert (w.file, w.line, w.field_path) == (str(p), 4, "credit.spread_shift")
    assert "replaces the staged path [{from: 2026Q1, value: 0.005}, {from: 2026Q3, " \
           "value: 0.015}] set in <built-in credit_stress>:9" in w.message
    assert s.warnings == (w,)
    # a list of steps (restating the stages, or one step), or changing a value that is not
    # staged, is not such a replacement
    for body in ("credit:\n  spread_shift:\n    - {from: 2026Q1, value: 0.01}\n"
                 "    - {from: 2026Q3, value: 0.02}\n", "credit: {spread_shift: [{value: 0.02}]}\n",
                 "capex: {debt_financed_share: 0.5}\n"):
        loaded_quietly(write(tmp_path, "fine.yaml", "name: fine\nextends: credit_stress\n"
                             + body))


def test_the_built_ins_replace_no_staged_path():
    from aicapex import builtin_names

    for name in builtin_names():
        assert loaded_quietly(name).warnings == ()


def test_every_problem_is_reported_at_once_in_the_scenarios_words(tmp_path):
    p = write(tmp_path, "six_tries.yaml", """
        name: "credit stress!"
        extends: credit_stress
        tariffs:
          effective_rate: 30%
        capex:
          slowdown: {start: 2027Q1, growth_shift: -0.4, quarter: 4}
        fed:
          neutral_rate: {dist: normal, mean: 0.03}
        """)
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    got = [(q.line, q.field_path, q.message) for q in e.value.problems]
    assert [(line, f) for line, f, _ in got] == [
        (1, "name"), (4, "tariffs.effective_rate"), (6, "capex.slowdown.quarters"),
        (6, "capex.slowdown.quarter"), (8, "fed.neutral_rate.sd")]
    msgs = dict(((line, f), m) for line, f, m in got)
    assert "letters, digits, '_', '.' or '-'" in msgs[1, "name"] and "^" not in msgs[1, "name"]
    assert "30% is written 0.3" in msgs[4, "tariffs.effective_rate"]
    assert "valid list" not in str(e.value)  # the other alternative of a slowdown
    assert "Slowdown" not in str(e.value)     # a class, not a field
    assert "Did you mean 'quarters'" in msgs[6, "capex.slowdown.quarter"]
    assert "(the fields here: dist, mean, sd)" in msgs[8, "fed.neutral_rate.sd"]
    assert str(e.value).count("\n") == 4 and str(e.value).startswith(f"{p}:1: name: ")


@pytest.mark.parametrize("text, hint", [("30%", "30% is written 0.3"),
                                        ("150bp", "150bp is written 0.015"),
                                        ("1e-3", "write 1.0e-03")])
def test_numbers_written_as_text_say_how_to_write_them(tmp_path, text, hint):
    p = write(tmp_path, "t.yaml", f"name: t\nextends: baseline\ncredit:\n  spread_shift: {text}\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert e.value.line == 4 and hint in e.value.message, e.value


def test_a_run_takes_names_files_mappings_scenario_objects_and_derived_ones(tmp_path):
    import aicapex
    from aicapex.scenarios import Scenario

    f = write(tmp_path, "mine.yaml", "name: mine\nextends: fed_hawkish\n")
    cut = aicapex.scenario("capex_slowdown").with_overrides(
        {"capex.slowdown.growth_shift": -0.8, "settings.draws": 5000})
    assert cut.name == "capex_slowdown.growth_shift-0.8.draws5000"
    assert cut.scenario.capex.slowdown.growth_shift == -0.8
    assert cut.scenario.capex.slowdown.quarters == load_scenario(
        "capex_slowdown").scenario.capex.slowdown.quarters  # the rest of the field kept
    assert cut.sources[("capex", "slowdown", "growth_shift")] == (
        "<override capex.slowdown.growth_shift>", 0)
    obj = Scenario(name="obj", credit={"spread_shift": 0.01})
    combo = {"name": "combo", "extends": ["credit_stress", "tariff_escalation"]}
    plan = aicapex.plan_run(["baseline", f, combo, obj, cut], draws=8)
    assert plan.names == ["baseline", "mine", "combo", "obj", "capex_slowdown.growth_shift-0.8."
                          "draws5000"]
    assert plan.scenarios[3].scenario.credit.spread_shift[0].value == 0.01
    with pytest.raises(ScenarioError, match="also used by"):
        aicapex.plan_run(["baseline", {"name": "baseline"}])
    with pytest.raises(ScenarioError) as e:  # an override is validated as a file is
        aicapex.scenario("baseline").with_overrides({"capex.slowdown.growth_shift": -0.4})
    assert e.value.field_path == "capex.slowdown.start" and "required" in e.value.message
    with pytest.raises(TypeError, match="a scenario is"):
        aicapex.scenario(3)


def test_the_package_says_its_version_and_ships_type_information():
    from importlib import resources
    from importlib.metadata import version

    import aicapex

    assert aicapex.__version__ == version("aicapex")
    assert resources.files("aicapex").joinpath("py.typed").is_file()
