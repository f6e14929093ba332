"""What the blocks declare is gathered once: every output, parameter and scenario path is
declared in exactly one block module, the gathered containers are built from those
declarations, and everything downstream derives from them: the dataset's units, the schema's
path fields and their ranges, the compiled paths, each quarter's inputs, the shock space."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import aicapex.sim.model as model
from aicapex.outputs.dataset import VARIABLES
from aicapex.sim.model import catalog, specs

MODEL = Path(model.__file__).parent
BLOCKS = ("macro", "capex", "revenue", "earnings", "credit", "regime", "valuation", "market")


def _declared(kind: str) -> dict[str, list[str]]:
    """name -> the block modules whose source declares a ``kind(...)`` with that name."""
    out: dict[str, list[str]] = {}
    for mod in BLOCKS:
        tree = ast.parse((MODEL / f"{mod}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == kind
                    and node.args and isinstance(node.args[0], ast.Constant)):
                out.setdefault(node.args[0].value, []).append(mod)
    return out


def test_every_output_is_declared_once_beside_its_block():
    declared = _declared("OutputSpec")
    assert set(declared) == set(catalog.OUTPUT_NAMES)
    assert all(len(mods) == 1 for mods in declared.values()), declared
    assert len(set(catalog.OUTPUT_NAMES)) == catalog.N_OUTPUTS == len(catalog.OUTPUTS)
    assert catalog.Outputs._fields == catalog.OUTPUT_NAMES


def test_every_path_is_declared_once_beside_its_block():
    declared = _declared("PathSpec")
    assert set(declared) == set(catalog.PATH_NAMES)
    assert all(len(mods) == 1 for mods in declared.values()), declared
    assert catalog.ScenarioPaths._fields == catalog.PATH_NAMES


def test_every_parameter_is_declared_once_beside_its_block():
    declared = _declared("ParamSpec")
    assert set(declared) == set(catalog.PARAM_NAMES)
    assert all(len(mods) == 1 for mods in declared.values()), declared
    assert catalog.Params._fields == catalog.PARAM_NAMES


def test_the_dataset_labels_every_declared_output_and_nothing_else():
    assert list(VARIABLES) == list(catalog.OUTPUT_NAMES)
    for o in catalog.OUTPUTS:
        units, long_name, human = VARIABLES[o.name]
        assert units and human == o.unit and long_name.startswith(o.long_name)


def test_the_specs_module_is_the_ground_floor():
    """``specs`` imports nothing of the model, so a block can import it and ``catalog`` the
    blocks without a circle (the import-linter contract checks the whole graph)."""
    tree = ast.parse(Path(specs.__file__).read_text(encoding="utf-8"))
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert relative == []


# --------------------------------------------------------------- every declared path reaches
# the schema, compilation, the engine's quarter and the shock space


def _inside(spec) -> float:
    """A value strictly inside the spec's range, away from its default."""
    return round(spec.lo + 0.37 * (spec.hi - spec.lo), 6)


@pytest.mark.parametrize("spec", catalog.PATHS, ids=lambda s: s.name)
def test_a_declared_path_reaches_every_table_derived_from_it(spec):
    import jax.numpy as jnp

    import aicapex
    from aicapex.analysis import shocks
    from aicapex.scenarios import compile_scenario
    from aicapex.scenarios.json_schema import json_schema
    from aicapex.sim.engine.scan import quarters

    # the schema: the field, its range in the JSON Schema and in the error a file gets
    props = json_schema()["$defs"][f"{spec.section.capitalize()}Section"]["properties"]
    number = [b for b in props[spec.field]["anyOf"][0]["anyOf"] if b.get("type") == "number"]
    assert number == [{"type": "number", "minimum": spec.lo, "maximum": spec.hi}]
    with pytest.raises(aicapex.ScenarioError, match=rf"{spec.file_field}: {spec.what} is in"):
        aicapex.scenario("baseline").with_overrides({spec.file_field: spec.hi + 1.0})

    # compilation: the default where the file says nothing, the file's steps where it does
    base = compile_scenario(aicapex.scenario("baseline").scenario, dtype="float64")
    value = _inside(spec)
    # a pin's default is NaN (the model's own), written null in a file
    steps = [{"value": None if spec.pin else spec.default}, {"from": "2026Q3", "value": value}]
    x = compile_scenario(aicapex.scenario("baseline").with_overrides(
        {spec.file_field: steps}).scenario, dtype="float64")
    path = np.asarray(getattr(x.paths, spec.name))
    default = np.asarray(getattr(base.paths, spec.name))
    assert np.array_equal(default, np.full_like(default, spec.default), equal_nan=True)
    assert np.array_equal(path[:1], [spec.default], equal_nan=True)
    assert path[-1] == pytest.approx(value)

    # the engine: each quarter's inputs carry the path by name
    T = path.shape[0]
    q = quarters(x, jnp.zeros((T, 9, 4)), jnp.zeros((T, 2, 4)))
    np.testing.assert_array_equal(np.asarray(getattr(q.inputs.paths, spec.name)), path)

    # the shock space: a named shock is a dimension with a scale, measured and written back
    if spec.shock:
        assert shocks.DIMENSIONS[spec.name] == (spec.shock, spec.unit)
        assert shocks.ASSUMED[spec.name][0] == spec.shock_scale
        assert shocks.FIELDS[spec.name] == spec.file_field
        space = shocks.ShockSpace("baseline")
        k = list(shocks.DIMENSIONS).index(spec.name)
        moved = shocks.measure(space.arrays({spec.name: 0.01}))
        assert moved[k] - space.position[k] == pytest.approx(0.01, abs=1e-9)
    else:
        assert spec.name not in shocks.DIMENSIONS
        y = compile_scenario(aicapex.scenario("baseline").with_overrides(
            {spec.file_field: value}).scenario, dtype="float64")
        # scored on another dimension (the liquidity relief is a negative ERP shift), or
        # listed as unmeasured: never silently dropped
        scored = not np.allclose(shocks.measure(y), shocks.measure(base))
        assert scored != (spec.name in shocks.unmeasured(y, base))
