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

from .dataset import is_summary
from .metadata import RunMetadata
from .plots import fan_chart, figure_legend, horizon_histogram, scenario_colors
from .summary import tail_probabilities

GROUPS = (("hw", "AI hardware"), ("platforms", "platforms"), ("other", "other 490"))
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
    per scenario (from the draws, or from the stored histogram in summary mode)."""
    start = ds["index_level"].attrs["start_value"]
    out = []
    for s in ds["scenario"].values:
        if is_summary(ds):
            counts = ds["index_horizon_counts"].sel(scenario=s).values.astype(float)
            edges = ds["index_horizon_edges"].sel(scenario=s).values
            mids = 0.5 * (edges[1:] + edges[:-1])
            cum = np.cumsum(counts) / counts.sum()
            take = np.clip(level - np.concatenate([[0], cum[:-1]]), 0, counts / counts.sum())
            out.append(float(np.sum(take * mids) / level / start - 1.0))
        else:
            v = np.sort(ds["index_level"].sel(scenario=s).isel(time=-1).values)
            k = max(1, int(np.floor(level * v.size)))
            out.append(float(v[:k].mean() / start - 1.0))
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
    base = "baseline" if "baseline" in names else names[0]
    t = t.loc[[base] + [n for n in names if n != base]]
    t["Δ change vs " + base] = t["change (median)"] - t.loc[base, "change (median)"]
    t["Δ P(DD>20%) vs " + base] = t["P(DD>20%)"] - t.loc[base, "P(DD>20%)"]
    return t


def attribution(ds: xr.Dataset) -> pd.DataFrame:
    """Median log change of each group's market cap split into earnings (log E_T/E_0 at the
    median) and multiple (log PE_T/PE_0 at the median), per scenario."""
    final = ds.isel(time=-1)
    rows = []
    for s in ds["scenario"].values:
        for key, label in GROUPS:
            e0 = ds[f"earnings_{key}"].attrs["start_value"]
            pe0 = ds[f"pe_{key}"].attrs["start_value"]
            e = float(_quantile(final, f"earnings_{key}", 0.5).sel(scenario=s))
            pe = float(_quantile(final, f"pe_{key}", 0.5).sel(scenario=s))
            rows.append({"scenario": str(s), "group": label, "earnings": np.log(e / e0),
                         "multiple": np.log(pe / pe0)})
    return pd.DataFrame(rows)


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


def _attribution_figure(ds: xr.Dataset) -> str:
    a = attribution(ds)
    names = list(dict.fromkeys(a["scenario"]))
    colors = scenario_colors(names)
    fig = Figure(figsize=(15.6, 3.9 + 0.12 * len(names)))
    axes = fig.subplots(1, 3, sharey=False)
    for ax, (_, label) in zip(axes, GROUPS, strict=True):
        g = a[a["group"] == label].set_index("scenario").loc[names]
        y = np.arange(len(names))
        ax.barh(y, g["earnings"], color=[colors[n] for n in names], alpha=0.9,
                label="earnings")
        left = np.where(np.sign(g["multiple"]) == np.sign(g["earnings"]), g["earnings"], 0.0)
        ax.barh(y, g["multiple"], left=left, color=[colors[n] for n in names], alpha=0.35,
                hatch="//", edgecolor="k", lw=0.3, label="multiple")
        ax.scatter(g["earnings"] + g["multiple"], y, color="k", zorder=3, s=14,
                   label="market cap")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("log change from start to horizon (medians)")
        ax.set_title(f"{label}: market cap = earnings (solid) + multiple (hatched)", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _png(fig)


def _histogram_figure(ds: xr.Dataset) -> str:
    fig = Figure(figsize=(11, 4.6))
    ax = fig.subplots()
    horizon_histogram(ds, "index_level", ax=ax)
    ax.legend(fontsize=8, loc="upper right", ncol=1 if ds.sizes["scenario"] <= 8 else 2)
    fig.tight_layout()
    return _png(fig)


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
        swatch = f'<span class="sw" style="background:{_hex(colors[name])}"></span>'
        cells = "".join(f"<td>{_fmt(c, r[c])}</td>" for c in t.columns)
        rows.append(f'<tr class="scenario-row"><th>{swatch}{html.escape(str(name))}</th>'
                    f"{cells}</tr>")
    return (f'<div class="tablewrap"><table id="scenario-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


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
    var el=document.getElementById('selfcheck');
    el.setAttribute('data-images-total', imgs.length);
    el.setAttribute('data-images-ok', ok);
    el.setAttribute('data-table-rows', rows);
    el.setAttribute('data-errors', JSON.stringify(errors));
  });
})();
</script>
"""


