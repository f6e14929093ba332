"""Writing a run directory atomically: everything goes to a hidden temporary directory beside
the target, which is renamed into place only when every file is complete."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from .. import interrupts
from .plots import write_plots
from .summary import summary_table, tail_probabilities


class OutputExistsError(FileExistsError):
    pass


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse an existing, non-empty output directory unless ``overwrite``."""
    if out.exists() and not (out.is_dir() and not any(out.iterdir())) and not overwrite:
        raise OutputExistsError(f"{out} already exists and is not empty; pass --overwrite "
                                "to replace it or choose another --out")


@contextmanager
def atomic_dir(out_dir: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary directory beside ``out_dir``; when the block completes it
    replaces ``out_dir`` in one rename, and when it raises it is deleted. An existing,
    non-empty ``out_dir`` is replaced only with ``overwrite``."""
    out = Path(out_dir)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the run is an ordinary folder
    try:
        yield tmp
        interrupts.check()  # a signal swallowed while writing must not commit the run
        if out.exists():
            old = out.with_name(f".aicapex-old-{out.name}")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest(ds: xr.Dataset, files: dict[str, Path], timings: dict[str, float]
             ) -> dict[str, Any]:
    """What a run was: versions, scenarios (with hashes of their resolved YAML), seed, draws,
    dtype, device, timings, non-finite counts and the files written (size, sha256)."""
    a = ds.attrs
    yamls = json.loads(a.get("scenario_yaml", "{}"))
    return {
        "package": a.get("package"), "package_version": a.get("package_version"),
        "jax_version": a.get("jax_version"), "backend": a.get("backend"),
        "device": a.get("device"), "dtype": a.get("dtype"), "seed": a.get("seed"),
        "draws": a.get("draws"), "start": a.get("start"),
        "horizon_quarters": a.get("horizon_quarters"),
        "common_random_numbers": bool(a.get("common_random_numbers", 1)),
        "antithetic": bool(a.get("antithetic", 0)),
        "scenarios": [{"name": n, "sha256": hashlib.sha256(y.encode()).hexdigest(),
                       "files": json.loads(a.get("scenario_files", "{}")).get(n, [])}
                      for n, y in yamls.items()],
        "timings_seconds": {"compile_scenarios": a.get("compile_scenarios_seconds"),
                            "simulate": a.get("simulate_seconds"),
                            "first_chunk_incl_jax_compile": _finite(a.get("first_chunk_seconds")),
                            "later_chunks_mean": _finite(a.get("chunk_seconds_mean")),
                            "jax_compile_estimate": _finite(a.get("compile_seconds_estimate")),
                            **timings},
        "jax_compilation_cache": {"dir": a["jax_compilation_cache"],
                                  "programs_compiled": int(a["jax_programs_compiled"]),
                                  "programs_loaded": int(a["jax_programs_from_cache"])}
        if a.get("jax_compilation_cache") else None,
        "nonfinite_counts": json.loads(a.get("nonfinite_counts", "{}")),
        "files": {name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
                  for name, p in files.items()},
        "created": a.get("created"),
    }


def _finite(x):
    """JSON has no NaN: None where an estimate is unavailable (a single chunk)."""
    return None if x is None or x != x else x


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def anchor_table(ds: xr.Dataset):
    """The anchor check of every scenario of a run that starts where the anchors do (a run
    from another start, like a historical replay, gets an empty table)."""
    import pandas as pd

    from ..calibration.anchors import anchor_values
    from ..calibration.check import COLUMNS, scenario_checks
    from ..scenarios.loader import parse_scenario_text

    yamls = json.loads(ds.attrs.get("scenario_yaml", "{}"))
    tables = []
    for name in map(str, ds["scenario"].values):
        if name not in yamls:
            continue
        scen = parse_scenario_text(yamls[name], f"<{name} as run>").scenario
        as_of = scen.anchors.get("as_of_date", anchor_values()["as_of_date"])
        if _starts_at(ds.attrs.get("start", ""), as_of):
            tables.append(scenario_checks(ds, scen))
    return pd.concat(tables) if tables else pd.DataFrame(columns=["scenario", *COLUMNS])


def _starts_at(quarter: str, as_of: str) -> bool:
    """Whether a run starting in ``quarter`` (e.g. 2025Q4) starts in the quarter of date
    ``as_of`` (the quarter the anchors describe)."""
    y, m = int(as_of[:4]), int(as_of[5:7])
    return quarter == f"{y}Q{(m - 1) // 3 + 1}"


def write_run(ds: xr.Dataset, out_dir: str | Path, *, overwrite: bool = False,
              plots: bool = True, report: bool = False) -> Path:
    """Write ``results.nc``, ``summary.csv``, ``tail_probabilities.csv``,
    ``anchor_check.csv``, ``plots/``, optionally ``report.html``, and, last,
    ``manifest.json``.

    An existing, non-empty ``out_dir`` is replaced only with ``overwrite``; an interrupted
    write leaves at most a hidden ``.aicapex-tmp-*`` directory, never a partial ``out_dir``.
    """
    out = Path(out_dir)
    with atomic_dir(out, overwrite) as tmp:
        t0 = time.perf_counter()
        ds.to_netcdf(tmp / "results.nc", engine="h5netcdf")
        summary_table(ds).to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        tail_probabilities(ds).to_csv(tmp / "tail_probabilities.csv", float_format="%.6g")
        anchor_table(ds).to_csv(tmp / "anchor_check.csv", index=False, float_format="%.6g")
        t1 = time.perf_counter()
        if plots:
            write_plots(ds, tmp / "plots")
        if report:
            from .report import write_report

            write_report(ds, tmp)
        t2 = time.perf_counter()
        files = {str(p.relative_to(tmp)): p for p in sorted(tmp.rglob("*")) if p.is_file()}
        man = manifest(ds, files, {"write_data": round(t1 - t0, 4), "plots": round(t2 - t1, 4)})
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2, allow_nan=False) + "\n",
                                           encoding="utf-8")
    return out
