"""Scenario files: schema, loading with inheritance, compilation to arrays."""

from .compile import compile_scenario, stack_batch
from .loader import LoadedScenario, ScenarioError, builtin_names, load_scenario, load_scenarios
from .schema import Scenario

__all__ = [
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "compile_scenario",
    "load_scenario",
    "load_scenarios",
    "stack_batch",
]
