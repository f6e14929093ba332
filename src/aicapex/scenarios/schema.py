"""The scenario file schema (pydantic v2, strict: unknown keys are errors).

Units: rates and growth are annual decimals (0.25 = 25%), money is $bn, quarters are written
``2026Q3``. Every model parameter can be set in its section (``revenue.ai_revenue_2030_bn``)
or in ``parameters:``, as a number or a distribution; see ``aicapex.sim.model.catalog``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from ..sim.model import MOVE_GRID_BP, PARAM_NAMES, PARAMETERS
from .anchors import anchor_problems, default_anchors, with_values
from .calendar import fomc_dates
from .initial import initial_conditions
from .priors import default_priors


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
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _to_quarter(value: Any) -> Any:
    if isinstance(value, dt.date):
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    return value


def _check_quarter(value: str) -> str:
    if not isinstance(value, str) or not _QUARTER_RE.fullmatch(value):
        raise ValueError(f"a quarter is written like 2026Q3 (year, 'Q', 1-4), got {value!r}")
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


def _bounded_path(steps: list[PathStep] | None, lo: float, hi: float, what: str):
    if steps is not None:
        _check_path(steps)
        for i, s in enumerate(steps):
            if not lo <= s.value <= hi:
                raise FieldError(f"{what} is in [{lo:g}, {hi:g}], got {s.value:g}", i, "value")
    return steps


class _Range(AfterValidator):
    """The check of a ``BoundedPath``, which keeps its range for the JSON Schema."""

    def __init__(self, lo: float, hi: float, what: str):
        super().__init__(lambda v: _bounded_path(v, lo, hi, what))
        object.__setattr__(self, "range", (lo, hi))


def BoundedPath(lo: float, hi: float, what: str) -> Any:  # noqa: N802 (a type, by use)
    """A ``Path`` whose values must lie in [lo, hi] (``what`` names them in the error)."""
    return Annotated[Path, _Range(lo, hi, what)]

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


# ------------------------------------------------------------------ sections


def _meeting_keys(value: Any) -> Any:
    """Meeting dates as dates, refusing two keys that name the same day (2026-01-28 and
    '2026-01-28')."""
    if not isinstance(value, dict):
        return value
    out: dict[dt.date, Any] = {}
    for key, odds in value.items():
        try:
            d = _to_date(key)
        except ValueError as e:
            raise FieldError(str(e), key) from None
        if d in out:
            raise FieldError(f"meeting {d} is listed twice", key)
        out[d] = odds
    return out


MAX_QUARTER_MOVE_BP = int(MOVE_GRID_BP[-1])
"""The largest total policy move in one quarter the model represents (``MOVE_GRID_BP``)."""


class FedBase(Strict):
    """Meeting odds by date; calendar meetings not listed use ``default_meeting``."""

    meetings: Annotated[dict[dt.date, MeetingOdds], BeforeValidator(_meeting_keys)] = {}
    """Odds of each FOMC meeting's move by date (2026-01-28: {cut_25: 0.6, hold: 0.4}); each
    meeting's odds sum to 1."""
    default_meeting: MeetingOdds | None = None
    """Odds of the calendar's meetings not listed in meetings (default: hold)."""

    @field_validator("meetings")
    @classmethod
    def _sum_meetings(cls, v):
        for d, odds in v.items():
            try:
                _check_odds(odds)
            except ValueError as e:
                raise FieldError(str(e), d) from None
        return v

    @model_validator(mode="after")
    def _moves_fit_a_quarter(self):
        """Every quarter's largest possible total move (listed meetings, and the calendar's
        other meetings at ``default_meeting``) within ``MAX_QUARTER_MOVE_BP``."""
        def largest(odds) -> int:
            return max(abs(MOVES_BP[m]) for m, p in odds.items() if p > 0)

        default = largest(self.default_meeting or {"hold": 1.0})
        quarters: dict[tuple[int, int], list[dt.date]] = {}
        for d in self.meetings:
            quarters.setdefault((d.year, (d.month - 1) // 3), []).append(d)
        for (year, q), dates in quarters.items():
            calendar = [d for d in fomc_dates(year)
                        if (d.month - 1) // 3 == q and d not in self.meetings]
            total = sum(largest(self.meetings[d]) for d in dates) + default * len(calendar)
            if total > MAX_QUARTER_MOVE_BP:
                raise FieldError(f"the meetings of {year}Q{q + 1} can move the policy rate by "
                                 f"up to {total}bp; the model allows {MAX_QUARTER_MOVE_BP}bp "
                                 "in a quarter (list fewer or smaller moves)",
                                 "meetings", max(dates))
        return self

    @field_validator("default_meeting")
    @classmethod
    def _sum_default(cls, v):
        return v if v is None else _check_odds(v)


class TariffsBase(Strict):
    effective_rate: BoundedPath(0.0, 2.0, "an effective tariff rate") | None = None
    """The US effective tariff rate, an annual decimal in [0, 2] (0.17 = 17%), constant or
    a path of dated steps."""
    passthrough_quarters: Annotated[int, Field(ge=1, le=12)] = 4
    """Quarters over which a tariff change passes into prices, 1-12."""


class RatesBase(Strict):
    term_premium_shift: BoundedPath(-0.03, 0.05, "a term-premium shift") | None = None
    """Added to the 10-year term premium, an annual decimal in [-0.03, 0.05]."""


class CapexBase(Strict):
    growth_by_year: dict[Annotated[int, Field(ge=1900, le=2200)],
                         Annotated[float, Field(ge=-0.9, le=3.0, allow_inf_nan=False)]] = {}
    """The consensus path of AI capex growth by calendar year (2026: 0.3 = +30%), annual
    decimals in [-0.9, 3]."""
    slowdown: Slowdown | list[Slowdown] | None = None
    """A slowdown (or a list of them) against that path."""


class DepreciationBase(Strict):
    useful_life_years: Annotated[float, Field(ge=0.25, le=10.0, allow_inf_nan=False)] | None = None
    """Useful life of AI servers in years, 0.25-10 (default: the anchor, 6)."""
    change: LifeChange | None = None
    """A change of the useful life during the run."""


class RevenueBase(Strict):
    price_deflation: BoundedPath(-0.5, 1.0, "an AI price deflation rate") | None = None
    """Annual fall in AI prices per unit of capacity, a decimal in [-0.5, 1]."""


class HardwareBase(Strict):
    china_multiplier: BoundedPath(0.0, 10.0, "a China revenue multiplier") | None = None
    """Multiplier of AI hardware suppliers' China revenue, in [0, 10] (0 = lost)."""


EarningsShift = BoundedPath(-0.5, 0.5, "an earnings growth shift")


class EarningsBase(Strict):
    """``growth_shift``: annual log growth added to the earnings of every group (e.g. the
    consensus's near-term optimism); ``hardware_shift``, ``platforms_shift`` and
    ``other_shift`` add to one group's on top (for hardware, to its revenue)."""

    growth_shift: EarningsShift | None = None
    """Annual log growth added to every group's earnings, in [-0.5, 0.5]."""
    hardware_shift: EarningsShift | None = None
    """Added to AI hardware suppliers' revenue growth, in [-0.5, 0.5]."""
    platforms_shift: EarningsShift | None = None
    """Added to the platforms' earnings growth, in [-0.5, 0.5]."""
    other_shift: EarningsShift | None = None
    """Added to the other 490's earnings growth, in [-0.5, 0.5]."""


class GdpBase(Strict):
    """``shift``: annual real GDP growth added by the scenario (a recession path)."""

    shift: BoundedPath(-0.15, 0.15, "a GDP growth shift") | None = None
    """Annual real GDP growth added, a decimal in [-0.15, 0.15]."""


class CreditBase(Strict):
    spread_shift: BoundedPath(-0.02, 0.10, "a credit-spread shift") | None = None
    """Added to AI borrowers' credit spread, an annual decimal in [-0.02, 0.10]
    (0.015 = 150bp)."""


ErpShift = BoundedPath(-0.1, 0.2, "an equity-risk-premium shift")


class ValuationBase(Strict):
    """``erp_liquidity`` lowers and ``erp_shift`` raises every group's equity risk premium
    (annual decimals); either moves prices in the quarter it happens."""

    erp_liquidity: ErpShift | None = None
    """Lowers every group's equity risk premium, an annual decimal in [-0.1, 0.2]."""
    erp_shift: ErpShift | None = None
    """Raises every group's equity risk premium, an annual decimal in [-0.1, 0.2]."""


class Empty(Strict):
    pass


_SECTION_BASES: dict[str, type[Strict]] = {
    "fed": FedBase, "inflation": Empty, "tariffs": TariffsBase, "rates": RatesBase,
    "gdp": GdpBase, "capex": CapexBase, "depreciation": DepreciationBase,
    "revenue": RevenueBase, "hardware": HardwareBase, "earnings": EarningsBase,
    "credit": CreditBase,
    "valuation": ValuationBase, "volatility": Empty, "regime": Empty,
}


SECTION_DOCS = {
    "fed": "The Federal Reserve: meeting odds and the policy rule.",
    "inflation": "Inflation: target, persistence and the Phillips curve.",
    "tariffs": "Tariffs: the effective rate and its pass-through to prices.",
    "rates": "Market rates: the 10-year yield and its term premium.",
    "gdp": "Real GDP growth and its response to AI capex, rates and wealth.",
    "capex": "AI capital expenditure: the consensus path, slowdowns, financing and discipline.",
    "depreciation": "Depreciation of AI capex: useful lives and their changes.",
    "revenue": "AI revenue: its S-curve, prices and the gap to what the capex needs.",
    "hardware": "AI hardware suppliers: revenue from capex, margins and China.",
    "earnings": "Earnings of the hardware suppliers, the platforms and the other 490.",
    "credit": "Credit: AI borrowers' spreads and their feedback on capex and valuations.",
    "valuation": "Valuations: equity risk premia, P/E mean reversion and the S&P 500.",
    "volatility": "Volatility: stochastic volatility of returns.",
    "regime": "Regimes: the boom, bust and recovery of the AI cycle.",
}


def _section_model(section: str, base: type[Strict]) -> type[Strict]:
    fields = {p.name: (Dist | None, Field(
        default=None, description=f"{p.doc}. Unit: {p.unit}; values in [{p.lo:g}, {p.hi:g}]. "
        "A number or a distribution (dist: normal, lognormal, uniform, triangular, beta).",
        json_schema_extra={"x-range": [p.lo, p.hi], "x-unit": p.unit}))
        for p in PARAMETERS if p.section == section}
    # the generated fields carry their descriptions; the base's were read from its source
    # when it was defined, and reading a generated class's "source" walks every loaded
    # module (seconds at import), so this class does not look for docstrings
    quiet = ConfigDict(**{**base.model_config, "use_attribute_docstrings": False})
    return create_model(f"{section.capitalize()}Section", __base__=type(
        base.__name__, (base,), {"model_config": quiet, "__doc__": base.__doc__,
                                 "__module__": base.__module__}),
        __doc__=f"{SECTION_DOCS[section]} {base.__doc__ or ''}".strip(), **fields)


SECTIONS: dict[str, type[Strict]] = {k: _section_model(k, b) for k, b in _SECTION_BASES.items()}
_unplaced = {p.section for p in PARAMETERS} - set(SECTIONS)
assert not _unplaced, f"parameters in sections with no schema: {_unplaced}"


MAX_SWEEP_FIELDS = 8
MAX_SWEEP_POINTS = 1000
"""A sweep crosses at most this many fields into at most this many scenarios."""


class Settings(Strict):
    """The run's timeline and defaults (the command line and the API can override draws,
    seed and dtype)."""

    start: Quarter = "2025Q4"
    """The quarter the run starts from, like 2025Q4 (its state is the anchors')."""
    horizon_quarters: Annotated[int, Field(ge=1, le=200)] = 20
    """How many quarters it simulates, 1-200."""
    draws: Annotated[int, Field(ge=1, le=100_000_000)] = 10_000
    """Monte Carlo draws per scenario."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    """The random seed: the same seed gives the same draws."""
    dtype: Literal["float32", "float64"] = "float32"
    """Floating-point precision."""


_ScenarioBase = create_model(
    "_ScenarioBase", __base__=Strict,
    **{k: (m, Field(default_factory=m, description=SECTION_DOCS[k]))
       for k, m in SECTIONS.items()})


class Scenario(_ScenarioBase):
    """One scenario after ``extends:`` has been resolved."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    """The scenario's name in a run's outputs: 1-64 letters, digits, '_', '.' or '-',
    starting with a letter or digit (default: the file's name)."""
    description: str = ""
    """What the scenario assumes, with its sources."""
    extends: str | list[str] | None = None
    """The scenario(s) this one starts from: a built-in's name or a file beside this one, or
    a list of them, applied in order (a later one wins; this file wins over all)."""
    settings: Settings = Field(default_factory=Settings)
    """The run's timeline and defaults."""
    parameters: dict[str, Dist] = Field(default_factory=dict)
    """Model parameters by name (aicapex params), as numbers or distributions; each may be
    set here or in its section, not both."""
    anchors: dict[str, Finite | Date] = Field(default_factory=dict)
    """The starting figures (scenarios/data/anchors.yaml) this scenario changes."""
    sweep: dict[str, Annotated[list[Finite | str | bool], Field(min_length=1, max_length=100)]
                ] = Field(default_factory=dict, max_length=MAX_SWEEP_FIELDS)
    """A grid of scenarios: dotted field -> the values it takes (e.g.
    depreciation.useful_life_years: [2, 3, 4, 5, 6]); every combination runs as its own
    scenario in one batch, with the swept fields as the result's coordinates."""

    @field_validator("sweep")
    @classmethod
    def _sweep_grid(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        points = 1
        for name, values in v.items():
            parts = name.split(".")
            if len(parts) < 2 or not all(parts) or parts[0] not in (*SECTIONS, "settings",
                                                                   "parameters"):
                raise FieldError("a swept field is dotted, from a section, like "
                                 "depreciation.useful_life_years", name)
            if parts[:1] == ["sweep"] or (parts[0] == "settings" and parts[1] in ("start",
                                                                               "horizon_quarters")):
                raise FieldError("a sweep's points share one timeline; this field cannot be "
                                 "swept", name)
            if len(set(map(repr, values))) != len(values):
                raise FieldError("a swept field lists each value once", name)
            points *= len(values)
        if points > MAX_SWEEP_POINTS:
            raise ValueError(f"the sweep has {points} points; at most {MAX_SWEEP_POINTS}")
        return v

    @field_validator("anchors")
    @classmethod
    def _known_anchors(cls, v: dict[str, Any]) -> dict[str, Any]:
        known = default_anchors()
        for name, value in v.items():
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise FieldError(f"unknown anchor {name!r}{hint} "
                                 "(see scenarios/data/anchors.yaml)", name)
            is_date = isinstance(known[name].value, str | dt.date)
            if is_date != isinstance(value, dt.date):
                raise FieldError(f"anchor {name!r} takes "
                                 f"{'a date like 2000-01-01' if is_date else 'a number'} "
                                 f"({known[name].unit}), got {value!r}", name)
        for name, problem in anchor_problems(v):
            raise FieldError(problem, name)
        return {k: (x.isoformat() if isinstance(x, dt.date) else x) for k, x in v.items()}

    @field_validator("parameters")
    @classmethod
    def _known(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if name not in PARAM_NAMES:
                close = difflib.get_close_matches(name, PARAM_NAMES, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(f"unknown parameter {name!r}{hint} (see `aicapex params`)")
        return v

    @model_validator(mode="after")
    def _params_once_and_in_bounds(self):
        for p in PARAMETERS:
            in_section = getattr(getattr(self, p.section), p.name)
            if in_section is not None and p.name in self.parameters:
                raise FieldError(f"parameter {p.name!r} is set both in {p.section}: and in "
                                 "parameters:; set it in one place", "parameters", p.name)
            spec = in_section if in_section is not None else self.parameters.get(p.name)
            if spec is None:
                continue
            at = (p.section, p.name) if in_section is not None else ("parameters", p.name)
            lo, hi = dist_support(spec)
            if lo < p.lo or hi > p.hi:
                raise FieldError(f"values must lie in [{p.lo:g}, {p.hi:g}] ({p.doc}); this "
                                 f"prior spans [{lo:g}, {hi:g}]", *at)
        return self

    @model_validator(mode="after")
    def _starts_before_the_revenue_pin(self):
        pin = self.anchors.get("ai_revenue_pin_year",
                               default_anchors()["ai_revenue_pin_year"].value)
        first = quarter_ordinal(self.settings.start) / 4
        if pin - first <= 0.25:
            raise FieldError(f"start {self.settings.start} is too late: the AI revenue S-curve "
                             f"is pinned to {pin:g} (anchor ai_revenue_pin_year); start before "
                             "it or move the anchor", *(("anchors", "ai_revenue_pin_year")
                                                         if "ai_revenue_pin_year" in self.anchors
                                                         else ("settings", "start")))
        return self

    @model_validator(mode="after")
    def _anchors_give_a_valid_start(self):
        """Anchors set here also feed the default priors and the initial conditions: each
        derived prior the scenario does not replace must be a valid distribution within its
        parameter's bounds, and every group must start with a positive market cap and
        earnings."""
        if not self.anchors:
            return self
        anchors = with_values(self.anchors)
        first = next(iter(self.anchors))

        def blame(source: str) -> str:
            return next((n.strip() for n in source.split(",") if n.strip() in self.anchors),
                        first)
        try:
            initial_conditions(anchors)
            priors = default_priors(anchors)
        except (ValueError, ArithmeticError) as e:
            raise FieldError(f"these anchors give no valid starting point: {e}",
                             "anchors", first) from None
        overridden = self.param_overrides()
        for p in PARAMETERS:
            if p.name in overridden:
                continue
            prior = priors[p.name]
            try:
                spec = as_dist(prior.spec)
            except ValidationError as e:
                msg = e.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
                raise FieldError(f"the prior of {p.name} built from these anchors is not a "
                                 f"valid distribution ({msg}); set {p.name} in its section "
                                 "or move the anchor", "anchors", blame(prior.source)) from None
            lo, hi = dist_support(spec)
            if hi < p.lo or lo > p.hi:  # (draws are clipped to the bounds: overlap suffices)
                raise FieldError(f"the prior of {p.name} built from these anchors spans "
                                 f"[{lo:g}, {hi:g}], outside its bounds [{p.lo:g}, {p.hi:g}] "
                                 f"({p.doc}); set {p.name} in its section or move the anchor",
                                 "anchors", blame(prior.source))
        return self

    def param_overrides(self) -> dict[str, Any]:
        """Parameter name -> distribution for every parameter this scenario sets."""
        out = {}
        for p in PARAMETERS:
            spec = getattr(getattr(self, p.section), p.name)
            if spec is not None:
                out[p.name] = spec
        out.update(self.parameters)
        return out


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
        if node.get("items") == {"$ref": "#/$defs/PathStep"}:
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
