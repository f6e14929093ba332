"""The space of scenario shocks: the dimensions a scenario moves along, where a scenario sits
on each, how to write a shock into a scenario file, and how plausible a shock vector is.

A dimension ``k`` has a **measure** ``m_k(x)`` of a compiled scenario ``x`` (its position
along ``k``, ``measure``), a **scale** ``sigma_k`` (one plausibility sd, ``scales``) and an
**edit** that writes a shock ``delta_k`` into a scenario file so that ``m_k`` moves by
``delta_k`` (``ShockSpace.document``). Two kinds:

- a **path** shift (``PATHS``): ``delta`` added to a scenario path in every quarter; the
  measure is the path's mean over the horizon. These are the inputs the autodiff
  sensitivities differentiate (``sensitivity.SHOCKS``).
- a **structural** shock (``STRUCTURAL``), one the model does not take additively:
  ``tariff_rate`` (the effective rate, shifted from the start; measure: its mean),
  ``useful_life`` (years added to every server life; measure: the mean life of the quarter's
  installs) and ``fed_path`` (the expected cumulative meeting moves to the horizon, decimal,
  negative = more cuts; the edit mixes every meeting's odds with the odds one 25bp step
  lower, or higher, by the weight that gives ``delta``, at most 1).

A scenario ``s``'s shock vector against a reference ``r`` is ``delta = m(x_s) - m(x_r)``, and
its plausibility the Mahalanobis distance with independent scales (``plausibility``), to
which every prior whose median the scenario moves adds its move in sds of the reference's
prior (``prior_shifts``; ``z_j``):

    D^2 = sum_k (delta_k / sigma_k)^2 + sum_j z_j^2,   chi2 percentile F_{chi2(n)}(D^2),
    p   = Phi(-D)                          (a move at least this far along its direction)

with ``n`` the number of components the scenario moves: the percentile says how much of
history's variation in those drivers stays closer than this scenario.
read as "1 in 1/p" horizons, about once in ``H / p`` years. ``p`` is the reliability-index
reading of structural engineering (a design point at distance ``D`` has half-space
probability ``Phi(-D)``); the chi-square percentile is the Aladdin-style z-score's. What a
scenario changes that no dimension measures (a China-revenue path, a prior override) is
listed, not scored.

Scales: fitted to history where the shipped fit has one (``fitted.yaml: shock_scales``,
``calibration/scales.py``: the sd of a five-year average's departure from its mean), else the
assumptions of ``ASSUMED``, each with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ..scenarios import builtin_names, compile_scenario, scenario, shipped_fit
from ..scenarios.fields import MOVES_BP
from ..scenarios.loader import library_dir
from ..sim.model import PARAMETERS
from ..sim.model import PATH_NAMES as MODEL_PATH_NAMES
from ..sim.model import PATHS as MODEL_PATHS
from ..sim.model.types import MOVE_GRID_BP, PRIOR_Z

_DECLARED = [spec for spec in MODEL_PATHS if spec.shock]
"""The scenario paths the model declares as shock dimensions (``PathSpec.shock``)."""

PATHS: dict[str, tuple[str, str]] = {
    "capex_growth": ("AI capex growth (annual log growth, every quarter)", "1/yr"),
    **{spec.name: (spec.shock, spec.unit) for spec in _DECLARED},
    "earnings_growth_shift": ("earnings growth of every group", "1/yr"),
}
"""Path shocks: the ``ScenarioArrays`` path each shifts in every quarter, (label, unit). The
declared paths come from their specs; AI capex growth (compiled from the growth plan and the
slowdowns) and the earnings shift of every group (a (T, 3) path) are composed here."""

STRUCTURAL: dict[str, tuple[str, str]] = {
    "tariff_rate": ("US effective tariff rate, from the start", "fraction"),
    "useful_life": ("useful life of AI servers", "years"),
    "fed_path": ("expected cumulative Fed meeting moves to the horizon", "fraction"),
}
"""Shocks the model does not take additively; their gradients are finite differences."""

DIMENSIONS: dict[str, tuple[str, str]] = {**PATHS, **STRUCTURAL}

ASSUMED: dict[str, tuple[float, str]] = {
    "capex_growth": (0.15, "assumption: a five-year average 15pp below plan is one sd (the "
                     "built-in slowdown's -0.4 a year for 6 quarters averages 2.7 sd)"),
    **{spec.name: (spec.shock_scale, spec.shock_scale_why) for spec in _DECLARED},
    "tariff_rate": (0.05, "assumption: a third of 2025's rise of the effective rate, "
                    "2.4% to 17% (anchors), the largest in 90 years"),
    "useful_life": (1.0, "assumption: one year (hyperscalers moved server lives from 3-4 to "
                    "5-6 years in 2020-23; KUP gives 3-10 years)"),
    "earnings_growth_shift": (0.02, "assumption: 2pp a year"),
    "fed_path": (0.02, "assumption: 200bp of cumulative moves"),
}
"""The scale of each dimension where history gives none (the fitted ones replace these)."""

FIELDS: dict[str, str] = {
    **{spec.name: spec.file_field for spec in _DECLARED},
    "earnings_growth_shift": "earnings.growth_shift",
    "tariff_rate": "tariffs.effective_rate",
}
"""The scenario-file field of each shock written as a path of dated steps."""

_missing = [k for k in DIMENSIONS if k not in ASSUMED or ASSUMED[k][0] is None]
if _missing:
    raise ValueError(f"shock dimensions without an assumed scale: {_missing} (give the "
                     "PathSpec a shock_scale)")


def path_of(x, name: str):
    """Path ``name`` of a compiled scenario: a declared one from ``x.paths``, else the
    field of that name (``capex_growth``, ``earnings_growth_shift``)."""
    return getattr(x.paths, name) if name in MODEL_PATH_NAMES else getattr(x, name)


def shift_paths(x, deltas):
    """The compiled scenario ``x`` with ``deltas[k]`` added to the ``k``-th path of
    ``PATHS`` in every quarter (differentiable: ``deltas`` may be traced)."""
    own = {k: getattr(x, k) + d for k, d in zip(PATHS, deltas, strict=True)
           if k not in MODEL_PATH_NAMES}
    declared = {k: getattr(x.paths, k) + d for k, d in zip(PATHS, deltas, strict=True)
                if k in MODEL_PATH_NAMES}
    return x._replace(paths=x.paths._replace(**declared), **own)


def scales(overrides: Mapping[str, float] | None = None) -> dict[str, tuple[float, str]]:
    """Every dimension's plausibility sd and where it comes from: ``overrides``, else the
    shipped fit to history, else the assumption."""
    fitted = shipped_fit().get("shock_scales", {})
    out = {}
    for k in DIMENSIONS:
        if overrides and k in overrides:
            out[k] = (float(overrides[k]), "given")
        elif k in fitted:
            f = fitted[k]
            out[k] = (float(f["estimate"]), f"history: {f['data']} ({f['method']})")
        else:
            out[k] = ASSUMED[k]
    unknown = set(overrides or ()) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown shock dimension(s) {sorted(unknown)}; allowed: "
                         f"{', '.join(DIMENSIONS)}")
    if any(v <= 0 for v, _ in out.values()):
        raise ValueError("every plausibility scale must be positive")
    return out


def expected_moves(x) -> float:
    """The expected sum of the quarters' meeting moves to the horizon (decimal), from the
    compiled ``fed_move_cdf`` (T, G)."""
    cdf = np.asarray(x.fed_move_cdf, np.float64)
    probs = np.diff(cdf, axis=1, prepend=0.0)
    return float((probs @ MOVE_GRID_BP).sum() * 1e-4)


def measure(x) -> np.ndarray:
    """A compiled scenario's position (K,) on every dimension of ``DIMENSIONS``."""
    pos = {k: float(np.mean(np.asarray(path_of(x, k), np.float64))) for k in PATHS}
    # the liquidity relief of the premium is a negative shift of it
    pos["erp_shift"] -= float(np.mean(np.asarray(x.paths.erp_liquidity, np.float64)))
    pos["tariff_rate"] = float(np.mean(x.tariff_rate))
    pos["useful_life"] = float(np.mean(x.life_quarters)) / 4.0
    pos["fed_path"] = expected_moves(x)
    return np.array([pos[k] for k in DIMENSIONS])


