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
    rp.add_argument("--sensitivities", action="store_true",
                    help="add the autodiff sensitivities of the reference scenario (baseline "
                    "if the run has it) as a tornado (compiles for about 30 s)")
    rp.add_argument("--sensitivity-draws", type=int, default=8192, metavar="N",
                    help="draws of --sensitivities (default 8192)")


def run(args) -> int:
    from ..analysis import analyze
    from ..outputs import RunDirectoryError, open_run, write_report

    if args.sensitivities and args.sensitivity_draws < 1024:
        error(f"--sensitivity-draws {args.sensitivity_draws}: give at least 1024")
        return EXIT_BAD_INPUT
    try:
        ds, tables = open_run(args.run_dir)
    except RunDirectoryError as e:
        error(e)
        return EXIT_BAD_INPUT
    analysis = analyze(ds)
    if args.sensitivities:
        from ..analysis.plausibility import run_scenario
        from ..analysis.sensitivity import sensitivity_table
        from ..outputs.summary import reference_scenario

        ref = reference_scenario(ds["scenario"].values)
        analysis["sensitivities"] = sensitivity_table(run_scenario(ds, ref),
                                                      args.sensitivity_draws,
                                                      int(ds.attrs["seed"]))
    print(write_report(ds, args.run_dir, tables.get("anchor_check"), analysis))
    return 0
