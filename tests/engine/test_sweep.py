"""Sweeps as dimensions: a scenario with ``sweep:`` runs every point in one batch (one
compilation), its swept fields become coordinates that select, and the points form a grid."""

from __future__ import annotations

import contextlib
import io
import textwrap

import numpy as np
import pytest
from matplotlib.figure import Figure

import aicapex
from aicapex.scenarios import ScenarioError, expand, load_scenario
from aicapex.sim import engine

SWEEP = """
name: life_and_cut
extends: capex_slowdown
sweep:
  depreciation.useful_life_years: [2, 3, 4, 5, 6]
  capex.slowdown.growth_shift: [{shifts}]
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    f = write(tmp_path_factory.mktemp("sweep"), "sweep.yaml",
              SWEEP.format(shifts="0, -0.4, -0.8"))
    before = engine.trace_counts()["simulate_chunk"]
    ds = aicapex.simulate(["baseline", f], draws=1024, seed=3, progress=False)
    return ds, engine.trace_counts()["simulate_chunk"] - before


def test_fifteen_points_run_in_one_batch_compiled_once(swept, tmp_path):
    ds, traces = swept
    assert ds.sizes["scenario"] == 16 and traces <= 1
    again = write(tmp_path, "again.yaml", SWEEP.format(shifts="0.1, -0.2, -1.2"))
    before = engine.trace_counts()["simulate_chunk"]
    aicapex.simulate(["baseline", again], draws=1024, seed=3, progress=False)
    assert engine.trace_counts()["simulate_chunk"] == before  # same shapes: no new program


def test_swept_fields_are_coordinates_that_select(swept):
    ds, _ = swept
    three = ds.sel(useful_life_years=3)
    assert list(three["growth_shift"].values) == [0.0, -0.4, -0.8]
    assert list(three.scenario.values) == [f"life_and_cut.useful_life_years3.growth_shift{g}"
                                           for g in ("0", "-0.4", "-0.8")]
    assert np.isnan(ds["useful_life_years"].sel(scenario="baseline"))
    assert ds["useful_life_years"].attrs["long_name"] == "depreciation.useful_life_years"
    grid = aicapex.sweep_grid(ds)
    assert grid["index_level"].sizes["useful_life_years"] == 5
    assert grid["index_level"].sizes["growth_shift"] == 3
    cell = grid.sel(useful_life_years=3, growth_shift=-0.4)
    np.testing.assert_array_equal(cell["index_level"].values, ds["index_level"].sel(
        scenario="life_and_cut.useful_life_years3.growth_shift-0.4").values)
    # a deeper capex cut lowers AI capex at the horizon, at every life (the grid's
    # coordinates ascend: growth_shift -0.8, -0.4, 0)
    capex = grid["ai_capex"].isel(time=-1).median("draw")
    assert list(grid["growth_shift"].values) == [-0.8, -0.4, 0.0]
    assert (capex.diff("growth_shift") > 0).all()


def test_a_sweep_survives_its_file_and_charts(swept, tmp_path):
    ds, _ = swept
    aicapex.write_run(ds, tmp_path / "run", plots=False)
    reopened, _ = aicapex.open_run(tmp_path / "run")
    assert list(reopened.sel(useful_life_years=2).scenario.values) == list(
        ds.sel(useful_life_years=2).scenario.values)
    ax = Figure().subplots()
    assert aicapex.sweep_chart(reopened, ax=ax) is ax and len(ax.lines) == 3 + 2


def test_bad_sweeps_are_located(tmp_path):
    for body, needle in [
        ("sweep:\n  useful_life_years: [2, 3]\n", "a swept field is dotted"),
        ("sweep:\n  depreciation.useful_life_years: [2, 2]\n", "each value once"),
        ("sweep:\n  settings.start: [2025Q4, 2026Q1]\n", "one timeline"),
        ("sweep:\n  depreciation.useful_life_years: []\n", "at least 1 item"),
    ]:
        p = write(tmp_path, "bad.yaml", "name: bad\nextends: baseline\n" + body)
        with pytest.raises(ScenarioError) as e:
            load_scenario(p)
        assert e.value.line == 4 and e.value.field_path.startswith("sweep."), e.value
        assert needle in e.value.message, e.value
    p = write(tmp_path, "bad.yaml", "name: bad\nextends: baseline\nsweep:\n"
              "  depreciation.useful_life_years: [3, 12]\n")
    with pytest.raises(ScenarioError) as e:  # a point the schema refuses, at its field
        expand(load_scenario(p))
    assert (e.value.line, e.value.field_path) == (4, "sweep.depreciation.useful_life_years")
    assert "useful_life_years': 12" in e.value.message and "less than or equal to 10" in \
        e.value.message
    from aicapex import cli  # validate checks every point

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["validate", str(p)]) == 2


def test_a_large_runs_charts_draw_a_selection_and_its_sweep_every_point(swept, monkeypatch):
    """Above ``PLOT_SCENARIOS`` scenarios the standard charts draw that many, evenly spaced
    from the first to the last, and say so; the sweep's response chart draws every point,
    on a colour scale where the lines outnumber the palette."""
    from aicapex.outputs import chart_set, plots

    ds, _ = swept
    monkeypatch.setattr(chart_set, "PLOT_SCENARIOS", 6)
    figs = chart_set.figures(ds)
    names = [str(n) for n in ds.scenario.values]
    chosen = {names[i] for i in (0, 3, 6, 9, 12, 15)}
    for key, fig in figs.items():
        notes = [t.get_text() for t in fig.texts]
        if key == "sweep":
            assert not any("of 16 scenarios" in n for n in notes)
            continue
        assert "6 of 16 scenarios, evenly spaced (every one is in summary.csv)" in notes, key
    labels = {t.get_text() for ax in figs["fan_index_level"].axes
              for t in (ax.get_legend().get_texts() if ax.get_legend() else [])}
    labels |= {t.get_text() for leg in figs["fan_index_level"].legends for t in leg.get_texts()}
    assert {lbl for lbl in labels if lbl in names} == chosen
    ticks = {t.get_text() for t in figs["tail_probabilities"].axes[0].get_yticklabels()}
    assert ticks == chosen
    assert len(figs["sweep"].axes[0].lines) == 3 + 2  # every growth shift (5 lives each)
    from aicapex.outputs.report import render_report

    page = render_report(ds)
    assert "The charts draw 6 of 16 scenarios, evenly spaced" in page
    assert all(f">{n}<" in page for n in names)  # the table has every one
    assert "<title>aicapex report: baseline, life_and_cut" in page
    assert " and 10 more</title>" in page
    # more lines than colours: a colour scale and its bar instead of a legend
    from aicapex.outputs.dataset import with_sweep_coords

    points = ds.isel(scenario=slice(1, None)).drop_vars(["useful_life_years", "growth_shift"])
    many = with_sweep_coords(points, {
        str(n): {"depreciation.useful_life_years": 4.0, "capex.slowdown.growth_shift": k / 100}
        for k, n in enumerate(points.scenario.values)})
    fig = Figure()
    ax = plots.sweep_chart(many, ax=fig.subplots())
    assert len(ax.lines) == 15 + 2 and ax.get_legend() is None and len(fig.axes) == 2
    assert len({tuple(line.get_color()) for line in ax.lines[:15]}) == 15
