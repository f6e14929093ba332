"""The model's documentation matches its code: ``docs/model.md`` holds the parameter and
output tables the code generates, and every block function it names exists."""

from __future__ import annotations

import importlib
import re
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_MD = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


def test_model_doc_holds_the_generated_parameter_output_and_path_tables():
    generated = runpy.run_path(str(ROOT / "docs" / "tables.py"))
    assert generated["tables"]() in MODEL_MD, (
        "docs/model.md is stale: paste `python docs/tables.py` into it")
    assert generated["output_table"]() in MODEL_MD, (
        "docs/model.md is stale: paste `python docs/tables.py outputs` into it")
    assert generated["path_table"]() in MODEL_MD, (
        "docs/model.md is stale: paste `python docs/tables.py paths` into it")


def test_every_block_function_the_model_doc_names_exists():
    named = set(re.findall(r"`(macro|capex|revenue|earnings|credit|regime|valuation|market)"
                           r"\.(\w+)`", MODEL_MD))
    assert len(named) >= 20
    for module, func in sorted(named):
        mod = importlib.import_module(f"aicapex.sim.model.{module}")
        assert callable(getattr(mod, func, None)), f"{module}.{func}"
