"""Runs on a Dask cluster (``sim.engine.distributed``): two worker processes give the same
summaries and paths, bit for bit, as a local run with the same seed; tasks split the run
into whole chunks in block order."""

from __future__ import annotations

import numpy as np
import pytest

import aicapex
from aicapex.scenarios.loader import parse_scenario_text
from aicapex.sim.engine.distributed import split

distributed = pytest.importorskip("distributed")

# a short horizon keeps the workers' compilations small; two scenarios, common numbers
SCENARIOS = [parse_scenario_text(f"name: {n}\nextends: {n}\nsettings: {{horizon_quarters: 6}}\n",
                                 f"{n}.yaml") for n in ("baseline", "credit_stress")]


@pytest.fixture(scope="module")
def client():
    """Two worker processes sharing the session's compilation cache (as workers on a shared
    file system would), so a program the local run compiled first is loaded, not compiled
    again, by each worker."""
    from aicapex.sim.engine.compile_cache import default_compile_cache_dir

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        c.run(aicapex.use_compile_cache, str(default_compile_cache_dir()))
        yield c


@pytest.mark.parametrize("summary_only", [True, False], ids=["summary", "paths"])
def test_two_workers_give_the_local_run_bit_for_bit(client, summary_only):
    kw = dict(draws=3000, seed=7, summary_only=summary_only, chunk_size=1024, progress=False)
    local = aicapex.simulate(SCENARIOS, **kw)
    seen = []
    remote = aicapex.simulate(SCENARIOS, client=client, **{**kw, "progress": seen.append})
    assert seen == [1024, 1024, 952]  # three tasks of one chunk each, in block order
    assert set(local.data_vars) == set(remote.data_vars)
    for v in local.data_vars:
        np.testing.assert_array_equal(local[v].values, remote[v].values, err_msg=v)
    assert "dask cluster" in remote.attrs["device"] and "2 worker(s)" in remote.attrs["device"]


def test_tasks_are_whole_chunks_in_block_order():
    assert split(3000, 1, 8) == [(0, 1024), (1, 1024), (2, 952)]
    assert split(10_000, 4, 2) == [(0, 4096), (4, 5904)]  # 3 chunks: one task of 1, one of 2
    parts = split(1_000_000, 8, 7)
    assert sum(d for _, d in parts) == 1_000_000 and len(parts) == 7
    assert all(f % 8 == 0 for f, _ in parts)
    assert [f for f, _ in parts] == sorted(f for f, _ in parts)


def test_the_command_line_runs_on_a_scheduler(client, tmp_path):
    import contextlib
    import io

    from aicapex import cli

    files = []
    for n in ("baseline", "credit_stress"):
        f = tmp_path / f"{n}.yaml"
        f.write_text(f"name: {n}\nextends: {n}\nsettings: {{horizon_quarters: 6}}\n")
        files.append(str(f))
    address = client.scheduler.address
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", *files, "--draws", "3000", "--seed", "7", "--chunk-size", "1024",
                         "--summary-only", "--no-plots", "--scheduler", address,
                         "--out", str(tmp_path / "out")])
    assert code == 0, err.getvalue()
    assert f"dask cluster at {address}" in err.getvalue()
    ds, _ = aicapex.open_run(tmp_path / "out")
    local = aicapex.simulate(SCENARIOS, draws=3000, seed=7, summary_only=True, progress=False)
    np.testing.assert_array_equal(ds["index_level"].values, local["index_level"].values)


def test_a_cluster_run_streams_its_paths_to_a_store(client, tmp_path):
    """Each task's draws go to the store as they come back, in draw order: the store holds
    the local run's paths."""
    kw = dict(draws=3000, seed=7, chunk_size=1024, progress=False)
    local = aicapex.simulate(SCENARIOS, **kw)
    stored = aicapex.simulate(SCENARIOS, client=client, store=tmp_path / "paths.zarr", **kw)
    for v in local.data_vars:
        np.testing.assert_array_equal(local[v].values, stored[v].values, err_msg=v)
