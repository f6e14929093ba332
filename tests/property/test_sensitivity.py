"""Sensitivities by autodiff (``analysis.sensitivity``) against common-random-number finite
differences on the baseline, for every parameter whose prior varies and every shock, and
their signs where the economics fixes them."""

from __future__ import annotations

import numpy as np
import pytest

from aicapex.analysis import sensitivity as sens

DRAWS = 4096
BATCHES = 8

SE_MULTIPLE = 6.0
FRACTION = 0.25
ROUNDING = 1e-9
"""|autodiff - finite difference| (means over ``BATCHES`` disjoint batches of the draws) may
be at most ``SE_MULTIPLE`` standard errors of that difference (from the batches' spread) or
``FRACTION`` of that input's own finite-difference effect, whichever is larger; and where the
effect is significant (beyond ``SE_MULTIPLE`` standard errors of the finite difference) the
two must have the same sign. So a gradient of zero fails for every input with a significant
effect. Both estimate one derivative on the same draws; they differ by the score-function
term of the regime chain (autodiff) against the draws whose regime step flips within the
difference (finite differences), by the estimators of the quantile and tail metrics (a
kernel-weighted gradient against differences of sample quantiles), and by the difference's
curvature (the fraction). Below ``ROUNDING`` of the metric's largest effect, both are zero
to float rounding (an input the metric does not read)."""


@pytest.fixture(scope="module")
def baseline():
    pr = sens.problem("baseline", draws=DRAWS, seed=0)
    return pr, sens.gradients(pr)


@pytest.fixture(scope="module")
def batches(baseline):
    pr, _ = baseline
    size = DRAWS // BATCHES
    return [pr.subset(b * size, (b + 1) * size) for b in range(BATCHES)]


KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("es5_index_change", "other_buyers_growth"):
        "autodiff 0.0046 against finite differences 0.0023 (one-sd effects; the gap 6.7 "
        "standard errors of 0.00033, half the effect)",
}
"""(metric, input) pairs whose autodiff and finite differences disagree beyond the allowance,
with the measured figures (``DRAWS`` draws, seed 0). A pair whose effect reaches the metric
mostly through the regime chain can disagree: autodiff adds the score-function term of the
transition probabilities, finite differences of 0.1 sd on common random numbers see only the
rare draws whose regime step flips. Such a pair is left out of ``_check`` and held by a
strict xfail of its own (``test_known_gap_still_disagrees``), which fails the day it
agrees."""


def _gaps(batches, which: str, steps, scale_of):
    """Per metric and input: the mean autodiff and finite-difference effects, the standard
    error of their gap and of the finite difference."""
    ad, fd = [], []
    for b in batches:
        _, g_theta, g_delta = sens.gradients(b)
        ad.append((g_theta if which == "theta" else g_delta) * scale_of)
        fd.append(sens.finite_differences(b, steps, which) * scale_of)
    ad, fd = np.array(ad), np.array(fd)  # (batches, M, inputs), as one-sd (or 1pp) effects
    n = np.sqrt(len(batches))
    return ad.mean(0), fd.mean(0), (ad - fd).std(0, ddof=1) / n, fd.std(0, ddof=1) / n


@pytest.fixture(scope="module")
def theta_gaps(baseline, batches):
    """``_gaps`` for every parameter whose prior varies, as the effect of a one-sd move."""
    pr, _ = baseline
    return _gaps(batches, "theta", np.where(pr.prior_sd > 0, 0.1 * pr.prior_sd, 0.0),
                 pr.prior_sd)


def _check(gaps, which: str) -> None:
    ad, fd, se, fd_se = gaps
    names = ([p.name for p in sens.PARAMETERS] if which == "theta" else list(sens.SHOCKS))
    for m, metric in enumerate(sens.METRICS):
        effect = fd[m]
        allowed = np.maximum.reduce([SE_MULTIPLE * se[m], FRACTION * np.abs(effect),
                                     np.full_like(effect, ROUNDING * np.abs(effect).max())])
        significant = np.abs(effect) > SE_MULTIPLE * fd_se[m]
        wrong_sign = significant & (np.sign(ad[m]) != np.sign(effect))
        known = np.array([(metric, n) in KNOWN_GAPS for n in names])
        bad = [f"{names[i]}: autodiff {ad[m, i]:.4g}, finite differences "
               f"{effect[i]:.4g} (se of the gap {se[m, i]:.2g})"
               for i in np.flatnonzero(((np.abs(ad[m] - effect) > allowed) | wrong_sign)
                                       & ~known)]
        assert not bad, f"{metric} ({which}): {bad}"
        assert significant.any(), f"{metric} ({which}): no input has a significant effect"


def test_autodiff_agrees_with_finite_differences_for_every_prior(baseline, theta_gaps):
    pr, _ = baseline
    assert (pr.prior_sd > 0).sum() >= 20  # every parameter whose prior varies
    _check(theta_gaps, "theta")


@pytest.mark.parametrize("pair", [pytest.param(pair, id="/".join(pair), marks=pytest.mark.xfail(
    strict=True, reason=why)) for pair, why in KNOWN_GAPS.items()])
def test_known_gap_still_disagrees(theta_gaps, pair):
    ad, fd, se, _ = theta_gaps
    m = list(sens.METRICS).index(pair[0])
    i = [p.name for p in sens.PARAMETERS].index(pair[1])
    assert abs(ad[m, i] - fd[m, i]) <= max(SE_MULTIPLE * se[m, i], FRACTION * abs(fd[m, i]))


