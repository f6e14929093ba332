"""aicapex: a Monte Carlo macro-scenario simulator of the AI capital-expenditure cycle.

    >>> import aicapex
    >>> ds = aicapex.simulate(["baseline", "capex_slowdown"], draws=2000, seed=1)
    >>> aicapex.horizon_table(ds)
    >>> cut = aicapex.scenario("baseline").with_overrides(
    ...     {"capex.slowdown": {"start": "2027Q1", "growth_shift": -0.4, "quarters": 8}})
    >>> ds = aicapex.simulate(["baseline", cut, {"name": "combo",
    ...                        "extends": ["credit_stress", "tariff_escalation"]}])
    >>> done = aicapex.run(["baseline", "credit_stress"], out="runs/nov")  # = aicapex run
    >>> ds, tables = aicapex.open_run("runs/nov")        # a finished run directory

Layers, bottom to top, each importing only those below it (``docs/architecture.md``):
``runtime`` (process services) < ``sim.model`` (the economics, pure JAX) < ``sim.engine``
(execution) < ``scenarios`` (what goes into a run) < ``outputs`` (what comes out) < ``api``
(``simulate``) < ``analysis`` and ``calibration`` (questions asked of runs, workflows that
judge the model) < ``workflow`` (``run``: the whole run directory in one call) < ``cli``.
Importing the package changes no global state: no matplotlib backend, no JAX or malloc
setting.
"""

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "api": ("PathsTooLargeError", "RunPlan", "RunSettingError", "plan_run", "simulate",
            "use_compile_cache", "use_cpu_devices"),
    "outputs": ("RunMetadata", "attribution_chart", "exceedance_chart", "fan_chart", "fan_grid",
                "horizon_histogram", "horizon_table", "open_paths", "open_run", "quantiles",
                "regime_chart",
                "summary_table", "sweep_chart", "sweep_grid", "tail_chart", "tail_events",
                "tail_probabilities",
                "write_plots", "write_run"),
    "scenarios": ("LoadedScenario", "Scenario", "ScenarioError", "ScenarioWarning",
                  "builtin_names", "explain", "load_scenario", "load_scenarios", "scenario"),
    "workflow": ("FinishedRun", "NonFiniteResultsError", "OutOfRangeResultsError",
                 "ResultsCheckError", "run"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    """The public names and the layers' packages, imported when first used (PEP 562): the
    command line then starts, and handles Ctrl-C, before JAX is imported."""
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "__version__":  # importlib.metadata costs 30 ms the command line's start saves
        from importlib.metadata import PackageNotFoundError, version
        try:
            value = version("aicapex")
        except PackageNotFoundError:  # run from a source tree that was never installed
            value = "0+unknown"
        globals()[name] = value
        return value
    if name in ("analysis", "api", "calibration", "cli", "outputs", "runtime", "scenarios", "sim",
                "workflow"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'aicapex' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


if TYPE_CHECKING:
    from .api import (
        PathsTooLargeError,
        RunPlan,
        RunSettingError,
        plan_run,
        simulate,
        use_compile_cache,
        use_cpu_devices,
    )
    from .outputs import (
        RunMetadata,
        attribution_chart,
        exceedance_chart,
        fan_chart,
        fan_grid,
        horizon_histogram,
        horizon_table,
        open_paths,
        open_run,
        quantiles,
        regime_chart,
        summary_table,
        sweep_chart,
        sweep_grid,
        tail_chart,
        tail_events,
        tail_probabilities,
        write_plots,
        write_run,
    )
    from .scenarios import (
        LoadedScenario,
        Scenario,
        ScenarioError,
        ScenarioWarning,
        builtin_names,
        explain,
        load_scenario,
        load_scenarios,
        scenario,
    )
    from .workflow import (
        FinishedRun,
        NonFiniteResultsError,
        OutOfRangeResultsError,
        ResultsCheckError,
        run,
    )

__all__ = [
    "FinishedRun",
    "LoadedScenario",
    "NonFiniteResultsError",
    "OutOfRangeResultsError",
    "PathsTooLargeError",
    "ResultsCheckError",
    "RunMetadata",
    "RunPlan",
    "RunSettingError",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "__version__",
    "attribution_chart",
    "builtin_names",
    "exceedance_chart",
    "explain",
    "fan_chart",
    "fan_grid",
    "horizon_histogram",
    "horizon_table",
    "load_scenario",
    "load_scenarios",
    "open_paths",
    "open_run",
    "plan_run",
    "quantiles",
    "regime_chart",
    "run",
    "scenario",
    "simulate",
    "summary_table",
    "sweep_chart",
    "sweep_grid",
    "tail_chart",
    "tail_events",
    "tail_probabilities",
    "use_compile_cache",
    "use_cpu_devices",
    "write_plots",
    "write_run",
]
