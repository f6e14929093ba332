"""A self-contained HTML report of a run: one file, images embedded, opens offline.

Works for full-path and summary-only runs: everything shown is built from medians and
quantiles (and, for the expected shortfall, the draws or the stored horizon histogram).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from .chart_set import chart_selection
from .dataset import is_summary
from .metadata import RunMetadata
from .plots import (
    GROUPS,
    attribution_chart,
    exceedance_chart,
    fan_chart,
    fan_grid,
    figure_legend,
    has_sweep,
    quantiles_of,
    regime_chart,
    scenario_colors,
    single,
    sweep_chart,
    tail_chart,
)
from .risk_charts import sensitivity_chart, tornado_chart, vol_chart
from .summary import index_distribution, reference_scenario, tail_events, tail_probabilities

FAN_SECTIONS = (
    ("S&P 500", ("index_level",)),
    ("Earnings by group", ("earnings_hw", "earnings_platforms", "earnings_other")),
    ("P/E by group", ("pe_hw", "pe_platforms", "pe_other")),
    ("AI capex, AI revenue and depreciation", ("ai_capex", "ai_revenue", "depreciation")),
    ("Policy rate and 10-year yield", ("policy_rate", "yield_10y")),
)


def _quantile(ds: xr.Dataset, var: str, q: float) -> xr.DataArray:
    return ds[var].sel(quantile=q) if is_summary(ds) else ds[var].quantile(q, "draw")


def expected_shortfall(ds: xr.Dataset, level: float = 0.05) -> np.ndarray:
    """Mean index change from the start over the worst ``level`` of draws at the horizon,
    per scenario (Acerbi-Tasche: the boundary draw, or histogram bin, counts in part), from
    the draws or, in summary mode, the stored histogram."""
    start = ds["index_level"].attrs["start_value"]
    values, weights, _ = index_distribution(ds)
    out = []
    for v, w in zip(values, weights, strict=True):
        order = np.argsort(v)
        v, w = v[order], w[order]
        take = np.clip(level - np.concatenate([[0.0], np.cumsum(w)[:-1]]), 0.0, w)
        out.append(float(np.sum(take * v) / level / start - 1.0))
    return np.array(out)


def scenario_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per scenario (baseline first): index at the horizon, tails, weights, earnings
    changes, and deltas to the baseline."""
    names = [str(s) for s in ds["scenario"].values]
    start = ds["index_level"].attrs["start_value"]
    final = ds.isel(time=-1)
    tails = tail_probabilities(ds)
    t = pd.DataFrame(index=pd.Index(names, name="scenario"))
    t["index median"] = _quantile(final, "index_level", 0.5).values
    t["index 5%"] = _quantile(final, "index_level", 0.05).values
    t["index 95%"] = _quantile(final, "index_level", 0.95).values
    t["change (median)"] = t["index median"] / start - 1.0
    for lvl in (10, 20, 30):
        t[f"P(DD>{lvl}%)"] = tails[f"P(drawdown>{lvl}%)"].values
    t["ES 5%"] = expected_shortfall(ds)
    t["Mag-10 weight"] = _quantile(final, "mag10_weight", 0.5).values
    for key, label in GROUPS:
        e0 = ds[f"earnings_{key}"].attrs["start_value"]
        t[f"earnings {label}"] = _quantile(final, f"earnings_{key}", 0.5).values / e0 - 1.0
    base = reference_scenario(names)
    t = t.loc[[base] + [n for n in names if n != base]]
    t["Δ change vs " + base] = t["change (median)"] - t.loc[base, "change (median)"]
    t["Δ P(DD>20%) vs " + base] = t["P(DD>20%)"] - t.loc[base, "P(DD>20%)"]
    return t


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fan_figure(ds: xr.Dataset, variables, qs) -> str:
    n = len(variables)
    fig = Figure(figsize=(max(5.2 * n, 11.0), 4.1))
    axes = fig.subplots(1, n, squeeze=False)
    for ax, var in zip(axes[0], variables, strict=True):
        fan_chart(ds, var, ax=ax, qs=qs)
    _shared_legend(fig, axes[0, 0])
    return _png(fig)


def _shared_legend(fig, ax) -> None:
    fig.tight_layout(rect=(0, figure_legend(fig, ax), 1, 1))


def _single_figure(draw, figsize) -> str:
    return _png(single(draw, figsize))


