"""``aicapex params``: the model's parameters with their default priors."""

from __future__ import annotations

from rich.table import Table

from .console import out


def add_parser(sub) -> None:
    sub.add_parser("params", help="list model parameters with their default priors")


def run(args) -> int:
    from ..scenarios import default_priors
    from ..sim.model import PARAMETERS

    priors = default_priors()
    t = Table("section", "name", "default prior", "unit", "source", "meaning")
    for p in PARAMETERS:
        pr = priors[p.name]
        t.add_row(p.section, p.name, str(pr.spec), p.unit, pr.source, p.doc)
    out.print(t)
    return 0
