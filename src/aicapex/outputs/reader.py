"""Opening a finished run directory: its dataset and tables, checked against its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import xarray as xr

from .dataset import index_sweep_coords
from .ownership import sha256_of


class RunDirectoryError(ValueError):
    """A directory that is not a finished aicapex run, or whose results changed after it."""


def open_run(run_dir: str | Path) -> tuple[xr.Dataset, dict[str, pd.DataFrame]]:
    """The dataset (loaded into memory) and the tables (``anchor_check``, ``summary``,
    ``tail_probabilities``, those present) of the run in ``run_dir``. ``results.nc`` must be
    the file the run's ``manifest.json`` records (its SHA-256), and an aicapex result; else
    ``RunDirectoryError`` says what is wrong."""
    run = Path(run_dir)
    nc, man = run / "results.nc", run / "manifest.json"
    if not nc.is_file() or not man.is_file():
        missing = " and ".join(p.name for p in (nc, man) if not p.is_file())
        raise RunDirectoryError(f"{run}: no {missing}; is it a finished aicapex run?")
    try:
        recorded = json.loads(man.read_text(encoding="utf-8"))["files"]["results.nc"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise RunDirectoryError(f"{man}: not an aicapex manifest ({type(e).__name__}: {e})"
                                ) from None
    if sha256_of(nc) != recorded:
        raise RunDirectoryError(f"{nc} does not match the SHA-256 its manifest records: the "
                                "file changed after the run; re-run it rather than report it")
    try:
        with xr.open_dataset(nc, engine="h5netcdf") as f:
            ds = index_sweep_coords(f.load())
    except (OSError, ValueError) as e:
        raise RunDirectoryError(f"{nc}: cannot be read ({e})") from None
    if ds.attrs.get("package") != "aicapex" or "index_level" not in ds:
        raise RunDirectoryError(f"{nc} is not an aicapex result")
    tables = {}
    for name in ("anchor_check", "summary", "tail_probabilities"):
        path = run / f"{name}.csv"
        if path.is_file():  # "n/a" is a verdict in these tables, not a missing value
            tables[name] = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return ds, tables
