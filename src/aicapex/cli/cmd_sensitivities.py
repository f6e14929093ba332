"""``aicapex sensitivities``: which assumption matters most, by reverse-mode autodiff."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, add_command, check_out, error, out


def add_parser(sub) -> None:
    p = add_command(sub, "sensitivities", "derivatives of the risk metrics by autodiff",
                    "Differentiate a scenario's risk metrics (median index, 5% expected "
                    "shortfall, P(drawdown > 20%), Mag-10 weight, platform earnings) with "
                    "respect to every prior's location and every scenario shock's size, in one "
                    "backward pass per metric (pathwise, with the score function of the regime "
                    "chain; docs/analysis.md). Prints the largest effects of a one-sd move of "
                    "a prior or a 1pp shock; --out writes sensitivities.csv and a tornado "
                    "chart per metric.",
                    ["aicapex sensitivities baseline",
                     "aicapex sensitivities credit_stress --draws 16384 --out runs/sens"])
    p.add_argument("scenario", metavar="SCENARIO_OR_FILE", nargs="?", default="baseline",
                   help="a built-in scenario's name or a YAML file (default: baseline)")
    p.add_argument("--draws", type=int, default=8192,
                   help="draws (whole 1,024-draw blocks; default 8192)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--top", type=int, default=5, help="effects printed per metric")
    p.add_argument("--out", type=Path, help="write sensitivities.csv and tornado charts here")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def run(args) -> int:
    from ..analysis.sensitivity import METRICS, sensitivity_table
    from ..outputs import atomic_dir, sensitivity_chart, single

    if args.draws < 1:
        error("--draws must be at least 1")
        return EXIT_BAD_INPUT
    if not check_out(args.out, args.overwrite):
        return EXIT_BAD_INPUT
    table = sensitivity_table(args.scenario, draws=args.draws, seed=args.seed)
    for metric, description in METRICS.items():
        t = table[table.metric == metric].dropna(subset=["effect"]).head(args.top)
        out.print(f"{description}: {t['value'].iloc[0]:,.4g}", highlight=False)
        for _, r in t.iterrows():
            move = (f"+1 sd ({r['move']:.3g} {r['unit']})" if r["kind"] == "prior location"
                    else "+1pp")
            out.print(f"  {r['input']:<28} {move:<26} {r['effect']:+,.4g}", highlight=False)
    if args.out is not None:
        with atomic_dir(args.out, args.overwrite) as tmp:
            table.to_csv(tmp / "sensitivities.csv", index=False, float_format="%.6g")
            for metric in METRICS:
                fig = single(lambda ax, m=metric: sensitivity_chart(table, m, ax=ax), (10, 5))
                fig.savefig(tmp / f"tornado_{metric}.png", dpi=110)
        out.print(f"wrote {args.out}/sensitivities.csv and tornado_*.png", highlight=False)
    return 0
