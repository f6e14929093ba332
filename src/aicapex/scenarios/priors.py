"""Default prior of every model parameter, with the figure it comes from.

A prior is a distribution spec in the scenario-file form (a number is a fixed value; a
mapping has ``dist`` and that distribution's fields). Values taken from the source documents
reference anchors by name; those history informs and no source figure governs come from the
fits of ``scenarios/data/fitted.yaml`` (source ``FIT``: the estimate's uncertainty, its standard
error, becomes the prior's spread); the rest are marked ASSUMPTION with the reasoning in the
note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..sim.model import PARAMETERS
from .anchors import Anchor, anchor_values
from .fitted import shipped_fit


class Prior(NamedTuple):
    spec: Any      # a number or a distribution mapping
    source: str    # anchor names or ASSUMPTION
    note: str


def prior_from_fit(estimate: float, se: float, lo: float, hi: float) -> dict[str, Any]:
    """A prior centred on a fitted ``estimate`` with its standard error as spread: a Beta
    with that mean and sd for a probability or persistence (bounds [0, ~1]), else a lognormal
    with median
    ``estimate`` and log-sd ``se / estimate`` (every fitted parameter is positive)."""
    if estimate <= 0 or se <= 0:
        raise ValueError(f"a fitted prior needs a positive estimate and se, got {estimate}, {se}")
    if lo == 0.0 and 0.99 <= hi <= 1.0:
        k = estimate * (1.0 - estimate) / se**2 - 1.0
        if k <= 0:
            raise ValueError(f"standard error {se} is too large for a mean of {estimate}")
        return {"dist": "beta", "a": estimate * k, "b": (1.0 - estimate) * k}
    return {"dist": "lognormal", "median": estimate, "sigma": min(se / estimate, 5.0)}


def fitted_priors() -> dict[str, Prior]:
    """Priors of the parameters adopted from ``fitted.yaml``: those of the simulated-moment
    fit (``smm``) fixed at their estimates (the moments were matched with them fixed, so
    sampling them would widen what was fitted), the others centred on their estimate with
    its standard error as spread."""
    bounds = {p.name: (p.lo, p.hi) for p in PARAMETERS}
    fit = shipped_fit()
    smm = fit.get("smm", {}).get("parameters", {})
    out = {}
    for name, f in fit["parameters"].items():
        if f["adopted"] and name not in smm:
            out[name] = Prior(prior_from_fit(f["estimate"], f["se"], *bounds[name]), "FIT",
                              f"{f['estimate']:.4g} +- {f['se']:.2g}: {f['method']}; "
                              f"{f['data']}")
    for name, f in smm.items():
        lo, hi = bounds[name]
        out[name] = Prior(min(max(f["estimate"], lo), hi), "SMM",
                          f"{f['estimate']:.4g} (se {f['se']:.2g}): simulated moments, "
                          "S&P 500 1950-2018 (calibration/smm.py)")
    return out


def default_priors(anchors: Mapping[str, Anchor] | None = None) -> dict[str, Prior]:
    """name -> Prior for every parameter of ``aicapex.sim.model.PARAMETERS``."""
    priors = _source_priors(anchors)
    fitted = fitted_priors()
    both = set(priors) & set(fitted)
    if both:
        raise AssertionError(f"priors set both from sources and from the fit: {sorted(both)}")
    priors.update(fitted)
    return priors


def _source_priors(anchors: Mapping[str, Anchor] | None) -> dict[str, Prior]:
    a = anchor_values(anchors)
    neutral_mid = 0.5 * (a["fed_longer_run_rate"] + a["neutral_policy_rate"])
    required_2030 = a["ai_revenue_needed_2030_bn"] - a["ai_revenue_shortfall_2030_bn"]
    tariff_rise = a["effective_tariff_rate"] - a["effective_tariff_rate_2024"]
    passthrough = (a["tariff_inflation_effect"] / (a["import_share_of_gdp"] * tariff_rise)
                   if tariff_rise > 0.005 else 0.5)  # no recent rise to infer it from
    multiplier = a["ai_buildout_gdp_share_with_multiplier"] / a["ai_buildout_gdp_share"]
    P = Prior
    return {
        # --- Fed
        "neutral_rate": P({"dist": "uniform", "low": a["fed_longer_run_rate"],
                           "high": a["neutral_policy_rate"]},
                          "fed_longer_run_rate, neutral_policy_rate",
                          "between the FOMC's longer-run dot (3%) and Burry's ~4%"),
        "taylor_weight": P(1.5, "ASSUMPTION", "Taylor (1993): the nominal rate moves 1.5 "
                           "for 1 with inflation; the 1987-2007 fit does not identify it"),
        "effective_lower_bound": P(0.00125, "ASSUMPTION",
                                   "the middle of the 0-0.25% target range of 2009-15 and 2020"),
        "fed_put_threshold": P(3.0, "ASSUMPTION",
                               "a crisis: 150bp of spread, 15 vol points and a 30% drawdown "
                               "(about 1 quarter in 50 of the baseline)"),
        "fed_put_cut": P(0.005, "ASSUMPTION",
                         "the emergency cuts of Sep 2001, Jan 2008 and Mar 2020: 50bp or more "
                         "between meetings"),
        # --- inflation
        "inflation_target": P(a["inflation_target"], "inflation_target", "2% target"),
        "inflation_persistence": P(0.85, "inflation_target",
                                   "a 1pp gap halves in ~4 quarters: 2% reached in 2027"),
        "tariff_passthrough": P({"dist": "triangular", "low": 0.5 * passthrough,
                                 "mode": passthrough, "high": min(1.0, 2.0 * passthrough)},
                                "tariff_inflation_effect, import_share_of_gdp",
                                "+0.5pp inflation from the 2025 tariff rise implies this share"),
        "phillips_slope": P({"dist": "uniform", "low": 0.02, "high": 0.10}, "ASSUMPTION",
                            "a flat Phillips curve: a 1% output gap adds 0.1-0.7pp to core "
                            "inflation in the long run (with the persistence)"),
        "import_share": P(a["import_share_of_gdp"], "import_share_of_gdp", ""),
        "tariff_gdp_drag": P({"dist": "uniform", "low": 0.03, "high": 0.08}, "ASSUMPTION",
                             "GDP level loss per unit tariff rise (0.5-1% for 2025's rise)"),
        # --- rates
        "term_premium_mean": P(a["yield_10y_fair"] - neutral_mid, "yield_10y_fair",
                               "10y settles at JIN's 4.2% fair value at the mid neutral rate"),
        # --- GDP
        "gdp_trend": P({"dist": "normal", "mean": a["real_gdp_growth"], "sd": 0.003},
                       "real_gdp_growth", ""),
        "capex_gdp_multiplier": P({"dist": "uniform", "low": 0.5, "high": multiplier},
                                  "ai_buildout_gdp_share_with_multiplier",
                                  "up to KUP's 2%/1.5%; less for imported chips"),
        "rate_gdp_drag": P(0.3, "ASSUMPTION", ""),
        "gap_persistence": P({"dist": "beta", "a": 95.0, "b": 5.0}, "ASSUMPTION",
                             "output gaps are persistent (quarterly AR ~0.95): a 1.5-year "
                             "recession of 6%/yr below trend leaves an 8% gap"),
        "okun_coefficient": P(2.0, "ASSUMPTION", "Okun's law: 1pp of unemployment per 2% of "
                              "output gap"),
        "natural_unemployment": P({"dist": "normal", "mean": a["natural_unemployment_rate"],
                                   "sd": 0.003}, "natural_unemployment_rate", ""),
        "wealth_effect": P(0.03, "ASSUMPTION", "~3 cents of spending per $ of equity wealth"),
        # --- capex
        "capex_sigma": P(0.10, "ASSUMPTION", ""),
        "discipline_threshold": P(1.0, "ASSUMPTION",
                                  "cash burn beyond core earnings needs outside funding"),
        "discipline_strength": P(0.6, "ASSUMPTION", ""),
        "discipline_spread_sensitivity": P(10.0, "ASSUMPTION",
                                           "100bp wider spreads cut capex growth by 10pp"),
        "utilisation_discipline": P(1.0, "ASSUMPTION",
                                    "utilisation 30pp below the glut level cuts capex growth "
                                    "by 30pp a year (no one builds beside idle GPUs)"),
        "discipline_memory": P(0.5, "ASSUMPTION", "'for several quarters'"),
        "debt_financed_share": P(0.25, "ASSUMPTION", "bond-funded share of 2025 AI capex"),
        # --- AI revenue
        "ai_revenue_2030_bn": P({"dist": "lognormal", "median": required_2030, "sigma": 0.4},
                                "ai_revenue_needed_2030_bn, ai_revenue_shortfall_2030_bn",
                                "Bain: $2tn needed, $800bn short -> median $1.2tn"),
        "ai_revenue_ceiling_multiple": P({"dist": "uniform", "low": 1.5, "high": 3.0},
                                         "ASSUMPTION", "adoption half done to a third done"),
        "ai_opex_per_revenue": P({"dist": "uniform", "low": a["ai_opex_per_revenue_low"],
                                  "high": a["ai_opex_per_revenue_high"]},
                                 "ai_opex_per_revenue_low, ai_opex_per_revenue_high",
                                 "OpenAI's $0.75-0.85 per $1 of revenue"),
        "ai_revenue_sigma": P(0.25, "ASSUMPTION", ""),
        "ai_revenue_persistence": P(0.8, "ASSUMPTION", ""),
        "start_utilisation": P(0.9, "ASSUMPTION",
                               "the platforms report being compute-constrained in 2025"),
        "capacity_growth": P({"dist": "normal", "mean": 0.67, "sd": 0.08}, "ASSUMPTION",
                             "the baseline's build-out (in-service capital x3.7 by 2030) serves "
                             "the median $1.2tn of 2030 revenue with ~25% to spare; hardware "
                             "efficiency ~40%/yr and the shift from training to serving"),
        "glut_utilisation": P(0.7, "ASSUMPTION", "GPU rental prices fall once ~30% sits idle"),
        "glut_price_beta": P(0.5, "ASSUMPTION",
                             "utilisation 20pp below the glut level takes 10% a year off prices"),
        "unit_cost_decline": P({"dist": "uniform", "low": 0.0, "high": 0.10}, "ASSUMPTION",
                               "cheaper inference as hardware improves"),
        # --- hardware
        "chip_share_of_capex": P({"dist": "beta", "a": 40.0, "b": 40.0 * (
            1.0 - a["gpu_share_of_dc_cost"]) / a["gpu_share_of_dc_cost"]},
            "gpu_share_of_dc_cost", "GPU ~50% of data-centre cost, sd ~0.055"),
        "hw_margin_floor": P({"dist": "uniform", "low": 0.25, "high": 0.40}, "ASSUMPTION",
                             "semiconductor margins after competition"),
        "hw_margin_erosion": P({"dist": "uniform", "low": 0.05, "high": 0.25}, "ASSUMPTION", ""),
        "hw_cost_adjustment": P(0.5, "ASSUMPTION",
                                "operating costs follow revenue over ~2 years (layoffs)"),
        "other_buyers_growth": P({"dist": "normal", "mean": 0.0, "sd": 0.05}, "ASSUMPTION",
                                 "sovereign, enterprise and neocloud buyers grow with the "
                                 "platforms' capex"),
        "vendor_financing_bn": P(a["vendor_financing_bn"], "vendor_financing_bn",
                                 "Nvidia's $100bn into OpenAI, $10bn into Anthropic, $26bn of "
                                 "cloud-rental commitments"),
        # --- earnings
        "platform_core_growth": P({"dist": "normal", "mean": a["eps_growth_10y"], "sd": 0.02},
                                  "eps_growth_10y", "S&P EPS grew 7.3% a year for ten years"),
        "other_core_growth": P({"dist": "normal", "mean": 0.05, "sd": 0.015}, "ASSUMPTION",
                               "below the index's 7.3%, which the Mag-10 lifted"),
        "earnings_persistence": P(0.9, "ASSUMPTION",
                                  "earnings shocks fade over ~2-3 years (fitted by simulated "
                                  "moments with earnings_sigma)"),
        "platform_cycle_share": P(0.5, "ASSUMPTION",
                                  "subscriptions and cloud contracts are steadier than the "
                                  "other 490's sales; advertising is not"),
        "other_net_margin": P(0.11, "ASSUMPTION", "S&P 500 net margin ~11-12%"),
        "tax_rate": P(0.15, "ASSUMPTION", "effective tax rate of the platforms"),
        "ai_productivity_gain": P({"dist": "triangular", "low": 0.001, "mode": 0.003,
                                   "high": a["productivity_gain_goldman"]},
                                  "productivity_gain_goldman",
                                  "low end of the 0.1%-2.9% range, up to Goldman's 1.5%"),
        # --- credit
        "spread_leverage_beta": P(0.005, "ASSUMPTION", "leverage 0.25 -> 1.0 adds ~40bp"),
        "spread_drawdown_beta": P(0.02, "ASSUMPTION", "a 30% drawdown adds 60bp"),
        "unwind_spread_beta": P(0.04, "ASSUMPTION",
                                "a quarter of the order book unfunded adds 100bp, what a "
                                "30% drawdown's repricing and a leverage rise add together"),
        # --- valuation
        "erp_stress_beta": P(0.002, "ASSUMPTION", ""),
        "pe_max": P(80.0, "ASSUMPTION", "caps the fair multiple (Polaroid 90x in 1971, TP)"),
        "yield_passthrough": P(0.5, "ASSUMPTION",
                               "half a 10y move reaches equity discount rates (the rest is "
                               "offset by growth news: the stock-bond correlation is ~0)"),
        "long_run_growth": P(a["real_gdp_growth"] + a["inflation_target"],
                             "real_gdp_growth, inflation_target", "nominal GDP growth"),
        "excess_growth_years": P(5.0, "ASSUMPTION",
                                 "investors price about five years of above-trend growth"),
        "growth_revision_utilisation": P(0.1, "ASSUMPTION",
                                         "utilisation down 30pp cuts the AI groups' expected "
                                         "growth by 3pp (their P/E by ~15%)"),
        "growth_expectation_speed": P(0.02, "ASSUMPTION",
                                      "expectations move 2% of the way per quarter"),
        "expected_growth_cap": P(a["eps_growth_10y"] + 0.01, "eps_growth_10y",
                                 "expected long-run growth rises at most 1pp above 7.3%"),
        "capex_reflex": P(a["capex_to_mcap_reflex"], "capex_to_mcap_reflex",
                          "$1 of capex -> $3 of market cap, in ramp"),
        "premium_wobble_ai": P(-0.2, "ASSUMPTION", ""),
        "premium_bust_ai": P(-0.6, "ASSUMPTION", "Nasdaq 2000-02 multiple compression"),
        "beta_hw": P(1.5, "ASSUMPTION", ""),
        "beta_platforms": P(1.2, "ASSUMPTION", ""),
        "beta_other": P(0.9, "ASSUMPTION", ""),
        # --- volatility
        "vol_wobble": P(_wobble_vol(), "SMM",
                        "halfway between the fitted ramp and bust volatilities"),
        # --- regime
        "p_wobble_to_bust": P(0.10, "ASSUMPTION", ""),
        "p_wobble_to_ramp": P(0.30, "ASSUMPTION", "most wobbles are pull-backs, JIN"),
        "fragility_gap": P(0.3, "ASSUMPTION", "utilisation down 30pp: +0.9 logits"),
        "fragility_capex": P(3.0, "ASSUMPTION", ""),
        "fragility_orders": P(2.0, "ASSUMPTION",
                              "hardware revenue falling 30% a year: +0.7 logits"),
        "fragility_spread": P(1.0, "ASSUMPTION", ""),
        "fragility_real_yield": P(0.5, "ASSUMPTION", ""),
        "fragility_inflation": P(0.3, "ASSUMPTION", "inflation 2pp above its start: +0.6 logits"),
        "fragility_drawdown": P(0.5, "ASSUMPTION", "a 20% drawdown: +1 logit"),
        "recovery_drawdown": P(1.0, "ASSUMPTION", "a 40% drawdown: +2 logits towards recovery"),
        "recovery_easing": P(0.5, "ASSUMPTION",
                             "the policy rate 2pp below neutral: +1 logit towards recovery"),
    }


def _wobble_vol() -> float:
    smm = shipped_fit().get("smm", {}).get("parameters", {})
    if "vol_ramp" in smm and "vol_bust" in smm:
        return 0.5 * (smm["vol_ramp"]["estimate"] + smm["vol_bust"]["estimate"])
    return 0.18


def _shock_correlations() -> dict[tuple[str, str], float]:
    corr = {
        ("gdp", "earnings"): 0.5,
        ("valuation", "credit_spread"): -0.5,
        ("valuation", "log_volatility"): -0.5,
        ("credit_spread", "log_volatility"): 0.4,
        ("capex", "ai_revenue"): 0.3,
        ("gdp", "capex"): 0.2,
        ("inflation", "term_premium"): 0.3,
    }
    # No gdp-valuation term: with gdp-earnings +0.5 and the fitted earnings-valuation -0.62,
    # the +0.2 once assumed left the matrix indefinite (valuation-volatility eased to -0.5
    # for the same reason).
    for pair, f in shipped_fit().get("correlations", {}).items():
        if f["adopted"]:
            corr[tuple(pair.split(","))] = f["estimate"]
    return corr


SHOCK_CORRELATIONS: dict[tuple[str, str], float] = _shock_correlations()
"""Correlations of the quarterly shocks; pairs not listed are uncorrelated. Those in
``fitted.yaml``'s ``correlations`` are fitted (earnings vs valuation); the rest are
ASSUMPTION."""
