"""The building blocks of the scenario schema (pydantic v2, strict): the error that names a
field, quarters and dates, the prior distributions, paths of dated steps with their ranges,
meeting moves, slowdowns and life changes. ``schema`` composes them into sections and the
``Scenario``.

Units: rates and growth are annual decimals (0.25 = 25%), money is $bn, quarters are written
``2026Q3``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)


class FieldError(ValueError):
    """A validation error at ``at``, keys and list indices below the field or model being
    validated, so that the loader can point at the line that holds the value."""

    def __init__(self, message: str, *at: Any):
        super().__init__(message)
        self.at = at


Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]

# ASCII digits only (\d would take full-width and Arabic-Indic ones), the whole string.
_QUARTER_RE = re.compile(r"(\d{4})Q([1-4])", re.ASCII)
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _to_quarter(value: Any) -> Any:
    """A date, YAML's or ISO text (``2026-04-01``, as JSON writes one), is the quarter it
    falls in; a validated scenario written back as YAML or JSON reads the same."""
    if isinstance(value, str) and _ISO_DATE_RE.fullmatch(value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value  # not a calendar date (2026-02-30): refused as not a quarter
    if isinstance(value, dt.date):
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    return value


def _check_quarter(value: str) -> str:
    if not isinstance(value, str) or not _QUARTER_RE.fullmatch(value):
        raise ValueError("a quarter is written like 2026Q3 (year, 'Q', 1-4) or as a date in it "
                         f"(2026-07-01), got {value!r}")
    year = int(value[:4])
    if not 1900 <= year <= 2200:
        raise ValueError(f"quarter year must be between 1900 and 2200, got {year}")
    return value


Quarter = Annotated[str, BeforeValidator(_check_quarter), BeforeValidator(_to_quarter)]


def quarter_ordinal(q: str) -> int:
    """Quarters since year 0: 2025Q4 -> 2025 * 4 + 3."""
    m = _QUARTER_RE.fullmatch(q)
    if m is None:
        raise ValueError(f"not a quarter: {q!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def _to_date(value: Any) -> dt.date:
    """A calendar date from YAML's date or an ISO string like ``2026-01-28``; nothing else
    (a number would be read as days since 1970)."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"a date is written like 2026-01-28, without a time; got {value}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a calendar date: {value!r}") from None
    raise ValueError(f"a date is written like 2026-01-28, got {value!r}")


Date = Annotated[dt.date, BeforeValidator(_to_date)]


def text_number_hint(text: str) -> str:
    """How to write a number that YAML read as text ('30%', '1e30', '50bp'), or ''."""
    t = text.strip().replace("_", "")
    for suffix, scale, unit in (("%", 100, "percent"), ("bp", 10_000, "basis points")):
        if t.lower().endswith(suffix):
            try:
                x = float(t[: -len(suffix)])
            except ValueError:
                return ""
            return (f"rates are annual decimals, so {text.strip()} is written "
                    f"{x / scale:.6g}" + ("" if unit == "percent" else f" ({unit})"))
    try:
        x = float(t)
    except ValueError:
        return ""
    return f"YAML reads a number like {t} as text: write {x:.1e}" if "e" in t.lower() else ""


def _not_text(value: Any, what: str) -> None:
    if isinstance(value, str):
        hint = text_number_hint(value)
        raise ValueError(f"{what}, got the text {value!r}" + (f": {hint}" if hint else ""))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True,
                              use_attribute_docstrings=True)


# ------------------------------------------------------------------ distributions


class Fixed(Strict):
    """A fixed value: every draw takes it (a plain number means the same)."""

    dist: Literal["fixed"]
    """The kind of distribution."""
    value: Finite
    """The value, in the parameter's unit."""


class Normal(Strict):
    """A normal distribution (draws are clipped to the parameter's bounds)."""

    dist: Literal["normal"]
    """The kind of distribution."""
    mean: Finite
    """The mean, in the parameter's unit."""
    sd: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    """The standard deviation (> 0), in the parameter's unit."""