def findings(ds: xr.Dataset, t: pd.DataFrame) -> list[str]:
    """The run's key findings in words, from its ``scenario_table`` ``t``: the worst scenario
    at the horizon, the chance of a 20% drawdown in each (with its Monte Carlo error), and
    the widest gap to the baseline."""
    tails = tail_events(ds)
    dd = tails[(tails.event == "max_drawdown_exceeds") & np.isclose(tails.level, 0.2)
               ].set_index("scenario")
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    base = t.index[0]
    worst = t["change (median)"].idxmin()
    out = [f"Worst scenario at the horizon ({when}): <b>{html.escape(worst)}</b>, median "
           f"S&amp;P 500 change {t.loc[worst, 'change (median)']:+.0%} (5% of draws end below "
           f"{t.loc[worst, 'index 5%']:,.0f}; expected shortfall {t.loc[worst, 'ES 5%']:+.0%})."]
    most = dd["probability"].idxmax()
    out.append(f"A drawdown of more than 20% at some point is most likely in <b>"
               f"{html.escape(most)}</b>: {dd.loc[most, 'probability']:.0%} (+-"
               f"{1.96 * dd.loc[most, 'standard_error']:.1%}), against "
               f"{dd.loc[base, 'probability']:.0%} in {html.escape(base)}.")
    if len(t) > 1:
        gap = (t["change (median)"] - t.loc[base, "change (median)"]).drop(base)
        far = gap.abs().idxmax()
        out.append(f"Furthest from {html.escape(base)}: <b>{html.escape(far)}</b>, "
                   f"{gap[far] * 100:+.0f} percentage points of median index change.")
    return out


def _fmt(col: str, v) -> str:
    if col.startswith("index"):
        return f"{v:,.0f}"
    if col.startswith(("P(", "Δ P(")) or col in ("Mag-10 weight",):
        return f"{v:.1%}"
    return f"{v:+.1%}"


def _table_html(t: pd.DataFrame, colors) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["scenario", *t.columns])
    rows = []
    for name, r in t.iterrows():
        swatch = f'<span class="sw" style="background:{colors[name]}"></span>'
        cells = "".join(f"<td>{_fmt(c, r[c])}</td>" for c in t.columns)
        rows.append(f'<tr class="scenario-row"><th>{swatch}{html.escape(str(name))}</th>'
                    f"{cells}</tr>")
    return ('<div class="tablewrap"><table id="scenario-table" class="sortable">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;
 max-width:1600px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:13px}
.tablewrap{overflow-x:auto} table{border-collapse:collapse;font-size:12.5px}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
thead th{position:sticky;top:0;background:#fafafa;border-bottom:2px solid #ccc;white-space:normal;
 max-width:110px;vertical-align:bottom}
tbody th{text-align:left} .sw{display:inline-block;width:10px;height:10px;margin-right:6px;
 border-radius:2px}
