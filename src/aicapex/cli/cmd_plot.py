"""``aicapex plot RUN_DIR``: (re)draw a finished run's plots from its ``results.nc`` (checked
against its manifest)."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, error


def add_parser(sub) -> None:
    pl = sub.add_parser("plot", help="(re)draw the plots of a finished run")
    pl.add_argument("run_dir", type=Path)
    pl.add_argument("--format", choices=["png", "svg", "pdf"], default="png")


def run(args) -> int:
    from ..outputs import RunDirectoryError, open_run, write_plots

    try:
        ds, _ = open_run(args.run_dir)
    except RunDirectoryError as e:
        error(e)
        return EXIT_BAD_INPUT
    for p in write_plots(ds, args.run_dir / "plots", fmt=args.format):
        print(p)
    return 0
