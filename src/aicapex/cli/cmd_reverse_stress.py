"""``aicapex reverse-stress``: the most plausible shocks that produce a given loss."""

from __future__ import annotations

from pathlib import Path

from .console import EXIT_BAD_INPUT, EXIT_FAILED, LazyHelp, add_command, error, out


def _dimensions_help() -> str:
    from ..analysis.shocks import DIMENSIONS

    return "comma-separated shock dimensions (default: all): " + ", ".join(DIMENSIONS)


def add_parser(sub) -> None:
    p = add_command(sub, "reverse-stress", "find the most plausible shocks that reach a loss",
                    "Search the chosen shock dimensions for the combination closest to the base "
                    "scenario (the smallest Mahalanobis distance, each shock in units of its "
                    "plausibility scale) whose median index change to the horizon reaches "
                    "--target, with gradients from autodiff. Writes it as a runnable scenario "
                    "and runs that scenario to confirm (docs/analysis.md).",
                    ["aicapex reverse-stress baseline --target -0.3 --out stress30.yaml",
                     "aicapex reverse-stress --shocks capex_growth,spread_shift "
                     "--scale spread_shift=0.02 --target -0.25",
                     "aicapex reverse-stress --shocks capex_growth --target -0.3"])
    p.add_argument("base", metavar="SCENARIO_OR_FILE", nargs="?", default="baseline",
                   help="the scenario to stress (default: baseline)")
    p.add_argument("--target", type=float, default=-0.3,
                   help="the median index change to the horizon to reach, e.g. -0.3")
    p.add_argument("--shocks", help=LazyHelp(_dimensions_help))
    p.add_argument("--scale", action="append", default=[], metavar="NAME=SD",
                   help="a dimension's plausibility sd in its unit (annual decimal; years "
                   "for useful_life), replacing the default (history's, else an assumption)")
    p.add_argument("--draws", type=int, default=4096, help="draws to solve on (default 4096)")
    p.add_argument("--confirm-draws", type=int, default=20_000,
                   help="draws of the confirming run (default 20000; 0 to skip)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--out", type=Path, help="write the scenario YAML here (default: print it)")


def run(args) -> int:
    import numpy as np

    from ..analysis.reverse_stress import reverse_stress, single_shock
    from ..analysis.shocks import DIMENSIONS

    dims = [d.strip() for d in args.shocks.split(",")] if args.shocks else list(DIMENSIONS)
    scales = {}
    for item in args.scale:
        name, _, value = item.partition("=")
        try:
            scales[name.strip()] = float(value)
        except ValueError:
            error(f"--scale {item!r}: write NAME=SD, e.g. spread_shift=0.02")
            return EXIT_BAD_INPUT
    if not -1 < args.target < 0:
        error(f"--target {args.target} must be a loss between -1 and 0, e.g. -0.3")
        return EXIT_BAD_INPUT
    if args.out is not None and args.out.exists():
        error(f"{args.out} already exists; choose another --out")
        return EXIT_BAD_INPUT
    try:
        r = reverse_stress(args.base, args.target, dims, args.draws, args.seed, scales)
    except ValueError as e:
        error(e)
        return EXIT_BAD_INPUT
    out.print(f"reverse stress of {r.base} to a median index change of {r.target:.0%}: "
              f"Mahalanobis distance {r.distance:.2f}, reached {r.achieved:.1%} on "
              f"{args.draws:,} draws" + ("" if r.success else f" (NOT reached: {r.message})"),
              highlight=False)
    for d, v in sorted(r.shocks.items(), key=lambda kv: -r.shares[kv[0]]):
        sd, source = r.scales[d]
        unit = DIMENSIONS[d][1]
        out.print(f"  {d:<22} {v:+.4f} {unit:<8} ({v / sd:+.2f} sd of {sd:.4g}, "
                  f"{r.shares[d]:.0%} of the distance; scale: {source.split(':')[0]})",
                  highlight=False)
    if len(dims) == 1:
        try:
            alone = single_shock(args.base, dims[0], args.target, draws=args.draws,
                                 seed=args.seed)
            out.print(f"  (root find of {dims[0]} alone: {alone:+.4f} {DIMENSIONS[dims[0]][1]})",
                      highlight=False)
        except ValueError as e:
            out.print(f"  ({e})", highlight=False)
    if args.out is None:
        print(r.yaml, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(r.yaml, encoding="utf-8")
        tmp.replace(args.out)
        out.print(f"wrote {args.out}", highlight=False)
    if args.confirm_draws > 0:
        from ..api import simulate
        from ..scenarios import scenario
        from ..scenarios.yaml_safe import load_yaml

        ds = simulate(scenario(load_yaml(r.yaml)), draws=args.confirm_draws,
                      seed=args.seed, progress=False)
        change = ds["index_level"].isel(time=-1, scenario=0).values / ds[
            "index_level"].attrs["start_value"] - 1
        med = float(np.median(change))
        lo, hi = np.quantile(change, [0.5 - 1.96 * 0.5 / np.sqrt(change.size),
                                      0.5 + 1.96 * 0.5 / np.sqrt(change.size)])
        verdict = "confirmed" if lo <= r.target else "NOT confirmed"  # within MC error
        out.print(f"{verdict}: run on its own ({args.confirm_draws:,} draws), the median "
                  f"change is {med:.1%} (95% interval {lo:.1%} to {hi:.1%}; target "
                  f"{r.target:.0%})", highlight=False)
        if verdict != "confirmed":
            return EXIT_FAILED
    return 0
