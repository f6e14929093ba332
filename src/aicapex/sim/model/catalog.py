"""What the blocks declare, gathered: the model's per-draw parameters (``PARAMETERS``,
``Params``) and the quantities it reports (``OUTPUTS``, ``Outputs``).

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
from .specs import OutputSpec, ParamSpec
from .types import DT

PARAMETERS: tuple[ParamSpec, ...] = (macro.PARAMETERS + capex.PARAMETERS + revenue.PARAMETERS
                                     + earnings.PARAMETERS + credit.PARAMETERS
                                     + valuation.PARAMETERS + regime.PARAMETERS)

PARAM_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
PARAM_INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAM_NAMES)}
N_PARAMS = len(PARAMETERS)

Params = namedtuple("Params", PARAM_NAMES)
Params.__doc__ = "Per-draw parameter values, one array of shape (draw,) per field; see PARAMETERS."


def params_from_matrix(matrix) -> Params:
    """Split a (N_PARAMS, draw) array into a ``Params`` of (draw,) rows."""
    return Params(*(matrix[i] for i in range(N_PARAMS)))


OUTPUTS: tuple[OutputSpec, ...] = (macro.OUTPUTS + capex.OUTPUTS + revenue.OUTPUTS
                                   + earnings.OUTPUTS + valuation.OUTPUTS + market.OUTPUTS
                                   + credit.OUTPUTS + regime.OUTPUTS)
"""Every quantity the model reports per draw and quarter, declared beside its block; the
order is that of the dataset's variables and of the summary mode's rows."""
OUTPUT_NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)
N_OUTPUTS = len(OUTPUTS)

Outputs = namedtuple("Outputs", OUTPUT_NAMES)
Outputs.__doc__ = ("What a quarter reports per draw, each (B,) (one field per ``OUTPUTS`` "
                   "entry, with its unit and meaning there).")


__all__ = ["DT", "N_OUTPUTS", "N_PARAMS", "OUTPUTS", "OUTPUT_NAMES", "PARAMETERS", "PARAM_INDEX",
           "PARAM_NAMES", "OutputSpec", "Outputs", "ParamSpec", "Params", "params_from_matrix"]
