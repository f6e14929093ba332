"""The HTML report: self-contained, every figure present, one table row per scenario, and it
renders in headless Chromium without errors (screenshots saved under test-artifacts/)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from aicapex import cli
from aicapex.scenarios.loader import parse_scenario_text

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
N_SUMMARY_FIGURES = 11
"""The tail probabilities, the index's small multiples, five fan-chart sections, the
exceedance curves, the bust probability, the attribution and the implied vol (smile and term
structure, from the stored histograms)."""

N_FIGURES = N_SUMMARY_FIGURES + 1
"""A full-paths run adds the drivers' tornado."""


def _run(tmp_path: Path, scenarios: list[str], name: str, extra=()) -> Path:
    out = tmp_path / name
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["run", *scenarios, "--draws", "400", "--seed", "2", "--out", str(out),
                         "--no-plots", "--report", *extra])
    assert code == 0
    return out / "report.html"


def _sixteen(tmp_path: Path) -> list[str]:
    files = ["baseline", "capex_slowdown", "fast_depreciation", "fed_hawkish",
             "tariff_escalation"]
    for k in range(11):
        p = tmp_path / f"variant_with_a_long_name_{k}.yaml"
        p.write_text(f"name: variant_with_a_long_name_{k}\nextends: baseline\ncapex:\n"
                     f"  slowdown: {{start: 2026Q3, growth_shift: {-0.05 * (k + 1):.2f}, "
                     "quarters: 4}\n")
        parse_scenario_text(p.read_text())
        files.append(str(p))
    return files


def test_report_is_self_contained(tmp_path):
    path = _run(tmp_path, ["baseline", "capex_slowdown", "fast_depreciation"], "r3")
    text = path.read_text(encoding="utf-8")
    assert len(re.findall(r"<img [^>]*src='data:image/png;base64,", text)) == N_FIGURES
    assert "http://" not in text and "https://" not in text  # nothing fetched from outside
    assert text.count('<tr class="scenario-row">') == 3
    assert text.index(">baseline</th>") < text.index(">capex_slowdown</th>")
    assert "growth_by_year" in text  # the resolved YAML is shown
    anchors = text[text.index('id="anchor-table"'):]
    assert anchors.count("<tr>") == 1 + 13  # header + each check once, a column per scenario
    header = anchors[:anchors.index("</tr>")]
    assert all(f"<th>{n}</th>" in header for n in ("baseline", "capex_slowdown",
                                                   "fast_depreciation"))
    # the first screen states the findings in words, before any table
    findings = text[text.index("<ul id='findings'>"):text.index("</ul>")]
    assert findings.count("<li>") == 3 and "Worst scenario at the horizon" in findings
    assert text.index("id='findings'") < text.index('id="scenario-table"')


def test_report_command_on_a_summary_run(tmp_path):
    out = tmp_path / "s"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "fed_hawkish", "--draws", "2000", "--summary-only",
                         "--no-plots", "--out", str(out)]) == 0
        assert cli.main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.count('<tr class="scenario-row">') == 2
    assert len(re.findall(r"data:image/png;base64,", text)) == N_SUMMARY_FIGURES
    assert "n/a" in text[text.index('id="anchor-table"'):]  # rows a summary cannot give
    # the analyses a summary can give, from its stored histograms; the drivers it cannot
    for table in ("vol-table", "hedge-table", "plausibility-table"):
        rows = re.search(f'<table id="{table}".*?<tbody>(.*?)</tbody>', text, re.S)
        assert rows and rows.group(1).count("<tr>") == 2, table
    assert "a summary run does not keep" in text
    plaus = pd.read_csv(out / "plausibility.csv")
    hawk = plaus.set_index("scenario").loc["fed_hawkish"]
    assert hawk["binding_shocks"].startswith("fed_path") and hawk["shock_distance"] > 0


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


@pytest.mark.parametrize("n", [3, 16])
def test_report_renders_in_headless_chromium(tmp_path, n):
    browser = _chromium()
    if browser is None:
        if os.environ.get("AICAPEX_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required here but not installed")
        pytest.skip("chromium not installed (.ci/run installs Debian's chromium)")
    scen = ["baseline", "capex_slowdown", "fast_depreciation"] if n == 3 else _sixteen(tmp_path)
    path = _run(tmp_path, scen, f"r{n}")
    profile = tmp_path / f"profile{n}"
    dom = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}",
                          "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                          "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r'<div id="selfcheck"([^>]*)>', dom.stdout)
    assert m, dom.stdout[-2000:]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(1)))
    assert int(attrs["images-total"]) == N_FIGURES
    assert int(attrs["images-ok"]) == N_FIGURES  # every image decoded: naturalWidth > 0
    assert int(attrs["table-rows"]) == n
    assert int(attrs["findings"]) == 3
    assert int(attrs["sortable-columns"]) > n  # the scenario and anchor tables' headers sort
    for table in ("vol-table", "hedge-table", "plausibility-table"):  # the analysis sections
        rows = re.search(f'<table id="{table}".*?<tbody>(.*?)</tbody>', dom.stdout, re.S)
        assert rows and rows.group(1).count("<tr>") == n, table
    assert "tornado of the drivers" in dom.stdout
    assert json.loads(attrs["errors"].replace("&quot;", '"')) == []
    assert "Uncaught" not in dom.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report_{n}_scenarios.png"
    r = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}-shot",
                        "--window-size=1400,2600", f"--screenshot={shot}", path.as_uri()],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and shot.is_file() and shot.stat().st_size > 10_000, r.stderr[-500:]
