"""No lost or half-written results: interrupted runs, existing outputs, non-finite values, the
manifest."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import aicapex
from aicapex import api, cli
from aicapex.outputs import writers
from aicapex.runtime import interrupts


def _start(out: Path) -> subprocess.Popen:
    # a progress line every 0.2 s once draws finish: the run is simulating when one appears
    env = dict(os.environ, PYTHONUNBUFFERED="1", AICAPEX_PROGRESS_SECONDS="0.2")
    return subprocess.Popen(
        [sys.executable, "-m", "aicapex.cli", "run", "baseline", "--draws", "1600000",
         "--seed", "1", "--out", str(out)],  # the suite's most common program: from the cache
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _wait_for_line(proc: subprocess.Popen, prefix: str, timeout: float,
                   ends: bool = False) -> str:
    """The process's output up to and including its first line starting with ``prefix``
    (with ``ends``, ending with it); on a slow machine a fresh environment's first imports
    alone can take seconds, and a signal that lands before the CLI has installed its
    handlers tests nothing of the CLI."""
    import selectors

    seen = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=1.0):
                continue
            line = proc.stdout.readline()
            if not line:  # the process ended
                break
            seen.append(line)
            if line.rstrip().endswith(prefix) if ends else line.startswith(prefix):
                return "".join(seen)
    raise AssertionError(f"no line starting {prefix!r} in {timeout} s: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_nothing_that_looks_finished(tmp_path, sig):
    out = tmp_path / "run"
    proc = _start(out)
    head = _wait_for_line(proc, "progress:", timeout=300)  # compiled, simulating
    assert proc.poll() is None, head + proc.communicate()[0]
    proc.send_signal(sig)
    text, _ = proc.communicate(timeout=120)
    text = head + text
    assert proc.returncode == 128 + sig, text  # 130 or 143, never 139 (a segfault)
    assert "Traceback" not in text, text
    assert not (out / "results.nc").exists()
    assert not out.exists() or not any(out.iterdir())
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".aicapex-tmp")]
    assert leftovers == []
    if sig == signal.SIGTERM:
        return  # (the rerun, once is enough: it costs a compilation)
    # and the same command then succeeds (fewer draws: the same program, from the cache)
    r = subprocess.run([sys.executable, "-m", "aicapex.cli", "run", "baseline", "--draws",
                        "200", "--out", str(out), "--no-plots"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (out / "results.nc").is_file() and (out / "manifest.json").is_file()


def test_a_signal_while_importing_exits_cleanly(tmp_path):
    """SIGINT while the CLI imports JAX (sent as soon as Python reports NumPy imported, which
    only JAX's import brings in) ends it with status 130 and a one-line message: no
    traceback, nothing written (during the simulation:
    ``test_interrupted_run_leaves_nothing_that_looks_finished``)."""
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONUNBUFFERED="1", AICAPEX_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "aicapex.cli", "run",
                             "baseline", "--draws", "20000", "--out", str(out), "--no-plots"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    _wait_for_line(proc, " numpy", timeout=120, ends=True)  # the top-level package
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "interrupted" in text, text
    assert not out.exists()


class _SwallowedSignal:
    """Delivers SIGTERM's handler inside ``__del__``, where Python drops the exception it
    raises (as it does inside JAX's gc callback: seen once as a run that went on to write its
    outputs after SIGTERM)."""

    def __del__(self):
        interrupts.handler(signal.SIGTERM, None)


def _swallow_sigterm(monkeypatch) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
    obj = _SwallowedSignal()
    del obj  # the SystemExit is raised and dropped here


def test_a_swallowed_signal_prints_no_traceback(monkeypatch):
    """The CLI's hook drops the "Exception ignored" report of its own interrupt (raised again
    later by ``check()``), and passes any other unraisable exception on."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))

    class Other:
        def __del__(self):
            raise ValueError("not an interrupt")
    interrupts.clear()
    try:
        interrupts.quiet_swallowed()
        hook = sys.unraisablehook
        interrupts.quiet_swallowed()  # installed once, however often called
        assert sys.unraisablehook is hook
        obj = _SwallowedSignal()
        del obj  # SIGTERM's SystemExit, dropped silently
        other = Other()
        del other
        assert interrupts._PENDING == [signal.SIGTERM]
    finally:
        interrupts.clear()
    assert seen == [ValueError]