_MEASURED = {*PATHS, "tariff_rate", "tariff_change", "tariff_impulse", "life_quarters",
             "life_change_quarters", "life0_quarters", "dep_weights", "imp_weights",
             "nbv_weights", "dep_prestart", "imp_prestart", "nbv_prestart", "svc_weights",
             "svc_prestart", "fed_move_cdf", "fed_rule_weight", "impair_on_change", "erp_liquidity",
             "prior_table"}
"""The compiled fields and declared paths some dimension measures."""


def unmeasured(x, ref) -> list[str]:
    """The compiled fields in which ``x`` differs from ``ref`` that no dimension measures."""
    out = []
    fields = [(n, getattr(x, n), getattr(ref, n)) for n in type(x)._fields
              if n not in ("init", "paths")]
    fields += [(n, getattr(x.paths, n), getattr(ref.paths, n)) for n in MODEL_PATH_NAMES]
    for name, a, b in fields:
        if name in _MEASURED:
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True):
            out.append(name)
    return out + prior_shifts(x, ref)[1]


_MEDIAN, _ONE_SD = int(np.argmin(np.abs(PRIOR_Z))), int(np.argmin(np.abs(PRIOR_Z - 1)))


def prior_shifts(x, ref) -> tuple[dict[str, float], list[str]]:
    """The priors whose median ``x`` moves from ``ref``'s, each in sds of ``ref``'s prior
    (half its 16-84% range), and the prior changes that has no such measure (a fixed prior
    moved, or a spread changed with the median kept)."""
    a, b = np.asarray(x.prior_table, np.float64), np.asarray(ref.prior_table, np.float64)
    shifts, other = {}, []
    same = np.isclose(a, b, rtol=1e-6, atol=1e-12).all(axis=1)  # np.allclose, per row
    for i, spec in enumerate(PARAMETERS):
        if same[i]:
            continue
        sd = 0.5 * (b[i, _ONE_SD] - b[i, 2 * _MEDIAN - _ONE_SD])
        move = a[i, _MEDIAN] - b[i, _MEDIAN]
        if sd > 0 and abs(move) > 1e-9 * max(abs(b[i, _MEDIAN]), 1.0):
            shifts[spec.name] = float(move / sd)
        else:
            other.append(f"prior {spec.name}" + (" spread" if sd > 0 else " (fixed)"))
    return shifts, other


