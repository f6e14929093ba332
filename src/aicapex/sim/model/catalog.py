"""What the blocks declare, gathered: the model's per-draw parameters (``PARAMETERS``,
``Params``), the scenario paths its blocks read (``PATHS``, ``ScenarioPaths``) and the
quantities it reports (``OUTPUTS``, ``Outputs``). Each block module declares its own beside
its equations; nothing else lists them.

Every number the quarterly step uses that is not a scenario path or an initial condition is a
parameter. Each block's module declares its parameters beside its equations (``PARAMETERS``
there); this module puts them in one table, in a fixed order: a parameter's position is its
row in the prior table and the index of its random-number stream, so the order must not
change (it is the order of ``docs/model.md``). Each draw samples one value per parameter from
its prior (``aicapex.scenarios.priors``); scenarios may override any prior. The hard bounds are
where the model stays defined (a probability in [0, 1], a persistence below 1); samples are
clipped to them and a prior whose support leaves them is rejected at validation.

Rates are annual decimals, flows annualised $bn, time steps one quarter (``DT`` years).
"""

from __future__ import annotations

from collections import namedtuple

from . import capex, credit, earnings, macro, market, regime, revenue, valuation
from .specs import OutputSpec, ParamSpec, PathSpec
from .types import DT

BLOCKS = (macro, capex, revenue, earnings, credit, valuation, regime, market)
"""The block modules in the order of ``docs/model.md``; their declarations are gathered in
this order (a parameter's position is its random-number stream: add new modules last)."""

PARAMETERS: tuple[ParamSpec, ...] = tuple(p for m in BLOCKS for p in getattr(m, "PARAMETERS", ()))

PARAM_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
PARAM_INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAM_NAMES)}
N_PARAMS = len(PARAMETERS)

Params = namedtuple("Params", PARAM_NAMES)
Params.__doc__ = "Per-draw parameter values, one array of shape (draw,) per field; see PARAMETERS."


def params_from_matrix(matrix) -> Params:
    """Split a (N_PARAMS, draw) array into a ``Params`` of (draw,) rows."""
    return Params(*(matrix[i] for i in range(N_PARAMS)))


PATHS: tuple[PathSpec, ...] = tuple(p for m in BLOCKS for p in getattr(m, "PATHS", ()))
"""Every scenario path a block reads, declared beside it: the schema's path fields, the
compiled ``ScenarioArrays.paths`` and each quarter's ``Quarter.inputs.paths`` come from these."""
PATH_NAMES: tuple[str, ...] = tuple(p.name for p in PATHS)

ScenarioPaths = namedtuple("ScenarioPaths", PATH_NAMES)
ScenarioPaths.__doc__ = ("A scenario's paths, one field per ``PATHS`` entry: (T,) compiled, a "
                         "scalar in a quarter's inputs; (S, T) in a batch.")

OUTPUTS: tuple[OutputSpec, ...] = tuple(o for m in BLOCKS for o in getattr(m, "OUTPUTS", ()))
"""Every quantity the model reports per draw and quarter, declared beside its block; the
order is that of the dataset's variables and of the summary mode's rows."""
OUTPUT_NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)
N_OUTPUTS = len(OUTPUTS)

Outputs = namedtuple("Outputs", OUTPUT_NAMES)
Outputs.__doc__ = ("What a quarter reports per draw, each (B,) (one field per ``OUTPUTS`` "
                   "entry, with its unit and meaning there).")

for _kind, _names in (("parameter", PARAM_NAMES), ("path", PATH_NAMES), ("output", OUTPUT_NAMES)):
    if len(set(_names)) != len(_names):
        raise ValueError(f"a {_kind} is declared twice: "
                         f"{sorted(n for n in _names if _names.count(n) > 1)}")


__all__ = ["BLOCKS", "DT", "N_OUTPUTS", "N_PARAMS", "OUTPUTS", "OUTPUT_NAMES", "PARAMETERS",
           "PARAM_INDEX", "PARAM_NAMES", "PATHS", "PATH_NAMES", "OutputSpec", "Outputs",
           "ParamSpec", "Params", "PathSpec", "ScenarioPaths", "params_from_matrix"]
