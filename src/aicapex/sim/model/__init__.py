"""The model: the economics of the AI-capex cycle as pure JAX functions (arrays in, arrays
out; no I/O, no random numbers).

One module per group of blocks, each block one function with its equation in its docstring and
its parameters declared beside it, in the order ``step()`` evaluates them (``docs/model.md``):

- ``macro``      1 policy rate, 2 inflation, 3 10-year yield, 6 GDP growth
- ``capex``      4 AI capex, 5 depreciation of the capex vintages
- ``revenue``    7 AI revenue (adoption S-curve, price index)
- ``earnings``   8 earnings: 8a AI hardware, 8b platforms, 8c the other 490
- ``credit``     9 AI debt and credit spread, 14 stress index
- ``regime``     10 fragility and the regime chain
- ``valuation``  11 volatility, 12 P/E and expected growth
- ``market``     13 market caps, the index, drawdown, realised volatility
- ``step``       the quarter composed from the blocks, and the initial state
- ``specs``: what a block declares (``ParamSpec``, ``OutputSpec``); ``catalog``: the
  declarations gathered (``Params``, ``Outputs``); ``types``: the other containers;
  ``xla``: XLA-specific forms of plain operations; ``reference``: an independent NumPy
  implementation (tests).
"""

from .catalog import (
    DT,
    N_OUTPUTS,
    N_PARAMS,
    OUTPUT_NAMES,
    OUTPUTS,
    PARAM_INDEX,
    PARAM_NAMES,
    PARAMETERS,
    PATH_NAMES,
    PATHS,
    Outputs,
    OutputSpec,
    Params,
    ParamSpec,
    PathSpec,
    ScenarioPaths,
)
from .step import initial_state, step
from .types import (
    MOVE_GRID_BP,
    N_NORMALS,
    N_UNIFORMS,
    N_VINTAGES,
    PRIOR_Z,
    REGIMES,
    SHOCKS,
    STATIC_FIELDS,
    Initial,
    Quarter,
    ScenarioArrays,
    Shocks,
    State,
    ring_length,
)

__all__ = [
    "DT",
    "MOVE_GRID_BP",
    "N_NORMALS",
    "N_OUTPUTS",
    "N_PARAMS",
    "N_UNIFORMS",
    "N_VINTAGES",
    "OUTPUTS",
    "OUTPUT_NAMES",
    "PARAMETERS",
    "PARAM_INDEX",
    "PARAM_NAMES",
    "PATHS",
    "PATH_NAMES",
    "PRIOR_Z",
    "REGIMES",
    "SHOCKS",
    "STATIC_FIELDS",
    "Initial",
    "OutputSpec",
    "Outputs",
    "ParamSpec",
    "Params",
    "PathSpec",
    "Quarter",
    "ScenarioArrays",
    "ScenarioPaths",
    "Shocks",
    "State",
    "initial_state",
    "ring_length",
    "step",
]
