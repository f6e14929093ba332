"""``aicapex calibrate``: the anchor check (``--check``) or the fits to history (``--fit``)."""

from __future__ import annotations

import time
from pathlib import Path

from .console import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    add_cache_flag,
    add_command,
    check_out,
    err,
    error,
    frame_table,
    info,
    out,
)


def add_parser(sub) -> None:
    c = add_command(sub, "calibrate", "check the baseline against the anchor figures "
                    "(--check) or fit parameters to historical data (--fit)",
                    "--check simulates a scenario and compares it with every anchor figure it "
                    "can express (exit 1 if one fails); --fit estimates the stochastic "
                    "parameters from the historical data that ships with the calibration "
                    "extra, with standard errors.",
                    ["aicapex calibrate --check", "aicapex calibrate --fit --out fit/"])
    mode = c.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true",
                      help="simulate a scenario (default baseline) and compare it with every "
                      "anchor it can express; exit 1 if one fails")
    mode.add_argument("--fit", action="store_true",
                      help="fit the stochastic parameters to history (needs the calibration "
                      "extra) and print/write the estimates with standard errors")
    c.add_argument("--scenario", default="baseline", help="scenario to check (--check)")
    c.add_argument("--draws", type=int, default=20_000, help="draws (--check; default 20000)")
    c.add_argument("--seed", type=int, default=0, help="random seed (--check; default 0)")
    c.add_argument("--out", type=Path, help="directory for anchor_check.csv (--check) or "
                   "fitted.yaml and fit.csv (--fit)")
    c.add_argument("--no-smm", action="store_true",
                   help="--fit: skip the simulated-moment fit (about a minute) and keep the "
                   "shipped one")
    c.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    add_cache_flag(c)


def run(args) -> int:
    if not check_out(args.out, args.overwrite):
        return EXIT_BAD_INPUT
    return _check(args) if args.check else _fit(args)


def _check(args) -> int:
    from ..calibration.check import all_passed, check_baseline
    from ..outputs import atomic_dir

    if args.draws < 100:
        error("--draws must be at least 100 for a check")
        return EXIT_BAD_INPUT
    info.print(f"simulating {args.scenario} x {args.draws:,} draws (seed {args.seed})")
    table, _ = check_baseline(args.draws, args.seed, scenario=args.scenario)
    shown = table.drop(columns=["scenario"])
    out.print(frame_table(shown, f"Anchor check: {args.scenario}, {args.draws:,} draws"))
    if args.out is not None:
        with atomic_dir(args.out, args.overwrite) as tmp:
            table.to_csv(tmp / "anchor_check.csv", index=False, float_format="%.6g")
        info.print(f"wrote {args.out}/anchor_check.csv")
    n_fail = int((table["passed"] == "FAIL").sum())
    err.print("all anchors pass" if all_passed(table) else f"{n_fail} anchor(s) FAIL",
              highlight=False)
    return 0 if all_passed(table) else EXIT_FAILED


def _fit(args) -> int:
    from ..calibration.fit import fit_history, fits_table, write_fit
    from ..outputs import atomic_dir
    from ..scenarios import shipped_fit

    t0 = time.perf_counter()
    fits, moments = fit_history()
    table = fits_table(fits)
    shipped = shipped_fit()["parameters"]
    table["shipped"] = [shipped.get(n, {}).get("estimate", float("nan")) for n in table.index]
    out.print(frame_table(table[["estimate", "se", "shipped", "unit", "adopted", "method",
                                 "data"]].reset_index(),
                          f"Fitted to history in {time.perf_counter() - t0:.1f}s "
                          "(shipped = the estimate the default priors use)"))
    for k, c in moments.get("correlations", {}).items():
        out.print(f"correlation {k}: {c['estimate']:.3f} +- {c['se']:.3f} ({c['data']})")
    for k, m in moments.items():
        if k != "correlations":
            out.print(f"history {k}: {m['value']:.4g} {m['unit']} ({m['data']})")
    from ..calibration.scales import shock_scales

    scales = shock_scales()
    for k, v in scales.items():
        out.print(f"shock scale {k}: {v['estimate']:.4g} +- {v['se']:.2g} {v['unit']} "
                  f"({v['data']})")
    smm_doc = shipped_fit().get("smm")
    if not args.no_smm:
        from ..calibration.smm import fit_smm, result_document

        info.print("fitting by simulated moments (steady-state scenario, 20,000 draws a try)")
        res = fit_smm(progress=lambda i, v: info.print(f"  try {i}: distance {v:.2f}")
                      if i % 20 == 0 else None)
        smm_doc = result_document(res)
        table = res.moments.reset_index(names="moment")
        out.print(frame_table(table, "Simulated moments vs history (S&P 500 1950-2018)"))
        est = [{"parameter": n, "estimate": res.estimates[n], "se": res.se[n]}
               for n in res.estimates]
        import pandas as pd

        out.print(frame_table(pd.DataFrame(est), f"SMM estimates ({res.evaluations} "
                              f"simulations, distance {res.objective:.2f})"))
        out.print(frame_table(res.target_checks(), "Moment targets"))
    if args.out is not None:
        with atomic_dir(args.out, args.overwrite) as tmp:
            write_fit(tmp, fits, moments, smm_doc, scales)
        info.print(f"wrote {args.out}/fitted.yaml and fit.csv")
    return 0
