"""``aicapex list``: the built-in scenarios with their descriptions."""

from __future__ import annotations

from .console import add_command, add_format_flags, print_rows, wrapped

LIGHT = True
"""Runs without the API, the compilation cache or JAX (``main._command``)."""


def add_parser(sub) -> None:
    p = add_command(sub, "list", "list built-in scenarios with their descriptions",
                    "The built-in scenarios a run can name, each with the scenario it extends "
                    "and what it assumes (with the source documents' figures). Descriptions "
                    "wrap to the terminal; names are never cut.",
                    ["aicapex list", "aicapex list --json", "aicapex show credit_stress"])
    add_format_flags(p)


def run(args) -> int:
    from ..scenarios.builtins import builtin_summaries

    rows = builtin_summaries()
    if print_rows(rows, args):
        return 0
    for r in rows:
        parent = f"  (extends {r['extends']})" if r["extends"] else ""
        print(f"{r['name']}{parent}")
        print(wrapped(r["description"], 4))
    return 0