def plausibility(z: np.ndarray, horizon_years: float, dof: int | None = None) -> dict:
    """The plausibility of a shock vector given in sds, ``z`` (its nonzero components): the
    distance ``D = |z|``, its chi-square percentile (``dof`` degrees of freedom, default
    ``z.size``), ``p = Phi(-D)`` (``p_direction``), 1 in 1/p and about once in H/p years."""
    z = np.asarray(z, np.float64)
    d = float(np.sqrt(np.sum(z**2)))
    p = float(stats.norm.sf(d))
    dof = dof or max(z.size, 1)
    return {"distance": d, "chi2_percentile": float(stats.chi2.cdf(d**2, dof)),
            "p_direction": p, "one_in": 1 / p if p > 0 else math.inf,
            "about_once_in_years": horizon_years / p if p > 0 else math.inf}


def _shifted_steps(steps, shift: float, before: float = 0.0) -> list[dict]:
    """A path of steps plus ``shift`` in every quarter (``before``: the path's value before
    its first dated step)."""
    out = [] if steps and steps[0].start is None else [{"value": round(before + shift, 6)}]
    for s in steps or ():
        step = {"value": round(s.value + shift, 6)}
        if s.start is not None:
            step = {"from": s.start, **step}
        out.append(step)
    return out


def _move_odds(odds: Mapping[str, float], w: float) -> dict[str, float]:
    """Meeting odds mixed with the odds one 25bp step lower (``w > 0``) or higher (``w < 0``)
    by the weight ``|w|``; moves at +-100bp stay where they are."""
    names = {v: k for k, v in MOVES_BP.items()}
    step = -25 if w > 0 else 25
    out = {k: (1 - abs(w)) * p for k, p in odds.items()}
    for k, p in odds.items():
        moved = names.get(MOVES_BP[k] + step, k)
        out[moved] = out.get(moved, 0.0) + abs(w) * p
    out = {k: round(v, 6) for k, v in out.items()}
    top = max(out, key=out.get)
    out[top] = round(1.0 - sum(v for k, v in out.items() if k != top), 6)
    return out


