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

from .yaml_safe import load_yaml

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
    bounds: tuple[float, float] | None = None
    """[low, high] a scenario may set a numeric anchor to (None for a date)."""


RELATIONS: tuple[tuple[str, str], ...] = (
    ("ai_revenue_shortfall_2030_bn", "ai_revenue_needed_2030_bn"),
    ("ai_opex_per_revenue_low", "ai_opex_per_revenue_high"),
    ("nvidia_q3_net_income_bn", "nvidia_q3_revenue_bn"),
    ("nvidia_china_quarterly_bn", "nvidia_q3_revenue_bn"),
    ("broadcom_amd_quarterly_net_income_bn", "broadcom_amd_quarterly_revenue_bn"),
    ("hardware_market_cap_bn", "sp500_market_cap_bn"),
    ("platform_quarterly_net_income_bn", "sp500_annual_earnings_bn"),
)
"""Pairs (a, b) of anchors with a <= b: a shortfall is part of what is needed, a net income
part of revenue, one group's market cap part of the index's (a quarter's platform income
against a year's index earnings)."""


def anchor_problems(values: Mapping[str, Any],
                    anchors: Mapping[str, Anchor] | None = None) -> list[tuple[str, str]]:
    """(anchor name, what is wrong) for each value outside its anchor's bounds and each
    broken ``RELATIONS`` pair, for the anchors' values with ``values`` replacing some."""
    known = anchors or default_anchors()
    out = []
    for name, v in values.items():
        b = known[name].bounds if name in known else None
        if b is not None and isinstance(v, int | float) and not b[0] <= v <= b[1]:
            out.append((name, f"anchor {name!r} must lie in [{b[0]:g}, {b[1]:g}] "
                              f"({known[name].unit}), got {v:g}"))
    merged = {k: a.value for k, a in known.items()} | dict(values)
    for a, b in RELATIONS:
        if a in merged and b in merged and not merged[a] <= merged[b]:
            at = a if a in values else b
            out.append((at, f"anchor {a!r} ({merged[a]:g}) must not exceed {b!r} "
                            f"({merged[b]:g})"))
    return out


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
        numeric = isinstance(entry["value"], int | float) and not isinstance(entry["value"], bool)
        bounds = entry.get("bounds")
        if numeric != (bounds is not None):
            raise ValueError(f"anchor {name!r}: a number needs bounds [low, high], a date none")
        out[name] = Anchor(name=name, bounds=None if bounds is None else
                           (float(bounds[0]), float(bounds[1])),
                           **{k: entry[k] for k in ("value", "unit", "as_of", "source", "note")})
    problems = anchor_problems({k: a.value for k, a in out.items()}, out)
    if problems:
        raise ValueError("; ".join(p for _, p in problems))
    return out


@lru_cache(maxsize=1)
def default_anchors() -> dict[str, Anchor]:
    """The shipped anchors (``scenarios/data/anchors.yaml``)."""
    text = resources.files(__package__).joinpath("data", "anchors.yaml").read_text(encoding="utf-8")
    return parse_anchors(load_yaml(text))


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
        base[name] = Anchor(a.name, value, a.unit, a.as_of, a.source, a.note, a.bounds)
    return base
