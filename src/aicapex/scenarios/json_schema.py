"""The JSON Schema of a scenario file, for editors: pydantic's, with what the validators
accept written in."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import (
    BaseModel,
)

from .fields import _Range
from .schema import SECTIONS, Scenario


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (draft 2020-12) for editors: pydantic's, with what
    the validators accept written in: a number wherever a distribution or a path may be,
    a parameter's range on its number, and a path's range on its values."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aicapex scenario"

    def fix(node: Any) -> Any:
        if isinstance(node, list):
            return [fix(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: fix(v) for k, v in node.items()}
        if node.get("discriminator", {}).get("propertyName") == "dist":
            return {"anyOf": [{"type": "number"}, node]}
        if node.get("items") in ({"$ref": "#/$defs/PathStep"}, {"$ref": "#/$defs/PinStep"}):
            return {"anyOf": [{"type": "number"}, node]}
        lo_hi = node.get("x-range")
        if lo_hi:
            for branch in _branches(node):
                if branch.get("type") == "number":
                    branch.update(minimum=lo_hi[0], maximum=lo_hi[1])
        return node

    out = fix(schema)
    for model, fields in _PATH_RANGES.items():
        for name, (lo, hi) in fields.items():
            prop = out["$defs"][model]["properties"][name]
            for branch in _branches(prop):
                if branch.get("type") == "number":
                    branch.update(minimum=lo, maximum=hi)
    return out


def _branches(node: dict) -> list[dict]:
    """The alternatives of a schema node, nested anyOf's flattened."""
    out = []
    for b in node.get("anyOf", [node]):
        out += _branches(b) if "anyOf" in b and b is not node else [b]
    return out


_PATH_RANGES: dict[str, dict[str, tuple[float, float]]] = {}
"""Model -> path field -> (lo, hi), as ``BoundedPath`` declared them (for the JSON Schema)."""


def _path_ranges(model: type[BaseModel]) -> dict[str, tuple[float, float]]:
    out = {}
    for name, f in model.model_fields.items():
        for arg in typing.get_args(f.annotation):
            for meta in getattr(arg, "__metadata__", ()):
                if isinstance(meta, _Range):
                    out[name] = meta.range
    return out


_PATH_RANGES.update({m.__name__: r for m in SECTIONS.values() if (r := _path_ranges(m))})
