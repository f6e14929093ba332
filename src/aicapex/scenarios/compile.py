"""Compiling validated scenarios into the fixed-shape arrays of ``aicapex.sim``.

Everything calendar- or text-shaped happens here, once, in NumPy: FOMC meeting odds become a
per-quarter CDF of the total move, tariff paths become changes and pass-through impulses,
useful lives and life changes become per-quarter depreciation/impairment/book-value weights
of each vintage ring slot, priors become tabulated quantile functions. The JAX core sees only
arrays, so any batch of scenarios with the same horizon shares one compilation.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..sim.model import (
    DT,
    MOVE_GRID_BP,
    N_VINTAGES,
    PARAMETERS,
    PATHS,
    PRIOR_Z,
    SHOCKS,
    Initial,
    ScenarioArrays,
    ScenarioPaths,
    ring_length,
)
from .anchors import Anchor, anchor_values, with_values
from .calendar import fomc_dates
from .fields import (
    MOVES_BP,
    Beta,
    Dist,
    Fixed,
    LogNormal,
    Normal,
    PathStep,
    Triangular,
    Uniform,
    as_dist,
    quarter_ordinal,
)
from .initial import initial_conditions
from .priors import SHOCK_CORRELATIONS, default_priors
from .schema import Scenario


@dataclass(frozen=True)
class Timeline:
    start: str
    horizon: int

    @property
    def first(self) -> int:
        return quarter_ordinal(self.start)

    def quarter_of(self, q: str) -> int:
        """Index of quarter ``q`` in the horizon (may be < 0 or >= horizon)."""
        return quarter_ordinal(q) - self.first

    def periods(self) -> pd.PeriodIndex:
        return pd.period_range(start=pd.Period(self.start, freq="Q"), periods=self.horizon,
                               freq="Q")

    def quarter_ends(self) -> pd.DatetimeIndex:
        return self.periods().to_timestamp(how="end").normalize()

    def quarter_index_of_date(self, d: dt.date) -> int:
        return (d.year * 4 + (d.month - 1) // 3) - self.first


def step_path(steps: Sequence[PathStep] | None, tl: Timeline, before: float) -> np.ndarray:
    """A (T,) path from ``{from, value}`` steps; ``before`` until the first step; a pin's
    null value is NaN (not pinned)."""
    out = np.full(tl.horizon, before, dtype=np.float64)
    for s in steps or ():
        i0 = 0 if s.start is None else max(tl.quarter_of(s.start), 0)
        if i0 < tl.horizon:
            out[i0:] = np.nan if s.value is None else s.value
    return out


def fed_move_cdf(scen: Scenario, tl: Timeline, as_of: dt.date) -> np.ndarray:
    """(T, G) CDF of each quarter's total move on ``MOVE_GRID_BP``: meetings after ``as_of``
    in the quarter, each drawn independently (listed odds, else ``default_meeting``)."""
    listed = dict(scen.fed.meetings)
    default = scen.fed.default_meeting or {"hold": 1.0}
    g = len(MOVE_GRID_BP)
    probs = np.zeros((tl.horizon, g))
    probs[:, g // 2] = 1.0  # no meeting: no move
    first_year = tl.first // 4
    last_year = (tl.first + tl.horizon - 1) // 4
    meetings: dict[dt.date, Mapping[str, float]] = {}
    for year in range(first_year, last_year + 1):
        for d in fomc_dates(year):
            meetings[d] = listed.get(d, default)
    meetings.update(listed)  # off-calendar dates are unscheduled meetings
    for d, odds in sorted(meetings.items()):
        t = tl.quarter_index_of_date(d)
        if d <= as_of or not 0 <= t < tl.horizon:
            continue
        kernel = np.zeros(9)  # moves -100..+100 in 25bp steps
        for name, p in odds.items():
            kernel[MOVES_BP[name] // 25 + 4] += p
        convolved = np.convolve(probs[t], kernel)[4:4 + g]
        if not np.isclose(convolved.sum(), 1.0):
            raise ValueError(f"quarter {tl.periods()[t]} has policy moves beyond "
                             f"{MOVE_GRID_BP[0]}..{MOVE_GRID_BP[-1]}bp; list fewer meetings")
        probs[t] = convolved
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0
    return np.clip(cdf, 0.0, 1.0)


def fed_rule_weight(scen: Scenario, tl: Timeline, as_of: dt.date) -> np.ndarray:
    """(T,) weight of the Fed's rule in block 1: 0 up to the quarter of the last meeting the
    scenario lists after ``as_of`` (the market's odds are the path there), 1 after it."""
    listed = [d for d in scen.fed.meetings if d > as_of]
    out = np.ones(tl.horizon)
    if listed:
        out[:max(tl.quarter_index_of_date(max(listed)) + 1, 0)] = 0.0
    return out


def tariff_arrays(scen: Scenario, tl: Timeline, tau0: float):
    """Effective tariff path, its quarterly change and the annualised pass-through impulse
    (each change spread evenly over ``passthrough_quarters``)."""
    rate = step_path(scen.tariffs.effective_rate, tl, tau0)
    change = np.diff(np.concatenate([[tau0], rate]))
    k = scen.tariffs.passthrough_quarters
    impulse = np.convolve(change, np.ones(k) / (k * DT))[: tl.horizon]
    return rate, change, impulse


def capex_growth_path(scen: Scenario, tl: Timeline, history_growth: float) -> np.ndarray:
    """(T,) planned annual log growth of AI capex: ``growth_by_year`` (simple growth; years
    after the last listed keep its value) plus slowdown shifts."""
    by_year = dict(sorted(scen.capex.growth_by_year.items()))
    years = (tl.first + np.arange(tl.horizon)) // 4
    out = np.empty(tl.horizon)
    for i, y in enumerate(years):
        listed = [v for k, v in by_year.items() if k <= y]
        out[i] = np.log1p(listed[-1]) if listed else (
            np.log1p(next(iter(by_year.values()))) if by_year else history_growth)
    slowdowns = scen.capex.slowdown
    for s in (slowdowns if isinstance(slowdowns, list) else [slowdowns] if slowdowns else []):
        i0 = tl.quarter_of(s.start)
        lo, hi = max(i0, 0), min(i0 + s.quarters, tl.horizon)
        out[lo:hi] += s.growth_shift
    return out


def earnings_shifts(scen: Scenario, tl: Timeline) -> np.ndarray:
    """(T, 3) annual log growth added to each group's earnings (hardware, platforms, other
    490): ``growth_shift`` for all plus each group's own shift."""
    e = scen.earnings
    common = step_path(e.growth_shift, tl, 0.0)
    own = [step_path(x, tl, 0.0) for x in (e.hardware_shift, e.platforms_shift, e.other_shift)]
    return common[:, None] + np.stack(own, axis=1)


def scenario_paths(scen: Scenario, tl: Timeline) -> ScenarioPaths:
    """Every declared path (``sim.model.PATHS``) over the horizon, (T,) each: the steps the
    scenario file gives at ``section.field``, the spec's default before the first and where it
    gives none."""
    return ScenarioPaths(*(step_path(getattr(getattr(scen, spec.section), spec.field), tl,
                                     spec.default) for spec in PATHS))


def quarter_lengths(tl: Timeline, as_of: dt.date) -> np.ndarray:
    """(T,) length of each quarter of the horizon in quarters: 1, except a first quarter
    that holds the anchors' ``as_of`` date, which runs only from that date to its end (the
    stub: 40 days of 2025Q4 from 21 Nov 2025)."""
    out = np.ones(tl.horizon)
    first = tl.periods()[0]
    start, end = first.start_time.date(), first.end_time.date()
    if start <= as_of <= end:
        days = (end - start).days + 1
        out[0] = max((end - as_of).days, 1) / days
    return out


class VintageWeights(NamedTuple):
    """Straight-line accounting of the AI asset base as linear weights on vintage costs.

    ``dep``/``imp``/``nbv`` (T, L) weigh the ring slots of vintages installed in the horizon
    (vintage tau in slot tau % L, L = ``ring_length(T)``); ``*_pre`` (T, V) weigh the vintages
    installed before the start (vintage tau < 0 in column tau % V), whose cost is known at
    compile time. Per quarter t: depreciation (share of cost booked in the quarter),
    impairment (share written off in the quarter), book value left after it and whether the
    vintage is in service (depreciated in the quarter: inside its useful life)."""

    dep: np.ndarray
    imp: np.ndarray
    nbv: np.ndarray
    svc: np.ndarray
    dep_pre: np.ndarray
    imp_pre: np.ndarray
    nbv_pre: np.ndarray
    svc_pre: np.ndarray


def depreciation_weights(horizon: int, life0_q: float, life_q: np.ndarray,
                         change_q: np.ndarray, impair: bool) -> VintageWeights:
    """Per-quarter weights on each vintage's cost for straight-line lives with dated life
    changes (see ``VintageWeights``).

    Vintage tau (installed in quarter tau, pre-start vintages tau < 0 at ``life0_q``)
    depreciates from its installation quarter. A life change to L at quarter t re-spreads
    the remaining book value over max(L - age, 1) quarters; with ``impair`` the book value is
    first written down to what a life of L from installation would have left. A vintage
    leaves the accounts ``N_VINTAGES`` quarters after installation (the longest life).
    """
    V = N_VINTAGES
    L = ring_length(horizon)
    w = VintageWeights(*(np.zeros((horizon, n)) for n in (L, L, L, L, V, V, V, V)))
    for tau in range(-V, horizon):
        if tau < 0:
            age0 = -tau
            nbv = max(0.0, 1.0 - age0 / life0_q)
            rem = max(0.0, life0_q - age0)
            dep, imp, nbv_w, svc, col = w.dep_pre, w.imp_pre, w.nbv_pre, w.svc_pre, tau % V
        else:
            nbv, rem = 1.0, float(life_q[tau])
            dep, imp, nbv_w, svc, col = w.dep, w.imp, w.nbv, w.svc, tau % L
        for t in range(max(tau, 0), min(tau + V, horizon)):
            age = t - tau
            if change_q[t] > 0 and age > 0:
                new_life = float(change_q[t])
                if impair:
                    target = max(0.0, 1.0 - age / new_life)
                    loss = max(0.0, nbv - target)
                    imp[t, col] += loss
                    nbv -= loss
                rem = max(new_life - age, 1.0) if nbv > 0 else 0.0
            if nbv > 0 and rem > 0:
                d = nbv if rem < 1.0 else nbv / rem
                dep[t, col] += d
                svc[t, col] = 1.0
                nbv -= d
                rem -= 1.0
            nbv_w[t, col] = nbv
        if tau + V - 1 < horizon and nbv > 1e-9:
            raise AssertionError(f"vintage {tau} still has book value when it leaves the ring")
    return w


_QUANTILES: dict[tuple[str, float, float], np.ndarray] = {}
"""``prior_quantiles``' results by prior: a sweep's points share their 100 priors, whose
quantile functions (scipy's ppf) were most of the time a 1,000-point sweep took to compile."""


def prior_quantiles(spec: Dist, lo: float, hi: float) -> np.ndarray:
    """Quantile function of a prior at the normal scores ``PRIOR_Z`` (clipped to [lo, hi]),
    read-only (kept for the next scenario with the same prior)."""
    key = (repr(spec), lo, hi)  # a prior's repr holds its kind and every value, exactly
    if key not in _QUANTILES:
        if len(_QUANTILES) > 10_000:
            _QUANTILES.clear()
        q = _prior_quantiles(spec, lo, hi)
        q.flags.writeable = False
        _QUANTILES[key] = q
    return _QUANTILES[key]


def _prior_quantiles(spec: Dist, lo: float, hi: float) -> np.ndarray:
    u = stats.norm.cdf(PRIOR_Z)
    match spec:
        case Fixed():
            q = np.full_like(u, spec.value)
        case Normal():
            q = spec.mean + spec.sd * PRIOR_Z
        case LogNormal():
            q = spec.median * np.exp(spec.sigma * PRIOR_Z)
        case Uniform():
            q = stats.uniform(spec.low, spec.high - spec.low).ppf(u)
        case Triangular():
            c = (spec.mode - spec.low) / (spec.high - spec.low)
            q = stats.triang(c, loc=spec.low, scale=spec.high - spec.low).ppf(u)
        case Beta():
            q = stats.beta(spec.a, spec.b, loc=spec.low, scale=spec.high - spec.low).ppf(u)
        case _:
            raise TypeError(spec)
    return np.clip(q, lo, hi)


def shock_cholesky(correlations: Mapping[tuple[str, str], float]) -> np.ndarray:
    """Lower Cholesky factor of the shock correlation matrix (must be positive definite)."""
    idx = {name: i for i, name in enumerate(SHOCKS)}
    corr = np.eye(len(SHOCKS))
    for (a, b), r in correlations.items():
        corr[idx[a], idx[b]] = corr[idx[b], idx[a]] = r
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise ValueError("shock correlation matrix is not positive definite") from None


def stream_id(name: str) -> int:
    """Stable 32-bit random-stream id of a scenario name (independent-stream mode)."""
    return zlib.crc32(name.encode("utf-8"))


def compile_scenario(scen: Scenario, anchors: Mapping[str, Anchor] | None = None,
                     dtype: str | np.dtype = "float32") -> ScenarioArrays:
    """One scenario as NumPy ``ScenarioArrays`` of ``dtype``. The scenario's own ``anchors:``
    replace those of ``anchors`` (default: the shipped ones)."""
    if scen.anchors:
        anchors = with_values(scen.anchors, anchors)
    a = anchor_values(anchors)
    ic = initial_conditions(anchors)
    tl = Timeline(scen.settings.start, scen.settings.horizon_quarters)
    as_of = dt.date.fromisoformat(str(a["as_of_date"]))
    T = tl.horizon

    life0_q = 4.0 * (scen.depreciation.useful_life_years or a["useful_life_years"])
    life_q = np.full(T, life0_q)
    change_q = np.zeros(T)
    ch = scen.depreciation.change
    if ch is not None:
        tc = tl.quarter_of(ch.at)
        if 0 <= tc < T:
            life_q[tc:] = 4.0 * ch.to
            change_q[tc] = 4.0 * ch.to
    weights = depreciation_weights(T, life0_q, life_q, change_q,
                                   bool(ch.impairment) if ch else False)

    history_growth = a["capex_history_growth"]
    capex0 = ic["capex_bn"]
    taus = np.arange(-N_VINTAGES, 0)
    vintage0 = np.zeros(N_VINTAGES)
    vintage0[taus % N_VINTAGES] = capex0 * DT * np.exp(history_growth * (taus + 1) * DT)
    ages_before = -taus - 1  # age in the quarter before the start
    dep_before = np.where(ages_before < life0_q, 1.0 / life0_q, 0.0)
    depreciation0 = float(np.sum(vintage0[taus % N_VINTAGES] * dep_before) / DT)
    # today's earnings were reported at the anchors' life: a scenario's own life changes the
    # depreciation from the start, not the earnings already reported (their core)
    reported_q = 4.0 * a["useful_life_years"]
    reported0 = float(np.sum(vintage0[taus % N_VINTAGES] * np.where(
        ages_before < reported_q, 1.0 / reported_q, 0.0)) / DT)
    in_service0 = float(np.sum(vintage0[taus % N_VINTAGES] * (ages_before < life0_q)))

    rate, change, impulse = tariff_arrays(scen, tl, a["effective_tariff_rate"])
    start_year = tl.first / 4.0
    init = Initial(
        policy_rate=ic["policy_rate"], inflation=ic["inflation"], yield_10y=ic["yield_10y"],
        nominal_gdp_bn=ic["nominal_gdp_bn"], capex_bn=capex0, depreciation_bn=depreciation0,
        reported_depreciation_bn=reported0,
        ai_revenue_bn=ic["ai_revenue_bn"],
        years_to_2030=float(a["ai_revenue_pin_year"]) - start_year,
        hw_china_revenue_bn=ic["hw_china_revenue_bn"], hw_net_margin=ic["hw_net_margin"],
        hw_revenue_bn=ic["hw_revenue_bn"], hw_opex_share=ic["hw_opex_share"],
        platform_earnings_bn=ic["platform_earnings_bn"],
        other_earnings_bn=ic["other_earnings_bn"], pe=ic["pe"],
        expected_growth=ic["expected_growth"], unemployment=ic["unemployment"],
        in_service_bn=in_service0, credit_spread=ic["credit_spread"],
        economy_spread=ic["economy_spread"], ai_debt_bn=ic["ai_debt_bn"],
        index_level=ic["index_level"], volatility=ic["volatility"])
    if init.years_to_2030 <= 0.25:
        raise ValueError(f"start {scen.settings.start} is too late: the AI revenue S-curve is "
                         f"pinned to {a['ai_revenue_pin_year']} (anchor ai_revenue_pin_year)")

    priors = {k: p.spec for k, p in default_priors(anchors).items()}
    priors.update(scen.param_overrides())
    table = np.stack([prior_quantiles(as_dist(priors[p.name]), p.lo, p.hi)
                      for p in PARAMETERS])

    arrays = ScenarioArrays(
        fed_move_cdf=fed_move_cdf(scen, tl, as_of),
        fed_rule_weight=fed_rule_weight(scen, tl, as_of), tariff_rate=rate, tariff_change=change,
        tariff_impulse=impulse,
        capex_growth=capex_growth_path(scen, tl, history_growth),
        dep_weights=weights.dep, imp_weights=weights.imp, nbv_weights=weights.nbv,
        dep_prestart=weights.dep_pre @ vintage0, imp_prestart=weights.imp_pre @ vintage0,
        nbv_prestart=weights.nbv_pre @ vintage0, vintage0_bn=vintage0,
        svc_weights=weights.svc, svc_prestart=weights.svc_pre @ vintage0,
        life_quarters=life_q, life_change_quarters=change_q, life0_quarters=life0_q,
        impair_on_change=float(bool(ch.impairment)) if ch else 0.0,
        paths=scenario_paths(scen, tl),
        earnings_growth_shift=earnings_shifts(scen, tl),
        shock_scale=np.sqrt(quarter_lengths(tl, as_of)),
        years=(np.arange(T) + 1.0) * DT, shock_chol=shock_cholesky(SHOCK_CORRELATIONS),
        prior_table=table, init=init)
    dtype = np.dtype(dtype)
    return _cast(arrays, dtype)


def _cast(tree, dtype: np.dtype):
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(_cast(x, dtype) for x in tree))
    return np.asarray(tree, dtype=dtype)


def stack_batch(arrays: Sequence[ScenarioArrays]) -> ScenarioArrays:
    """Stack scenarios on a leading axis; all must share the horizon."""
    horizons = {a.years.shape[0] for a in arrays}
    if len(horizons) != 1:
        raise ValueError(f"scenarios in one batch need the same horizon, got {sorted(horizons)}")

    def stack(*leaves):
        if isinstance(leaves[0], tuple) and hasattr(leaves[0], "_fields"):
            return type(leaves[0])(*(stack(*xs) for xs in zip(*leaves, strict=True)))
        return np.stack(leaves)

    return stack(*arrays)
