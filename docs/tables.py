"""Print the generated tables of ``docs/model.md`` from the code: every block's parameters
(``PARAMETERS`` in its ``aicapex.sim.model`` module) with unit, hard bounds, default prior and
its source, and every output (``OUTPUTS`` there) with its unit and meaning.
``tests/unit/test_docs.py`` checks that ``docs/model.md`` holds both.

    python docs/tables.py            # the parameter tables
    python docs/tables.py outputs    # the output table
    python docs/tables.py paths      # the scenario-path table
"""

from __future__ import annotations

import sys

from aicapex.scenarios import default_priors
from aicapex.sim.model import (
    capex,
    credit,
    earnings,
    macro,
    regime,
    revenue,
    valuation,
)
from aicapex.sim.model.catalog import BLOCKS, OUTPUTS, PATHS

MODULES = (macro, capex, revenue, earnings, credit, valuation, regime)


def _prior(spec) -> str:
    if isinstance(spec, int | float):
        return f"{spec:.4g}"
    fields = dict(spec)
    kind = fields.pop("dist")
    return kind + " " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in fields.items())


def tables() -> str:
    priors = default_priors()
    out = []
    for module in MODULES:
        out.append(f"Parameters of `sim/model/{module.__name__.rsplit('.', 1)[-1]}.py`:\n")
        out.append("| parameter | unit | bounds | default prior | source | meaning |")
        out.append("|---|---|---|---|---|---|")
        for p in module.PARAMETERS:
            hi = "∞" if p.hi >= 1e12 else f"{p.hi:g}"
            pr = priors[p.name]
            out.append(f"| `{p.name}` | {p.unit} | [{p.lo:g}, {hi}] | {_prior(pr.spec)} | "
                       f"{pr.source} | {p.doc} |")
        out.append("")
    return "\n".join(out)


def output_table() -> str:
    """Every output in dataset order, with the module that declares it."""
    home = {o.name: m.__name__.rsplit(".", 1)[-1]
            for m in BLOCKS for o in getattr(m, "OUTPUTS", ())}
    out = [f"The {len(OUTPUTS)} outputs, each per draw and quarter (dataset order):\n",
           "| output | unit | meaning | declared in |", "|---|---|---|---|"]
    out += [f"| `{o.name}` | {o.unit} | {o.long_name} | `sim/model/{home[o.name]}.py` |"
            for o in OUTPUTS]
    return "\n".join(out) + "\n"


def path_table() -> str:
    """Every scenario path the blocks read, with where a file sets it and its shock dimension."""
    home = {s.name: m.__name__.rsplit(".", 1)[-1] for m in BLOCKS for s in getattr(m, "PATHS", ())}
    out = [f"The {len(PATHS)} declared scenario paths (`PathSpec`), each a number or dated "
           "steps:\n",
           "| path | scenario file | unit | range | default | meaning | shock dimension (sd) "
           "| declared in |", "|---|---|---|---|---|---|---|---|"]
    for s in PATHS:
        shock = f"{s.shock} ({s.shock_scale:g})" if s.shock else "—"
        out.append(f"| `{s.name}` | {s.file_field} | {s.unit} | [{s.lo:g}, {s.hi:g}] | "
                   f"{s.default:g} | {s.doc} | {shock} | `sim/model/{home[s.name]}.py` |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    which = sys.argv[1:]
    print(output_table() if which == ["outputs"] else path_table() if which == ["paths"]
          else tables())