def test_a_swallowed_signal_still_stops_the_output_commit(tmp_path, monkeypatch):
    interrupts.clear()
    try:
        _swallow_sigterm(monkeypatch)
        out = tmp_path / "run"
        with pytest.raises(SystemExit) as e, writers.atomic_dir(out) as tmp:
            (tmp / "results.nc").write_text("complete-looking")
        assert e.value.code == 128 + signal.SIGTERM
        assert list(tmp_path.iterdir()) == []  # neither the run nor its temporary directory
    finally:
        interrupts.clear()


def test_a_swallowed_signal_during_the_simulation_stops_the_run(tmp_path, monkeypatch):
    import aicapex.api

    real = aicapex.api.simulate

    def simulate(plan, progress=None, **kw):
        ds = real(plan, progress=None, **kw)
        _swallow_sigterm(monkeypatch)
        progress(plan.draws)  # the next chunk's progress tick
        return ds

    monkeypatch.setattr(aicapex.api, "simulate", simulate)
    out = tmp_path / "run"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e:
        cli.main(["run", "baseline", "--draws", "100", "--out", str(out), "--no-plots"])
    interrupts.clear()
    assert e.value.code == 128 + signal.SIGTERM
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_manifest_records_the_run(tmp_path):
    out = tmp_path / "m"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "fed_hawkish", "--draws", "300", "--seed", "8",
                         "--out", str(out), "--no-plots"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 8 and m["draws"] == 300 and m["dtype"] == "float32"
    assert [s["name"] for s in m["scenarios"]] == ["baseline", "fed_hawkish"]
    assert all(len(s["sha256"]) == 64 for s in m["scenarios"])
    assert set(m["files"]) == {"results.nc", "summary.csv", "tail_probabilities.csv",
                               "anchor_check.csv", "vol_surface.csv", "tail_hedge.csv",
                               "plausibility.csv", "drivers.csv"}
    assert m["timings_seconds"]["simulate"] > 0
    assert set(m["nonfinite_counts"].values()) == {0}
    assert m["package_version"] and m["device"]


@pytest.mark.parametrize("variable, planted, said, recorded", [
    # a NaN: counted, named
    ("earnings_hw", np.nan, "earnings_hw: 5", lambda m: m["nonfinite_counts"]["earnings_hw"] == 5),
    # a value outside the range the equations keep unemployment in (as a model fault would
    # leave it): the figures, the range
    ("unemployment", 0.45, ", 0.45], its range is [0.01, 0.3]",
     lambda m: m["output_ranges"]["unemployment"][1] == pytest.approx(0.45)),
])
def test_results_that_fail_the_check_after_simulating_write_nothing_unless_allowed(
        tmp_path, monkeypatch, variable, planted, said, recorded):
    from aicapex.sim.engine import entry as engine_entry

    real = engine_entry.simulate_paths

    def poisoned(*args, **kwargs):
        res, stats = real(*args, **kwargs)
        res[variable][0, 3, :5] = planted
        return res, stats

    monkeypatch.setattr(engine_entry, "simulate_paths", poisoned)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "100", "--out", str(tmp_path / "a"),
                         "--no-plots"])
    message = " ".join(err.getvalue().split())
    assert code == 1
    assert said in message and "--allow-nonfinite" in message
    assert not (tmp_path / "a").exists()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["run", "baseline", "--draws", "100", "--out", str(tmp_path / "b"),
                         "--no-plots", "--allow-nonfinite"])
    assert code == 0
    assert recorded(json.loads((tmp_path / "b" / "manifest.json").read_text()))


def test_overwrite_replaces_and_refusal_keeps(tmp_path):
    out = tmp_path / "o"
    quiet = (contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()))
    with quiet[0], quiet[1]:
        assert cli.main(["run", "baseline", "--draws", "50", "--seed", "1", "--out", str(out),
                         "--no-plots"]) == 0
    first = (out / "manifest.json").read_text()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "--draws", "50", "--seed", "2", "--out", str(out),
                         "--no-plots"]) == 2
    assert (out / "manifest.json").read_text() == first
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "--draws", "50", "--seed", "2", "--out", str(out),
                         "--no-plots", "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".aicapex")] == []


