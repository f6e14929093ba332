"""Scenarios in code: one from a name, a file, a mapping or a ``Scenario`` object
(``scenario``), one derived from another by dotted overrides (``loader.derived``, behind
``LoadedScenario.with_overrides``), and the resolved YAML annotated with the file and line
each value came from (``explain``, ``aicapex show --resolved``).

    >>> s = scenario("baseline").with_overrides({"capex.slowdown": {
    ...     "start": "2027Q1", "growth_shift": -0.4, "quarters": 8}}, name="cut_2027")
    >>> combo = scenario({"name": "combo", "extends": ["credit_stress", "tariff_escalation"]})
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .loader import LoadedScenario, _flow, load_scenario, parse_scenario_data
from .problems import _dotted
from .schema import Scenario
from .yaml_safe import load_yaml

ScenarioLike = str | Path | Mapping[str, Any] | Scenario | LoadedScenario
"""What ``simulate`` and ``scenario`` take: a built-in's name, a YAML file's path, a mapping
written as a file would be, a ``Scenario`` object, or a loaded scenario."""


def scenario(ref: ScenarioLike) -> LoadedScenario:
    """``ref`` loaded and validated as a scenario file would be (a mapping's ``extends:``
    resolves from the working directory)."""
    if isinstance(ref, LoadedScenario):
        return ref
    if isinstance(ref, str | Path):
        return load_scenario(ref)
    if isinstance(ref, Scenario):
        data = ref.model_dump(mode="json", by_alias=True, exclude_none=True,
                              exclude_defaults=True)
        data.pop("extends", None)  # already resolved in the object
        return parse_scenario_data(data, f"<Scenario {ref.name}>")
    if isinstance(ref, Mapping):
        return parse_scenario_data(dict(ref), f"<mapping {ref.get('name', '?')}>")
    raise TypeError(f"a scenario is a built-in's name, a YAML file's path, a mapping, a "
                    f"Scenario or a LoadedScenario; got {type(ref).__name__}")


def explain(loaded: LoadedScenario) -> str:
    """The resolved scenario as YAML, each value followed by ``# file:line`` of the file
    that set it (it loads back to the resolved scenario). Fields it does not list take the
    model's defaults (``aicapex params``)."""
    data = load_yaml(loaded.resolved_yaml)
    sources = {_dotted(k): v for k, v in loaded.sources.items()}
    lines = [f"# {loaded.name}, resolved from {' <- '.join(loaded.chain)}",
             "# (fields not listed take the model's defaults: aicapex params)"]

    def source(loc: tuple) -> str:
        file, line = sources.get(_dotted(loc), (None, None))
        return "" if file is None else f"  # {file}:{line}" if line else f"  # {file}"

    def emit(node: dict, loc: tuple, pad: str) -> None:
        for k, v in node.items():
            here = (*loc, k)
            key = _flow(k)
            if isinstance(v, dict) and v and "dist" not in v:
                lines.append(f"{pad}{key}:{source(here)}")
                emit(v, here, pad + "  ")
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                lines.append(f"{pad}{key}:{source(here)}")
                lines.extend(f"{pad}  - {_flow(x)}{source((*here, i))}" for i, x in enumerate(v))
            else:
                lines.append(f"{pad}{key}: {_flow(v)}{source(here)}")

    first = {k: data.pop(k) for k in ("name", "description", "extends") if k in data}
    emit({**first, **data}, (), "")
    return "\n".join(lines) + "\n"
