"""docs/tutorial.md works as written: its scenario files validate (the combination first
time, without a warning), the bad one gives the errors shown, the override gives the warning
shown, and its commands run (the run with fewer draws) and show what it says they show."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import warnings
from pathlib import Path

import pytest

from aicapex import cli, open_run
from aicapex.scenarios import ScenarioError, builtin_names, load_scenario
from aicapex.scenarios.loader import ScenarioWarning

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
TEXT = TUTORIAL.read_text(encoding="utf-8")


def _blocks(kind: str) -> list[str]:
    """The fenced blocks of info string ``kind`` ("" for plain ones), in order."""
    out, current, info = [], None, ""
    for line in TEXT.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                if info == kind:
                    out.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return out


def _files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for block in _blocks("yaml"):
        name = re.match(r"# file: (\S+)\n", block).group(1)
        out[name] = tmp_path / name
        out[name].write_text(block, encoding="utf-8")
    return out


def _shown(prefix: str) -> list[str]:
    """The lines of the plain blocks that start with ``prefix`` (the messages shown)."""
    return [line for block in _blocks("") for line in block.splitlines()
            if line.startswith(prefix)]


def test_the_combined_scenario_validates_first_time_without_a_warning(tmp_path):
    files = _files(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        s = load_scenario(files["credit_cut_tariffs.yaml"])
    credit, tariffs = load_scenario("credit_stress"), load_scenario("tariff_escalation")
    assert s.scenario.credit == credit.scenario.credit
    assert s.scenario.tariffs.effective_rate[-1].value == 0.30 == \
        tariffs.scenario.tariffs.effective_rate[-1].value
    assert s.scenario.capex.slowdown.start == "2027Q1"


def test_the_errors_and_the_warning_are_the_ones_shown(tmp_path):
    files = _files(tmp_path)
    with pytest.raises(ScenarioError) as e:
        load_scenario(files["my.yaml"])
    got = [f"error: {line}" for line in str(e.value).replace(str(tmp_path) + "/", "")
           .splitlines()]
    assert got == _shown("error: ")
    with pytest.warns(ScenarioWarning) as caught:
        load_scenario(files["tariffs_now.yaml"])
    (w,) = caught
    assert [f"warning: {str(w.message).replace(str(tmp_path) + '/', '')}"] == _shown("warning: ")


def test_the_tutorials_commands_run(tmp_path, monkeypatch):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    commands = [shlex.split(c.replace("\\\n", " ")) for b in _blocks("bash")
                for c in re.split(r"(?<!\\)\n", b.strip()) if c.strip()]
    commands = [[w for w in c if not w.startswith("#")][: c.index("#") if "#" in c else None]
                for c in commands]
    assert len(commands) == 6
    printed = {}
    for argv in commands:
        assert argv[0] == "aicapex", argv
        argv = argv[1:]
        if argv[0] == "run":  # the same run with fewer draws
            argv[argv.index("--draws") + 1] = "1000"
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert cli.main(argv) == 0, argv
        printed[" ".join(argv[:2])] = out.getvalue()
    # what each command shows is what the tutorial says it shows
    assert all(name in printed["list"] for name in builtin_names())
    assert "spread_shift" in printed["show credit_stress"]
    assert "spread_persistence" in printed["params credit"]
    assert "credit_cut_tariffs.yaml" in printed["validate credit_cut_tariffs.yaml"]
    resolved = printed["show credit_cut_tariffs.yaml"]
    assert re.search(r"<built-in credit_stress>:\d+", resolved) and "0.3" in resolved
    table = printed["run baseline"]
    assert all(n in table for n in ("baseline", "credit_stress", "credit_cut_tariffs"))
    run = tmp_path / "runs" / "tutorial"
    report = (run / "report.html").read_text(encoding="utf-8")
    assert 'id="scenario-table"' in report and "credit_cut_tariffs" in report
    ds, tables = open_run(run)
    assert list(ds["scenario"].values) == ["baseline", "credit_stress", "credit_cut_tariffs"]
    assert int(ds.sizes["draw"]) == 1000 and "anchor_check" in tables