def test_overwrite_refuses_what_aicapex_did_not_write(tmp_path):
    """``--overwrite`` replaces a previous aicapex output only: a user's folder, a file or a
    symbolic link at ``--out`` is refused before anything runs, and left as it was."""
    folder = tmp_path / "thesis"
    (folder / "src").mkdir(parents=True)
    (folder / "thesis.tex").write_text("\\documentclass{article}")
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(folder)
    for out in (folder, afile, link):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            assert cli.main(["run", "baseline", "--draws", "50", "--out", str(out),
                             "--no-plots", "--overwrite"]) == 2, out
        assert "replaces only a previous aicapex output" in " ".join(err.getvalue().split())
    assert (folder / "thesis.tex").read_text() == "\\documentclass{article}"
    assert (folder / "src").is_dir() and afile.read_text() == "mine" and link.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".aicapex")] == []


def _run_quietly(*argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, " ".join(err.getvalue().split())


def test_overwrite_deletes_nothing_the_user_made(tmp_path):
    """Issue 41's reproducer and its relatives: a folder with a hand-made aicapex manifest, a
    run with a note added, a run with a table edited, a run with a folder or a link added:
    --overwrite refuses each, naming what it would have deleted, and deletes nothing."""
    base = ["--draws", "50", "--seed", "1", "--no-plots"]
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "manifest.json").write_text('{"package": "aicapex"}')
    (fake / "thesis.txt").write_text("work")
    code, said = _run_quietly("run", "baseline", *base, "--out", str(fake), "--overwrite")
    assert code == 2 and "deletes nothing else" in said, said
    assert (fake / "thesis.txt").read_text() == "work"

    run = tmp_path / "run"
    assert _run_quietly("run", "baseline", *base, "--out", str(run))[0] == 0
    for added, why in ((run / "notes.txt", "did not write it"),
                       (run / "summary.csv", "changed since"),
                       (run / "mine" / "a.txt", "did not write it"),
                       (run / "link", "did not write it")):
        before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
        if added.name == "link":
            added.symlink_to(tmp_path)
        elif added.exists():
            added.write_text(added.read_text() + "my edit\n")
        else:
            added.parent.mkdir(exist_ok=True)
            added.write_text("mine")
        code, said = _run_quietly("run", "baseline", *base, "--seed", "2", "--out", str(run),
                                  "--overwrite")
        assert code == 2 and why in said and added.relative_to(run).parts[0] in said, said
        assert added.is_symlink() or added.read_text().endswith(("mine", "my edit\n"))
        for p, content in before.items():
            assert p == added or p.read_bytes() == content, p  # the old run untouched
        if added.is_symlink() or added.name != "summary.csv":
            added.unlink()
            if added.parent != run:
                added.parent.rmdir()
        else:
            added.write_bytes(before[added])
    # with the run as aicapex wrote it, --overwrite replaces it (a file deleted is no obstacle)
    (run / "tail_probabilities.csv").unlink()
    assert _run_quietly("run", "baseline", *base, "--seed", "2", "--out", str(run),
                        "--overwrite")[0] == 0
    assert json.loads((run / "manifest.json").read_text())["seed"] == 2


def test_a_run_from_before_the_inventory_is_judged_by_its_manifest(tmp_path):
    """An output written before the marker recorded its files: its manifest is trusted only
    where every file it lists is there with its recorded hash."""
    from aicapex.outputs import writers

    run = tmp_path / "old"
    assert _run_quietly("run", "baseline", "--draws", "50", "--no-plots", "--out",
                        str(run))[0] == 0
    (run / writers.MARKER).unlink()  # as a run written before the marker
    assert writers.foreign_entry(run) is None
    (run / "summary.csv").write_text("edited")
    assert "no manifest whose files all check" in writers.foreign_entry(run)


def test_every_output_directory_is_marked_and_can_be_replaced(tmp_path):
    """What aicapex writes carries its marker, so --overwrite can replace it: a run, and an
    output without a manifest (the anchor check's)."""
    from aicapex.outputs import atomic_dir, writers

    out = tmp_path / "check"
    with atomic_dir(out) as tmp:
        (tmp / "anchor_check.csv").write_text("x\n")
    assert (out / writers.MARKER).is_file() and writers.is_aicapex_output(out)
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "anchor_check.csv").write_text("y\n")
    assert (out / "anchor_check.csv").read_text() == "y\n"


