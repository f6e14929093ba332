"""The command line, end to end, as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr


def cli(*args, cwd=None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aicapex.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, **(env or {})})


def in_process(*args) -> subprocess.CompletedProcess:
    """``aicapex ARGS`` in this process, for what does not need a fresh one (a fresh process
    costs ~8 s of imports, and its own compilations)."""
    from aicapex.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _cache_entries(cache: Path) -> dict[str, bytes]:
    """The compiled programs in an on-disk JAX cache, with their last-access stamps."""
    return {p.name: (cache / p.name.replace("-cache", "-atime")).read_bytes()
            for p in cache.glob("*-cache")}


def test_run_end_to_end_and_reproducible(tmp_path):
    out1, out2 = tmp_path / "r1", tmp_path / "r2"
    args = ["baseline", "capex_slowdown", "--draws", "300", "--seed", "4"]
    env = {"AICAPEX_CACHE_DIR": str(tmp_path / "cache")}
    r = cli("run", *args, "--out", out1, env=env)
    assert r.returncode == 0, r.stderr
    assert "baseline" in r.stdout and "P(DD" in r.stdout and ">20%)" in r.stdout
    # the compiled program was kept on disk, and the manifest says where
    cache = tmp_path / "cache" / "jax"
    stored = _cache_entries(cache)
    assert any(name.startswith("jit__simulate_step") for name in stored), stored
    manifest = json.loads((out1 / "manifest.json").read_text())
    assert manifest["jax_compilation_cache"]["dir"] == str(cache)
    assert manifest["jax_compilation_cache"]["programs_compiled"] >= 1
    assert manifest["jax_compilation_cache"]["programs_loaded"] == 0
    for f in ("results.nc", "summary.csv", "tail_probabilities.csv",
              "plots/fan_index_level.png", "plots/fan_earnings.png",
              "plots/fan_ai_capex_revenue.png", "plots/horizon_index_level.png"):
        assert (out1 / f).is_file() and (out1 / f).stat().st_size > 0, f
    with xr.open_dataset(out1 / "results.nc") as ds:
        assert dict(ds.sizes) == {"scenario": 2, "draw": 300, "time": 20,
                                  "parameter": ds.sizes["parameter"]}
        for v in ds.data_vars:
            if v == "parameters":  # each draw's sampled parameters, with their units
                assert ds[v].dims == ("scenario", "draw", "parameter")
                assert ds["parameter_units"].sizes["parameter"] == ds.sizes["parameter"] > 10
                continue
            assert ds[v].dims == ("scenario", "draw", "time")
            assert ds[v].attrs["units"] and ds[v].attrs["long_name"], v
        assert ds.attrs["seed"] == 4 and "baseline" in ds.attrs["scenario_yaml"]
        assert ds.attrs["dtype"] == "float32" and ds.attrs["package_version"]
        # by default the CPU is split into one device per core, at most 4
        assert ds.attrs["device"].count("cpu:") == min(os.cpu_count() or 1, 4)
        first = ds.load()
    summary = pd.read_csv(out1 / "summary.csv")
    assert {"scenario", "variable", "quarter", "q05", "q50", "q95"} <= set(summary.columns)
    assert len(summary) == 2 * (len(first.data_vars) - 1) * 20  # every output, not parameters

    # a second process loads the program from the cache (its access stamp moves, nothing new
    # is compiled) and reproduces the first run exactly
    r = cli("run", *args, "--no-plots", "--out", out2, env=env)
    assert r.returncode == 0, r.stderr
    again = _cache_entries(cache)
    assert again.keys() == stored.keys()
    assert any(again[k] != stored[k] for k in stored)
    manifest = json.loads((out2 / "manifest.json").read_text())["jax_compilation_cache"]
    assert manifest["programs_loaded"] >= 1 and manifest["programs_compiled"] == 0
    assert "loaded from the compilation cache" in r.stderr.replace("\n", " ")
    with xr.open_dataset(out2 / "results.nc") as second:
        for v in first.data_vars:
            np.testing.assert_array_equal(first[v].values, second[v].values, err_msg=v)

    # an existing run is not overwritten without --overwrite
    r = in_process("run", "baseline", "--draws", "10", "--out", out1)
    assert r.returncode == 2 and "--overwrite" in r.stderr
    assert (out1 / "results.nc").is_file()


def test_validate_broken_file_exit_2_with_location(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfed:\n  meetings:\n    2025-12-10: {cut_25: 1.3, hold: 0}\n")
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nextends: baseline\n")
    r = in_process("validate", good, bad)
    assert r.returncode == 2
    assert f"{bad}:4: fed.meetings.2025-12-10.cut_25" in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr
    assert "ok" in r.stdout
    r = in_process("run", bad, "--draws", "10", "--out", tmp_path / "x")
    assert r.returncode == 2 and "cut_25" in r.stderr and not (tmp_path / "x").exists()


def test_list_starts_without_jax_and_matches_the_validated_scenarios():
    """``aicapex list`` read every built-in through the schema, which imports JAX: 3.8 s to
    print fourteen descriptions. It now reads the files (0.14 s here); what it shows is what
    validation makes of them."""
    code = ("import contextlib, io, json, sys\n"
            "from aicapex.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    main(['list', '--json'])\n"
            "rows = json.loads(out.getvalue())\n"
            "print(json.dumps({'jax': 'jax' in sys.modules, 'rows': rows}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    seen = json.loads(done.stdout)
    assert seen["jax"] is False
    from aicapex.scenarios import builtin_names, load_scenario
    assert [r["name"] for r in seen["rows"]] == builtin_names()
    for r in seen["rows"]:
        s = load_scenario(r["name"]).scenario
        assert r["extends"] == (s.extends or "")
        assert r["description"] == " ".join(s.description.split())


@pytest.mark.parametrize("argv", [
    ["validate", "{lib}/capex_slowdown.yaml"], ["validate", "{bad}"], ["show", "credit_stress"],
    ["show", "credit_stress", "--resolved"], ["show", "no_such_scenario"], ["schema"],
    ["params", "--json"]], ids=lambda a: "-".join(a[:2]).replace("{lib}/", ""))
def test_commands_that_simulate_nothing_import_no_jax(argv, tmp_path):
    """validate, show, schema and params read the model's declarations, never run a block:
    they imported JAX (and show the API) and took 2-6 s; JAX alone costs ~1 s to import.
    Each answers, errors included, in a process that never imports JAX or xarray."""
    from aicapex.scenarios.builtins import library_dir

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nextends: baseline\ncapex:\n  slowdwn: 1\n")
    argv = [a.format(lib=library_dir(), bad=bad) for a in argv]
    code = ("import contextlib, io, json, sys\n"
            "from aicapex.cli import main\n"
            "out, err = io.StringIO(), io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
            f"    rc = main({argv!r})\n"
            "print(json.dumps({'rc': rc, 'out': out.getvalue(), 'err': err.getvalue(),\n"
            "                  'heavy': sorted({'jax', 'xarray'} & set(sys.modules))}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["heavy"] == []
    failing = "bad" in argv[-1] or "no_such" in argv[-1]
    assert seen["rc"] == (2 if failing else 0), seen
    if failing:
        assert "slowdwn" in seen["err"] or "no scenario file or built-in" in seen["err"]
    else:
        assert seen["out"].strip()


def test_list_and_params():
    r = in_process("list")
    assert r.returncode == 0
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "baseline" and lines[1].startswith("    Market consensus")
    r = in_process("params")
    assert r.returncode == 0 and "ai_revenue_2030_bn" in r.stdout


def test_progress_lines_for_logs_when_not_on_a_terminal(tmp_path):
    env = {**os.environ, "AICAPEX_PROGRESS_SECONDS": "0",
           "AICAPEX_CACHE_DIR": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-m", "aicapex.cli", "run", "baseline", "--draws",
                        "3000", "--chunk-size", "1024", "--no-plots", "--no-compile-cache",
                        "--out", str(tmp_path / "p")], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "cache").exists()  # --no-compile-cache kept nothing
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["jax_compilation_cache"] is None
    assert "JAX compile" in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("progress:")]
    assert [ln.split(" draws")[0] for ln in lines] == ["progress: 1,024/3,000",
                                                       "progress: 2,048/3,000"]
    assert all("left" in ln for ln in lines)


def test_cpu_devices_split_the_work_and_change_no_result(tmp_path):
    args = ["baseline", "--draws", "5000", "--chunk-size", "1024", "--seed", "2", "--no-plots"]
    one = cli("run", *args, "--cpu-devices", "1", "--out", tmp_path / "one")
    two = cli("run", *args, "--cpu-devices", "2", "--out", tmp_path / "two")  # implies cpu
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert "on cpu:0, cpu:1" in " ".join(two.stderr.split())
    with xr.open_dataset(tmp_path / "one" / "results.nc") as a, \
            xr.open_dataset(tmp_path / "two" / "results.nc") as b:
        assert "," in b.attrs["device"] and "," not in a.attrs["device"]
        for v in a.data_vars:
            np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    # (the default, one device per core: test_run_end_to_end_and_reproducible)
    bad = in_process("run", "baseline", "--cpu-devices", "0", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "--cpu-devices" in bad.stderr


def test_messages_are_printed_as_written_not_read_as_markup(tmp_path, capsys):
    """Rich reads "[...]" as a style tag and drops it: errors lost "[and 1 more problem]", the
    "[cuda]" of "pip install 'aicapex[cuda]'", and a path with brackets lost them too."""
    from aicapex import cli
    from aicapex.cli import console

    folder = tmp_path / "[draft]"
    folder.mkdir()
    bad = folder / "two_problems.yaml"
    bad.write_text("name: bad\nextends: baseline\nfed:\n  path: [1, 2]\ntariffs:\n  foo: bar\n")
    good = folder / "fine.yaml"
    good.write_text("name: fine_v2\nextends: baseline\n")
    assert cli.main(["validate", str(bad), str(good), str(folder / "[missing].yaml")]) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert f"{bad}:4: fed.path: unknown field 'path'" in err
    assert f"error: {bad}:6: tariffs.foo: unknown field 'foo'" in err  # every problem, at once
    assert f"{folder / '[missing].yaml'}: no such file" in err
    assert f"ok {good}: fine_v2" in " ".join(captured.out.split())

    console.error("no gpu; pip install 'aicapex[cuda]' or use --device cpu")
    assert "error: no gpu; pip install 'aicapex[cuda]' or use" in capsys.readouterr().err
