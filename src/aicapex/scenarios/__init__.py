"""Everything that goes into a run: the scenario schema, loading with inheritance, the
built-in library (``library/``), scenarios built in code (``compose``), compilation to
fixed-shape arrays, and the data compilation needs: the anchor figures with their sources
(``anchors``, ``data/anchors.yaml``), the initial conditions built from them (``initial``),
the default priors (``priors``) and the values fitted to history (``fitted``,
``data/fitted.yaml``, written by ``aicapex calibrate --fit``)."""

from .anchors import SOURCES, Anchor, anchor_values, default_anchors, with_values
from .compile import Timeline, as_dist, compile_scenario, prior_quantiles, stack_batch, stream_id
from .compose import ScenarioLike, explain, scenario
from .fitted import shipped_fit
from .initial import initial_conditions
from .loader import (
    LoadedScenario,
    builtin_names,
    derived,
    load_scenario,
    load_scenarios,
    unique,
)
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