def test_paths_that_cannot_fit_in_memory_are_refused_before_anything_runs(monkeypatch):
    import aicapex
    from aicapex import api
    from aicapex.sim.model import N_OUTPUTS

    # every output x 4 bytes x 20 quarters x 10^7 draws; float64 doubles it
    assert api.paths_bytes(1, 10**7, 20, "float32") == N_OUTPUTS * 4 * 20 * 10**7
    assert api.paths_bytes(16, 1000, 12, "float64") == 16 * 1000 * 12 * N_OUTPUTS * 8
    monkeypatch.setattr(api, "available_memory_bytes", lambda: 10 * 2**30)
    api.check_paths_fit(1, 10**6, 20, "float32")  # 2.4 GiB of 10
    gib = f"{N_OUTPUTS * 4 * 20 * 10**7 / 2**30:.1f}".replace(".", r"\.")
    with pytest.raises(api.PathsTooLargeError, match=gib + r" GiB .* 10\.0 GiB .*summary"):
        api.check_paths_fit(1, 10**7, 20, "float32")
    monkeypatch.setattr(api, "execute", lambda *a, **k: pytest.fail("simulated anyway"))
    monkeypatch.setattr(api, "compile_scenario", lambda *a, **k: pytest.fail("compiled"))
    with pytest.raises(MemoryError, match="summary_only=True"):  # refused up front
        aicapex.simulate("baseline", draws=10**7)
    monkeypatch.setattr(api, "available_memory_bytes", lambda: None)  # unknown: no check
    api.check_paths_fit(1, 10**9, 20, "float32")


def test_available_memory_is_the_kernels_or_a_containers_room(tmp_path):
    from aicapex import api

    gib = 2**30
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/meminfo").write_text("MemTotal: 33554432 kB\nMemAvailable: 8388608 kB\n")
    assert api.available_memory_bytes(tmp_path) == 8 * gib
    v2 = tmp_path / "sys/fs/cgroup"
    v2.mkdir(parents=True)
    (v2 / "memory.max").write_text("max\n")  # no limit
    (v2 / "memory.current").write_text(f"{3 * gib}\n")
    assert api.available_memory_bytes(tmp_path) == 8 * gib
    (v2 / "memory.max").write_text(f"{4 * gib}\n")  # 4 GiB limit, 3 used, 0.5 droppable
    (v2 / "memory.stat").write_text(f"anon {2 * gib}\ninactive_file {gib // 2}\n")
    assert api.available_memory_bytes(tmp_path) == 1.5 * gib
    (tmp_path / "proc/meminfo").unlink()
    assert api.available_memory_bytes(tmp_path) == 1.5 * gib
    assert api.available_memory_bytes(tmp_path / "nothing") is None

    avail = api.available_memory_bytes()
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/meminfo")
    assert avail is not None and 0 < avail <= os.sysconf("SC_PAGE_SIZE") * os.sysconf(
        "SC_PHYS_PAGES")


def test_cli_runs_summary_mode_when_paths_would_not_fit_and_stops_with_paths(tmp_path,
                                                                             monkeypatch):
    from aicapex import api

    monkeypatch.setattr(api, "available_memory_bytes", lambda: 2**20)  # 1 MiB
    out, err = tmp_path / "s", io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "3000", "--out", str(out),
                         "--no-plots"])
    assert code == 0, err.getvalue()
    said = " ".join(err.getvalue().split())  # rich wraps long lines
    need = api.size_text(api.paths_bytes(1, 3000, 20, "float32"))  # every output, every draw
    assert f"need {need} (float32), about " in said
    assert "of memory with the run's working copies, more than the 1.0 MiB available" in said
    assert "running --summary-only" in said
    import xarray as xr
    with xr.open_dataset(out / "results.nc") as ds:
        assert "quantile" in ds.dims and "draw" not in ds.dims
        assert int(ds.attrs["draws_accumulated"]) == 3000
    for extra in (["--paths"], ["--paths", "--summary-only"]):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["run", "baseline", "--draws", "3000", "--out",
                             str(tmp_path / "p"), "--no-plots", *extra])
        assert code == 2, err.getvalue()
        assert not (tmp_path / "p").exists()
    assert "exclude each other" in err.getvalue()


