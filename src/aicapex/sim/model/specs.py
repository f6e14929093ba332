"""What the blocks declare beside their equations: their parameters (``ParamSpec``), the
scenario paths they read (``PathSpec``), the quantities they report (``OutputSpec``), and the
type the blocks read parameters through.

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
class PathSpec:
    """A scenario input that is a path over the quarters, written in a scenario file as a
    number or dated steps (``{from: 2026Q3, value: ...}``) and read by a block every quarter.

    ``name``: the field of ``catalog.ScenarioPaths`` (each (T,)) and of a quarter's inputs
    (``x.inputs.paths.<name>`` in ``step()``); ``section``/``field``: where a scenario file sets it
    (``gdp.shift``); ``lo``/``hi``: the values a file may give; ``unit``, ``doc``: what it
    is; ``what``: the value's noun in an error ("a GDP growth shift"); ``default``: its value
    where the file sets none. A path that is also a dimension of the shock space
    (``analysis/shocks.py``: plausibility, reverse stress tests, sensitivities) gives its
    ``shock`` label and the ``shock_scale`` (one plausibility sd, in its unit) assumed where
    history gives none, with the reason in ``shock_scale_why``. A ``pin`` path exogenizes a
    variable the model computes (FRB/US's "exogenize"): where it has a value the block's own
    equation steps aside and everything downstream responds to the pinned value; where it is
    NaN (its default, and a file's ``null`` step) the equation runs (``types.pinned``)."""

    name: str
    section: str
    field: str
    lo: float
    hi: float
    unit: str
    doc: str
    what: str
    default: float = 0.0
    shock: str | None = None
    shock_scale: float | None = None
    shock_scale_why: str = ""
    pin: bool = False

    @property
    def file_field(self) -> str:
        """Where a scenario file sets it, dotted (``gdp.shift``)."""
        return f"{self.section}.{self.field}"


@dataclass(frozen=True)
class OutputSpec:
    """A quantity the model reports every quarter for every draw: its name (the dataset
    variable), its unit as a reader writes it ("1/yr", "$bn/yr", "x", ...) and what it is
    (the variable's ``long_name``). ``bounds`` (low, high), where given, is the range the
    equations keep it in by construction; every run checks it after simulating."""

    name: str
    unit: str
    long_name: str
    bounds: tuple[float, float] | None = None


class ParamValues(Protocol):
    """The per-draw parameter values a block reads by name (``p.gdp_trend``), each an array
    of shape (B,) or a scalar; the concrete type is ``catalog.Params``."""

    def __getattr__(self, name: str) -> Any: ...
