"""``aicapex validate``: check scenario files without running them."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, error, labelled, out


def add_parser(sub) -> None:
    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+", metavar="FILE")


def run(args) -> int:
    from ..scenarios import ScenarioError, load_scenario

    bad = 0
    for f in args.files:
        if not Path(f).is_file():
            error(f"{f}: no such file")
            bad += 1
            continue
        try:
            s = load_scenario(f).scenario
            out.print(labelled("ok", "green", f" {f}: {s.name}"), highlight=False)
        except ScenarioError as e:
            error(e)
            bad += 1
    return EXIT_BAD_INPUT if bad else 0