def test_other_commands_refuse_paths_that_cannot_fit_as_bad_input(tmp_path):
    """calibrate and replay keep full paths too: a --draws no machine holds is exit 2 with the
    reason, before anything runs, not a traceback or an out-of-memory kill. (10^8 draws, the
    most a run may ask for, need 232 GB of paths.)"""
    r = subprocess.run([sys.executable, "-m", "aicapex.cli", "replay", "--draws",
                        str(10**8), "--out", str(tmp_path / "r")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    said = " ".join(r.stderr.split())
    assert "100,000,000 draws x 20 quarters need" in said and "Traceback" not in said
    assert not (tmp_path / "r").exists()


def test_run_settings_from_the_command_line_obey_the_schema(tmp_path):
    """--seed and --draws are checked against the rules a scenario file's settings obey,
    before anything runs: bad input (exit 2) naming the value and the rule."""
    for flags, needle in ((["--seed", "-1"], "seed = -1"),
                          (["--seed", str(2**63)], "less than or equal to"),
                          (["--draws", str(10**13)], "draws = 10000000000000")):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            assert cli.main(["run", "baseline", *flags, "--out", str(tmp_path / "x")]) == 2
        assert needle in err.getvalue(), err.getvalue()
    assert not (tmp_path / "x").exists()


def test_seeds_beyond_32_bits_give_their_own_draws():
    """Without JAX's x64 mode ``jax.random.key`` keeps a seed's low 32 bits only (2**32 would
    draw what 0 draws); the run's key keeps both halves, and is JAX's own below 2**32."""
    import jax

    def bits(seed):
        return np.asarray(jax.random.key_data(api.prng_key(seed)))

    np.testing.assert_array_equal(bits(7), np.asarray(jax.random.key_data(jax.random.key(7))))
    assert not np.array_equal(bits(2**32), bits(0))
    assert not np.array_equal(bits(2**63 - 1), bits(2**32 - 1))


def test_a_second_command_to_the_same_out_fails_clearly(tmp_path):
    """While one command holds an output directory, another to the same --out stops at once
    (exit 2, nothing written) instead of silently replacing the first one's output."""
    from aicapex.outputs import claim_output

    out = tmp_path / "run"
    with claim_output(out):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            assert cli.main(["run", "baseline", "--draws", "50", "--out", str(out),
                             "--no-plots"]) == 2
        assert "another aicapex command is writing to" in err.getvalue()
    assert not out.exists()


@pytest.mark.parametrize("exchange", [True, False])
def test_a_replacement_leaves_one_run_and_nothing_hidden(tmp_path, monkeypatch, exchange):
    """--overwrite replaces a previous output in one atomic exchange (Linux) or, where the
    system has none, by two renames; either way only the new run is left."""
    from aicapex.outputs import atomic_dir

    if not exchange:
        monkeypatch.setattr(writers, "_exchange", lambda a, b: False)
    out = tmp_path / "run"
    for text in ("old", "new"):
        with atomic_dir(out, overwrite=True) as tmp:
            (tmp / "x.txt").write_text(text)
    assert (out / "x.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_replacement_cut_short_between_its_renames_is_undone(tmp_path):
    """Killed after the previous run was moved aside and before the new one took its place,
    the next claim of that --out puts the previous run back under its own name."""
    from aicapex.outputs import atomic_dir

    out = tmp_path / "run"
    with atomic_dir(out) as tmp:
        (tmp / "x.txt").write_text("previous")
    out.rename(tmp_path / ".aicapex-old-run-k1ll3d")  # the first rename, then kill -9
    with writers.claim_output(out) as cleaned:
        assert (out / "x.txt").read_text() == "previous" and cleaned == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_disk_too_small_is_found_before_simulating(tmp_path, monkeypatch):
    """Free space below what the run will write: exit 1 with a message, before simulating."""
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1_000_000))
    monkeypatch.setattr(api, "simulate", lambda *a, **k: pytest.fail("simulated anyway"))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "500", "--out", str(tmp_path / "run")])
    assert code == 1 and "MB free" in err.getvalue().replace("\n", " ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_write_that_fails_midway_exits_1_and_leaves_nothing(tmp_path, monkeypatch):
    """The disk fills while results.nc is written (a write-failure shim): the run fails with
    exit 1 and the file's error, and neither --out nor a temporary directory is left."""
    import errno

    import xarray as xr

    def full_disk(self, path=None, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(xr.Dataset, "to_netcdf", full_disk)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "500", "--no-plots", "--out",
                         str(tmp_path / "run")])
    assert code == 1 and "No space left on device" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_killed_runs_temporary_directory_is_removed_by_the_next_run(tmp_path):
    """``kill -9`` leaves a hidden temporary directory beside --out (nothing can clean up);
    the next command to that --out removes it under its claim and says so."""
    out = tmp_path / "run"
    stale = tmp_path / ".aicapex-tmp-run-abc123"
    (stale / "plots").mkdir(parents=True)
    (stale / "results.nc").write_bytes(b"\0" * 1000)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert cli.main(["run", "baseline", "--draws", "50", "--out", str(out),
                         "--no-plots"]) == 0
    assert not stale.exists() and (out / "manifest.json").is_file()
    assert "interrupted earlier run" in err.getvalue()


