"""Sensitivities by reverse-mode autodiff: the derivative of a scenario's risk metrics with
respect to every prior's location and every scenario shock's size, all in one backward pass
per metric.

The inputs: ``theta_i``, a shift added to parameter ``i`` in every draw (the prior's
location), and ``delta_k``, a shift added to scenario path ``k`` in every quarter (``SHOCKS``:
capex growth, GDP growth, the equity risk premium, credit spreads, the term premium, the AI
price decline, earnings growth). The draws' random numbers are held fixed (common random
numbers), as in ``aicapex.simulate`` with the same seed.

Each metric ``m`` is differentiated as a sum of two parts (``derivative_weights``):

    dm/dtheta = sum_i a_i dY_i/dtheta  +  sum_i b_i dlog L_i/dtheta

The first part is **pathwise**: ``Y_i`` is draw ``i``'s outcome, differentiated through the
model quarter by quarter (JAX's reverse mode through ``lax.scan``). The second is the
**score function** (likelihood ratio) of the one discrete, parameter-dependent choice: the
regime chain. Its transition probabilities move with the parameters and the state, while a
draw's step, for its fixed uniform, does not. ``L_i`` is the probability of draw ``i``'s
regime path (``regime.transition``). The weights are fixed by the forward pass:

- mean of ``Y``:                ``a = 1/N``, ``b = (Y - mean Y) / N``
- ``alpha``-quantile ``q``: ``a = phi_h(q - Y) / (N f)``, ``b = -(Phi_h(q - Y) - alpha) / (N f)``
  with ``f = mean phi_h(q - Y)``, a Gaussian kernel of bandwidth ``h = 1.06 sd N^(-1/5)``
  (Hong 2009)
- expected shortfall at ``alpha``: ``a = 1{Y <= q} / (alpha N)``,
  ``b = (Y - q) 1{Y <= q} / (alpha N)`` (Hong & Liu 2009)
- ``P(Y > c)``, smoothed as ``mean sigmoid((Y - c) / tau)``: ``a = sigmoid' / N``,
  ``b = (sigmoid - p) / N``

The model's other discontinuity, the Fed put (a cut when last quarter's stress passes a
threshold), has no random choice to carry a score. Its jump is left out, so the derivative
is pathwise there; kinks (``max(x, 0)``) are differentiated almost everywhere.

``finite_differences`` gives the same derivatives by central common-random-number differences,
for the test that checks the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..api import precision, prng_key
from ..scenarios import compile_scenario, scenario
from ..sim.engine import (
    RNG_BLOCK,
    compile_options,
    random_prior_rows,
    run_with_params,
    scenario_draws,
)
from ..sim.model import PARAMETERS, Params
from .shocks import PATHS, shift_paths

SHOCKS = PATHS
"""Scenario paths whose size the sensitivities differentiate (``shocks.PATHS``): a shift
added in every quarter, reported per 1 percentage point (0.01)."""

SHOCK_STEP = 0.01
"""The size of the shock move reported (one percentage point of an annual rate)."""

METRICS: dict[str, str] = {
    "median_index": "median index level at the horizon (index points, kernel-smoothed)",
    "es5_index_change": "5% expected shortfall of the index change to the horizon",
    "p_drawdown_20": "P(max drawdown over the horizon > 20%), smoothed",
    "mag10_weight": "mean Mag-10 weight at the horizon",
    "platform_earnings": "mean platform earnings at the horizon ($bn/yr)",
}

DRAWDOWN_SMOOTHING = 0.01
"""``tau`` of the smoothed drawdown probability (a drawdown within ~1pp of 20% counts partly)."""


class Draws(NamedTuple):
    """The fixed draws of a problem (a pytree: the compiled programs take it as an argument,
    so problems of one shape share them)."""

    scen: object
    normals: jax.Array
    uniforms: jax.Array
    params: tuple


@dataclass(frozen=True)
class Problem:
    """One scenario's draws, ready to be differentiated: the compiled scenario, its random
    numbers and sampled parameters (fixed: common random numbers)."""

    name: str
    draws: Draws
    prior_sd: np.ndarray   # (P,) sd of each parameter over the draws (0 where fixed)
    dtype: str

    @property
    def scen(self):
        return self.draws.scen

    def with_scenario(self, arrays) -> Problem:
        """The same draws on another compiled scenario of the same shape (a shocked one)."""
        return Problem(self.name, self.draws._replace(scen=arrays), self.prior_sd, self.dtype)

    def subset(self, start: int, stop: int) -> Problem:
        """The same problem on draws ``start:stop`` only (batches for error estimates)."""
        def cut(a):
            a = jnp.asarray(a)
            return a[..., start:stop] if a.ndim else a
        d = self.draws
        return Problem(self.name, Draws(d.scen, cut(d.normals), cut(d.uniforms),
                                        tuple(cut(v) for v in d.params)),
                       self.prior_sd, self.dtype)


def problem(ref="baseline", draws: int = 8192, seed: int | None = None,
            dtype: str = "float64") -> Problem:
    """The draws of scenario ``ref`` (a name, path or loaded scenario) that ``simulate`` with
    the same seed would run (``draws`` rounded up to whole 1,024-draw blocks)."""
    loaded = scenario(ref)
    seed = loaded.scenario.settings.seed if seed is None else seed
    with precision(dtype):
        scen = compile_scenario(loaded.scenario, dtype=dtype)
        normals, uniforms, params = scenario_draws(
            scen, prng_key(seed), np.uint32(0), -(-draws // RNG_BLOCK),
            prior_rows=random_prior_rows(scen.prior_table))
        n = normals.shape[-1]
        sd = np.array([float(np.std(np.broadcast_to(np.asarray(v), (n,)))) for v in params])
    return Problem(loaded.name, Draws(scen, normals, uniforms, tuple(params)), sd, dtype)


def outcomes(d: Draws, theta, delta) -> dict[str, jax.Array]:
    """Every draw's outcomes (B,) and the log-probability of its regime path, for the shifts
    ``theta`` (P,) added to the parameters and ``delta`` (K,) to the ``SHOCKS`` paths."""
    p = Params(*(v + theta[i] for i, v in enumerate(d.params)))
    scen = shift_paths(d.scen, [delta[k] for k in range(len(SHOCKS))])
    out, final = run_with_params(scen, p, d.normals, d.uniforms)
    start = scen.init.index_level
    return {"index": out.index_level[-1], "change": out.index_level[-1] / start - 1,
            "max_drawdown": out.drawdown.max(axis=0), "mag10": out.mag10_weight[-1],
            "platform": out.earnings_platforms[-1], "log_prob": final.path_log_prob}


def _kernel_quantile(y, alpha: float):
    """The kernel-smoothed ``alpha``-quantile of ``y`` (the sample quantile moved by one
    Newton step onto the root of the smoothed CDF, ``mean Phi_h(q - y) = alpha``: a smooth
    function of the draws, as its weights' gradient is) and its weights (a, b)."""
    q = jnp.quantile(y, alpha)
    h = 1.06 * jnp.std(y) * y.shape[0] ** (-0.2)
    z = (q - y) / h
    pdf = jnp.exp(-0.5 * z**2) / jnp.sqrt(2 * jnp.pi) / h
    cdf = jax.scipy.stats.norm.cdf(z)
    f = pdf.mean()
    return q - (cdf.mean() - alpha) / f, pdf / (y.shape[0] * f), -(cdf - alpha) / (y.shape[0] * f)


def derivative_weights(o: dict[str, jax.Array]) -> dict[str, tuple]:
    """Each metric's value and its weights (a, b) on (outcome, log-probability), from a
    forward pass (see the module): metric -> (value, outcome key, a, b)."""
    n = o["index"].shape[0]
    res = {}
    q, a, b = _kernel_quantile(o["index"], 0.5)
    res["median_index"] = (q, "index", a, b)
    y = o["change"]
    q05 = jnp.quantile(y, 0.05)
    tail = (y <= q05).astype(y.dtype)
    k = tail.sum()
    res["es5_index_change"] = ((y * tail).sum() / k, "change", tail / k, (y - q05) * tail / k)
    s = jax.nn.sigmoid((o["max_drawdown"] - 0.2) / DRAWDOWN_SMOOTHING)
    p = s.mean()
    res["p_drawdown_20"] = (p, "max_drawdown", s * (1 - s) / DRAWDOWN_SMOOTHING / n,
                            (s - p) / n)
    for metric, key in (("mag10_weight", "mag10"), ("platform_earnings", "platform")):
        y = o[key]
        res[metric] = (y.mean(), key, jnp.full_like(y, 1.0 / n), (y - y.mean()) / n)
    return res


@compile_options.jit(static_argnames=("metrics",))
def _values_and_grads(d: Draws, theta, delta, metrics: tuple[str, ...]):
    w = derivative_weights(outcomes(d, theta, delta))
    a, b = ({m: jax.lax.stop_gradient(w[m][j]) for m in metrics} for j in (2, 3))

    def surrogate(theta_, delta_):
        o = outcomes(d, theta_, delta_)
        return jnp.stack([jnp.sum(a[m] * o[w[m][1]]) + jnp.sum(b[m] * o["log_prob"])
                          for m in metrics])
    _, pull = jax.vjp(surrogate, theta, delta)
    grads = jax.vmap(pull)(jnp.eye(len(metrics), dtype=theta.dtype))
    return jnp.stack([w[m][0] for m in metrics]), grads


@compile_options.jit
def _values(d: Draws, theta, delta):
    return jnp.stack([v[0] for v in derivative_weights(outcomes(d, theta, delta)).values()])


def gradient_program(pr: Problem, metrics: Sequence[str] = tuple(METRICS)):
    """The compiled function (theta, delta[, draws]) -> (metric values (M,), (d/d theta
    (M, P), d/d delta (M, K))) for ``metrics``: one forward pass, then one backward pass per
    metric; ``draws`` (default ``pr``'s) may carry another compiled scenario of the same
    shape. Compiled once per shape and metric set, whatever the scenario."""
    metrics = tuple(metrics)

    def run(theta, delta, draws=None):
        with precision(pr.dtype):
            return _values_and_grads(draws or pr.draws, jnp.asarray(theta, pr.dtype),
                                     jnp.asarray(delta, pr.dtype), metrics)
    return run


def gradients(pr: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(metric values (M,), d metrics / d theta (M, P), d metrics / d delta (M, K)) at zero
    shifts, for every metric of ``METRICS``."""
    values, (g_theta, g_delta) = gradient_program(pr)(np.zeros(len(PARAMETERS)),
                                                      np.zeros(len(SHOCKS)))
    return np.asarray(values), np.asarray(g_theta), np.asarray(g_delta)


def metric_values(pr: Problem, theta, delta) -> np.ndarray:
    """The metrics (M,) at the given shifts (their actual values, as ``gradients`` reports)."""
    with precision(pr.dtype):
        return np.asarray(_values(pr.draws, jnp.asarray(theta, pr.dtype),
                                  jnp.asarray(delta, pr.dtype)))


def finite_differences(pr: Problem, steps: Sequence[float], which: str = "theta"
                       ) -> np.ndarray:
    """Central differences (M, n) of the metrics, one input at a time by ``steps[i]``, on the
    same draws (common random numbers)."""
    n_in = len(PARAMETERS) if which == "theta" else len(SHOCKS)
    out = np.zeros((len(METRICS), n_in))
    for i, h in enumerate(steps):
        if h == 0:
            continue
        e = np.zeros(n_in)
        e[i] = h
        zero = np.zeros(len(SHOCKS) if which == "theta" else len(PARAMETERS))
        up, down = ((metric_values(pr, s * e, zero) if which == "theta"
                     else metric_values(pr, zero, s * e)) for s in (1, -1))
        out[:, i] = (up - down) / (2 * h)
    return out


def sensitivity_table(ref="baseline", draws: int = 8192, seed: int | None = None,
                      dtype: str = "float64") -> pd.DataFrame:
    """One row per (metric, input): the derivative, the size of the move reported (a prior's
    sd; ``SHOCK_STEP`` for a shock) and the effect of that move (derivative x move), sorted
    by metric and the size of the effect. Inputs with a fixed prior get a derivative and no
    one-sd effect."""
    pr = problem(ref, draws, seed, dtype)
    values, g_theta, g_delta = gradients(pr)
    rows = []
    for m, metric in enumerate(METRICS):
        for i, spec in enumerate(PARAMETERS):
            rows.append({"scenario": pr.name, "metric": metric, "value": values[m],
                         "input": spec.name, "kind": "prior location", "unit": spec.unit,
                         "derivative": g_theta[m, i], "move": pr.prior_sd[i],
                         "effect": g_theta[m, i] * pr.prior_sd[i] if pr.prior_sd[i] > 0
                         else np.nan})
        for k, (name, (_, unit)) in enumerate(SHOCKS.items()):
            rows.append({"scenario": pr.name, "metric": metric, "value": values[m],
                         "input": name, "kind": "shock size", "unit": unit,
                         "derivative": g_delta[m, k], "move": SHOCK_STEP,
                         "effect": g_delta[m, k] * SHOCK_STEP})
    t = pd.DataFrame(rows)
    t["abs_effect"] = t["effect"].abs()
    t = t.sort_values(["metric", "abs_effect"], ascending=[True, False], na_position="last")
    return t.drop(columns="abs_effect").reset_index(drop=True)