def test_autodiff_agrees_with_finite_differences_for_every_shock(batches):
    _check(_gaps(batches, "delta", [0.002] * len(sens.SHOCKS), sens.SHOCK_STEP), "delta")


def test_the_signs_the_economics_fixes(baseline):
    _, (values, g_theta, g_delta) = baseline
    m = {k: i for i, k in enumerate(sens.METRICS)}
    shock = {k: i for i, k in enumerate(sens.SHOCKS)}
    prior = {p.name: i for i, p in enumerate(sens.PARAMETERS)}
    # a higher equity risk premium or credit spread lowers the index; wider spreads also
    # raise the bust risk (a higher premium cuts the price at once but raises the expected
    # return after it, so its sign on the drawdown probability is not fixed)
    for name in ("erp_shift", "spread_shift"):
        assert g_delta[m["median_index"], shock[name]] < 0, name
    assert g_delta[m["p_drawdown_20"], shock["spread_shift"]] > 0
    # faster real growth raises the index; more AI revenue in 2030 raises platform earnings
    assert g_delta[m["median_index"], shock["gdp_shift"]] > 0
    assert g_theta[m["platform_earnings"], prior["ai_revenue_2030_bn"]] > 0
    assert 0 < values[m["p_drawdown_20"]] < 1 and values[m["es5_index_change"]] < 0


def test_the_reverse_stress_scenario_reaches_its_target_run_on_its_own():
    import yaml

    import aicapex
    from aicapex.analysis.reverse_stress import reverse_stress

    dims = ["spread_shift", "erp_shift", "gdp_shift"]
    r = reverse_stress("baseline", -0.3, dims, draws=DRAWS, seed=0)
    assert r.success, r.message
    assert r.achieved == pytest.approx(-0.3, abs=2e-3)  # the constraint binds
    assert sum(r.shares.values()) == pytest.approx(1)
    # the design point's first-order condition: in sds, it points along the median's
    # gradient there (the nearest point of the linearised constraint)
    from aicapex.analysis.reverse_stress import _MedianChange
    from aicapex.analysis.shocks import ShockSpace

    sigma = np.array([r.scales[d][0] for d in dims])
    z = np.array([r.shocks[d] for d in dims]) / sigma
    pr = sens.problem("baseline", draws=DRAWS, seed=0)
    _, grad = _MedianChange(pr, ShockSpace("baseline"), dims, sigma)(z * sigma)
    g = grad * sigma
    assert np.dot(z, -g) / np.linalg.norm(z) / np.linalg.norm(g) > 0.99
    assert r.distance == pytest.approx(np.linalg.norm(z))
    # the most plausible combination moves every shock the way that lowers the index
    assert r.shocks["spread_shift"] > 0 and r.shocks["erp_shift"] > 0
    assert r.shocks["gdp_shift"] < 0
    doc = yaml.safe_load(r.yaml)
    assert doc["extends"] == "baseline" and doc["credit"]["spread_shift"][0]["value"] > 0
    # run on its own, from the file as a user would, on draws it was not solved on
    ds = aicapex.simulate(aicapex.scenario(doc), draws=DRAWS, seed=1, chunk_size=1024,
                          progress=False)
    change = ds["index_level"].isel(time=-1, scenario=0).values / 6600.0 - 1
    n = change.size
    lo, hi = np.quantile(change, [0.5 - 1.96 * 0.5 / np.sqrt(n), 0.5 + 1.96 * 0.5 / np.sqrt(n)])
    assert lo <= -0.3 <= hi, (lo, float(np.median(change)), hi)


def test_one_shock_alone_by_root_finding():
    from aicapex.analysis.reverse_stress import single_shock

    pr = sens.problem("baseline", draws=DRAWS, seed=0)
    v = single_shock("baseline", "erp_shift", target=0.3, draws=DRAWS, seed=0)
    delta = np.zeros(len(sens.SHOCKS))
    delta[list(sens.SHOCKS).index("erp_shift")] = v
    got = sens.metric_values(pr, np.zeros(len(sens.PARAMETERS)), delta)[0] / 6600.0 - 1
    assert 0 < v < 0.1 and got == pytest.approx(0.3, abs=1e-4)
    with pytest.raises(ValueError, match="no gdp_shift shock"):
        single_shock("baseline", "gdp_shift", target=-0.99, draws=DRAWS, seed=0)


def test_a_structural_shock_alone_by_root_finding_on_the_recompiled_scenario():
    """Tariffs are not additive in the model: the root find recompiles the scenario with the
    shock, and the file it would write gives the same median; higher tariffs lower it."""
    from aicapex.analysis.reverse_stress import _MedianChange, single_shock
    from aicapex.analysis.shocks import ShockSpace

    pr = sens.problem("baseline", draws=DRAWS, seed=0)
    change = _MedianChange(pr, ShockSpace("baseline"), ["tariff_rate"], np.array([0.05]))
    target = change.value(np.zeros(1)) - 0.05
    v = single_shock("baseline", "tariff_rate", target=target, draws=DRAWS, seed=0)
    assert v > 0
    import aicapex

    doc = ShockSpace("baseline").document({"tariff_rate": v})
    again = sens.problem(aicapex.scenario(doc), draws=DRAWS, seed=0)
    got = sens.metric_values(again, np.zeros(len(sens.PARAMETERS)),
                             np.zeros(len(sens.SHOCKS)))[0] / 6600.0 - 1
    assert got == pytest.approx(target, abs=1e-4)
