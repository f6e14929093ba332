"""``aicapex validate``: check scenario files without running them."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from .console import EXIT_BAD_INPUT, add_command, error, labelled, out

LIGHT = True
"""Runs without the API, the compilation cache or the engine (``main._command``)."""


def add_parser(sub) -> None:
    v = add_command(sub, "validate", "check scenario files without running them",
                    "Load, inherit and validate scenario files as a run would, without "
                    "simulating: every problem of a file is listed with its file, line and "
                    "field; warnings (a staged path replaced by one value) too. Exit 2 if a "
                    "file is invalid. '-' reads a scenario from standard input (its extends: "
                    "resolves from the working directory).",
                    ["aicapex validate my.yaml", "aicapex validate scenarios/*.yaml",
                     "aicapex validate - < my.yaml"])
    v.add_argument("files", nargs="+", metavar="FILE",
                   help="scenario YAML files; - for standard input")


def run(args) -> int:
    from ..scenarios import ScenarioError, expand, load_scenario
    from ..scenarios.loader import parse_scenario_text

    bad = 0
    for f in args.files:
        if f == "-":
            f = "<stdin>"
            load = partial(parse_scenario_text, sys.stdin.read(), f)
        elif Path(f).is_file():
            load = partial(load_scenario, f)
        else:
            error(f"{f}: no such file")
            bad += 1
            continue
        try:
            loaded = load()
            points = expand(loaded)  # every point of a sweep is a scenario to check
            grid = f" ({len(points)} sweep points)" if loaded.scenario.sweep else ""
            out.print(labelled("ok", "green", f" {f}: {loaded.name}{grid}"), highlight=False)
        except ScenarioError as e:
            error(e)
            bad += 1
    return EXIT_BAD_INPUT if bad else 0
