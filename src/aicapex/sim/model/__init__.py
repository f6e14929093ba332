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
- ``types``, ``parameters``: the containers and the parameter table; ``xla``: XLA-specific
  forms of plain operations; ``reference``: an independent NumPy implementation (tests).
"""

from .parameters import DT, N_PARAMS, PARAM_INDEX, PARAM_NAMES, PARAMETERS, Params, ParamSpec
from .step import initial_state, step
from .types import (
    MOVE_GRID_BP,
    N_NORMALS,
    N_UNIFORMS,
    N_VINTAGES,
    PRIOR_Z,
    REGIMES,
    SHOCKS,
    Initial,
    Outputs,
    QuarterInputs,
    ScenarioArrays,
    Shocks,
    State,
    ring_length,
)

__all__ = [
    "DT", "MOVE_GRID_BP", "N_NORMALS", "N_PARAMS", "N_UNIFORMS", "N_VINTAGES", "PARAMETERS",
    "PARAM_INDEX", "PARAM_NAMES", "PRIOR_Z", "REGIMES", "SHOCKS", "Initial", "Outputs",
    "ParamSpec", "Params", "QuarterInputs", "ScenarioArrays", "Shocks", "State",
    "initial_state", "ring_length", "step",
]