def render_report(ds: xr.Dataset, anchor_table: pd.DataFrame | None = None) -> str:
    """The report as one HTML string; ``anchor_table``: the run's anchor check
    (``aicapex.calibration.check.run_anchor_table``), shown where given and not empty."""
    names = [str(s) for s in ds["scenario"].values]
    colors = scenario_colors(names)
    m = RunMetadata.of(ds)
    qs = ds if is_summary(ds) else ds[[v for _, vs in FAN_SECTIONS for v in vs]].quantile(
        [0.05, 0.25, 0.5, 0.75, 0.95], "draw")
    when = str(np.datetime_as_string(ds["time"].values[-1], unit="D"))
    mode = "summary-only" if is_summary(ds) else "full paths"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>aicapex report: {html.escape(', '.join(names))}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>AI-capex scenarios: top or ramp?</h1>",
        f"<p class='meta'>{len(names)} scenario(s), {m.draws:,} draws each, "
        f"{html.escape(m.start)} + {m.horizon_quarters} quarters (horizon {when}); seed "
        f"{m.seed}; {html.escape(m.dtype)} on {html.escape(m.device)}; "
        f"aicapex {html.escape(m.package_version)}, JAX {html.escape(m.jax_version)}; "
        f"{mode}.</p>",
        "<h2>Scenarios at the horizon</h2>",
        "<p class='note'>Index level at the horizon: median and 5%/95% quantiles over draws; "
        "P(DD&gt;x) is the probability that the quarter-end drawdown from the running peak "
        "exceeds x at some point; ES 5% is the mean index change of the worst 5% of draws; "
        "earnings changes are medians from the start; deltas compare with the first row.</p>",
        _table_html(scenario_table(ds), colors),
    ]
    for title, variables in FAN_SECTIONS:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(f"<img alt='{html.escape(title)} fan chart' "
                     f"src='data:image/png;base64,{_fan_figure(ds, variables, qs)}'>")
    parts.append("<h2>Distribution of the index at the horizon</h2>")
    parts.append(f"<img alt='index histogram' src='data:image/png;base64,"
                 f"{_histogram_figure(ds)}'>")
    parts.append("<h2>Where the market-cap change comes from</h2>")
    parts.append("<p class='note'>Median log change of each group's market cap from the start "
                 "to the horizon, split into the change of earnings and of the P/E multiple "
                 "(medians of each, so the parts add up only approximately; the dot is their "
                 "sum).</p>")
    parts.append(f"<img alt='attribution' src='data:image/png;base64,"
                 f"{_attribution_figure(ds)}'>")
    anchors = _anchor_html(anchor_table)
    if anchors:
        parts.append("<h2>Anchor check</h2>")
        parts.append("<p class='note'>Each scenario against the published figures it can "
                     "express and two properties of history (see the README's Calibration "
                     "section); n/a: not computable from a summary-only run.</p>")
        parts.append(anchors)
    parts.append("<h2>Assumptions</h2>")
    yamls = {r.name: r.resolved_yaml for r in m.scenarios}
    for name in names:
        parts.append(f"<details><summary>{html.escape(name)} (scenario after inheritance)"
                     f"</summary><pre>{html.escape(yamls.get(name, ''))}</pre></details>")
    parts.append(SELF_CHECK)
    parts.append("</body></html>")
    return "\n".join(parts)


def pass_band(lo: float, hi: float) -> str:
    """A pass band as text: ``[0.37, 0.41]``, or ``> 0.2`` when open above."""
    return f"[{lo:.4g}, {hi:.4g}]" if np.isfinite(hi) else f"> {lo:.4g}"


def _anchor_html(t: pd.DataFrame | None) -> str:
    if t is None or t.empty:
        return ""
    t = t.assign(**{"pass band": [pass_band(lo, hi) for lo, hi in zip(
        t["pass_low"], t["pass_high"], strict=True)]})
    cols = ["scenario", "check", "target", "pass band", "median", "5%", "95%", "passed"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = []
    for _, r in t[cols].iterrows():
        cells = []
        for c in cols:
            v = r[c]
            text = (f"{v:.4g}" if isinstance(v, float) and v == v else
                    "n/a" if isinstance(v, float) else str(v))
            style = " style='color:#b00;font-weight:bold'" if text == "FAIL" else ""
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="tablewrap"><table id="anchor-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def write_report(ds: xr.Dataset, run_dir: str | Path,
                 anchor_table: pd.DataFrame | None = None) -> Path:
    """Write ``run_dir/report.html`` (atomically: a temporary file renamed into place)."""
    path = Path(run_dir) / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(render_report(ds, anchor_table), encoding="utf-8")
    tmp.replace(path)
    return path
