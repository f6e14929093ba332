"""How plausible is each scenario of a run, judged two ways.

**Its outcome**, by the reference scenario's own uncertainty. For scenario ``s`` with median
horizon change ``m_s`` of the index (``S_H / S_0 - 1``), the reference's probability of an
outcome at least as bad,

    p_s = P_ref(S_H / S_0 - 1 <= m_s)

(the share of the reference's draws, or of its stored histogram in a summary run, the bin
that holds ``m_s`` counted in proportion), with its binomial standard error
``sqrt(p (1 - p) / N)``, read as "a 1-in-``1/p`` outcome" over the run's horizon of ``H``
years, i.e. about once in ``H / p`` years. A scenario whose median lies in the middle of the
reference's cloud (``p`` near 0.5) asks for nothing unusual; one at ``p = 0.02`` describes
what the reference thinks happens once in a generation.

**Its shocks**: the scenario's position against the reference on every dimension of
``shocks.DIMENSIONS`` (``shocks.measure``), scaled by the plausibility scales, and the moves
of the priors it overrides (in sds of the reference's prior), as a Mahalanobis distance
``D`` with its chi-square percentile and the half-space probability ``Phi(-D)`` (see
``shocks``). The binding dimensions are those with the largest shares of
``D^2``; what the scenario changes that no dimension measures is listed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from ..outputs import RunMetadata
from ..outputs.dataset import is_summary
from ..outputs.summary import index_distribution, reference_scenario
from ..scenarios import compile_scenario, scenario
from ..scenarios.yaml_safe import load_yaml
from . import shocks as sh


def _median_changes(ds: xr.Dataset, start: float) -> np.ndarray:
    """Each scenario's median index change to the horizon (S,)."""
    if is_summary(ds):
        return np.asarray(ds["index_level"].sel(quantile=0.5).isel(time=-1).values,
                          np.float64) / start - 1
    v = np.asarray(ds["index_level"].isel(time=-1).transpose("scenario", "draw").values,
                   np.float64)
    return np.nanmedian(v, axis=1) / start - 1


def _reference_cdf(ds: xr.Dataset, reference: str):
    """The reference scenario's CDF of the index at the horizon, ``level -> share of draws
    at or below it`` (its draws, or its stored histogram interpolated within the bin), and
    the number of draws behind it."""
    if is_summary(ds):
        one = ds.sel(scenario=reference).isel(time=-1)
        counts = np.asarray(one["index_level_counts"].values, float)
        edges = np.asarray(one["index_level_edges"].values, float)
        cum = np.concatenate([[0.0], np.cumsum(counts)]) / max(counts.sum(), 1.0)
        return (lambda level: float(np.interp(level, edges, cum))), counts.sum()
    values, weights, n = index_distribution(ds, scenario=reference)
    return (lambda level: float(np.sum(weights[0] * (values[0] <= level)))), n[0]


def _run_yaml(ds: xr.Dataset) -> dict[str, str]:
    """The resolved YAML of each scenario of a run (its metadata), by name."""
    return {r.name: r.resolved_yaml for r in RunMetadata.of(ds).scenarios if r.resolved_yaml}


def run_scenario(ds: xr.Dataset, name: str):
    """Scenario ``name`` of a run, rebuilt from the resolved YAML the run carries
    (``extends:`` is kept there as a record only)."""
    texts = _run_yaml(ds)
    if name not in texts:
        raise ValueError(f"the run carries no YAML of scenario {name!r}")
    return _from_resolved(texts[name])


def _from_resolved(text: str):
    doc = load_yaml(text)
    doc.pop("extends", None)
    return scenario(doc)


