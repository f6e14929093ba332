"""Sweeps: one scenario file that declares a grid (``sweep:``) becomes one scenario per point,
each derived from it with the point's values and validated as a file would be.

    name: life_and_cut
    extends: capex_slowdown
    sweep:
      depreciation.useful_life_years: [2, 3, 4, 5, 6]
      capex.slowdown.growth_shift: [0, -0.4, -0.8]       # -> 15 scenarios, one batch

Points are named ``life_and_cut.useful_life_years2.growth_shift0`` (``loader.derived_name``)
and carry their values (``LoadedScenario.swept``), which become the result's coordinates.
"""

from __future__ import annotations

import dataclasses
import itertools

from .loader import LoadedScenario, ScenarioError, derived, derived_name


def expand(loaded: LoadedScenario) -> list[LoadedScenario]:
    """The points of ``loaded``'s sweep in grid order (the last field varies fastest), or
    ``[loaded]`` for a scenario without one. A point the schema refuses is an error at the
    sweep's field, naming the value."""
    grid = loaded.scenario.sweep
    if not grid:
        return [loaded]
    fields = list(grid)
    out = []
    for values in itertools.product(*(grid[f] for f in fields)):
        point = dict(zip(fields, values, strict=True))
        try:
            p = derived(loaded, point, name=derived_name(loaded.name, point), drop=("sweep",))
        except ScenarioError as e:
            field = next((f for f in fields if e.field_path.startswith(f)), fields[0])
            file, line = loaded.sources.get(("sweep", field), (loaded.path, None))
            raise ScenarioError(file, line, f"sweep.{field}",
                                f"the point {point} is not a valid scenario: {e.message}"
                                ) from None
        out.append(dataclasses.replace(p, swept=point))
    seen: dict[str, dict] = {}
    for p in out:  # equal values (3 and 3.0), or two long names' shared hash
        if p.name in seen:
            field = next((f for f in fields if p.swept[f] != seen[p.name][f]), fields[0])
            file, line = loaded.sources.get(("sweep", field), (loaded.path, None))
            raise ScenarioError(file, line, f"sweep.{field}",
                                f"the points {seen[p.name]} and {p.swept} are both named "
                                f"{p.name!r}: list each value once")
        seen[p.name] = p.swept
    return out
