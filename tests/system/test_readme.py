"""The README works as written: its quick start runs (with fewer draws) and writes the files
it lists, every YAML block validates, and every Python block runs (with fewer draws, in a
directory where the quick start ran and the scenario file it names exists)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from aicapex import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SMALL = "600"
"""Draws for every run of the README here: its figures are for users, not for the suite."""


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README, re.S)


def _cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory where the quick start's run has been made (with fewer draws)."""
    return tmp_path_factory.mktemp("readme")


def test_the_quick_start_runs_and_writes_what_the_readme_lists(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    (command,) = [c for b in _blocks("bash") for c in b.split("&&") if "aicapex run" in c]
    argv = shlex.split(command)[1:]
    argv[argv.index("--draws") + 1] = SMALL
    code, table = _cli(argv)
    assert code == 0
    out = workdir / argv[argv.index("--out") + 1]
    assert all(n in table for n in argv[1:argv.index("--draws")])
    section = README[README.index("## What a run writes"):README.index("## Commands")]
    listed = []
    for first, what in re.findall(r"^\| (`[^|]+) \| ([^|]+) \|$", section, re.M):
        if not what.startswith("with `--"):  # --format's store, --report's page
            listed += re.findall(r"`([^`]+)`", first)
    assert {"results.nc", "manifest.json", "plots/*.png"} <= set(listed)
    for name in listed:
        assert list(out.glob(name)), f"the README lists {name}; the run wrote no such file"


def test_every_yaml_block_validates(tmp_path):
    blocks = _blocks("yaml")
    assert blocks
    for i, block in enumerate(blocks):
        path = tmp_path / f"readme_{i}.yaml"
        path.write_text(block, encoding="utf-8")
        code, printed = _cli(["validate", str(path)])
        assert code == 0, (block, printed)


def test_every_python_block_runs(workdir, monkeypatch):
    """With a scenario file where it names one, fewer draws, and the quick start's run
    directory beside it."""
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if not (workdir / "runs" / "demo").exists():  # run alone: make the quick start's run
        assert _cli(["run", "baseline", "--draws", SMALL, "--out", "runs/demo",
                     "--no-plots"])[0] == 0
    (workdir / "my_scenarios").mkdir(exist_ok=True)
    (workdir / "my_scenarios" / "x.yaml").write_text(  # a user's own file, as the README has it
        "name: x\nextends: baseline\ncredit: {spread_shift: 0.01}\n", encoding="utf-8")
    blocks = _blocks("python")
    assert blocks
    for block in blocks:
        small = re.sub(r"draws=[\d_*]+", f"draws={SMALL}", block)
        small = small.replace("10**7", SMALL)
        assert "10**7" not in small and "20_000" not in small
        exec(compile(small, "README.md", "exec"), {"__name__": "readme"})
    assert (workdir / "runs" / "py" / "manifest.json").is_file()  # aicapex.run's directory
