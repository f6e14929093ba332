"""aicapex: a Monte Carlo macro-scenario simulator of the AI capital-expenditure cycle.

    >>> import aicapex
    >>> ds = aicapex.simulate(["baseline", "capex_slowdown"], draws=2000, seed=1)
    >>> aicapex.horizon_table(ds)
"""

from .api import PathsTooLargeError, simulate, use_compile_cache, use_cpu_devices
from .outputs.plots import fan_chart, horizon_histogram, write_plots
from .outputs.summary import horizon_table, quantiles, summary_table, tail_probabilities
from .scenarios.loader import (
    LoadedScenario,
    ScenarioError,
    builtin_names,
    load_scenario,
    load_scenarios,
)
from .scenarios.schema import Scenario

__all__ = [
    "LoadedScenario",
    "PathsTooLargeError",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "fan_chart",
    "horizon_histogram",
    "horizon_table",
    "load_scenario",
    "load_scenarios",
    "quantiles",
    "simulate",
    "summary_table",
    "tail_probabilities",
    "use_compile_cache",
    "use_cpu_devices",
    "write_plots",
]
