"""What a run was: the typed record that travels with its dataset.

``RunMetadata`` is built once by ``aicapex.simulate``, stored in the dataset's attributes by
``to_attrs`` (flat netCDF attributes; nested values as JSON, the one place they are encoded)
and read back by ``RunMetadata.of(ds)`` (the one place they are decoded) wherever a writer,
the report or the CLI needs it. The resolved YAML of each scenario is kept as text for the
reader of a run; nothing parses it again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import xarray as xr


@dataclass(frozen=True)
class ScenarioRecord:
    """One scenario of a run: its name, its YAML after inheritance, and the files it was
    read from (the scenario's own first, then the ones it extends)."""

    name: str
    resolved_yaml: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timings:
    """Seconds spent by a run: compiling the scenarios to arrays, simulating (all chunks),
    the first chunk (JAX compilation included), a later chunk on average, and the difference
    as an estimate of the compile time (NaN where a run has one chunk)."""

    compile_scenarios: float = float("nan")
    simulate: float = float("nan")
    first_chunk: float = float("nan")
    later_chunks_mean: float = float("nan")
    compile_estimate: float = float("nan")


@dataclass(frozen=True)
class RunMetadata:
    """Everything about a run that is not its numbers. ``programs_from_cache`` and
    ``programs_compiled`` are -1 without an on-disk compilation cache."""

    package_version: str
    jax_version: str
    backend: str
    device: str
    dtype: str
    seed: int
    draws: int
    start: str
    horizon_quarters: int
    common_random_numbers: bool
    antithetic: bool
    scenarios: tuple[ScenarioRecord, ...]
    created: str
    timings: Timings = field(default_factory=Timings)
    compilation_cache: str = ""
    programs_from_cache: int = -1
    programs_compiled: int = -1
    nonfinite_counts: Mapping[str, int] = field(default_factory=dict)
    histogram_counting: str = ""
    output_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """[min, max] of each output's finite values over every scenario, draw and quarter."""

    @property
    def scenario_names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def with_nonfinite(self, counts: Mapping[str, int]) -> RunMetadata:
        return replace(self, nonfinite_counts=dict(counts))

    def with_ranges(self, ranges: Mapping[str, tuple[float, float]]) -> RunMetadata:
        return replace(self, output_ranges={k: (float(lo), float(hi))
                                            for k, (lo, hi) in ranges.items()})

    def to_attrs(self) -> dict[str, Any]:
        """The flat netCDF attributes of the run's dataset."""
        t = self.timings
        return {
            "title": "aicapex Monte Carlo simulation of the AI-capex cycle",
            "package": "aicapex",
            "package_version": self.package_version,
            "jax_version": self.jax_version,
            "backend": self.backend,
            "device": self.device,
            "dtype": self.dtype,
            "seed": self.seed,
            "draws": self.draws,
            "start": self.start,
            "horizon_quarters": self.horizon_quarters,
            "common_random_numbers": int(self.common_random_numbers),
            "antithetic": int(self.antithetic),
            "scenarios": json.dumps(self.scenario_names),
            "scenario_yaml": json.dumps({s.name: s.resolved_yaml for s in self.scenarios}),
            "scenario_files": json.dumps({s.name: list(s.files) for s in self.scenarios}),
            "compile_scenarios_seconds": round(t.compile_scenarios, 4),
            "simulate_seconds": round(t.simulate, 4),
            "first_chunk_seconds": round(t.first_chunk, 4),
            "chunk_seconds_mean": round(t.later_chunks_mean, 4),
            "compile_seconds_estimate": round(t.compile_estimate, 4),
            "jax_compilation_cache": self.compilation_cache,
            "jax_programs_from_cache": self.programs_from_cache,
            "jax_programs_compiled": self.programs_compiled,
            "created": self.created,
            "nonfinite_counts": json.dumps(dict(self.nonfinite_counts)),
            "histogram_counting": self.histogram_counting,
            "output_ranges": json.dumps({k: list(v) for k, v in self.output_ranges.items()}),
        }

    @classmethod
    def from_attrs(cls, a: Mapping[str, Any]) -> RunMetadata:
        """The record ``to_attrs`` wrote (attributes a netCDF round trip may have turned into
        numpy scalars)."""
        yamls = json.loads(a.get("scenario_yaml", "{}"))
        files = json.loads(a.get("scenario_files", "{}"))
        names = json.loads(a.get("scenarios", "[]")) or list(yamls)
        return cls(
            package_version=str(a.get("package_version", "")),
            jax_version=str(a.get("jax_version", "")), backend=str(a.get("backend", "")),
            device=str(a.get("device", "")), dtype=str(a.get("dtype", "")),
            seed=int(a.get("seed", 0)), draws=int(a.get("draws", 0)),
            start=str(a.get("start", "")), horizon_quarters=int(a.get("horizon_quarters", 0)),
            common_random_numbers=bool(a.get("common_random_numbers", 1)),
            antithetic=bool(a.get("antithetic", 0)),
            scenarios=tuple(ScenarioRecord(n, yamls.get(n, ""), tuple(files.get(n, ())))
                            for n in names),
            created=str(a.get("created", "")),
            timings=Timings(*(float(a.get(k, float("nan"))) for k in (
                "compile_scenarios_seconds", "simulate_seconds", "first_chunk_seconds",
                "chunk_seconds_mean", "compile_seconds_estimate"))),
            compilation_cache=str(a.get("jax_compilation_cache", "")),
            programs_from_cache=int(a.get("jax_programs_from_cache", -1)),
            programs_compiled=int(a.get("jax_programs_compiled", -1)),
            nonfinite_counts=json.loads(a.get("nonfinite_counts", "{}")),
            histogram_counting=str(a.get("histogram_counting", "")),
            output_ranges={k: tuple(v) for k, v in json.loads(
                a.get("output_ranges", "{}")).items()},
        )

    @classmethod
    def of(cls, ds: xr.Dataset) -> RunMetadata:
        """The record of a simulated (or reopened) dataset."""
        return cls.from_attrs(ds.attrs)
