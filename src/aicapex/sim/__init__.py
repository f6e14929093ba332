"""The pure numeric core: arrays and PRNG keys in, arrays out (no I/O, no pydantic)."""

from .engine import RNG_BLOCK, block_randoms, run_scenario, simulate_arrays, simulate_chunk
from .parameters import DT, PARAM_NAMES, PARAMETERS, Params
from .step import Outputs
from .types import Initial, ScenarioArrays, State

__all__ = [
    "DT",
    "PARAMETERS",
    "PARAM_NAMES",
    "RNG_BLOCK",
    "Initial",
    "Outputs",
    "Params",
    "ScenarioArrays",
    "State",
    "block_randoms",
    "run_scenario",
    "simulate_arrays",
    "simulate_chunk",
]
