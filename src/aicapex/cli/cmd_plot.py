"""``aicapex plot RUN_DIR``: (re)draw a finished run's plots from its ``results.nc`` (checked
against its manifest)."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, add_command, error


def add_parser(sub) -> None:
    pl = add_command(sub, "plot", "(re)draw the plots of a finished run",
                     "Redraw a finished run's charts from its results file (full-path and "
                     "summary-only runs alike), as PNG, SVG or PDF, into RUN_DIR/plots.",
                     ["aicapex plot runs/nov", "aicapex plot runs/nov --format svg"])
    pl.add_argument("run_dir", type=Path, help="a directory written by aicapex run")
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
