"""``aicapex list``: the built-in scenarios with their descriptions."""

from __future__ import annotations


def add_parser(sub) -> None:
    sub.add_parser("list", help="list built-in scenarios with their descriptions")


def run(args) -> int:
    from ..scenarios import builtin_names, load_scenario

    for name in builtin_names():
        desc = " ".join(load_scenario(name).scenario.description.split())
        print(f"{name}\t{desc}")
    return 0
