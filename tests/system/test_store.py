"""Full paths streamed to disk (``outputs.store``): a zarr store or a netCDF file written chunk
by chunk holds the in-memory run bit for bit and opens lazily; the engine hands each chunk
over instead of keeping it; a failed run leaves nothing; ``aicapex run --format`` writes the
store beside a summary of the same draws."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import dask.array
import numpy as np
import pytest
import xarray as xr

import aicapex
from aicapex import cli
from aicapex.outputs import PathStore, RunMetadata, is_summary
from aicapex.outputs.store import metadata_sha256, store_bytes
from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
from aicapex.sim import engine

NAMES = ["baseline", "capex_slowdown"]
KW = dict(draws=3000, seed=5, chunk_size=1024, progress=False)


@pytest.fixture(scope="module")
def memory():
    return aicapex.simulate(NAMES, **KW)


def assert_same_paths(a: xr.Dataset, b: xr.Dataset) -> None:
    assert list(a.data_vars) == list(b.data_vars)
    assert list(a["scenario"].values) == list(b["scenario"].values)
    np.testing.assert_array_equal(a["time"].values, b["time"].values)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
        assert plain(a[v].attrs) == plain(b[v].attrs), v


def plain(attrs) -> dict:
    return {k: np.asarray(x).tolist() for k, x in attrs.items()}


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_a_streamed_store_holds_the_run_in_memory_and_opens_lazily(memory, tmp_path, suffix):
    path = tmp_path / f"paths{suffix}"
    ds = aicapex.simulate(NAMES, store=path, **KW)
    beside = [path.name] + ([path.name + ".aicapex-output"] if suffix == ".zarr" else [])
    assert sorted(p.name for p in tmp_path.iterdir()) == beside  # its inventory, no temporaries
    assert isinstance(ds["index_level"].data, dask.array.Array)
    assert ds["index_level"].chunks[1][0] == 1024  # the run's chunks, one a region write
    assert_same_paths(memory, ds)
    got, want = RunMetadata.of(ds), RunMetadata.of(memory)
    assert (got.seed, got.draws, got.scenario_names) == (5, 3000, NAMES)
    assert got.nonfinite_counts == want.nonfinite_counts
    assert got.scenarios == want.scenarios  # the resolved YAML travels with the store
    # any reader of the format opens it: plain xarray, lazily, with its defaults and no
    # warning (a zarr store's metadata is consolidated)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = (xr.open_zarr(path) if suffix == ".zarr"
                 else xr.open_dataset(path, engine="h5netcdf", chunks={}))
    with plain:
        np.testing.assert_array_equal(plain["index_level"].values, memory["index_level"].values)
        assert plain["regime"].attrs["flag_meanings"] == "ramp wobble bust"


def test_the_engine_hands_each_chunk_to_the_sink_in_draw_order_and_keeps_none():
    batch = stack_batch([compile_scenario(load_scenario(n).scenario) for n in NAMES])
    seen = []
    results, stats = engine.simulate_paths(
        batch, aicapex.api.prng_key(5), 3000, chunk_size=1024,
        sink=lambda start, arrays: seen.append((start, arrays["index_level"].shape)))
    assert results == {}
    assert seen == [(0, (2, 20, 1024)), (1024, (2, 20, 1024)), (2048, (2, 20, 952))]
    assert stats.chunk_draws == 1024


def test_a_failed_streamed_run_leaves_nothing(tmp_path, monkeypatch):
    write = PathStore.write

    def full_disk(self, start, arrays):
        if start > 0:
            raise OSError(28, "No space left on device")
        write(self, start, arrays)

    monkeypatch.setattr(PathStore, "write", full_disk)
    for suffix in (".zarr", ".nc"):
        with pytest.raises(OSError, match="No space"):
            aicapex.simulate(NAMES, store=tmp_path / f"paths{suffix}", **KW)
    assert list(tmp_path.iterdir()) == []


def test_a_store_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(aicapex.outputs.StoreError, match=r"\.zarr \(zarr\) or \.nc"):
        aicapex.simulate(NAMES, store=tmp_path / "paths.h5", **KW)
    with pytest.raises(ValueError, match="summary_only keeps none"):
        aicapex.simulate(NAMES, store=tmp_path / "p.zarr", summary_only=True, **KW)
    (tmp_path / "taken.zarr").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        aicapex.simulate(NAMES, store=tmp_path / "taken.zarr", **KW)
    with pytest.raises(aicapex.outputs.StoreError, match=r"no paths\.zarr or paths\.nc"):
        aicapex.open_paths(tmp_path)


def run_cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", *NAMES, "--draws", "3000", "--seed", "5", "--chunk-size", "1024",
                         "--no-plots", *args])
    return code, " ".join(err.getvalue().split())


def test_the_command_line_streams_paths_beside_a_summary_of_the_same_draws(memory, tmp_path):
    out = tmp_path / "zarr"
    code, err = run_cli("--format", "zarr", "--out", str(out))
    assert code == 0, err
    assert "streaming the paths to zarr" in err and f"wrote {out}/paths.zarr" in err
    assert_same_paths(memory, aicapex.open_paths(out))
    summary, tables = aicapex.open_run(out)
    assert is_summary(summary) and "anchor_check" in tables
    # the summary is of the same draws: each quantile within its stated error (a histogram
    # bin) of F^-1(q) of the paths, give or take a few float32 ulps (two XLA programs)
    exact = memory["index_level"].astype(np.float64).quantile(
        summary["quantile"].values, dim="draw", method="inverted_cdf")
    excess = (abs(summary["index_level"] - exact) - summary["index_level__qerr"]).max().item()
    assert excess <= 4 * np.finfo(np.float32).eps * float(abs(exact).max())
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert files["paths.zarr"] == {"bytes": store_bytes(out / "paths.zarr"),
                                   "files": files["paths.zarr"]["files"],
                                   "metadata_sha256": metadata_sha256(out / "paths.zarr")}
    assert not any(name.startswith("paths.zarr/") for name in files)  # one entry, not chunks
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".aicapex")]

    out = tmp_path / "nc"
    code, err = run_cli("--format", "netcdf", "--no-compression", "--out", str(out))
    assert code == 0, err
    assert files_of(out) >= {"paths.nc", "results.nc", "manifest.json"}
    assert "sha256" in json.loads((out / "manifest.json").read_text())["files"]["paths.nc"]
    assert_same_paths(memory, aicapex.open_paths(out / "paths.nc"))


def files_of(path) -> set[str]:
    return {p.name for p in path.iterdir()}


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "zarr", "--summary-only"], "--summary-only keeps none"),
    (["--no-compression"], "--no-compression applies to --format"),
])
def test_the_command_line_refuses_contradictory_store_flags(tmp_path, args, message):
    code, err = run_cli(*args, "--out", str(tmp_path / "x"))
    assert code == 2 and message in err
    assert not (tmp_path / "x").exists()


def test_a_damaged_store_is_refused_naming_what_was_lost(tmp_path):
    """A deleted chunk read as NaN, a garbled one as a raw blosc error and broken metadata as
    a raw JSONDecodeError; each store is checked against the inventory written beside it
    (``paths.zarr.aicapex-output``) and refused with the file that changed."""
    import os
    import shutil

    from aicapex.outputs.store import DamagedStoreError

    good = tmp_path / "good.zarr"
    aicapex.simulate(NAMES, store=good, **dict(KW, draws=1024))
    assert (tmp_path / "good.zarr.aicapex-output").is_file()
    assert aicapex.open_paths(good)["index_level"].notnull().all()

    def damaged(how):
        bad = tmp_path / f"{how}.zarr"
        shutil.copytree(good, bad)
        shutil.copy(tmp_path / "good.zarr.aicapex-output", tmp_path / f"{how}.zarr.aicapex-output")
        chunk = next(p for p in sorted((bad / "index_level").rglob("*"))
                     if p.is_file() and p.name != "zarr.json")
        if how == "deleted":
            chunk.unlink()
        elif how == "garbled":
            chunk.write_bytes(os.urandom(chunk.stat().st_size))
        else:
            (bad / "index_level" / "zarr.json").write_text("{broken")
        return bad, chunk.relative_to(bad).as_posix()

    for how, said in (("deleted", "is missing"), ("garbled", "same size, different SHA-256"),
                      ("metadata", "index_level/zarr.json is not what was written")):
        bad, chunk = damaged(how)
        with pytest.raises(DamagedStoreError, match="damaged") as e:
            aicapex.open_paths(bad)
        assert said in str(e.value)
        if how != "metadata":
            assert chunk in str(e.value)
    # without any inventory (a store copied without it) broken metadata is still refused
    (tmp_path / "metadata.zarr.aicapex-output").unlink()
    with pytest.raises(DamagedStoreError, match="cannot be read"):
        aicapex.open_paths(tmp_path / "metadata.zarr")


def test_a_run_directory_s_store_is_checked_against_the_run_s_inventory(tmp_path):
    out = tmp_path / "run"
    code, _ = run_cli("--format", "zarr", "--out", str(out))
    assert code == 0
    (out / "paths.zarr.aicapex-output").unlink()  # the run's own inventory still knows
    next(p for p in sorted((out / "paths.zarr" / "drawdown").rglob("*"))
         if p.is_file() and p.name != "zarr.json").unlink()
    with pytest.raises(aicapex.outputs.store.DamagedStoreError, match="is missing"):
        aicapex.open_paths(out)