@dataclass
class ShockSpace:
    """The shock space around one base scenario: its compiled arrays and position, and the
    scenario files of shocks applied to it."""

    loaded: Any
    dtype: str = "float64"

    def __post_init__(self):
        self.loaded = scenario(self.loaded)
        self.base = compile_scenario(self.loaded.scenario, dtype=self.dtype)
        self.position = measure(self.base)
        self._fed_swing: dict[int, float] = {}

    @property
    def name(self) -> str:
        return self.loaded.name

    def _extends(self) -> str:
        ld = self.loaded
        path = Path(ld.path)
        if ld.name in builtin_names() and path.parent == library_dir():
            return ld.name
        if not path.exists():
            raise ValueError(f"{ld.name} has no file to extend ({ld.path}); save it first")
        return str(path.resolve())

    def _fed_weight(self, delta: float) -> float:
        """The mixing weight of every meeting's odds that moves ``fed_path`` by ``delta``."""
        sign = 1 if delta < 0 else -1   # more cuts: mix towards the lower move
        if sign not in self._fed_swing:
            doc = {"name": "swing", "extends": self._extends(), **self._fed_doc(float(sign))}
            x = compile_scenario(scenario(doc).scenario, dtype=self.dtype)
            self._fed_swing[sign] = expected_moves(x) - self.position[
                list(DIMENSIONS).index("fed_path")]
        swing = self._fed_swing[sign]
        return 0.0 if swing == 0 else float(np.clip(delta / swing, 0.0, 1.0)) * sign

    def _fed_doc(self, w: float) -> dict:
        fed = self.loaded.scenario.fed
        return {"fed": {"default_meeting": _move_odds(fed.default_meeting or {"hold": 1.0}, w),
                        "meetings": {d: _move_odds(o, w) for d, o in fed.meetings.items()}}}

    def document(self, shocks: Mapping[str, float], name: str = "shocked",
                 description: str | None = None) -> dict:
        """A scenario file (a mapping) that ``extends:`` the base with ``shocks`` (dimension
        -> size in its unit; path shocks shift every quarter)."""
        unknown = set(shocks) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown shock dimension(s) {sorted(unknown)}; allowed: "
                             f"{', '.join(DIMENSIONS)}")
        sc = self.loaded.scenario
        doc: dict = {"name": name, "extends": self._extends()}
        if description:
            doc["description"] = description
        for shock, value in shocks.items():
            if value == 0:
                continue
            if shock == "capex_growth":
                slow = sc.capex.slowdown
                listed = slow if isinstance(slow, list) else [slow] if slow else []
                doc.setdefault("capex", {})["slowdown"] = [
                    *(s.model_dump(by_alias=True) for s in listed),
                    {"start": sc.settings.start, "growth_shift": round(value, 6),
                     "quarters": sc.settings.horizon_quarters}]
            elif shock == "useful_life":
                life = float(self.base.life0_quarters) / 4.0
                dep: dict = {"useful_life_years": round(float(np.clip(life + value, 0.25, 10)), 6)}
                if sc.depreciation.change is not None:
                    ch = sc.depreciation.change.model_dump(by_alias=True)
                    ch["to"] = round(float(np.clip(ch["to"] + value, 0.25, 10)), 6)
                    dep["change"] = ch
                doc["depreciation"] = dep
            elif shock == "fed_path":
                doc.update(self._fed_doc(self._fed_weight(value)))
            else:
                section, field = FIELDS[shock].split(".")
                before = (float(self.base.tariff_rate[0] - self.base.tariff_change[0])
                          if shock == "tariff_rate" else 0.0)
                doc.setdefault(section, {})[field] = _shifted_steps(
                    getattr(getattr(sc, section), field), value, before)
        return doc

    def limits(self, dimension: str) -> tuple[float, float]:
        """The shocks of ``dimension`` the scenario file allows: a declared path's range (its
        ``PathSpec``), a tariff rate in [0, 2], a useful life in 0.25-10 years; unbounded
        elsewhere."""
        if dimension in MODEL_PATH_NAMES:
            spec = next(p for p in MODEL_PATHS if p.name == dimension)
            path = np.asarray(getattr(self.base.paths, dimension), np.float64)
            return spec.lo - float(path.min()), spec.hi - float(path.max())
        if dimension == "tariff_rate":
            rate = np.asarray(self.base.tariff_rate, np.float64)
            return -float(rate.min()), 2.0 - float(rate.max())
        if dimension == "useful_life":
            life = float(self.base.life0_quarters) / 4.0
            return 0.25 - life, 10.0 - life
        return -math.inf, math.inf

    def arrays(self, shocks: Mapping[str, float]):
        """The compiled scenario with ``shocks`` applied (the base's when none is nonzero)."""
        if not any(shocks.values()):
            return self.base
        return compile_scenario(scenario(self.document(shocks)).scenario, dtype=self.dtype)