class LogNormal(Strict):
    """Parameterised by the median and the sd of the log."""

    dist: Literal["lognormal"]
    """The kind of distribution."""
    median: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    """The median (> 0), in the parameter's unit."""
    sigma: Annotated[float, Field(gt=0.0, le=5.0, allow_inf_nan=False)]
    """The standard deviation of the log, in (0, 5]."""


class Uniform(Strict):
    """A uniform distribution on [low, high]."""

    dist: Literal["uniform"]
    """The kind of distribution."""
    low: Finite
    """The lowest value, in the parameter's unit."""
    high: Finite
    """The highest value (> low), in the parameter's unit."""

    @model_validator(mode="after")
    def _order(self):
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={self.low}, high={self.high}")
        return self


class Triangular(Strict):
    """A triangular distribution on [low, high] with its peak at mode."""

    dist: Literal["triangular"]
    """The kind of distribution."""
    low: Finite
    """The lowest value, in the parameter's unit."""
    mode: Finite
    """The most likely value, in [low, high]."""
    high: Finite
    """The highest value (> low), in the parameter's unit."""

    @model_validator(mode="after")
    def _order(self):
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high, got "
                             f"low={self.low}, mode={self.mode}, high={self.high}")
        return self


class Beta(Strict):
    """Beta(a, b) scaled to [low, high] (default [0, 1])."""

    dist: Literal["beta"]
    """The kind of distribution."""
    a: Annotated[float, Field(gt=0.0, le=1e4, allow_inf_nan=False)]
    """The first shape parameter, in (0, 10000]."""
    b: Annotated[float, Field(gt=0.0, le=1e4, allow_inf_nan=False)]
    """The second shape parameter, in (0, 10000]."""
    low: Finite = 0.0
    """The value Beta's 0 maps to, in the parameter's unit."""
    high: Finite = 1.0
    """The value Beta's 1 maps to (> low), in the parameter's unit."""

    @model_validator(mode="after")
    def _order(self):
        if not self.low < self.high:
            raise ValueError(f"beta needs low < high, got low={self.low}, high={self.high}")
        return self


DIST_MODELS: dict[str, type[Strict]] = {"fixed": Fixed, "normal": Normal, "lognormal": LogNormal,
                                         "uniform": Uniform, "triangular": Triangular,
                                         "beta": Beta}
DIST_KINDS = tuple(DIST_MODELS)


