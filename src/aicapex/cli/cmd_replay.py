"""``aicapex replay``: a historical episode simulated and set against what happened."""

from __future__ import annotations

from pathlib import Path

from .console import (
    EXIT_BAD_INPUT,
    add_cache_flag,
    add_command,
    check_out,
    error,
    frame_table,
    info,
    out,
)


def add_parser(sub) -> None:
    rl = add_command(sub, "replay", "run a historical scenario and place the realised "
                     "S&P 500 and Nasdaq in its distribution",
                     "Simulate a scenario that starts at a historical date (default: the "
                     "dot-com top of 2000) and place what the S&P 500 and Nasdaq did in its "
                     "distribution, quarter by quarter.",
                     ["aicapex replay --out rp/", "aicapex replay dotcom_replay --out rp2/"])
    rl.add_argument("scenario", nargs="?", default="dotcom_2000",
                    help="scenario starting at a historical date (default dotcom_2000)")
    rl.add_argument("--out", required=True, type=Path,
                    help="directory for replay.csv, replay_summary.csv, "
                         "replay_earnings.csv and replay.png")
    rl.add_argument("--draws", type=int, default=20_000, help="draws (default 20000)")
    rl.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    rl.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    add_cache_flag(rl)


def run(args) -> int:
    from ..calibration.replay import ReplayDataError, replay, write_replay

    if not check_out(args.out, args.overwrite):
        return EXIT_BAD_INPUT
    if args.draws < 100:
        error("--draws must be at least 100 for a replay")
        return EXIT_BAD_INPUT
    info.print(f"replaying {args.scenario} x {args.draws:,} draws (seed {args.seed})")
    try:
        r = replay(args.scenario, args.draws, args.seed)
    except ReplayDataError as e:
        error(f"{args.scenario}: {e}")
        return EXIT_BAD_INPUT
    cols = ["quarter", "sp500_realised", "sp500_median", "sp500_percentile",
            "nasdaq_realised", "nasdaq_median", "nasdaq_percentile"]
    out.print(frame_table(r.table[cols], f"Replay of {r.scenario}: realised vs simulated "
                          "(percentile = share of draws below the realised value)"))
    out.print(frame_table(r.summary.set_index("series").T.reset_index(), "Episode summary"))
    if len(r.earnings):
        out.print(frame_table(r.earnings, "Earnings against the first year's (year averages; "
                              "realised: Shiller's S&P 500 earnings)"))
    write_replay(r, args.out, args.overwrite)
    info.print(f"wrote {args.out}/replay.csv, replay_summary.csv, replay_earnings.csv, "
              "replay.png")
    return 0
