"""The numbers users read are the run's numbers: every figure of ``aicapex run``'s closing
table, of the report's scenario table and of its findings is recomputed here from
``results.nc`` alone, with NumPy, and compared with what was printed (to the printed
rounding); a summary-only run's closing table is compared with the exact statistics of the
same draws within its stated quantile error."""

from __future__ import annotations

import contextlib
import html
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import xarray as xr

from aicapex.cli import main

ARGS = ["baseline", "credit_stress", "--draws", "3000", "--seed", "3", "--no-plots"]


def _run(out, *extra) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", *ARGS, "--out", str(out), *extra]) == 0
    return buf.getvalue()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("printed") / "full"
    printed = _run(out, "--report")
    return printed, xr.load_dataset(out / "results.nc"), (out / "report.html").read_text()


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("printed") / "summary"
    return _run(out, "--summary-only"), xr.load_dataset(out / "results.nc")


def _number(text: str) -> float:
    """A printed figure as a number: '10,765' -> 10765, '53.9%' -> 0.539, '+75.4%' -> 0.754."""
    t = text.replace(",", "").replace("−", "-")
    return float(t[:-1]) / 100 if t.endswith("%") else float(t)


def _closing_rows(printed: str, names) -> dict[str, list[str]]:
    """The closing table's cells by scenario: median, 5%, 95%, P(DD>20%), Mag-10 weight,
    platform earnings change."""
    rows = {}
    for line in printed.splitlines():
        cells = line.split()
        if cells and cells[0] in names:
            lo, hi = cells[2].rsplit("-", 1)
            rows[cells[0]] = [cells[1], lo, hi, *cells[3:6]]
    assert set(rows) == set(names), printed
    return rows


def _exact(ds: xr.Dataset, name: str) -> dict[str, float]:
    """Each printed statistic of scenario ``name``, from its draws (NumPy, linear quantiles)."""
    s = ds.sel(scenario=name)
    idx = s["index_level"].values[:, -1].astype(np.float64)  # (draw,)
    e0 = ds["earnings_platforms"].attrs["start_value"]
    max_dd = s["drawdown"].values.astype(np.float64).max(axis=1)
    return {
        "median": np.median(idx), "q05": np.quantile(idx, 0.05), "q95": np.quantile(idx, 0.95),
        "p_dd10": np.mean(max_dd > 0.1), "p_dd20": np.mean(max_dd > 0.2),
        "p_dd30": np.mean(max_dd > 0.3),
        "mag10": np.median(s["mag10_weight"].values[:, -1]),
        "platforms": np.median(s["earnings_platforms"].values[:, -1] / e0 - 1.0),
        "start": ds["index_level"].attrs["start_value"], "idx": idx,
    }


def _close(printed: str, value: float, extra: float = 0.0) -> bool:
    """Whether ``printed`` is ``value`` to its printed rounding (and ``extra``)."""
    digits = printed.replace(",", "").rstrip("%").split(".")
    step = 10.0 ** -(len(digits[1]) if len(digits) > 1 else 0)
    step = step / 100 if printed.endswith("%") else step
    return abs(_number(printed) - value) <= 0.5 * step + extra + 1e-9 * max(abs(value), 1.0)


def test_the_closing_table_prints_the_runs_numbers(full):
    printed, ds, _ = full
    names = [str(n) for n in ds["scenario"].values]
    for name, cells in _closing_rows(printed, names).items():
        x = _exact(ds, name)
        want = [x["median"], x["q05"], x["q95"], x["p_dd20"], x["mag10"], x["platforms"]]
        for cell, value, what in zip(cells, want, ("index median", "index 5%", "index 95%",
                                                   "P(DD>20%)", "Mag-10 weight",
                                                   "platform earnings"), strict=True):
            assert _close(cell, value), f"{name} {what}: printed {cell}, the run's {value:.6g}"


def test_run_json_gives_the_closing_table_of_every_scenario_unrounded(full, tmp_path):
    """``run --json`` prints what the closing table shows, for scripts: the same run's
    numbers at full precision, and nothing else on standard output."""
    import json

    _, ds, _ = full
    got = json.loads(_run(tmp_path / "json", "--json"))
    assert got["out"] == str(tmp_path / "json") and got["horizon"] == "2030-09-30"
    assert got["index_start"] == pytest.approx(ds["index_level"].attrs["start_value"])
    assert [r["scenario"] for r in got["scenarios"]] == [str(n) for n in ds["scenario"].values]
    for row in got["scenarios"]:
        x = _exact(ds, row["scenario"])
        for key, want in (("index_median", x["median"]), ("index_p05", x["q05"]),
                          ("index_p95", x["q95"]), ("p_drawdown_20", x["p_dd20"]),
                          ("mag10_weight_median", x["mag10"]),
                          ("platform_earnings_change_median", x["platforms"])):
            assert row[key] == pytest.approx(want, rel=1e-5, abs=1e-9), (row["scenario"], key)


