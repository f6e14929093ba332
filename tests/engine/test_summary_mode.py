"""Summary-only mode: streaming statistics agree with the full paths of the same draws."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import aicapex
from aicapex import cli
from aicapex.outputs.dataset import VARIABLES
from aicapex.sim import engine
from aicapex.sim.engine import histograms, plan
from aicapex.sim.model import N_OUTPUTS, OUTPUT_NAMES

NAMES = ["baseline", "capex_slowdown", "fed_hawkish"]


@pytest.fixture(scope="module")
def both():
    full = aicapex.simulate(NAMES, draws=5000, seed=3, chunk_size=2048)
    summ = aicapex.simulate(NAMES, draws=5000, seed=3, chunk_size=2048, summary_only=True)
    return full, summ


def test_streaming_quantiles_within_stated_error_bound(both):
    full, summ = both
    qs = list(summ["quantile"].values)
    for name in VARIABLES:
        # the histogram finds the bin where the empirical CDF first reaches q, i.e. it
        # estimates the generalised inverse F^-1(q) = min{x: F(x) >= q} ("inverted_cdf"),
        # which lies in that bin: the gap is at most the bin width
        exact = full[name].astype(np.float64).quantile(qs, dim="draw", method="inverted_cdf")
        approx = summ[name]
        bound = summ[f"{name}__qerr"]
        excess = (np.abs(approx - exact) - bound).max().item()
        # full and summary runs are different XLA programs: a float32 value may differ by
        # an ulp between them and so land one bin over; allow a few float32 ulps
        ulps = 4 * np.finfo(np.float32).eps * max(1.0, float(np.abs(exact).max()))
        assert excess <= ulps, name


def test_summary_records_how_its_histograms_were_counted(both):
    """The dataset says which counting method ran: the scatter-add on CPU, the CUDA kernel
    where a CUDA GPU builds it (``histograms.summary_histogram_method``)."""
    import jax

    expected = histograms.summary_histogram_method(jax.devices(), np.float32)[0]
    assert both[1].attrs["histogram_counting"] == expected
    assert both[0].attrs["histogram_counting"] == ""  # full paths count nothing


def test_streaming_moments_and_tails_match_full_run(both):
    full, summ = both
    for name in VARIABLES:
        np.testing.assert_allclose(summ[f"{name}__mean"], full[name].astype(np.float64).mean(
            "draw"), rtol=2e-5, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(summ[f"{name}__std"], full[name].astype(np.float64).std(
            "draw"), rtol=2e-3, atol=1e-6, err_msg=name)
    tf, ts = aicapex.tail_probabilities(full), aicapex.tail_probabilities(summ)
    np.testing.assert_array_equal(tf.values, ts.values)
    assert aicapex.horizon_table(summ).shape == aicapex.horizon_table(full).shape


def test_accelerator_path_counts_on_device_with_same_result(both, monkeypatch):
    """The GPU code path (large default chunks, histograms counted into many copies) forced on
    CPU: the same summary as one copy. (16 copies, not the GPU's 128, to spare the CPU's
    memory: 3 scenarios x 128 copies would take 1.8 GB.)"""
    _, summ = both
    monkeypatch.delenv(plan.CHUNK_ENV, raising=False)  # the defaults themselves (conftest)
    for module in (plan, histograms):  # where the engine asks
        monkeypatch.setattr(module, "on_accelerator", lambda devices: True)
    # scenarios still one at a time, as on CPU: batched they agree only to float rounding
    # (test_engine.py::test_scenarios_in_a_loop_match_the_batched_program)
    monkeypatch.setattr(plan, "loop_scenarios_on", lambda devices: True)
    assert engine.default_chunk_size(True) == plan.ACCELERATOR_SUMMARY_CHUNK
    # halved per fourfold scenarios, down to the floor
    big, floor = plan.ACCELERATOR_SUMMARY_CHUNK, plan.ACCELERATOR_SUMMARY_CHUNK_MIN
    assert [engine.default_chunk_size(True, n_scen=s) for s in (2, 4, 5, 16, 17, 100)] == [
        big // 2, big // 2, big // 4, big // 4, max(big // 8, floor), max(big // 16, floor)]
    assert engine.default_chunk_size(False, n_scen=16) == plan.ACCELERATOR_CHUNK
    cells = N_OUTPUTS * 20 * (engine.SUMMARY_BINS + 2)
    # capped by the memory share where the device reports its memory, by HIST_LANE_BYTES if not
    assert histograms.histogram_lanes([None], 3, 20, engine.SUMMARY_BINS) == min(
        histograms.HIST_LANES, histograms.HIST_LANE_BYTES // (4 * cells * 3))

    class Card:
        def memory_stats(self):
            return {"bytes_limit": 80 * 2**30}
    assert histograms.histogram_lanes([Card()], 1, 20, engine.SUMMARY_BINS) == (
        histograms.HIST_LANES)
    # an eighth of 80 GiB over 32 scenarios' histogram sets: fewer than HIST_LANES copies,
    # rounded down to whole cache lines of copies (63 -> 48)
    fit = 10 * 2**30 // (4 * cells * 32)
    assert histograms.histogram_lanes([Card()], 32, 20, engine.SUMMARY_BINS) == (
        fit - fit % histograms.HIST_LINE_WIDTH) == 48
    monkeypatch.setattr(histograms, "HIST_LANES", 16)
    # an "accelerator" without the CUDA kernel counts by scatter-add, and says so
    from aicapex.sim.engine import kernels
    fallback = (pytest.warns(RuntimeWarning, match="scatter-add") if not kernels.load()
                else contextlib.nullcontext())
    with fallback:
        dev = aicapex.simulate(NAMES, draws=5000, seed=3, chunk_size=2048, summary_only=True)
    assert set(dev.data_vars) == set(summ.data_vars)
    for name in summ.data_vars:
        np.testing.assert_array_equal(dev[name].values, summ[name].values, err_msg=name)


def test_summary_results_do_not_depend_on_chunk_size():
    """The histogram range comes from the first PILOT_BLOCKS blocks whatever the chunk size
    (a chunk smaller than that takes several pilot steps), so every quantile agrees; the
    moments are summed block by block in block order, so they agree to the bit as well."""
    big = engine.PILOT_BLOCKS * engine.RNG_BLOCK
    a, b = (aicapex.simulate(["baseline"], draws=3 * big, seed=2, chunk_size=chunk,
                             summary_only=True) for chunk in (3 * big, 3 * 1024))
    assert {"index_level__mean", "inflation__std"} <= set(a.data_vars)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


@pytest.mark.parametrize(("draws", "chunk", "pilot"), [(3000, None, 3000),
                                                       (20000, 16384, 8192),
                                                       (20000, 3072, 8192)])
def test_histogram_range_is_the_pilot_draws_range_and_needs_no_paths_program(draws, chunk,
                                                                            pilot):
    """The range is ``histogram_range`` of the first PILOT_BLOCKS blocks' full paths (fewer
    if the run is smaller, whatever the chunk size), taken from the summary program itself: a
    summary run traces no paths program."""
    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    from aicapex.sim.engine.accumulate import histogram_range

    batch = stack_batch([compile_scenario(load_scenario(n).scenario, dtype="float32")
                         for n in ("baseline", "tariff_escalation")])
    before = engine.trace_counts()["simulate_chunk"]
    _, lo, hi, _ = engine.simulate_summaries(batch, jax.random.key(11), draws,
                                             chunk_size=chunk)
    assert engine.trace_counts()["simulate_chunk"] == before
    paths, _ = engine.simulate_paths(batch, jax.random.key(11), pilot)
    stacked = np.stack([paths[f] for f in OUTPUT_NAMES], axis=1).astype(np.float64)
    want_lo, want_hi = histogram_range(stacked)
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)


def test_summary_mode_compiles_once_per_shape():
    aicapex.simulate(NAMES, draws=3000, seed=1, chunk_size=1024, summary_only=True)
    before = engine.trace_counts()["summarize_chunk"]
    aicapex.simulate(["tariff_escalation", "baseline", "fast_depreciation"], draws=5000, seed=2,
                     chunk_size=1024, summary_only=True)
    assert engine.trace_counts()["summarize_chunk"] == before


def test_cli_summary_only(tmp_path):
    out = tmp_path / "s"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "fast_depreciation", "--draws", "2000",
                         "--summary-only", "--out", str(out)]) == 0
    for f in ("results.nc", "summary.csv", "tail_probabilities.csv", "manifest.json",
              "plots/fan_index_level.png", "plots/horizon_index_level.png"):
        assert (out / f).is_file(), f
    import xarray as xr
    with xr.open_dataset(out / "results.nc") as ds:
        assert ds.attrs["mode"] == "summary" and "draw" not in ds.dims
        assert ds["index_level"].dims == ("quantile", "scenario", "time")
    m = json.loads((out / "manifest.json").read_text())
    assert m["draws"] == 2000
    # a reopened summary run charts as it is (no quantiles to pass in)
    from matplotlib.figure import Figure

    reopened, tables = aicapex.open_run(out)
    assert aicapex.fan_chart(reopened, ax=Figure().subplots()).lines
    assert set(tables["tail_probabilities"]["event"]) == {"max_drawdown_exceeds",
                                                           "index_below_start"}


def test_cli_says_how_a_gpu_counts_its_histograms(tmp_path, monkeypatch):
    """On an accelerator the run message says the CUDA kernel counted; where it cannot (here,
    the GPU path forced on a CPU), a note says that the scatter-add counted, and why."""
    from aicapex.sim.engine import kernels
    for module in (plan, histograms):  # where the engine asks
        monkeypatch.setattr(module, "on_accelerator", lambda devices: True)
    monkeypatch.setattr(histograms, "HIST_LANES", 16)  # spare the CPU's memory
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert cli.main(["run", "baseline", "--draws", "2000", "--summary-only", "--no-plots",
                         "--out", str(tmp_path / "g")]) == 0
    text = " ".join(err.getvalue().split())  # rich may wrap long lines
    if kernels.load():
        assert "CUDA kernel" in text or "CUDA histogram kernel ready" in text
    else:
        assert "note: summary histograms are counted with XLA's scatter-add" in text
        assert kernels.why_not() in text


def test_summaries_do_not_depend_on_the_number_of_devices(tmp_path):
    """Chunks spread over two XLA host devices (in a process of its own) give the summaries
    of one device (this process's CPU), bit for bit, every variable (full paths:
    ``test_cli.test_cpu_devices_split_the_work_and_change_no_result``)."""
    script = textwrap.dedent("""
        import sys, numpy as np, jax, aicapex
        assert len(jax.devices()) == 2
        s = aicapex.simulate(["baseline", "fed_hawkish"], draws=5000, seed=4,
                             summary_only=True)  # default chunks: fewer per device on two
        np.savez(sys.argv[1], **{v: s[v].values for v in s.data_vars})
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")  # host devices, also on a machine with a GPU
    f = tmp_path / "two.npz"
    r = subprocess.run([sys.executable, "-c", script, str(f)], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    two = np.load(f)
    one = aicapex.simulate(["baseline", "fed_hawkish"], draws=5000, seed=4,
                           device=jax.devices("cpu")[0], summary_only=True)
    assert one.attrs["device"].count("cpu:") == 1
    assert len(two.files) > 100 and set(two.files) == set(one.data_vars)
    for v in two.files:  # quantiles, error bounds, moments, tail probabilities
        np.testing.assert_array_equal(one[v].values, two[v], err_msg=v)


def test_outputs_follow_cf_conventions_and_their_units_parse_in_pint(both):
    """Full and summary datasets: CF ``Conventions``, a time axis cf_xarray finds, every
    variable's units read by pint (money with the package's registry; everything else with
    cf_xarray's own), the human unit kept in ``long_name``/``display_units``."""
    import cf_xarray  # noqa: F401
    import pint_xarray  # noqa: F401
    from cf_xarray.units import units as cf_units

    from aicapex.outputs.units import unit_registry

    for ds in both:
        assert ds.attrs["Conventions"].startswith("CF-") and ds.cf.axes == {"T": ["time"]}
        q = ds.pint.quantify(unit_registry=unit_registry())
        assert str(q["ai_capex"].pint.to("USD/yr").data.units) == "USD / year"
        assert str(q["policy_rate"].pint.units) == "1 / year"
        for name in VARIABLES:
            a = ds[name].attrs
            assert a["display_units"] and a["long_name"], name
            if "USD" not in a["units"]:
                cf_units.Unit(a["units"])  # (raises if pint cannot read it)
            else:
                assert a["display_units"] in a["long_name"], name
    assert both[0]["index_level"].attrs["long_name"] == "S&P 500 level (index points)"


def test_tail_table_is_tidy_with_monte_carlo_errors(both):
    for ds in both:
        t = aicapex.outputs.tail_events(ds)
        assert list(t.columns) == ["scenario", "event", "level", "probability",
                                   "standard_error", "draws"]
        assert len(t) == len(NAMES) * 4 and (t["draws"] == 5000).all()
        p = t["probability"]
        np.testing.assert_allclose(t["standard_error"], np.sqrt(p * (1 - p) / 5000))
        wide = aicapex.tail_probabilities(ds)
        row = t[(t.scenario == "fed_hawkish") & (t.event == "max_drawdown_exceeds")
                & (t.level == 0.2)]
        assert float(row["probability"].iloc[0]) == wide.loc["fed_hawkish", "P(drawdown>20%)"]


def test_every_chart_draws_full_and_summary_runs_on_given_axes(both):
    from matplotlib.figure import Figure

    from aicapex.outputs import plots

    for ds in both:
        fig = Figure()
        for i, draw in enumerate((plots.fan_chart, plots.exceedance_chart,
                                  plots.horizon_histogram, plots.tail_chart,
                                  plots.regime_chart)):
            ax = fig.add_subplot(2, 3, i + 1)
            assert draw(ds, ax=ax) is ax and ax.lines + ax.patches + ax.collections
        for make in (plots.fan_grid, plots.attribution_chart):
            given = Figure()
            assert make(ds, fig=given) is given and given.axes
    full, summ = both
    # the bust probability of a summary run, from the mean and sd of the regime, is exact
    np.testing.assert_allclose(plots.regime_probabilities(summ),
                               plots.regime_probabilities(full), atol=1e-6)


def test_a_scenario_keeps_its_colour_whatever_the_run():
    from aicapex.outputs.plots import OKABE_ITO, scenario_colors, scenario_style

    a = scenario_colors(["baseline", "my_case", "credit_stress"])
    b = scenario_colors(["credit_stress", "other", "my_case"])
    assert a["my_case"] == b["my_case"] and a["credit_stress"] == b["credit_stress"]
    assert a["baseline"] == "#000000" and scenario_style("my_case")[0] in OKABE_ITO
    builtins = [scenario_style(n) for n in aicapex.builtin_names()
                if not n.startswith("dotcom")]
    assert len(set(builtins)) == len(builtins)  # the library's scenarios are told apart


def test_the_default_chunk_size_can_be_set_in_the_environment(monkeypatch):
    monkeypatch.setenv(plan.CHUNK_ENV, "3072")
    assert engine.default_chunk_size(True) == engine.default_chunk_size(False) == 3072
    monkeypatch.setenv(plan.CHUNK_ENV, "lots")
    with pytest.raises(ValueError, match="AICAPEX_CHUNK_SIZE='lots'"):
        engine.default_chunk_size(True)
    monkeypatch.delenv(plan.CHUNK_ENV)
    assert engine.default_chunk_size(True) == plan.SUMMARY_CHUNK


def test_a_large_summary_batch_runs_in_groups_with_the_same_results(monkeypatch):
    """A batch whose histograms exceed ``summary_groups.GROUP_BYTES`` runs in groups (the last
    padded), each reduced as it finishes: the dataset equals the whole batch's, bit for bit,
    and the progress counts the batch's draws once."""
    from aicapex import summary_groups

    names = ["baseline", "capex_slowdown", "fast_depreciation"]
    whole = aicapex.simulate(names, draws=3000, seed=2, summary_only=True, progress=False)
    per_scenario = summary_groups.group_size(1, whole.sizes["time"], budget=0)  # at least 1
    assert per_scenario == 1
    monkeypatch.setattr(summary_groups, "GROUP_BYTES",
                        2 * summary_groups.N_OUTPUTS * whole.sizes["time"] * 2050 * 8)
    assert summary_groups.group_size(3, whole.sizes["time"]) == 2
    ticks: list[int] = []
    grouped = aicapex.simulate(names, draws=3000, seed=2, summary_only=True,
                               progress=ticks.append)
    assert sum(ticks) == 3000 and len(ticks) > 1
    assert list(grouped.data_vars) == list(whole.data_vars) and grouped.sizes == whole.sizes
    for v in whole.data_vars:
        np.testing.assert_array_equal(grouped[v].values, whole[v].values, err_msg=v)
        assert grouped[v].attrs == whole[v].attrs, v
    assert list(grouped.attrs) == list(whole.attrs)
    for k in ("nonfinite_counts", "output_ranges", "mode", "draws_accumulated"):
        assert grouped.attrs[k] == whole.attrs[k], k
