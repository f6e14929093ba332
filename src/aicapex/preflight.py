"""What a run will take, estimated before it starts: seconds and peak memory.

A simple model of the work, its constants measured with ``aicapex run`` under
``/usr/bin/time`` on the 2-core, 24 GiB machine the CI uses (float32, two CPU devices;
docs/performance.md, "What a run will take"):

* simulating: ``S x T x D'`` scenario-draw-quarters at ``PATHS_RATE`` (full paths) or
  ``SUMMARY_RATE`` (summaries, whose pilot runs the first step's draws once more), plus
  ``SCENARIO_SECONDS`` per scenario, where ``D'`` is the draws rounded up to whole RNG blocks
  of 1,024 (a block is the smallest unit simulated);
* writing: the paths at ``PATHS_WRITE_RATE`` and ``WRITE_SCENARIO_SECONDS`` per scenario
  (the anchor table, the analyses and the tables, each per scenario);
* compiling: ``COMPILE_SECONDS`` where no compiled program is cached;
* memory: ``BASE_BYTES`` (the interpreter, JAX, the compiled program, a group's working set:
  the engine holds the batch's working arrays to a fixed size, ``sim.engine.runner`` and
  ``summary_groups``), ``PATHS_MEMORY_FACTOR`` times the paths where they are kept in memory,
  and ``SCENARIO_BYTES`` per scenario (its compiled arrays and its share of the outputs).

On other machines the seconds scale with the cores; the estimate is a guide to the order of
magnitude (within ~35% of the measured runs it was fitted to), not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .runtime.memory import available_memory_bytes, size_text
from .sim.engine import RNG_BLOCK
from .sim.model import N_OUTPUTS

PATHS_RATE = 5.7e6
"""Scenario-draw-quarters a second simulated with full paths (2 scenarios x 200,000 draws:
1.4 s after compiling)."""

SUMMARY_RATE = 3.8e6
"""The same in summary mode (2 x 200,000 draws: 2.3 s after compiling)."""

SCENARIO_SECONDS = {"paths": 0.0047, "summary": 0.024}
"""Seconds a scenario adds to the simulation beyond its draws (1,000-point sweeps: paths at
200 draws 8.3 s, summaries at 4,000 draws 67 s, after compiling)."""

PILOT_DRAWS = 16 * RNG_BLOCK
"""Draws of a summary run's pilot at most (its first step, run twice)."""

PATHS_WRITE_RATE = 90e6
"""Bytes of paths a second through quantiles, ``results.nc`` and the analyses (2 x 200,000
draws, 1.06 GB: 11.9 s)."""

WRITE_SCENARIO_SECONDS = {"paths": 0.033, "summary": 0.020}
"""Seconds a scenario adds to writing (1,000-point sweeps: 39.7 s for 0.55 GB of paths at
200 draws, 19.7 s in summary mode)."""

COMPILE_SECONDS = 8.0
"""Compiling the run's program where the compilation cache has none (5-10 s measured)."""

BASE_BYTES = int(1.1 * 2**30)
"""Peak memory of a run of a few scenarios beyond its paths (2 x 200,000 draws in summary
mode peaked at 1.17 GB)."""

PATHS_MEMORY_FACTOR = 1.7
"""Peak memory per byte of paths kept in memory (the paths, their quantiles and the
dataset's working copies: 2 x 200,000 draws, 1.06 GB of paths, peaked at 2.86 GB)."""

SCENARIO_BYTES = int(1.3 * 2**20)
"""Peak memory a scenario adds beyond its paths (1,000-point sweeps: 2.47 GB in summary mode
at 4,000 draws, 2.7 GB with 0.55 GB of paths at 200 draws)."""


@dataclass(frozen=True)
class RunEstimate:
    """A run's expected seconds (simulating with compilation, writing) and peak memory."""

    simulate_seconds: float
    write_seconds: float
    memory_bytes: int

    @property
    def seconds(self) -> float:
        return self.simulate_seconds + self.write_seconds

    def describe(self) -> str:
        """``about 1.5 min and 2.6 GiB of memory``."""
        s = self.seconds
        when = (f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min" if s < 5400
                else f"{s / 3600:.1f} h")
        return f"about {when} and {size_text(self.memory_bytes)} of memory"


def estimate(n_scenarios: int, draws: int, horizon: int, summary: bool,
             paths_in_memory: bool, itemsize: int = 4, compiled: bool = False
             ) -> RunEstimate:
    """The ``RunEstimate`` of a run of ``n_scenarios`` x ``draws`` x ``horizon`` quarters:
    ``summary`` mode or full paths, ``paths_in_memory`` (not streamed to a store),
    ``itemsize`` bytes a value (4: float32), ``compiled``: its program is in the cache."""
    padded = -(-draws // RNG_BLOCK) * RNG_BLOCK
    mode = "summary" if summary else "paths"
    if summary:
        work = n_scenarios * horizon * (padded + min(padded, PILOT_DRAWS)) / SUMMARY_RATE
    else:
        work = n_scenarios * horizon * padded / PATHS_RATE
    sim = (0.0 if compiled else COMPILE_SECONDS) + work + n_scenarios * SCENARIO_SECONDS[mode]
    paths = 0 if summary else n_scenarios * horizon * draws * N_OUTPUTS * itemsize
    write = paths / PATHS_WRITE_RATE + n_scenarios * WRITE_SCENARIO_SECONDS[mode]
    memory = (BASE_BYTES + n_scenarios * SCENARIO_BYTES
              + (int(PATHS_MEMORY_FACTOR * paths) if paths_in_memory else 0))
    return RunEstimate(sim, write, memory)


class RunTooLargeError(MemoryError):
    """A run's estimated peak memory exceeds the memory available (``estimate``), found
    before anything is simulated."""


def check_memory(est: RunEstimate, what: str) -> None:
    """Raise ``RunTooLargeError`` where ``est`` needs more memory than is available (known:
    nothing is checked where it is not), naming both figures and what would fit."""
    avail = available_memory_bytes()
    if avail is not None and est.memory_bytes > avail:
        raise RunTooLargeError(
            f"{what} would need about {size_text(est.memory_bytes)} of memory, more than the "
            f"{size_text(avail)} available; run fewer scenarios or sweep points at once, or "
            "keep no paths in memory (--summary-only, or --format zarr to stream them)")