def test_a_summary_runs_closing_table_is_the_draws_within_its_quantile_error(full, summary):
    exact_ds = full[1]
    printed, ds = summary
    names = [str(n) for n in ds["scenario"].values]
    for name, cells in _closing_rows(printed, names).items():
        x = _exact(exact_ds, name)
        final = ds.sel(scenario=name).isel(time=-1)
        qerr = {q: float(final["index_level__qerr"].sel(quantile=q)) for q in (0.5, 0.05, 0.95)}
        for cell, q in ((cells[0], 0.5), (cells[1], 0.05), (cells[2], 0.95)):
            # the histogram estimates the inverted-CDF quantile (the ceil(q n)-th draw) to a
            # bin; NumPy's linear one lies up to one gap between neighbouring draws from it
            # (about 38 points at the 5% of 3,000 draws, more than a bin): either is exact
            values = [np.quantile(x["idx"], q, method=m) for m in ("inverted_cdf", "linear")]
            assert any(_close(cell, v, qerr[q]) for v in values), (name, cell, values, qerr[q])
        # tail counts are exact in summary mode: the same draws, the same probability
        assert _close(cells[3], x["p_dd20"]), (name, cells[3], x["p_dd20"])
        mag_err = float(final["mag10_weight__qerr"].sel(quantile=0.5))
        assert _close(cells[4], x["mag10"], mag_err), (name, cells[4], x["mag10"])


class _Table(HTMLParser):
    """The cells of the report's ``<table id="scenario-table">``: headers and rows."""

    def __init__(self):
        super().__init__()
        self.inside, self.cell, self.head, self.rows, self.text = False, None, [], [], ""

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "scenario-table") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell, self.text = tag, ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell:
            self.rows[-1].append(self.text.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell:
            self.text += data


def _report_table(report: str) -> dict[str, dict[str, str]]:
    p = _Table()
    p.feed(report)
    head, *rows = p.rows
    return {r[0]: dict(zip(head[1:], r[1:], strict=True)) for r in rows}


def _es5(idx: np.ndarray, start: float) -> float:
    """Mean change of the worst 5% of draws (an exact count at 3,000 draws: 150)."""
    worst = np.sort(idx)[: round(0.05 * idx.size)]
    return float(worst.mean() / start - 1.0)


def test_the_reports_scenario_table_prints_the_runs_numbers(full):
    _, ds, report = full
    table = _report_table(report)
    assert list(table) == ["baseline", "credit_stress"]  # the reference first
    base = _exact(ds, "baseline")
    for name, cells in table.items():
        x = _exact(ds, name)
        s = ds.sel(scenario=name).isel(time=-1)
        want = {"index median": x["median"], "index 5%": x["q05"], "index 95%": x["q95"],
                "change (median)": x["median"] / x["start"] - 1.0,
                "P(DD>10%)": x["p_dd10"], "P(DD>20%)": x["p_dd20"], "P(DD>30%)": x["p_dd30"],
                "ES 5%": _es5(x["idx"], x["start"]), "Mag-10 weight": x["mag10"],
                "Δ change vs baseline": (x["median"] - base["median"]) / x["start"],
                "Δ P(DD>20%) vs baseline": x["p_dd20"] - base["p_dd20"]}
        for key, label in (("hw", "AI hardware"), ("platforms", "platforms"),
                           ("other", "other 490")):
            e0 = ds[f"earnings_{key}"].attrs["start_value"]
            want[f"earnings {label}"] = float(np.median(s[f"earnings_{key}"].values / e0 - 1))
        assert set(want) == set(cells), sorted(set(cells) ^ set(want))
        for col, value in want.items():
            assert _close(cells[col], value), f"{name} {col}: {cells[col]} vs {value:.6g}"


def test_the_reports_findings_say_the_runs_numbers(full):
    _, ds, report = full
    text = html.unescape(re.sub(r"<[^>]+>", "", report))
    x = {n: _exact(ds, n) for n in ("baseline", "credit_stress")}
    change = {n: v["median"] / v["start"] - 1.0 for n, v in x.items()}
    worst = min(change, key=change.get)
    m = re.search(r"Worst scenario at the horizon \([\d-]+\): (\S+), median S&P 500 change "
                  r"([+−-]\d+%) \(5% of draws end below ([\d,]+); expected shortfall "
                  r"([+−-]\d+%)\)", text)
    assert m, "no worst-scenario finding"
    assert m[1] == worst
    assert _close(m[2], change[worst]) and _close(m[3], x[worst]["q05"])
    assert _close(m[4], _es5(x[worst]["idx"], x[worst]["start"]))
    most = max(x, key=lambda n: x[n]["p_dd20"])
    m = re.search(r"more than 20% at some point is most likely in (\S+): (\d+%) \(\+-"
                  r"(\d+\.\d%)\), against (\d+%) in baseline", text)
    assert m and m[1] == most
    p = x[most]["p_dd20"]
    assert _close(m[2], p) and _close(m[4], x["baseline"]["p_dd20"])
    assert _close(m[3], 1.96 * np.sqrt(p * (1 - p) / x[most]["idx"].size), 0.002)
    m = re.search(r"Furthest from baseline: (\S+), ([+−-]\d+) percentage points", text)
    assert m and m[1] == "credit_stress"
    assert _close(m[2], 100 * (change["credit_stress"] - change["baseline"]))
