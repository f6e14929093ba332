"""The Python entry points: load scenarios, simulate them, get an ``xarray.Dataset``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import xarray as xr

from .calibration import Anchor
from .scenarios.compile import Timeline, compile_scenario, stack_batch, stream_id
from .scenarios.loader import LoadedScenario, ScenarioError, load_scenarios

ScenarioRef = str | Path | LoadedScenario


def _loaded(scenarios: ScenarioRef | Sequence[ScenarioRef]) -> list[LoadedScenario]:
    if isinstance(scenarios, str | Path | LoadedScenario):
        scenarios = [scenarios]
    refs = [s for s in scenarios if not isinstance(s, LoadedScenario)]
    loaded = iter(load_scenarios(refs))
    out = [s if isinstance(s, LoadedScenario) else next(loaded) for s in scenarios]
    if not out:
        raise ValueError("no scenarios given")
    return out


def enable_x64_if(dtype: str) -> None:
    """float64 needs JAX's x64 mode, which must be on before float64 arrays are made."""
    if dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def use_cpu_devices(n: int) -> None:
    """Split the CPU into ``n`` XLA devices so that chunks run side by side, one per device,
    in one SPMD program compiled once (results are identical for any ``n``). Must run before
    JAX computes anything in this process; ``aicapex run`` does it by default (one device per
    core, at most 4). On the 2-core development machine ``n = 2`` ran summary mode ~15%
    faster than one device (benchmarks/RESULTS.md)."""
    import jax

    if n < 1:
        raise ValueError(f"the number of CPU devices must be at least 1, got {n}")
    try:
        jax.config.update("jax_num_cpu_devices", int(n))
    except RuntimeError as e:
        raise RuntimeError("use_cpu_devices() must be called before JAX runs anything in this "
                           f"process ({e})") from None


PATHS_MEMORY_SHARE = 0.8
"""Full paths may take at most this share of the memory available when a run starts."""


class PathsTooLargeError(MemoryError):
    """A run's full paths would not fit in memory (summary mode would: its memory does not
    grow with the draws)."""


def paths_bytes(n_scenarios: int, draws: int, horizon: int, dtype: str) -> int:
    """Host memory (bytes) a run's full paths take: every output of every scenario, quarter
    and draw, e.g. 29 outputs x 4 bytes x 20 quarters = 2,320 bytes a draw in float32."""
    from .sim.step import Outputs

    return n_scenarios * horizon * draws * len(Outputs._fields) * np.dtype(dtype).itemsize


def available_memory_bytes(root: str | Path = "/") -> int | None:
    """Memory a new allocation can get (bytes): the kernel's ``MemAvailable``, or less where a
    cgroup (a container) limits this process (its limit less its usage, the page cache it can
    drop not counted as used); None where neither can be read. ``root``: where ``proc`` and
    ``sys`` are (tests)."""
    root = Path(root)
    avail = None
    try:
        with open(root / "proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    for d, limit, usage, cache in (
            ("sys/fs/cgroup", "memory.max", "memory.current", "inactive_file"),
            ("sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
             "total_inactive_file")):
        d = root / d
        try:
            room = int((d / limit).read_text()) - int((d / usage).read_text())
        except (OSError, ValueError):  # absent, or "max" (no limit)
            continue
        with contextlib.suppress(OSError, ValueError):  # page cache the kernel can drop
            stat = dict(line.split() for line in (d / "memory.stat").read_text().splitlines())
            room += int(stat.get(cache, 0))
        avail = room if avail is None else min(avail, room)
        break
    return avail