img{max-width:100%;height:auto;display:block;margin:8px 0}
pre{background:#f7f7f7;padding:8px;font-size:12px;overflow-x:auto;max-height:360px}
details{margin:6px 0} .note{font-size:12.5px;color:#555}
"""

SORTABLE = """
<script>
// Click a column's header to sort the table's rows by it (again: the other way).
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('thead th').forEach(function(th, col){
    th.style.cursor='pointer'; th.title='sort by this column';
    th.addEventListener('click', function(){
      var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
      var dir=th.getAttribute('data-dir')==='asc' ? -1 : 1;
      th.setAttribute('data-dir', dir===1 ? 'asc' : 'desc');
      function key(r){ var t=r.cells[col].textContent.replace(/[,%+\u2212]/g, function(c){
        return c==='\u2212' ? '-' : ''; }); var x=parseFloat(t); return isNaN(x) ? t : x; }
      rows.sort(function(a, b){ var x=key(a), y=key(b);
        return (x > y ? 1 : x < y ? -1 : 0) * dir; });
      rows.forEach(function(r){ body.appendChild(r); });
    });
  });
});
</script>
"""

SELF_CHECK = """
<div id="selfcheck" hidden></div>
<script>
(function(){
  var errors=[];
  window.addEventListener('error', function(e){ errors.push(String(e.message||e)); }, true);
  window.addEventListener('load', function(){
    var imgs=document.images, ok=0;
    for (var i=0;i<imgs.length;i++){ if (imgs[i].complete && imgs[i].naturalWidth>0) ok++; }
    var rows=document.querySelectorAll('#scenario-table tbody tr').length;
    var findings=document.querySelectorAll('#findings li').length;
    var sortable=document.querySelectorAll('table.sortable th[title]').length;
    var el=document.getElementById('selfcheck');
    el.setAttribute('data-images-total', imgs.length);
    el.setAttribute('data-images-ok', ok);
    el.setAttribute('data-table-rows', rows);
    el.setAttribute('data-findings', findings);
    el.setAttribute('data-sortable-columns', sortable);
    el.setAttribute('data-errors', JSON.stringify(errors));
  });
})();
</script>
"""


def _simple_table(t: pd.DataFrame, table_id: str, formats: dict[str, str]) -> str:
    """A sortable table of ``t``'s columns ``formats`` (column -> format spec, "%" for a
    percentage)."""
    head = "".join(f"<th title='sort by {html.escape(c)}'>{html.escape(c.replace('_', ' '))}"
                   "</th>" for c in formats)

    def cell(c, v):
        if isinstance(v, str):
            return html.escape(v)
        if formats[c] == "%":
            return f"{100 * v:.1f}%" if np.isfinite(v) else "n/a"
        return format(v, formats[c]) if np.isfinite(v) else "n/a"
    rows = "".join("<tr>" + "".join(f"<td>{cell(c, r[c])}</td>" for c in formats) + "</tr>"
                   for _, r in t.iterrows())
    return (f'<div class="tablewrap"><table id="{table_id}" class="sortable"><thead><tr>{head}'
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


def _analysis_html(a, charted: list[str]) -> list[str]:
    """The sections of ``aicapex analyze``'s results (``aicapex.analysis``): implied vol,
    the tail hedge, plausibility and the drivers, those given; the charts draw the
    scenarios ``charted``, the tables every one."""
    parts = []
    if "vol_surface" in a:
        v = a["vol_surface"]
        parts += ["<h2>Volatility the scenarios imply</h2>",
                  "<p class='note'>Black-Scholes implied vols of index options priced on each "
                  f"scenario's own draws ({html.escape(str(v.attrs.get('measure')))} measure: "
                  "the drift removed, the distribution's shape kept), against the market's "
                  "implied vol at the start; vol points over the market at 1, 4 and 8 "
                  "quarters in the table.</p>",
                  f"<img alt='implied volatility' src='data:image/png;base64,"
                  f"{_png(vol_chart(v.sel(scenario=charted)))}'>"]
        over = v["atm_vol_over_market"].to_pandas()
        t = pd.DataFrame({"scenario": [str(x) for x in over.index]})
        fmt = {"scenario": ""}
        for m in (1, 4, 8):
            if m in over.columns:
                t[f"ATM {m}Q vs market"] = over[m].to_numpy()
                fmt[f"ATM {m}Q vs market"] = "%"
        parts.append(_simple_table(t, "vol-table", fmt))
    if "tail_hedge" in a:
        h = a["tail_hedge"]
        parts += ["<h2>The tail hedge</h2>",
                  f"<p class='note'>A {int(h['maturity_quarters'].iloc[0])}-quarter put "
                  f"{100 * (1 - h['moneyness'].iloc[0]):.0f}% out of the money: the chance it "
                  "pays and its expected payoff if the scenario is right, its price at the "
                  "market's vol, and the return of buying it at that price.</p>",
                  _simple_table(h, "hedge-table", {
                      "scenario": "", "p_pays": "%", "mean_payoff": ",.1f",
                      "market_price": ",.1f", "model_price": ",.1f",
                      "expected_return_at_market": "%"})]
    if "plausibility" in a:
        p = a["plausibility"]
        cols = {"scenario": "", "median_change": "%", "p_reference": "%", "one_in": ",.0f",
                "about_once_in_years": ",.0f", "shock_distance": ".2f", "p_shocks": "%",
                "shocks_once_in_years": ",.0f", "binding_shocks": ""}
        parts += ["<h2>How plausible is each scenario?</h2>",
                  f"<p class='note'>Its outcome: where each scenario's median index change "
                  f"sits in the {html.escape(str(p['reference'].iloc[0]))} scenario's "
                  "draws, the reference's probability of an outcome at least as bad, as 1 in "
                  "N over the horizon and about once in so many years. Its shocks: the "
                  "Mahalanobis distance of what it changes against the reference, each "
                  "driver in units of its plausibility scale (history's five-year swings "
                  "where the data have them), the chance of a move that far along its "
                  "direction, and the drivers that bind (docs/analysis.md).</p>",
                  _simple_table(p[[c for c in cols if c in p]], "plausibility-table",
                                {c: f for c, f in cols.items() if c in p})]
    if "drivers" in a:
        parts += ["<h2>What drives the outcome?</h2>",
                  "<p class='note'>The effect of a one-sd move of each prior on the index "
                  "change to the horizon (a regression on every draw's sampled parameters), "
                  "and the share of the outcome's variance each explains alone.</p>",
                  f"<img alt='tornado of the drivers' src='data:image/png;base64,"
                  f"{_single_figure(lambda ax: tornado_chart(a['drivers'], ax=ax), (10, 5))}'>"]
    elif a:
        parts += ["<h2>What drives the outcome?</h2>",
                  "<p class='note'>The drivers need every draw's sampled parameters, which a "
                  "summary run does not keep: run with full paths for them, or see "
                  "<code>aicapex sensitivities</code>.</p>"]
    if "sensitivities" in a:
        t = a["sensitivities"]
        parts += ["<h2>Which assumption matters most? (autodiff)</h2>",
                  f"<p class='note'>The derivative of the median index at the horizon of "
                  f"{html.escape(str(t['scenario'].iloc[0]))} with respect to every prior's "
                  "location and every shock's size, by reverse-mode autodiff in one backward "
                  "pass, shown as the effect of a one-sd move of a prior or a 1pp shock "
                  "(docs/analysis.md).</p>",
                  f"<img alt='autodiff sensitivities' src='data:image/png;base64,"
                  f"{_single_figure(lambda ax: sensitivity_chart(t, ax=ax), (10, 5))}'>"]
    return parts


def render_report(ds: xr.Dataset, anchor_table: pd.DataFrame | None = None,
                  analysis=None) -> str:
    """The report as one HTML string; ``anchor_table``: the run's anchor check
    (``aicapex.calibration.check.run_anchor_table``), shown where given and not empty;
    ``analysis``: ``aicapex.analysis`` results by name (``vol_surface``, ``tail_hedge``,
    ``plausibility``, ``drivers``), each shown where given."""
    names = [str(s) for s in ds["scenario"].values]
    colors = scenario_colors(names)
    m = RunMetadata.of(ds)
    full, (ds, shown_note) = ds, chart_selection(ds)  # the charts draw at most a dozen
    qs = quantiles_of(ds, [v for _, vs in FAN_SECTIONS for v in vs])
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    mode = "summary-only" if is_summary(ds) else "full paths"
    table = scenario_table(full)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>aicapex report: {html.escape(', '.join(names[:6]))}"
        f"{f' and {len(names) - 6:,} more' if len(names) > 6 else ''}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>AI-capex scenarios: top or ramp?</h1>",
        f"<p class='meta'>{len(names)} scenario(s), {m.draws:,} draws each, "
        f"{html.escape(m.start)} + {m.horizon_quarters} quarters (horizon {when}); seed "
        f"{m.seed}; {html.escape(m.dtype)} on {html.escape(m.device)}; "
        f"aicapex {html.escape(m.package_version)}, JAX {html.escape(m.jax_version)}; "
        f"{mode}.</p>",
        "<h2>Key findings</h2>",
        "<ul id='findings'>" + "".join(f"<li>{f}</li>" for f in findings(full, table))
        + "</ul>",
        *([f"<p class='note'>The charts draw {html.escape(shown_note)}; the tables, every "
           "one.</p>"] if shown_note else []),
        f"<img alt='tail probabilities by scenario' src='data:image/png;base64,"
        f"{_single_figure(lambda ax: tail_chart(ds, ax=ax), (10, 0.5 * len(names) + 1.8))}'>",
        "<h2>Scenarios at the horizon</h2>",
        "<p class='note'>Index level at the horizon: median and 5%/95% quantiles over draws; "
        "P(DD&gt;x) is the probability that the quarter-end drawdown from the running peak "
        "exceeds x at some point; ES 5% is the mean index change of the worst 5% of draws; "
        "earnings changes are medians from the start; deltas compare with the first row.</p>",
        _table_html(table, colors),
    ]
    grid = fan_grid(ds, "index_level", qs=qs)
    parts.append("<h2>S&amp;P 500 by scenario</h2>")
    parts.append(f"<img alt='S&amp;P 500 small multiples' src='data:image/png;base64,"
                 f"{_png(grid)}'>")
    for title, variables in FAN_SECTIONS:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(f"<img alt='{html.escape(title)} fan chart' "
                     f"src='data:image/png;base64,{_fan_figure(ds, variables, qs)}'>")
    parts.append("<h2>How likely is each outcome at the horizon?</h2>")
    parts.append(f"<img alt='exceedance curves' src='data:image/png;base64,"
                 f"{_single_figure(lambda ax: exceedance_chart(ds, ax=ax), (11, 4.6))}'>")
    if has_sweep(full):
        parts.append("<h2>Response to the sweep</h2>")
        parts.append(f"<img alt='sweep response' src='data:image/png;base64,"
                     f"{_single_figure(lambda ax: sweep_chart(full, ax=ax), (11, 4.6))}'>")
    parts.append("<h2>Probability of a bust over time</h2>")
    parts.append(f"<img alt='bust probability' src='data:image/png;base64,"
                 f"{_single_figure(lambda ax: regime_chart(ds, 'bust', ax=ax), (11, 4.2))}'>")
    parts.append("<h2>Where the market-cap change comes from</h2>")
    parts.append("<p class='note'>Median change of each group's market cap from the start "
                 "to the horizon in %, as a waterfall: the change of earnings, then the "
                 "re-rating of those earnings (the P/E's change); the dot is the total.</p>")
    parts.append(f"<img alt='attribution' src='data:image/png;base64,"
                 f"{_png(attribution_chart(ds))}'>")
    parts += _analysis_html(analysis or {}, [str(s) for s in ds["scenario"].values])
    anchors = _anchor_html(anchor_table)
    if anchors:
        parts.append("<h2>Anchor check</h2>")
        parts.append("<p class='note'>Each check once, with each scenario's median and "
                     "verdict: the published figures a scenario can express and two properties "
                     "of history (see the README's Calibration section); n/a: not computable "
                     "from a summary-only run.</p>")
        parts.append(anchors)
    parts.append("<h2>Assumptions</h2>")
    yamls = {r.name: r.resolved_yaml for r in m.scenarios}
    for name in names:
        parts.append(f"<details><summary>{html.escape(name)} (scenario after inheritance)"
                     f"</summary><pre>{html.escape(yamls.get(name, ''))}</pre></details>")
    parts.append(SORTABLE)
    parts.append(SELF_CHECK)
    parts.append("</body></html>")
    return "\n".join(parts)


def pass_band(lo: float, hi: float) -> str:
    """A pass band as text: ``[0.37, 0.41]``, or ``> 0.2`` when open above."""
    return f"[{lo:.4g}, {hi:.4g}]" if np.isfinite(hi) else f"> {lo:.4g}"


def _anchor_html(t: pd.DataFrame | None) -> str:
    """The anchor check once per check: its target and pass band, then each scenario's
    median with its verdict (FAIL in red)."""
    if t is None or t.empty:
        return ""
    names = list(dict.fromkeys(t["scenario"]))
    checks = list(dict.fromkeys(t["check"]))
    by = t.set_index(["check", "scenario"])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["check", "target", "pass band",
                                                          *names])
    rows = []
    for c in checks:
        first = by.loc[c].iloc[0]
        cells = [f"<th>{html.escape(c)}</th>", f"<td>{html.escape(str(first['target']))}</td>",
                 f"<td>{html.escape(pass_band(first['pass_low'], first['pass_high']))}</td>"]
        for n in names:
            if (c, n) not in by.index:
                cells.append("<td></td>")
                continue
            r = by.loc[(c, n)]
            v = r["median"]
            text = f"{v:.4g}" if isinstance(v, float) and v == v else "n/a"
            verdict = str(r["passed"])
            style = " style='color:#b00;font-weight:bold'" if verdict == "FAIL" else ""
            cells.append(f"<td{style}>{html.escape(text)} {html.escape(verdict)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return ('<div class="tablewrap"><table id="anchor-table" class="sortable">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def write_report(ds: xr.Dataset, run_dir: str | Path,
                 anchor_table: pd.DataFrame | None = None, analysis=None) -> Path:
    """Write ``run_dir/report.html`` (atomically: a temporary file renamed into place)."""
    path = Path(run_dir) / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(render_report(ds, anchor_table, analysis), encoding="utf-8")
    tmp.replace(path)
    return path