def test_report_and_plot_trust_only_the_results_their_manifest_records(tmp_path):
    """``aicapex report``/``plot`` read ``results.nc`` only if it is the file the run's
    manifest records (SHA-256) and an aicapex result: a changed file, a missing manifest or a
    foreign netCDF is bad input (exit 2) with the reason, never a traceback or a report."""
    import hashlib

    import xarray as xr

    run = tmp_path / "run"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "baseline", "--draws", "50", "--out", str(run),
                         "--no-plots"]) == 0
    from aicapex import open_run

    ds, tables = open_run(run)
    assert ds.attrs["package"] == "aicapex" and "anchor_check" in tables

    def report(where) -> tuple[int, str]:
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["report", str(where)])
        return code, " ".join(err.getvalue().split())

    nc = run / "results.nc"
    data = bytearray(nc.read_bytes())
    data[len(data) // 2: len(data) // 2 + 5000] = bytes(5000)
    nc.write_bytes(bytes(data))
    code, msg = report(run)
    assert code == 2 and "does not match the SHA-256" in msg
    assert not (run / "report.html").exists()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(foreign / "results.nc", engine="h5netcdf")
    digest = hashlib.sha256((foreign / "results.nc").read_bytes()).hexdigest()
    (foreign / "manifest.json").write_text(
        json.dumps({"files": {"results.nc": {"sha256": digest}}}))
    code, msg = report(foreign)
    assert code == 2 and "is not an aicapex result" in msg
    (foreign / "manifest.json").unlink()
    code, msg = report(foreign)
    assert code == 2 and "no manifest.json" in msg


def test_a_compiled_program_whose_file_changed_is_not_run(tmp_path):
    """A cache entry replaced by another program's file (or corrupted) no longer matches the
    SHA-256 recorded when it was first seen: it is removed, with its companion files, and
    compiled again; untouched entries stay."""
    from aicapex.runtime.cache import INDEX, verify_entries

    cache = tmp_path / "jax"
    cache.mkdir(mode=0o700)
    for name, body in (("jit_plain-aaa", b"plain program"), ("jit_anti-bbb", b"antithetic")):
        (cache / f"{name}-cache").write_bytes(body)
        (cache / f"{name}-atime").write_bytes(b"0")
    assert verify_entries(cache) == [] and (cache / INDEX).is_file()  # recorded
    (cache / "jit_plain-aaa-cache").write_bytes(b"antithetic")  # swapped in
    assert verify_entries(cache) == ["jit_plain-aaa-cache"]
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == [
        "jit_anti-bbb-atime", "jit_anti-bbb-cache"]
    assert verify_entries(cache) == []


def test_a_cache_others_can_write_to_is_refused(tmp_path, monkeypatch):
    """A compilation cache writable by others is not used: the run compiles afresh and
    says why."""
    from aicapex.runtime.cache import UnsafeCacheError
    from aicapex.sim.engine.compile_cache import use_compile_cache

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(UnsafeCacheError, match="writable by its group or by others"):
        use_compile_cache(shared)
    monkeypatch.setenv("AICAPEX_CACHE_DIR", str(tmp_path))
    (tmp_path / "jax").mkdir()
    (tmp_path / "jax").chmod(0o777)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "200", "--no-plots", "--out",
                         str(tmp_path / "run")])
    assert code == 0, err.getvalue()
    assert "no compilation cache" in err.getvalue() and "writable" in err.getvalue()


