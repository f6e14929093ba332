"""The scenario file schema (pydantic v2, strict: unknown keys are errors).

Units: rates and growth are annual decimals (0.25 = 25%), money is $bn, quarters are written
``2026Q3``. Every model parameter can be set in its section (``revenue.ai_revenue_2030_bn``)
or in ``parameters:``, as a number or a distribution; see ``aicapex.sim.model.parameters``.
"""

from __future__ import annotations

import datetime as dt
import difflib
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
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ------------------------------------------------------------------ distributions


class Fixed(Strict):
    dist: Literal["fixed"]
    value: Finite


class Normal(Strict):
    dist: Literal["normal"]
    mean: Finite
    sd: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class LogNormal(Strict):
    """Parameterised by the median and the sd of the log."""

    dist: Literal["lognormal"]
    median: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    sigma: Annotated[float, Field(gt=0.0, le=5.0, allow_inf_nan=False)]


class Uniform(Strict):
    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _order(self):
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={self.low}, high={self.high}")
        return self


class Triangular(Strict):
    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _order(self):
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high, got "
                             f"low={self.low}, mode={self.mode}, high={self.high}")
        return self


class Beta(Strict):
    """Beta(a, b) scaled to [low, high] (default [0, 1])."""

    dist: Literal["beta"]
    a: Annotated[float, Field(gt=0.0, le=1e4, allow_inf_nan=False)]
    b: Annotated[float, Field(gt=0.0, le=1e4, allow_inf_nan=False)]
    low: Finite = 0.0
    high: Finite = 1.0

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

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)
    start: Quarter | None = Field(default=None, alias="from")
    value: Finite


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


def BoundedPath(lo: float, hi: float, what: str) -> Any:  # noqa: N802 (a type, by use)
    """A ``Path`` whose values must lie in [lo, hi] (``what`` names them in the error)."""
    return Annotated[Path, AfterValidator(lambda v: _bounded_path(v, lo, hi, what))]

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
    start: Quarter
    growth_shift: Annotated[float, Field(ge=-3.0, le=1.5, allow_inf_nan=False)]
    quarters: Annotated[int, Field(ge=1, le=200)]


class LifeChange(Strict):
    at: Quarter
    to: Annotated[float, Field(ge=0.25, le=10.0, allow_inf_nan=False)]
    impairment: bool = True


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
    default_meeting: MeetingOdds | None = None

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
    passthrough_quarters: Annotated[int, Field(ge=1, le=12)] = 4


class RatesBase(Strict):
    term_premium_shift: BoundedPath(-0.03, 0.05, "a term-premium shift") | None = None


class CapexBase(Strict):
    growth_by_year: dict[Annotated[int, Field(ge=1900, le=2200)],
                         Annotated[float, Field(ge=-0.9, le=3.0, allow_inf_nan=False)]] = {}
    slowdown: Slowdown | list[Slowdown] | None = None


class DepreciationBase(Strict):
    useful_life_years: Annotated[float, Field(ge=0.25, le=10.0, allow_inf_nan=False)] | None = None
    change: LifeChange | None = None


class RevenueBase(Strict):
    price_deflation: BoundedPath(-0.5, 1.0, "an AI price deflation rate") | None = None


class HardwareBase(Strict):
    china_multiplier: BoundedPath(0.0, 10.0, "a China revenue multiplier") | None = None


EarningsShift = BoundedPath(-0.5, 0.5, "an earnings growth shift")


class EarningsBase(Strict):
    """``growth_shift``: annual log growth added to the earnings of every group (e.g. the
    consensus's near-term optimism); ``hardware_shift``, ``platforms_shift`` and
    ``other_shift`` add to one group's on top (for hardware, to its revenue)."""

    growth_shift: EarningsShift | None = None
    hardware_shift: EarningsShift | None = None
    platforms_shift: EarningsShift | None = None
    other_shift: EarningsShift | None = None


class GdpBase(Strict):
    """``shift``: annual real GDP growth added by the scenario (a recession path)."""

    shift: BoundedPath(-0.15, 0.15, "a GDP growth shift") | None = None


class CreditBase(Strict):
    spread_shift: BoundedPath(-0.02, 0.10, "a credit-spread shift") | None = None


ErpShift = BoundedPath(-0.1, 0.2, "an equity-risk-premium shift")


class ValuationBase(Strict):
    """``erp_liquidity`` lowers and ``erp_shift`` raises every group's equity risk premium
    (annual decimals); either moves prices in the quarter it happens."""

    erp_liquidity: ErpShift | None = None
    erp_shift: ErpShift | None = None


class Empty(Strict):
    pass


_SECTION_BASES: dict[str, type[Strict]] = {
    "fed": FedBase, "inflation": Empty, "tariffs": TariffsBase, "rates": RatesBase,
    "gdp": GdpBase, "capex": CapexBase, "depreciation": DepreciationBase,
    "revenue": RevenueBase, "hardware": HardwareBase, "earnings": EarningsBase,
    "credit": CreditBase,
    "valuation": ValuationBase, "volatility": Empty, "regime": Empty,
}


def _section_model(section: str, base: type[Strict]) -> type[Strict]:
    fields = {p.name: (Dist | None, Field(default=None, description=f"{p.doc} [{p.unit}]"))
              for p in PARAMETERS if p.section == section}
    return create_model(f"{section.capitalize()}Section", __base__=base, **fields)


SECTIONS: dict[str, type[Strict]] = {k: _section_model(k, b) for k, b in _SECTION_BASES.items()}
_unplaced = {p.section for p in PARAMETERS} - set(SECTIONS)
assert not _unplaced, f"parameters in sections with no schema: {_unplaced}"


class Settings(Strict):
    start: Quarter = "2025Q4"
    horizon_quarters: Annotated[int, Field(ge=1, le=200)] = 20
    draws: Annotated[int, Field(ge=1, le=100_000_000)] = 10_000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    dtype: Literal["float32", "float64"] = "float32"


_ScenarioBase = create_model(
    "_ScenarioBase", __base__=Strict,
    **{k: (m, Field(default_factory=m)) for k, m in SECTIONS.items()})


class Scenario(_ScenarioBase):
    """One scenario after ``extends:`` has been resolved."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    description: str = ""
    extends: str | list[str] | None = None
    settings: Settings = Field(default_factory=Settings)
    parameters: dict[str, Dist] = Field(default_factory=dict)
    anchors: dict[str, Finite | Date] = Field(default_factory=dict)

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
