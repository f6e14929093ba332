"""The reverse stress test: the most plausible combination of shocks that makes the median
index change to the horizon reach a loss (Breuer et al. 2009; Glasserman, Kang & Kang 2015).

Over the chosen shock dimensions ``k`` (``sensitivity.SHOCKS``: a shift of a scenario path in
every quarter), each with a plausibility scale ``sigma_k`` (``SCALES``), solve

    min_delta  D(delta)^2 = sum_k (delta_k / sigma_k)^2
    subject to m(delta) <= target,     m = median of S_H / S_0 - 1 over the draws

by the Hasofer-Lind-Rackwitz-Fiessler iteration (``_design_point``). The gradient comes from
the autodiff sensitivities
(``sensitivity.gradient_program``, kernel-weighted pathwise plus the regime chain's score).
The draws and their random numbers are held fixed (common random numbers). The result:
the shocks, the Mahalanobis distance ``D``, each shock's share of ``D^2`` (the binding
ones), and a scenario YAML that ``extends:`` the base with those shocks. ``aicapex
reverse-stress`` runs it to confirm. With one dimension the problem is a root find:
``single_shock`` solves ``m(delta) = target`` by Brent's method.

The scales are assumptions of this module, not fitted: a plausible one-sd move of a
five-year path shift. ``--scale NAME=VALUE`` replaces them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import brentq

from ..scenarios import builtin_names
from ..scenarios import scenario as load
from . import sensitivity as sens

SCALES: dict[str, float] = {
    "capex_growth": 0.15,          # AI capex growth, annual log growth: a slowdown's -0.4 is 2.7 sd
    "gdp_shift": 0.01,             # real GDP growth: 1pp a year for five years
    "erp_shift": 0.01,             # equity risk premium: 1pp
    "spread_shift": 0.01,          # AI credit spread: 100bp
    "term_premium_shift": 0.005,   # 10-year term premium: 50bp
    "price_deflation": 0.05,       # AI price decline: 5pp a year
    "earnings_growth_shift": 0.02,  # earnings growth of every group: 2pp a year
}
"""One plausibility sd of each shock (annual decimals), the denominators of ``D``."""

FIELDS: dict[str, str] = {
    "gdp_shift": "gdp.shift", "erp_shift": "valuation.erp_shift",
    "spread_shift": "credit.spread_shift", "term_premium_shift": "rates.term_premium_shift",
    "price_deflation": "revenue.price_deflation", "earnings_growth_shift": "earnings.growth_shift",
}
"""The scenario-file field of each shock that is a path of steps (capex growth is written as
a slowdown over the whole horizon)."""


@dataclass(frozen=True)
class Result:
    """A reverse stress test's answer."""

    base: str
    target: float
    shocks: dict[str, float]      # the shift of each dimension, annual decimals
    distance: float               # the Mahalanobis distance D
    shares: dict[str, float]      # each shock's share of D^2
    achieved: float               # m at the shocks, on the draws solved on
    success: bool
    message: str
    yaml: str                     # the scenario, runnable


class _MedianChange:
    """m(delta) and its gradient along ``dims``, from one pass of the median's gradient
    program per point (the last point is kept: a value and its gradient come together)."""

    def __init__(self, pr: sens.Problem, dims: list[int]):
        # (all the metrics' program: the one ``sensitivity_table`` compiles, so a session
        # that ran both compiles one; the other four backward passes cost little)
        self.program = sens.gradient_program(pr)
        self.metric = list(sens.METRICS).index("median_index")
        self.dims, self.start = dims, float(pr.scen.init.index_level)
        self.last: tuple[bytes, float, np.ndarray] | None = None

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        key = np.asarray(x, np.float64).tobytes()
        if self.last is None or self.last[0] != key:
            delta = np.zeros(len(sens.SHOCKS))
            delta[self.dims] = x
            values, (_, g_delta) = self.program(np.zeros(len(sens.PARAMETERS)), delta)
            self.last = (key, float(values[self.metric]) / self.start - 1,
                         np.asarray(g_delta)[self.metric, self.dims] / self.start)
        return self.last[1], self.last[2]


def reverse_stress(base="baseline", target: float = -0.3,
                   dimensions: Sequence[str] = tuple(SCALES), draws: int = 4096,
                   seed: int | None = None, scales: Mapping[str, float] | None = None,
                   name: str | None = None) -> Result:
    """The most plausible shocks along ``dimensions`` that bring the median index change of
    ``base`` to ``target`` or below (see the module)."""
    unknown = [d for d in dimensions if d not in sens.SHOCKS]
    if unknown or not dimensions:
        raise ValueError(f"unknown shock dimension(s) {unknown or '(none)'}; allowed: "
                         f"{', '.join(sens.SHOCKS)}")
    sigma = np.array([{**SCALES, **(scales or {})}[d] for d in dimensions], np.float64)
    if (sigma <= 0).any():
        raise ValueError("every plausibility scale must be positive")
    pr = sens.problem(base, draws, seed)
    dims = [list(sens.SHOCKS).index(d) for d in dimensions]
    change = _MedianChange(pr, dims)
    m0, _ = change(np.zeros(len(dims)))
    if m0 <= target:
        x = np.zeros(len(dims))
        ok, msg = True, f"the base's median change {m0:.1%} already reaches the target"
    else:
        x, ok, msg = _design_point(change, sigma, target)
    achieved = change(x)[0]
    z2 = (x / sigma) ** 2
    shocks = {d: float(v) for d, v in zip(dimensions, x, strict=True)}
    name = name or f"{pr.name}_reverse_stress_{abs(round(100 * target))}"
    return Result(pr.name, target, shocks, float(np.sqrt(z2.sum())),
                  {d: float(v / z2.sum()) if z2.sum() > 0 else 0.0
                   for d, v in zip(dimensions, z2, strict=True)},
                  achieved, ok and achieved <= target + 1e-3, msg,
                  scenario_yaml(base, shocks, name, target, float(np.sqrt(z2.sum()))))