def _number_to_fixed(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    _not_text(value, "expected a number or a distribution mapping with 'dist'")
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(f"a distribution needs 'dist', one of {', '.join(DIST_KINDS)}")
    if isinstance(value, dict) and value.get("dist") not in DIST_KINDS:
        raise ValueError(f"unknown dist {value.get('dist')!r}; allowed: {', '.join(DIST_KINDS)}")
    return value


Dist = Annotated[
    Fixed | Normal | LogNormal | Uniform | Triangular | Beta,
    Field(discriminator="dist"),
    BeforeValidator(_number_to_fixed),
]
"""A number (fixed value) or a distribution mapping with ``dist``."""


def dist_support(d: Fixed | Normal | LogNormal | Uniform | Triangular | Beta
                 ) -> tuple[float, float]:
    """Closed interval holding the distribution's central mass (used for bound checks)."""
    match d:
        case Fixed():
            return d.value, d.value
        case Normal():
            return d.mean, d.mean
        case LogNormal():
            return d.median, d.median
        case Uniform() | Triangular() | Beta():
            return d.low, d.high
    raise TypeError(d)


_DIST: TypeAdapter = TypeAdapter(Dist)


def as_dist(spec) -> Dist:
    """A prior spec (a number or a distribution mapping, as in a scenario file) validated as
    a ``Dist``; a ``Dist`` is returned as it is."""
    if isinstance(spec, Fixed | Normal | LogNormal | Uniform | Triangular | Beta):
        return spec
    return _DIST.validate_python(spec)


# ------------------------------------------------------------------ paths and shocks


class PathStep(Strict):
    """From quarter ``from`` (the start when omitted) on, the value is ``value``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True,
                              use_attribute_docstrings=True)
    start: Quarter | None = Field(default=None, alias="from")
    """The first quarter of the step, like 2026Q3 (the run's start when omitted)."""
    value: Finite
    """The value from that quarter on, in the field's unit."""


def _number_to_path(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [{"value": value}]
    _not_text(value, "expected a number or a list of {from: 2026Q1, value: ...} steps")
    return value


def _check_path(steps: list[PathStep]) -> list[PathStep]:
    starts = [quarter_ordinal(s.start) if s.start else -1 for s in steps]
    for i, (a, b) in enumerate(itertools.pairwise(starts)):
        if b <= a:
            raise FieldError("path steps must be in increasing 'from' order", i + 1, "from")
    return steps


Path = Annotated[list[PathStep], BeforeValidator(_number_to_path)]
"""A number (constant) or a list of ``{from: 2026Q1, value: ...}`` steps."""


class PinStep(Strict):
    """From quarter ``from`` (the start when omitted) on, the variable is ``value``; a
    ``null`` value hands it back to the model's own equation from that quarter."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True,
                              use_attribute_docstrings=True)
    start: Quarter | None = Field(default=None, alias="from")
    """The first quarter of the step, like 2026Q3 (the run's start when omitted)."""
    value: Finite | None
    """The value from that quarter on, in the field's unit; null: the model's own."""


PinPath = Annotated[list[PinStep], BeforeValidator(_number_to_path)]
"""A number (pinned in every quarter) or a list of ``{from: 2001Q1, value: ...}`` steps whose
value may be null (the model's own from there)."""


def _bounded_path(steps: list | None, lo: float, hi: float, what: str):
    if steps is not None:
        _check_path(steps)
        for i, s in enumerate(steps):
            if s.value is not None and not lo <= s.value <= hi:
                raise FieldError(f"{what} is in [{lo:g}, {hi:g}], got {s.value:g}", i, "value")
    return steps


class _Range(AfterValidator):
    """The check of a ``BoundedPath``, which keeps its range for the JSON Schema."""

    def __init__(self, lo: float, hi: float, what: str):
        super().__init__(lambda v: _bounded_path(v, lo, hi, what))
        object.__setattr__(self, "range", (lo, hi))


def BoundedPath(lo: float, hi: float, what: str, pin: bool = False) -> Any:  # noqa: N802
    """A ``Path`` (with ``pin``, a ``PinPath``) whose values must lie in [lo, hi] (``what``
    names them in the error). A function that makes a type, so named like one."""
    return Annotated[PinPath if pin else Path, _Range(lo, hi, what)]

MOVES_BP: dict[str, int] = {
    "cut_100": -100, "cut_75": -75, "cut_50": -50, "cut_25": -25, "hold": 0,
    "hike_25": 25, "hike_50": 50, "hike_75": 75, "hike_100": 100,
}
MoveName = Literal["cut_100", "cut_75", "cut_50", "cut_25", "hold", "hike_25", "hike_50",
                   "hike_75", "hike_100"]


def _check_odds(odds: dict[str, float]) -> dict[str, float]:
    total = sum(odds.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"meeting probabilities must sum to 1, got {total:.6g}")
    return odds


MeetingOdds = Annotated[dict[MoveName, Probability], Field(min_length=1)]


class Slowdown(Strict):
    """A change to AI capex growth for a number of quarters."""

    start: Quarter
    """The first quarter of the slowdown, like 2027Q1."""
    growth_shift: Annotated[float, Field(ge=-3.0, le=1.5, allow_inf_nan=False)]
    """Annual log growth added to AI capex while it lasts, in [-3, 1.5] (-0.4: about a third
    less growth a year)."""
    quarters: Annotated[int, Field(ge=1, le=200)]
    """How many quarters it lasts, 1-200."""


class LifeChange(Strict):
    """A change of the servers' useful life, applied to every vintage in service."""

    at: Quarter
    """The quarter of the change, like 2026Q3."""
    to: Annotated[float, Field(ge=0.25, le=10.0, allow_inf_nan=False)]
    """The new useful life in years, 0.25-10."""
    impairment: bool = True
    """Whether a shorter life books an impairment (the net book value above what the new
    life leaves is written off at once)."""
