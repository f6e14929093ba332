"""Scenarios in code: one from a name, a file, a mapping or a ``Scenario`` object
(``scenario``), one derived from another by dotted overrides (``derived``, behind
``LoadedScenario.with_overrides``), and the resolved YAML annotated with the file and line
each value came from (``explain``, ``aicapex show --resolved``).

    >>> s = scenario("baseline").with_overrides({"capex.slowdown": {
    ...     "start": "2027Q1", "growth_shift": -0.4, "quarters": 8}}, name="cut_2027")
    >>> combo = scenario({"name": "combo", "extends": ["credit_stress", "tariff_escalation"]})
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .loader import (
    LoadedScenario,
    Located,
    ScenarioError,
    _dotted,
    _flow,
    _Loader,
    load_scenario,
    parse_scenario_data,
)
from .schema import Scenario

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
        return parse_scenario_data(dict(data, name=ref.name), f"<Scenario {ref.name}>")
    if isinstance(ref, Mapping):
        return parse_scenario_data(dict(ref), f"<mapping {ref.get('name', '?')}>")
    raise TypeError(f"a scenario is a built-in's name, a YAML file's path, a mapping, a "
                    f"Scenario or a LoadedScenario; got {type(ref).__name__}")


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def derived_name(base: str, overrides: Mapping[str, Any]) -> str:
    """``base`` and each override's last field and value, within the name rule, e.g.
    ``baseline.growth_shift-0.4``; a long one ends in a hash of the whole."""
    parts = [base] + [f"{k.rsplit('.', 1)[-1]}{_flow(v)}" for k, v in overrides.items()]
    name = _NAME_CHARS.sub("_", ".".join(parts)).strip("_")
    if len(name) > 64:
        name = name[:55] + "." + hashlib.sha256(name.encode()).hexdigest()[:8]
    return name


def derived(base: LoadedScenario, overrides: Mapping[str, Any], name: str | None = None
            ) -> LoadedScenario:
    """``base`` with ``overrides`` (dotted field -> value; a value replaces the field whole,
    a missing section or mapping is created) on top, validated as a file would be."""
    if not overrides:
        raise ValueError("with_overrides needs at least one field, e.g. "
                         "{'capex.slowdown.growth_shift': -0.4}")
    data = yaml.load(base.resolved_yaml, Loader=_Loader)
    data.pop("extends", None)  # resolved: its values are in the data
    where = {k: v for k, v in base.sources.items() if k[:1] != ("extends",)}
    shown = f"<{base.name} with overrides>"
    for key, value in overrides.items():
        loc = tuple(key.split("."))
        if not key or not all(loc):
            raise ScenarioError(shown, None, key, "an override is a dotted field like "
                                "'capex.slowdown.growth_shift'")
        node = data
        for i, k in enumerate(loc[:-1]):
            if not isinstance(node.setdefault(k, {}), dict):
                raise ScenarioError(shown, None, key, f"{'.'.join(loc[:i + 1])} is a value, "
                                    "not a section; override it whole")
            node = node[k]
        node[loc[-1]] = value
        where = {k: v for k, v in where.items() if k[:len(loc)] != loc}
        where[loc] = (f"<override {key}>", 0)
    data["name"] = name or derived_name(base.name, overrides)
    data.setdefault("description", base.scenario.description)
    loaded = parse_scenario_data(Located(data, where), shown)
    return LoadedScenario(loaded.scenario, loaded.path, loaded.resolved_yaml,
                          (shown, *base.chain), loaded.sources, loaded.warnings)


def explain(loaded: LoadedScenario) -> str:
    """The resolved scenario as YAML, each value followed by ``# file:line`` of the file
    that set it (it loads back to the resolved scenario). Fields it does not list take the
    model's defaults (``aicapex params``)."""
    data = yaml.load(loaded.resolved_yaml, Loader=_Loader)
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