def test_an_address_space_limit_too_low_for_the_compiler_is_a_message(tmp_path, monkeypatch):
    """Under ``ulimit -v`` below what XLA's compiler reserves the run would abort inside the
    compilation with no message: it stops first, exit 1, and says what to raise."""
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda which: (2**30, resource.RLIM_INFINITY))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "100", "--out", str(tmp_path / "r")])
    assert code == 1 and "ulimit -v" in err.getvalue() and not (tmp_path / "r").exists()


def test_a_clean_run_records_each_output_range_inside_its_bounds(tmp_path):
    from aicapex.sim.model import OUTPUTS

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["run", "fed_severely_adverse", "--draws", "200", "--out",
                         str(tmp_path / "r"), "--no-plots"]) == 0
    ranges = json.loads((tmp_path / "r" / "manifest.json").read_text())["output_ranges"]
    assert set(ranges) == {o.name for o in OUTPUTS}
    for o in OUTPUTS:
        lo, hi = ranges[o.name]
        assert lo <= hi, o.name
        if o.bounds is not None:
            assert o.bounds[0] - 1e-5 <= lo and hi <= o.bounds[1] + 1e-5, (o.name, lo, hi)


def _quiet_cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, " ".join(err.getvalue().split())


@pytest.mark.parametrize("body, field, quarter", [
    ("credit: {spread_shift: [{from: 2026-01-01, value: 0.01}]}", None, None),
    ("settings: {start: 2026-01-01}", "settings.start", "2026Q1"),
    ("capex: {slowdown: {start: 2026-04-01, growth_shift: -0.2, quarters: 4}}", None, None),
    ("depreciation: {change: {at: '2026-08-15', to: 4}}", None, None),  # JSON writes text
])
def test_a_date_where_a_quarter_belongs_is_the_quarter_it_falls_in(tmp_path, body, field,
                                                                    quarter):
    """validate accepted these and run refused them after simulating (the resolved scenario,
    written back, held the date as text)."""
    f = tmp_path / "dated.yaml"
    f.write_text(f"name: dated\n{body}\n", encoding="utf-8")
    assert _quiet_cli("validate", str(f))[0] == 0
    code, said = _quiet_cli("run", str(f), "--draws", "64", "--out", str(tmp_path / "o"),
                            "--no-plots")
    assert code == 0, said
    if field:
        loaded = aicapex.load_scenario(f)
        assert getattr(loaded.scenario.settings, field.split(".")[1]) == quarter


def _run_text(tmp_path, text: str):
    """The dataset of ``aicapex run`` on a scenario file holding ``text`` (64 draws)."""
    f = tmp_path / "scenario.yaml"
    f.write_text(text, encoding="utf-8")
    code, said = _quiet_cli("run", str(f), "--draws", "64", "--out", str(tmp_path / "o"),
                            "--no-plots")
    assert code == 0, said
    return aicapex.open_run(tmp_path / "o")[0]


def test_sweep_points_apart_only_beyond_display_precision_run_as_two(tmp_path):
    ds = _run_text(tmp_path, "name: fine\nsweep: {depreciation.useful_life_years: "
                             "[3.0000000000001, 3.0000000000002]}\n")
    assert list(ds["scenario"].values) == ["fine.useful_life_years3.0000000000001",
                                           "fine.useful_life_years3.0000000000002"]


def test_a_swept_field_named_like_an_output_keeps_the_output(tmp_path):
    """Sweeping depreciation.change.impairment named its coordinate 'impairment', which
    replaced the output of that name: 'draw' not found, after simulating."""
    ds = _run_text(tmp_path, "name: imp\ndepreciation: {change: {at: 2026Q2, to: 4}}\n"
                             "sweep: {depreciation.change.impairment: [true, false]}\n")
    assert ds["impairment"].dims == ("scenario", "draw", "time")
    assert list(ds["depreciation__change__impairment"].values) == ["True", "False"]
    # the impairment is booked where the sweep asks for it, and only there
    booked = ds["impairment"].sum(("draw", "time")).values
    assert booked[0] > 0 and booked[1] == 0


