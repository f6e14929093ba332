"""What the blocks declare beside their equations: their parameters (``ParamSpec``) and the
quantities they report (``OutputSpec``), and the type the blocks read parameters through.

This module is the model's ground floor: it imports nothing of the model, so every block can
declare its specs here and ``catalog`` gathers them without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ParamSpec:
    """A model parameter: its name, the scenario-file section it is set in, the hard bounds
    where the model stays defined, its unit and what it means."""

    name: str
    section: str
    lo: float
    hi: float
    unit: str
    doc: str


@dataclass(frozen=True)
class OutputSpec:
    """A quantity the model reports every quarter for every draw: its name (the dataset
    variable), its unit as a reader writes it ("1/yr", "$bn/yr", "x", ...) and what it is
    (the variable's ``long_name``)."""

    name: str
    unit: str
    long_name: str


class ParamValues(Protocol):
    """The per-draw parameter values a block reads by name (``p.gdp_trend``), each an array
    of shape (B,) or a scalar; the concrete type is ``catalog.Params``."""

    def __getattr__(self, name: str) -> Any: ...
