"""``aicapex report RUN_DIR``: (re)write a finished run's report from what the run wrote
(``results.nc``, checked against its manifest, and ``anchor_check.csv``)."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, add_command, error


def add_parser(sub) -> None:
    rp = add_command(sub, "report", "write RUN_DIR/report.html for a finished run",
                     "Write a self-contained HTML report (findings, charts, tables, the "
                     "scenarios' YAML) into a finished run's directory; it opens offline.",
                     ["aicapex report runs/nov", "aicapex run baseline --out runs/nov --report"])
    rp.add_argument("run_dir", type=Path, help="a directory written by aicapex run")


def run(args) -> int:
    from ..outputs import RunDirectoryError, is_summary, open_run, write_report

    try:
        ds, tables = open_run(args.run_dir)
    except RunDirectoryError as e:
        error(e)
        return EXIT_BAD_INPUT
    analysis = None
    if not is_summary(ds):  # a full-paths run: its implied vol, plausibility and drivers
        from ..analysis import analyze

        analysis = analyze(ds)
    print(write_report(ds, args.run_dir, tables.get("anchor_check"), analysis))
    return 0