def shock_vectors(ds: xr.Dataset, reference: str | None = None,
                  scales: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per scenario of the run (rebuilt from the resolved YAML it carries): its shift
    against ``reference`` on every dimension (columns named by dimension, in their units),
    the distance, chi-square percentile, ``p_shocks`` (``Phi(-D)``), 1-in-N, about once in
    how many years, the binding dimensions and what no dimension measures."""
    texts = _run_yaml(ds)
    names = [str(n) for n in ds["scenario"].values]
    if set(names) - set(texts):
        raise ValueError("the run does not carry every scenario's YAML (attribute "
                         "scenario_yaml); the shocks' plausibility needs it")
    reference = reference_scenario(names, reference)
    compiled = {n: compile_scenario(_from_resolved(texts[n]).scenario, dtype="float64")
                for n in names}
    sigma_src = sh.scales(scales)
    sigma = np.array([sigma_src[k][0] for k in sh.DIMENSIONS])
    ref_pos = sh.measure(compiled[reference])
    years = ds.sizes["time"] / 4
    rows = []
    for n in names:
        delta = sh.measure(compiled[n]) - ref_pos
        delta[np.abs(delta) < 1e-9] = 0.0
        priors, _ = sh.prior_shifts(compiled[n], compiled[reference])
        z = {**dict(zip(sh.DIMENSIONS, delta / sigma, strict=True)),
             **{f"prior {k}": v for k, v in priors.items()}}
        pl = sh.plausibility(np.array([v for v in z.values() if v]), years)
        total = sum(v**2 for v in z.values())
        top = sorted((k for k in z if z[k]), key=lambda k: -z[k] ** 2)[:3]
        moved = pl["distance"] > 0
        rows.append({
            "scenario": n, "reference": reference,
            **dict(zip(sh.DIMENSIONS, delta, strict=True)),
            "prior_shifts_sd": ", ".join(f"{k} {v:+.2f}" for k, v in priors.items()),
            "shock_distance": pl["distance"], "shock_chi2_percentile": pl["chi2_percentile"],
            **{col: pl[key] if moved else np.nan for col, key in (
                ("p_shocks", "p_direction"), ("shocks_one_in", "one_in"),
                ("shocks_once_in_years", "about_once_in_years"))},
            "binding_shocks": ", ".join(f"{k} {z[k] ** 2 / total:.0%}" for k in top),
            "unmeasured": ", ".join(sh.unmeasured(compiled[n], compiled[reference]))})
    return pd.DataFrame(rows)


def plausibility_table(ds: xr.Dataset, reference: str | None = None,
                       scales: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per scenario: the median horizon change of the index, the reference's probability of an
    outcome at least as bad (``p_reference``, with ``p_reference_se``), ``one_in`` (1/p) and
    ``about_once_in_years`` (horizon / p); then the plausibility of its shocks
    (``shock_vectors``: distance, chi-square percentile, ``p_shocks``, ``binding_shocks``,
    ``unmeasured``). ``reference`` defaults to ``baseline`` if the run has it, else the
    first scenario. Works on full-paths and summary runs."""
    names = [str(n) for n in ds["scenario"].values]
    reference = reference_scenario(names, reference)
    start = float(ds["index_level"].attrs["start_value"])
    medians = _median_changes(ds, start)
    cdf, n_ref = _reference_cdf(ds, reference)
    years = ds.sizes["time"] / 4
    rows = []
    for s, name in enumerate(names):
        p = cdf(start * (1 + medians[s]))
        rows.append({"scenario": name, "reference": reference, "median_change": medians[s],
                     "p_reference": p,
                     "p_reference_se": float(np.sqrt(p * (1 - p) / max(n_ref, 1))),
                     "one_in": 1 / p if p > 0 else float("inf"),
                     "about_once_in_years": years / p if p > 0 else float("inf"),
                     "horizon_years": years})
    out = pd.DataFrame(rows)
    if "scenario_yaml" in ds.attrs:
        shocks = shock_vectors(ds, reference, scales)
        keep = ["shock_distance", "shock_chi2_percentile", "p_shocks", "shocks_one_in",
                "shocks_once_in_years", "binding_shocks", "unmeasured"]
        out = out.join(shocks.set_index("scenario")[keep], on="scenario")
    return out
