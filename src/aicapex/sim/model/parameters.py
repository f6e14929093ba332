"""The model's per-draw parameters: names, hard bounds and units, gathered from the blocks.

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

from . import capex, credit, earnings, macro, regime, revenue, valuation
from .types import DT, ParamSpec

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


__all__ = ["DT", "N_PARAMS", "PARAMETERS", "PARAM_INDEX", "PARAM_NAMES", "ParamSpec", "Params",
           "params_from_matrix"]
