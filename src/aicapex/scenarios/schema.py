"""The scenario file schema (pydantic v2, strict: unknown keys are errors): the sections, the
run's settings and the ``Scenario`` (its building blocks are in ``fields``, its JSON Schema in
``json_schema``).

Units: rates and growth are annual decimals (0.25 = 25%), money is $bn, quarters are written
``2026Q3``. Every model parameter can be set in its section (``revenue.ai_revenue_2030_bn``)
or in ``parameters:``, as a number or a distribution; see ``aicapex.sim.model.catalog``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from ..sim.model import MOVE_GRID_BP, PARAM_NAMES, PARAMETERS, PATHS, PathSpec
from .anchors import anchor_problems, default_anchors, with_values
from .calendar import fomc_dates
from .fields import (
    MOVES_BP,
    BoundedPath,
    Date,
    Dist,
    FieldError,
    Finite,
    LifeChange,
    MeetingOdds,
    Quarter,
    Slowdown,
    Strict,
    _check_odds,
    _to_date,
    as_dist,
    dist_support,
    quarter_ordinal,
)
from .initial import initial_conditions
from .priors import default_priors

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

    meetings: Annotated[dict[dt.date, MeetingOdds], BeforeValidator(_meeting_keys)] = {}  # noqa: RUF012 (pydantic copies it)
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


class CapexBase(Strict):
    growth_by_year: dict[Annotated[int, Field(ge=1900, le=2200)],
                         Annotated[float, Field(ge=-0.9, le=3.0, allow_inf_nan=False)]] = {}  # noqa: RUF012 (pydantic copies it)
    """The consensus path of AI capex growth by calendar year (2026: 0.3 = +30%), annual
    decimals in [-0.9, 3]."""
    slowdown: Slowdown | list[Slowdown] | None = None
    """A slowdown (or a list of them) against that path."""

    @field_validator("growth_by_year", mode="before")
    @classmethod
    def _years_as_text(cls, v: Any) -> Any:
        """A year written as text that spells an integer (a JSON document's keys, a web
        form's) is that year; anything else is left for the schema to refuse."""
        if isinstance(v, dict):
            return {int(k) if isinstance(k, str) and k.strip().isdigit() else k: x
                    for k, x in v.items()}
        return v


class DepreciationBase(Strict):
    useful_life_years: Annotated[float, Field(ge=0.25, le=10.0, allow_inf_nan=False)] | None = None
    """Useful life of AI servers in years, 0.25-10 (default: the anchor, 6)."""
    change: LifeChange | None = None
    """A change of the useful life during the run."""


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


class Empty(Strict):
    pass


_SECTION_BASES: dict[str, type[Strict]] = {
    "fed": FedBase, "inflation": Empty, "tariffs": TariffsBase, "rates": Empty,
    "gdp": Empty, "capex": CapexBase, "depreciation": DepreciationBase,
    "revenue": Empty, "hardware": Empty, "earnings": EarningsBase,
    "credit": Empty, "valuation": Empty, "volatility": Empty, "regime": Empty, "pin": Empty,
}
"""Each section's hand-written fields (those with a structure of their own); the paths of
``sim.model.PATHS`` and the parameters of ``sim.model.PARAMETERS`` are added from their
declarations (``_section_model``)."""


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
    "pin": ("Macro variables set to a path for chosen quarters (FRB/US's exogenize): the "
            "model's own equation steps aside there and everything downstream responds; a "
            "null step hands the variable back to the model."),
}


def _path_field(spec: PathSpec) -> tuple[Any, Any]:
    """The scenario-file field of a declared path: a number or dated steps within its range."""
    return (BoundedPath(spec.lo, spec.hi, spec.what, spec.pin) | None, Field(
        default=None, description=f"{spec.doc[0].upper()}{spec.doc[1:]}; values in "
        f"[{spec.lo:g}, {spec.hi:g}] (unit {spec.unit}), a number or a list of "
        "{from: 2026Q1, value: ...} steps" + (
            " (value null: the model's own from that quarter)." if spec.pin else ".")))


def _section_model(section: str, base: type[Strict]) -> type[Strict]:
    fields = {s.field: _path_field(s) for s in PATHS if s.section == section}
    fields |= {p.name: (Dist | None, Field(
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
_unplaced = {p.section for p in (*PARAMETERS, *PATHS)} - set(SECTIONS)
assert not _unplaced, f"parameters or paths in sections with no schema: {_unplaced}"


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
