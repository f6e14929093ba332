"""Draw the chart gallery of docs/gallery.md into docs/images/ from one fixed run.

    python docs/gallery.py            # ~1 min on 2 cores: 6 scenarios x 4,000 draws, seed 1

The images are the ones ``aicapex run`` writes into ``plots/`` (``aicapex.outputs.plots``),
at a smaller resolution; rerun this after changing a chart and commit the images.
"""

from __future__ import annotations

from pathlib import Path

import aicapex
from aicapex.outputs.chart_set import figures

SCENARIOS = ["baseline", "capex_slowdown", "credit_stress", "fed_hawkish", "ramp",
             "ai_revenue_shortfall"]
IMAGES = Path(__file__).resolve().parent / "images"


def main() -> None:
    ds = aicapex.simulate(SCENARIOS, draws=4000, seed=1, progress=False)
    IMAGES.mkdir(exist_ok=True)
    for stem, fig in figures(ds).items():
        fig.savefig(IMAGES / f"{stem}.png", dpi=72)
        print(f"wrote {IMAGES / stem}.png")


if __name__ == "__main__":
    main()
