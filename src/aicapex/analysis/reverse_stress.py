"""The reverse stress test: the most plausible combination of shocks that makes the median
index change to the horizon reach a loss (Breuer et al. 2009; Glasserman, Kang & Kang 2015).

Over the chosen dimensions ``k`` of the shock space (``shocks.DIMENSIONS``: seven path shifts,
and the tariff rate, the servers' useful life and the Fed path), each with a plausibility
scale ``sigma_k`` (``shocks.scales``: fitted to history where it can be, else a stated
assumption), solve

    min_delta  D(delta)^2 = sum_k (delta_k / sigma_k)^2
    subject to m(delta) <= target,     m = median of S_H / S_0 - 1 over the draws

by the Hasofer-Lind-Rackwitz-Fiessler iteration (``_design_point``). The gradient along a
path shift comes from the autodiff sensitivities (``sensitivity.gradient_program``:
kernel-weighted pathwise plus the regime chain's score); along a structural dimension, which
the model does not take additively, from a central difference of the scenario recompiled
with the shock (``shocks.ShockSpace``), on the same draws. The draws and their random
numbers are held fixed (common random numbers). The result: the shocks, the Mahalanobis
distance ``D``, each shock's share of ``D^2`` (the binding ones), and a scenario YAML that
``extends:`` the base with those shocks, written by the same edits the solver evaluated.
``aicapex reverse-stress`` runs it to confirm. With one dimension the problem is a root find:
``single_shock`` solves ``m(delta) = target`` by Brent's method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import yaml
from scipy.optimize import brentq

from . import sensitivity as sens
from . import shocks as sh

FD_STEP = 0.25
"""The central difference's step along a structural dimension, in its plausibility sds."""


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
    scales: dict[str, tuple[float, str]]  # each dimension's sd and where it comes from


class _MedianChange:
    """m(x) and its gradient along ``dims`` (x in their units), on fixed draws: the path
    shifts are added to the compiled scenario (their gradient by autodiff), the structural
    shocks compiled into it (their gradient by central differences). The last point is kept:
    a value and its gradient come together."""

    def __init__(self, pr: sens.Problem, space: sh.ShockSpace, dims: Sequence[str],
                 sigma: np.ndarray):
        # (all the metrics' program: the one ``sensitivity_table`` compiles, so a session
        # that ran both compiles one; the other four backward passes cost little)
        self.program = sens.gradient_program(pr)
        self.pr, self.space, self.dims, self.sigma = pr, space, list(dims), sigma
        self.metric = list(sens.METRICS).index("median_index")
        self.start = float(pr.scen.init.index_level)
        self.last: tuple[bytes, float, np.ndarray] | None = None

    def _split(self, x) -> tuple[np.ndarray, dict[str, float]]:
        delta = np.zeros(len(sens.SHOCKS))
        structural = {}
        for d, v in zip(self.dims, x, strict=True):
            if d in sens.SHOCKS:
                delta[list(sens.SHOCKS).index(d)] = v
            else:
                structural[d] = float(v)
        return delta, structural

    def value(self, x) -> float:
        """m(x) alone (forward runs only)."""
        delta, structural = self._split(x)
        pr = self.pr.with_scenario(self.space.arrays(structural))
        return float(sens.metric_values(pr, np.zeros(len(sens.PARAMETERS)), delta)[
            self.metric]) / self.start - 1

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.asarray(x, np.float64)
        key = x.tobytes()
        if self.last is None or self.last[0] != key:
            delta, structural = self._split(x)
            scen = self.space.arrays(structural)
            values, (_, g_delta) = self.program(np.zeros(len(sens.PARAMETERS)), delta,
                                                self.pr.draws._replace(scen=scen))
            grad = np.zeros(len(self.dims))
            for j, d in enumerate(self.dims):
                if d in sens.SHOCKS:
                    grad[j] = float(np.asarray(g_delta)[self.metric,
                                                        list(sens.SHOCKS).index(d)])
                    grad[j] /= self.start
                else:
                    h = FD_STEP * self.sigma[j]
                    up, down = (self.value(x + s * h * np.eye(len(x))[j]) for s in (1, -1))
                    grad[j] = (up - down) / (2 * h)
            self.last = (key, float(values[self.metric]) / self.start - 1, grad)
        return self.last[1], self.last[2]


def reverse_stress(base="baseline", target: float = -0.3,
                   dimensions: Sequence[str] = tuple(sh.DIMENSIONS), draws: int = 4096,
                   seed: int | None = None, scales: Mapping[str, float] | None = None,
                   name: str | None = None) -> Result:
    """The most plausible shocks along ``dimensions`` that bring the median index change of
    ``base`` to ``target`` or below (see the module); ``scales`` replaces dimensions'
    plausibility sds."""
    unknown = [d for d in dimensions if d not in sh.DIMENSIONS]
    if unknown or not dimensions:
        raise ValueError(f"unknown shock dimension(s) {unknown or '(none)'}; allowed: "
                         f"{', '.join(sh.DIMENSIONS)}")
    table = sh.scales(scales)
    sigma = np.array([table[d][0] for d in dimensions], np.float64)
    pr = sens.problem(base, draws, seed)
    space = sh.ShockSpace(base, pr.dtype)
    change = _MedianChange(pr, space, dimensions, sigma)
    m0, _ = change(np.zeros(len(dimensions)))
    if m0 <= target:
        x = np.zeros(len(dimensions))
        ok, msg = True, f"the base's median change {m0:.1%} already reaches the target"
    else:
        x, ok, msg = _design_point(change, sigma, target)
    achieved = change(x)[0]
    z2 = (x / sigma) ** 2
    shocks = {d: float(v) for d, v in zip(dimensions, x, strict=True)}
    name = name or f"{pr.name}_reverse_stress_{abs(round(100 * target))}"
    distance = float(np.sqrt(z2.sum()))
    doc = space.document(shocks, name, f"reverse stress test of {pr.name}: the most "
                         f"plausible shocks (Mahalanobis distance {distance:.2f}) that take "
                         f"the median index change to {target:.0%}")
    return Result(pr.name, target, shocks, distance,
                  {d: float(v / z2.sum()) if z2.sum() > 0 else 0.0
                   for d, v in zip(dimensions, z2, strict=True)},
                  achieved, ok and achieved <= target + 1e-3, msg,
                  yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                  {d: table[d] for d in dimensions})


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
    plausibility sds, within what a scenario file allows: ``ShockSpace.limits``). Raises
    ValueError if the bracket holds no answer."""
    if dimension not in sh.DIMENSIONS:
        raise ValueError(f"unknown shock dimension {dimension!r}; allowed: "
                         f"{', '.join(sh.DIMENSIONS)}")
    pr = sens.problem(base, draws, seed)
    sigma = sh.scales()[dimension][0]
    change = _MedianChange(pr, sh.ShockSpace(base, pr.dtype), [dimension], np.array([sigma]))
    lo, hi = bracket or (-10 * sigma, 10 * sigma)
    allowed = change.space.limits(dimension)
    lo, hi = max(lo, allowed[0]), min(hi, allowed[1])

    def gap(v: float) -> float:
        return change.value(np.array([v])) - target
    if gap(lo) * gap(hi) > 0:
        raise ValueError(f"no {dimension} shock in [{lo:g}, {hi:g}] brings the median change "
                         f"to {target:.0%}")
    return brentq(gap, lo, hi, xtol=1e-6)
