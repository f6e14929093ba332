"""``aicapex show``: a scenario's YAML, as written or resolved with where each value came
from."""

from __future__ import annotations

from .console import add_command

LIGHT = True
"""Runs without the API, the compilation cache or JAX (``main._command``)."""


def add_parser(sub) -> None:
    p = add_command(sub, "show", "print a scenario's YAML, as written or resolved",
                    "Print a scenario file (or a built-in) as written, or with --resolved the "
                    "scenario after extends: has been applied, each value followed by the file "
                    "and line that set it. Fields it does not list take the model's defaults "
                    "(aicapex params).",
                    ["aicapex show credit_stress", "aicapex show my.yaml --resolved"])
    p.add_argument("scenario", metavar="SCENARIO_OR_FILE",
                   help="a built-in scenario's name (see `aicapex list`) or a YAML file")
    p.add_argument("--resolved", action="store_true",
                   help="after inheritance, with the source of every value")


def run(args) -> int:
    from ..scenarios import explain, load_scenario
    from ..scenarios.loader import source_text

    if args.resolved:
        print(explain(load_scenario(args.scenario)), end="")
    else:
        print(source_text(args.scenario), end="")
    return 0