MAX_ITERATIONS = 30


def _design_point(change, sigma: np.ndarray, target: float) -> tuple[np.ndarray, bool, str]:
    """The point nearest the origin, in units of ``sigma``, where ``change`` reaches
    ``target``: the Hasofer-Lind-Rackwitz-Fiessler iteration of structural reliability
    (Rackwitz & Fiessler 1978). In whitened coordinates ``z = x / sigma`` with ``g(z)`` the
    median change and ``G`` its gradient, ``z <- (G.z - (g(z) - target)) / |G|^2 * G``: the
    optimum of the linearised problem, which the true optimum is where it stops moving
    (its ``z`` is then parallel to ``G``, the first-order condition). SciPy's SLSQP was
    tried: on 4,096 draws it took 70-500 evaluations and sometimes its iteration limit;
    this takes a handful."""
    z = np.zeros_like(sigma)
    for it in range(1, MAX_ITERATIONS + 1):
        m, grad = change(sigma * z)
        g = grad * sigma
        if not np.any(g):
            return sigma * z, False, "the median does not move with these shocks"
        new = (g @ z - (m - target)) / (g @ g) * g
        # stops where it moves less than 0.1% of the distance (the kernel gradient's noise
        # on a few thousand draws keeps it jittering below that)
        if np.linalg.norm(new - z) < 1e-3 * max(1.0, np.linalg.norm(z)) and abs(m - target) < 1e-3:
            return sigma * new, True, f"converged in {it} iterations"
        z = new
    m, _ = change(sigma * z)
    return sigma * z, abs(m - target) < 1e-3, f"stopped after {MAX_ITERATIONS} iterations"


def single_shock(base="baseline", dimension: str = "capex_growth", target: float = -0.3,
                 bracket: tuple[float, float] | None = None, draws: int = 4096,
                 seed: int | None = None) -> float:
    """The size of ``dimension``'s shock alone at which the median index change of ``base``
    equals ``target`` (Brent's method on forward runs; ``bracket`` defaults to -10 to +10
    plausibility sds). Raises ValueError if the bracket holds no answer."""
    pr = sens.problem(base, draws, seed)
    k = list(sens.SHOCKS).index(dimension)
    start = float(pr.scen.init.index_level)
    m = list(sens.METRICS).index("median_index")

    def gap(v: float) -> float:
        delta = np.zeros(len(sens.SHOCKS))
        delta[k] = v
        return float(sens.metric_values(pr, np.zeros(len(sens.PARAMETERS)), delta)[m]
                     ) / start - 1 - target
    lo, hi = bracket or (-10 * SCALES[dimension], 10 * SCALES[dimension])
    if gap(lo) * gap(hi) > 0:
        raise ValueError(f"no {dimension} shock in [{lo:g}, {hi:g}] brings the median change "
                         f"to {target:.0%}")
    return brentq(gap, lo, hi, xtol=1e-6)


def _shifted_steps(steps, shift: float) -> list[dict]:
    """A path of steps plus ``shift`` in every quarter (the path is 0 before its first step)."""
    out = [] if steps and steps[0].start is None else [{"value": round(shift, 6)}]
    for s in steps or ():
        step = {"value": round(s.value + shift, 6)}
        if s.start is not None:
            step = {"from": s.start, **step}
        out.append(step)
    return out


def scenario_yaml(base, shocks: Mapping[str, float], name: str, target: float,
                  distance: float) -> str:
    """A scenario file that extends ``base`` by ``shocks`` (each a shift in every quarter)."""
    loaded = load(base)
    sc = loaded.scenario
    builtin = loaded.name in builtin_names() and isinstance(base, str) and base == loaded.name
    doc: dict = {"name": name,
                 "extends": loaded.name if builtin else str(Path(loaded.path).resolve()),
                 "description": f"reverse stress test of {loaded.name}: the most plausible "
                 f"shocks (Mahalanobis distance {distance:.2f}) that take the median index "
                 f"change to {target:.0%}"}
    for shock, value in shocks.items():
        if value == 0:
            continue
        if shock == "capex_growth":
            start = sc.settings.start
            slow = sc.capex.slowdown
            listed = slow if isinstance(slow, list) else [slow] if slow else []
            doc.setdefault("capex", {})["slowdown"] = [
                *(s.model_dump(by_alias=True) for s in listed),
                {"start": start, "growth_shift": round(value, 6),
                 "quarters": sc.settings.horizon_quarters}]
            continue
        section, field = FIELDS[shock].split(".")
        current = getattr(getattr(sc, section), field)
        doc.setdefault(section, {})[field] = _shifted_steps(current, value)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
