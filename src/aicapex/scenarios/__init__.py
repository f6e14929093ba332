"""Everything that goes into a run: the scenario schema, loading with inheritance, the
built-in library (``library/``), scenarios built in code (``compose``), compilation to
fixed-shape arrays, and the data compilation needs: the anchor figures with their sources
(``anchors``, ``data/anchors.yaml``), the initial conditions built from them (``initial``),
the default priors (``priors``) and the values fitted to history (``fitted``,
``data/fitted.yaml``, written by ``aicapex calibrate --fit``)."""

import importlib
from typing import TYPE_CHECKING, Any

_HOME = {
    "SOURCES": "anchors", "Anchor": "anchors", "anchor_values": "anchors",
    "default_anchors": "anchors", "with_values": "anchors",
    "Timeline": "compile", "as_dist": "fields", "compile_scenario": "compile",
    "prior_quantiles": "compile", "stack_batch": "compile", "stream_id": "compile",
    "ScenarioLike": "compose", "explain": "compose", "scenario": "compose",
    "shipped_fit": "fitted", "initial_conditions": "initial",
    "LoadedScenario": "loader", "builtin_names": "builtins", "derived": "loader",
    "load_scenario": "loader", "load_scenarios": "loader", "unique": "loader",
    "SHOCK_CORRELATIONS": "priors", "Prior": "priors", "default_priors": "priors",
    "ScenarioError": "problems", "ScenarioWarning": "problems", "Scenario": "schema",
    "expand": "sweep",
}
"""Where each public name lives, imported when first used (PEP 562): ``aicapex list`` reads
the built-ins without the schema's JAX and compilation's SciPy (``builtins``)."""


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'aicapex.scenarios' has no attribute {name!r}")


if TYPE_CHECKING:
    from .anchors import SOURCES, Anchor, anchor_values, default_anchors, with_values
    from .builtins import builtin_names
    from .compile import (
        Timeline,
        compile_scenario,
        prior_quantiles,
        stack_batch,
        stream_id,
    )
    from .compose import ScenarioLike, explain, scenario
    from .fields import as_dist
    from .fitted import shipped_fit
    from .initial import initial_conditions
    from .loader import LoadedScenario, derived, load_scenario, load_scenarios, unique
    from .priors import SHOCK_CORRELATIONS, Prior, default_priors
    from .problems import ScenarioError, ScenarioWarning
    from .schema import Scenario
    from .sweep import expand

__all__ = [
    "SHOCK_CORRELATIONS", "SOURCES", "Anchor", "LoadedScenario", "Prior", "Scenario",
    "ScenarioError", "ScenarioLike", "ScenarioWarning", "Timeline", "anchor_values", "as_dist",
    "builtin_names", "compile_scenario", "default_anchors", "default_priors", "derived",
    "expand", "explain", "initial_conditions", "load_scenario", "load_scenarios", "prior_quantiles",
    "scenario", "shipped_fit", "stack_batch", "stream_id", "unique", "with_values",
]