def test_an_out_that_cannot_be_written_is_refused_before_simulating(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    code, said = _quiet_cli("run", "baseline", "--draws", "64", "--out",
                            str(tmp_path / "afile" / "sub"), "--no-plots")
    assert code == 2 and "is a file, not a folder" in said and "simulat" not in said
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"

    def refused(*args, **kwargs):  # a read-only mount or a folder without permission
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(writers.tempfile, "mkdtemp", refused)
    code, said = _quiet_cli("run", "baseline", "--draws", "64", "--out", str(tmp_path / "ro"),
                            "--no-plots")
    assert code == 2 and "cannot write" in said and "Permission denied" in said
    assert "simulat" not in said


def test_an_out_that_links_to_an_empty_folder_writes_into_it(tmp_path):
    (tmp_path / "big_disk").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "big_disk")
    code, said = _quiet_cli("run", "baseline", "--draws", "64", "--out", str(tmp_path / "link"),
                            "--no-plots")
    assert code == 0, said
    assert (tmp_path / "link").is_symlink() and (tmp_path / "big_disk" / "results.nc").is_file()


def test_ctrl_c_while_the_command_line_loads_exits_quietly():
    """Ctrl-C in the first tenth of a second (while ``aicapex.cli`` imports) printed a
    KeyboardInterrupt traceback: the console script's target now takes it first."""
    code = (
        "import os, signal, sys\n"
        "class Interrupt:  # Ctrl-C exactly while the command line's module is imported\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'aicapex.cli.main':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['aicapex', 'list']\n"
        "from aicapex._entry import entry\n"
        "entry()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
    # the console script points there
    scripts = Path(sys.executable).parent / "aicapex"
    if scripts.is_file():
        assert "aicapex._entry" in scripts.read_text(encoding="utf-8")


def test_a_run_larger_than_memory_is_refused_with_its_estimate_before_simulating(
        tmp_path, monkeypatch):
    """The pre-flight estimate (``preflight.estimate``) of a run's memory against what is
    available: a 1,000-point sweep in summary mode on a machine with 1 GiB free is refused
    at once (exit 2) with both figures, nothing simulated or written; the status line of a
    run that fits says what it expects."""
    from aicapex import api, preflight

    est = preflight.estimate(1000, 4000, 20, summary=True, paths_in_memory=False)
    assert est.memory_bytes > 2**30 and est.seconds > 60  # the sweep measured: 96 s, 2.5 GB
    more = preflight.estimate(1000, 8000, 20, summary=True, paths_in_memory=False)
    assert more.seconds > est.seconds and more.memory_bytes == est.memory_bytes
    kept = preflight.estimate(1000, 4000, 20, summary=False, paths_in_memory=True)
    assert kept.memory_bytes > est.memory_bytes + api.paths_bytes(1000, 4000, 20, "float32")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("name: s\nextends: baseline\nsweep:\n"
                     f"  tariffs.effective_rate: {[round(0.1 + i / 10000, 4) for i in range(40)]}\n"
                     f"  depreciation.useful_life_years: {[3 + i / 10 for i in range(25)]}\n")
    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: 2**30)
    monkeypatch.setattr(api, "execute", lambda *a, **k: pytest.fail("simulated anyway"))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", str(sweep), "--draws", "4000", "--summary-only", "--out",
                         str(tmp_path / "o"), "--no-plots"])
    said = " ".join(err.getvalue().split())
    assert code == 2, said
    assert "1,000 scenario(s) x 4,000 draws would need about" in said
    assert "more than the 1.0 GiB available" in said and "fewer scenarios" in said
    assert not (tmp_path / "o").exists()
    monkeypatch.undo()
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["run", "baseline", "--draws", "2000", "--out", str(tmp_path / "b"),
                         "--no-plots"])
    assert code == 0 and "expect about" in " ".join(err.getvalue().split())