def _size(n: int) -> str:
    """Bytes for a message: ``21.6 GiB``, ``6.6 MiB``."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def check_paths_fit(n_scenarios: int, draws: int, horizon: int, dtype: str) -> None:
    """Raise ``PathsTooLargeError``, before anything runs, if full paths would take more than
    ``PATHS_MEMORY_SHARE`` of the available memory (a run that cannot finish should fail in
    a second, not be killed by the OS after minutes). Where the memory is unknown it passes."""
    need, avail = paths_bytes(n_scenarios, draws, horizon, dtype), available_memory_bytes()
    if avail is not None and need > PATHS_MEMORY_SHARE * avail:
        raise PathsTooLargeError(
            f"full paths of {n_scenarios} scenario(s) x {draws:,} draws x {horizon} quarters "
            f"need {_size(need)} ({dtype}), more than {PATHS_MEMORY_SHARE:.0%} of the "
            f"{_size(avail)} of memory available; summary mode (summary_only=True, "
            f"--summary-only) keeps quantiles, moments and tail probabilities in memory that "
            f"does not grow with the draws")


COMPILE_CACHE_MAX_BYTES = 2**30
"""Size cap of the on-disk compilation cache; JAX evicts the least recently used programs."""


def default_compile_cache_dir() -> Path:
    """Where ``aicapex run`` keeps compiled programs: ``$AICAPEX_CACHE_DIR/jax``, else
    ``$XDG_CACHE_HOME/aicapex/jax``, else ``~/.cache/aicapex/jax``."""
    from .cache import cache_root

    return cache_root() / "jax"


def use_compile_cache(path: str | Path | None = None) -> Path:
    """Keep compiled programs on disk (JAX's persistent compilation cache, at ``path`` or
    ``default_compile_cache_dir()``), so that a later process running the same program
    (same scenario count, horizon, chunk size, dtype, devices and JAX version) loads it
    instead of compiling it again: on the 2-core development machine the README's
    3-scenario run went from ~6 s to ~1.8 s of simulation. Results do not change (the same
    executable runs). A program takes ~0.4 MB; beyond ``COMPILE_CACHE_MAX_BYTES`` the least
    recently used are evicted. ``aicapex run`` does this by default. Returns the directory."""
    import jax

    p = Path(path) if path is not None else default_compile_cache_dir()
    p.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(p))
    jax.config.update("jax_compilation_cache_max_size", COMPILE_CACHE_MAX_BYTES)
    return p


_CACHE_EVENTS = {"/jax/compilation_cache/cache_misses": 0,  # compiled and stored
                 "/jax/compilation_cache/cache_hits": 0}
_LISTENING = False


def _count_cache_event(event: str, **kwargs) -> None:
    if event in _CACHE_EVENTS:
        _CACHE_EVENTS[event] += 1


def _cache_counts() -> tuple[int, int]:
    """Programs (compiled and stored in, loaded from) the on-disk cache in this process so
    far; programs that compile in under a second are neither (JAX does not store them)."""
    import jax

    global _LISTENING
    if not _LISTENING:
        jax.monitoring.register_event_listener(_count_cache_event)
        _LISTENING = True
    return tuple(_CACHE_EVENTS.values())


def simulate(scenarios: ScenarioRef | Sequence[ScenarioRef], *, draws: int | None = None,
             seed: int | None = None, dtype: str | None = None, chunk_size: int | None = None,
             device: str | None = None, common_random_numbers: bool = True,
             anchors: Mapping[str, Anchor] | None = None, summary_only: bool = False,
             antithetic: bool = False,
             progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Simulate scenarios (built-in names, YAML paths or loaded scenarios) in one batch.

    ``draws``, ``seed`` and ``dtype`` default to the first scenario's ``settings``. All
    scenarios must share the start quarter and horizon. ``device`` is ``"cpu"`` or ``"gpu"``
    (default: JAX's default device). Returns a Dataset with dims (scenario, draw, time), or
    with ``summary_only`` one of quantiles (quantile, scenario, time), moments and tail
    probabilities accumulated chunk by chunk (memory independent of ``draws``; quantile
    error bounds in ``<var>__qerr``). Full paths that would not fit in memory raise
    ``PathsTooLargeError`` before anything runs (``check_paths_fit``). ``antithetic`` pairs
    each draw with its mirror image (negated shocks and prior scores): half the random-number
    cost, usually a smaller sampling error of means and probabilities; the draws are then not
    independent.
    """
    import jax

    from .sim.engine import simulate_arrays, simulate_summaries

    loaded = _loaded(scenarios)
    first = loaded[0].scenario.settings
    for s in loaded[1:]:
        st = s.scenario.settings
        if (st.start, st.horizon_quarters) != (first.start, first.horizon_quarters):
            raise ScenarioError(s.path, None, "settings",
                                f"start {st.start} / horizon {st.horizon_quarters} differ from "
                                f"{loaded[0].scenario.name}'s {first.start} / "
                                f"{first.horizon_quarters}; a batch shares one timeline")
    draws = int(draws if draws is not None else first.draws)
    seed = int(seed if seed is not None else first.seed)
    dtype = dtype or first.dtype
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if not summary_only:
        check_paths_fit(len(loaded), draws, first.horizon_quarters, dtype)
    enable_x64_if(dtype)
    dev = None
    if device is not None:
        try:
            dev = jax.devices(device)  # all of that kind (several with use_cpu_devices)
        except RuntimeError as e:
            raise RuntimeError(f"no JAX {device} device is available ({e}); install the CUDA "
                               "extra (pip install 'aicapex[cuda]') or use --device cpu") from None

    for s in loaded[1:]:
        if s.scenario.anchors != loaded[0].scenario.anchors:
            raise ScenarioError(s.path, None, "anchors",
                                f"its initial conditions (anchors) differ from "
                                f"{loaded[0].scenario.name}'s; a batch shares one starting "
                                "point, so run it separately")
    t0 = time.perf_counter()
    arrays = []
    for s in loaded:
        try:
            arrays.append(compile_scenario(s.scenario, anchors, dtype))
        except ValueError as e:  # a valid file whose combination the model cannot express
            raise ScenarioError(s.path, None, "", str(e)) from None
    batch = stack_batch(arrays)
    streams = np.array([stream_id(s.scenario.name) for s in loaded], np.uint32)
    stored0, found0 = _cache_counts()
    t1 = time.perf_counter()
    if summary_only:
        acc, lo, hi = simulate_summaries(
            batch, seed, draws, chunk_size=chunk_size,
            common_random_numbers=common_random_numbers, stream_ids=streams, device=dev,
            antithetic=antithetic, progress=progress)
    else:
        results = simulate_arrays(batch, seed, draws, chunk_size=chunk_size,
                                  common_random_numbers=common_random_numbers,
                                  stream_ids=streams, device=dev, antithetic=antithetic,
                                  progress=progress)
    t2 = time.perf_counter()
    stored1, found1 = _cache_counts()
    cache_dir = jax.config.jax_compilation_cache_dir or ""
    from .outputs.dataset import VARIABLES, summary_to_dataset, to_dataset
    from .sim.engine import LAST_TIMING

    tl = Timeline(first.start, first.horizon_quarters)
    init = arrays[0].init
    e0 = np.array([init.hw_net_margin * init.hw_revenue_bn, init.platform_earnings_bn,
                   init.other_earnings_bn], dtype=np.float64)
    pe0 = np.asarray(init.pe, np.float64)
    start_values = {
        "index_level": init.index_level, "policy_rate": init.policy_rate,
        "yield_10y": init.yield_10y, "inflation": init.inflation, "ai_capex": init.capex_bn,
        "ai_revenue": init.ai_revenue_bn, "hw_revenue": init.hw_revenue_bn,
        "earnings_hw": e0[0], "earnings_platforms": e0[1], "earnings_other": e0[2],
        "pe_hw": pe0[0], "pe_platforms": pe0[1], "pe_other": pe0[2],
        "mcap_hw": pe0[0] * e0[0], "mcap_platforms": pe0[1] * e0[1],
        "mcap_other": pe0[2] * e0[2], "credit_spread": init.credit_spread,
        "volatility": init.volatility, "depreciation": init.depreciation_bn,
        "mag10_weight": (pe0[0] * e0[0] + pe0[1] * e0[1]) / float(np.sum(pe0 * e0)),
    }
    attrs = {
        "title": "aicapex Monte Carlo simulation of the AI-capex cycle",
        "package": "aicapex",
        "package_version": version("aicapex"),
        "jax_version": jax.__version__,
        "backend": jax.default_backend() if dev is None else dev[0].platform,
        "device": ", ".join(map(str, dev if dev is not None else jax.devices())),
        "dtype": dtype,
        "seed": seed,
        "draws": draws,
        "start": first.start,
        "horizon_quarters": first.horizon_quarters,
        "common_random_numbers": int(common_random_numbers),
        "antithetic": int(antithetic),
        "scenarios": json.dumps([s.scenario.name for s in loaded]),
        "scenario_yaml": json.dumps({s.scenario.name: s.resolved_yaml for s in loaded}),
        "scenario_files": json.dumps({s.scenario.name: list(s.chain) for s in loaded}),
        "compile_scenarios_seconds": round(t1 - t0, 4),
        "simulate_seconds": round(t2 - t1, 4),
        "first_chunk_seconds": round(LAST_TIMING.get("first_chunk_s", float("nan")), 4),
        "chunk_seconds_mean": round(LAST_TIMING.get("later_chunk_mean_s", float("nan")), 4),
        "compile_seconds_estimate": round(LAST_TIMING.get("compile_estimate_s", float("nan")),
                                          4),
        "jax_compilation_cache": cache_dir,
        # with the on-disk cache: programs this run loaded from it, and compiled (and stored)
        "jax_programs_from_cache": found1 - found0 if cache_dir else -1,
        "jax_programs_compiled": stored1 - stored0 if cache_dir else -1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    names = [s.scenario.name for s in loaded]
    if summary_only:
        nonfinite = {name: int(acc.nonfinite[:, v].sum()) for v, name in enumerate(VARIABLES)}
        attrs["nonfinite_counts"] = json.dumps(nonfinite)
        attrs["histogram_counting"] = str(LAST_TIMING.get("histogram", ""))
        return summary_to_dataset(acc, lo, hi, names, tl.quarter_ends(), attrs, start_values)
    nonfinite = {name: int(np.size(a) - np.count_nonzero(np.isfinite(a)))
                 for name, a in results.items()}
    attrs["nonfinite_counts"] = json.dumps(nonfinite)
    return to_dataset(results, names, tl.quarter_ends(), attrs, start_values)


def nonfinite_counts(ds: xr.Dataset) -> dict[str, int]:
    """Non-finite values per variable of a simulated dataset (counted when it was made)."""
    return json.loads(ds.attrs.get("nonfinite_counts", "{}"))
