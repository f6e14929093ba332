"""Anchor figures from the source documents, stored as data in ``anchors.yaml``.

Each anchor carries its value, unit, as-of date, source tag and a note; initial conditions and
default priors are built from these and nothing else, so no figure is typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

SOURCES = {
    "TP": "000_c95c0fdbdc01c263.txt - True Partner Capital, 'AI: Top or Ramp' (Sep 2025)",
    "NEWS": "001_a2aa5eefec4fdd3f.txt - news digest (Nov-Dec 2025)",
    "KUP": "002_ee494c6b1b2b4031.txt - Kupperman on data-centre economics (Oct 2025)",
    "JIN": "003_69916b3e487501dc.txt - market outlook (18 Nov 2025)",
    "CICC": "004_041403e903044375.txt - strategy note (22 Nov 2025)",
    "PUBLIC": "public record (filings, BEA, BLS, Federal Reserve); not in the source documents",
    "ASSUMPTION": "modelling assumption with no published figure",
}


@dataclass(frozen=True)
class Anchor:
    name: str
    value: Any
    unit: str
    as_of: str
    source: str
    note: str


def parse_anchors(data: Mapping[str, Mapping[str, Any]]) -> dict[str, Anchor]:
    """Anchors from a mapping name -> {value, unit, as_of, source, note}."""
    out = {}
    for name, entry in data.items():
        missing = {"value", "unit", "as_of", "source", "note"} - set(entry)
        if missing:
            raise ValueError(f"anchor {name!r} lacks {sorted(missing)}")
        if entry["source"] not in SOURCES:
            raise ValueError(f"anchor {name!r}: unknown source {entry['source']!r}; "
                             f"allowed: {sorted(SOURCES)}")
        out[name] = Anchor(name=name, **{k: entry[k] for k in
                                         ("value", "unit", "as_of", "source", "note")})
    return out


@lru_cache(maxsize=1)
def default_anchors() -> dict[str, Anchor]:
    """The shipped anchors (``scenarios/data/anchors.yaml``)."""
    text = resources.files(__package__).joinpath("data", "anchors.yaml").read_text(encoding="utf-8")
    return parse_anchors(yaml.safe_load(text))


def anchor_values(anchors: Mapping[str, Anchor] | None = None) -> dict[str, Any]:
    """name -> value for ``anchors`` (default: the shipped ones)."""
    return {k: a.value for k, a in (anchors or default_anchors()).items()}


def with_values(overrides: Mapping[str, Any],
                anchors: Mapping[str, Anchor] | None = None) -> dict[str, Anchor]:
    """A copy of ``anchors`` with some values replaced (for what-ifs and tests)."""
    base = dict(anchors or default_anchors())
    for name, value in overrides.items():
        if name not in base:
            raise KeyError(f"unknown anchor {name!r}")
        a = base[name]
        base[name] = Anchor(a.name, value, a.unit, a.as_of, a.source, a.note)
    return base
