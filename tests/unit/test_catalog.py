"""What the blocks declare is gathered once: every output and parameter is declared in exactly
one block module, the gathered containers are built from those declarations, and everything
downstream (the dataset's units, the summary mode's rows) derives from them."""

from __future__ import annotations

import ast
from pathlib import Path

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
