"""``aicapex report RUN_DIR``: (re)write a finished run's report from what the run wrote
(``results.nc`` and ``anchor_check.csv``)."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, error


def add_parser(sub) -> None:
    rp = sub.add_parser("report", help="write RUN_DIR/report.html for a finished run")
    rp.add_argument("run_dir", type=Path)


def open_run(run_dir: Path):
    """The dataset of a finished run, loaded; None (an error printed) where there is none."""
    import xarray as xr

    nc = run_dir / "results.nc"
    if not nc.is_file():
        error(f"{nc} not found; is {run_dir} a finished run?")
        return None
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        return ds.load()


def anchor_table(run_dir: Path):
    """The run's ``anchor_check.csv`` as written (None where the run has none)."""
    import pandas as pd

    path = run_dir / "anchor_check.csv"
    if not path.is_file():
        return None
    # "n/a" is a verdict here, not a missing value
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def run(args) -> int:
    from ..outputs import write_report

    ds = open_run(args.run_dir)
    if ds is None:
        return EXIT_BAD_INPUT
    print(write_report(ds, args.run_dir, anchor_table(args.run_dir)))
    return 0
