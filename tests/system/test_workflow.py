"""``aicapex.run`` is the whole run in one call: the same run directory as ``aicapex run``
with the same arguments, the same refusals, and nothing left behind when it refuses."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pytest
import xarray as xr

import aicapex
from aicapex.cli import main

ARGS = dict(draws=300, seed=7)


def _cli(*args) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main([str(a) for a in args])


def test_run_writes_what_the_command_line_writes(tmp_path):
    by_cli, by_api = tmp_path / "cli", tmp_path / "api"
    assert _cli("run", "baseline", "capex_slowdown", "--draws", ARGS["draws"], "--seed",
                ARGS["seed"], "--no-plots", "--out", by_cli) == 0
    done = aicapex.run(["baseline", "capex_slowdown"], by_api, plots=False, progress=False,
                       **ARGS)

    files = sorted(p.relative_to(by_cli).as_posix() for p in by_cli.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(by_api).as_posix() for p in by_api.rglob("*")
                           if p.is_file())
    tables = [f for f in files if f.endswith(".csv")]
    assert {"summary.csv", "tail_probabilities.csv", "anchor_check.csv"} <= set(tables)
    for f in tables:  # the data files, byte for byte
        assert (by_cli / f).read_bytes() == (by_api / f).read_bytes(), f
    with (xr.open_dataset(by_cli / "results.nc") as a,
          xr.open_dataset(by_api / "results.nc") as b):
        assert list(a.data_vars) == list(b.data_vars)
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
            assert a[name].attrs.keys() == b[name].attrs.keys(), name
            for key, value in a[name].attrs.items():
                np.testing.assert_array_equal(value, b[name].attrs[key], err_msg=name)
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (by_cli, by_api))
    assert ma["files"].keys() == mb["files"].keys()
    for f in tables:
        assert ma["files"][f] == mb["files"][f], f

    # what the call returns is the run it wrote
    assert done.out == by_api and "anchor_check" in done.tables
    assert done.files[0] == "results.nc" and done.files[-1] == "manifest.json"
    assert all((by_api / f.rstrip("/")).exists() for f in done.files)
    reopened, _ = aicapex.open_run(by_api)
    np.testing.assert_array_equal(reopened["index_level"].values,
                                  done.dataset["index_level"].values)
    assert done.metadata.draws == ARGS["draws"] and done.metadata.seed == ARGS["seed"]


def test_run_refuses_before_simulating_and_keeps_what_exists(tmp_path):
    out = tmp_path / "kept"
    out.mkdir()
    (out / "mine.txt").write_text("a user's file")
    with pytest.raises(aicapex.outputs.OutputExistsError):
        aicapex.run("baseline", out, draws=10, progress=False)
    assert (out / "mine.txt").read_text() == "a user's file"
    with pytest.raises(aicapex.RunSettingError, match="--paths and --summary-only"):
        aicapex.run("baseline", tmp_path / "x", paths=True, summary_only=True)
    with pytest.raises(aicapex.RunSettingError, match="--format is one of"):
        aicapex.run("baseline", tmp_path / "x", format="parquet")
    with pytest.raises(aicapex.ScenarioError):
        aicapex.run("no_such_scenario", tmp_path / "x", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]


def test_a_fallback_to_summary_mode_is_said(tmp_path, monkeypatch):
    import aicapex.api as api

    monkeypatch.setattr(api, "check_paths_fit", _too_large)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = aicapex.run("baseline", tmp_path / "s", draws=2048, plots=False,
                           progress=False)
    said = [str(w.message) for w in caught if "summary-only" in str(w.message)]
    assert said and done.notes == said
    assert done.plan.summary_only and "quantile" in done.dataset.dims


def _too_large(n_scenarios, draws, horizon, dtype):
    from aicapex.api import PathsTooLargeError

    raise PathsTooLargeError("full paths would need 1 TB")
