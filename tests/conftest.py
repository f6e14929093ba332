"""Shared fixtures, and the suite's levels: each directory's tests carry its marker
(``pytest -m unit``, ``-m "not system"``). JAX runs in its default float32 mode; a test of
float64 arithmetic asks for the ``x64`` fixture (``aicapex.simulate`` sets the mode each run
needs by itself)."""

from __future__ import annotations

import os

import jax
import numpy as np
import pytest

from aicapex.scenarios import (
    as_dist,
    compile_scenario,
    default_priors,
    load_scenario,
    prior_quantiles,
)
from aicapex.sim.model import PARAMETERS, Params

# One chunk shape for every run that does not choose its own (results do not depend on it,
# tests/engine checks that): each distinct shape is a compilation of ~10 s, and the suite is
# compile-bound. The worker processes and the CLI's subprocesses inherit it.
os.environ.setdefault("AICAPEX_CHUNK_SIZE", "1024")
# XLA:CPU's older emitters compile a program in half the time and run it ~30% slower
# (sim/engine/compile_options.py): the suite's runs are many programs of few draws. Results
# agree to rounding; the golden record (tests/system/golden.py) runs XLA's default, as users do.
os.environ.setdefault("AICAPEX_FUSION_EMITTERS", "0")

LEVELS = ("unit", "reference", "property", "engine", "system", "gpu")
"""The test directories, one marker each (registered in pyproject.toml)."""

BUILTINS_2 = ["baseline", "capex_slowdown", "fast_depreciation", "fed_hawkish",
              "tariff_escalation"]


def central_params(n: int = 1, **overrides) -> Params:
    """Every parameter at its default prior's median, as (n,) float64 arrays."""
    priors = default_priors()
    vals = {}
    for p in PARAMETERS:
        q = prior_quantiles(as_dist(priors[p.name].spec), p.lo, p.hi)
        vals[p.name] = np.full(n, q[len(q) // 2])
    for k, v in overrides.items():
        assert k in vals, k
        vals[k] = np.full(n, v, dtype=np.float64)
    return Params(**vals)


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with its level, the directory it lives in."""
    for item in items:
        parts = item.path.parts
        for level in LEVELS:
            if level in parts:
                item.add_marker(getattr(pytest.mark, level))


@pytest.fixture
def x64():
    """JAX's 64-bit mode for the test's duration (float64 arrays stay float64)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _compile_cache_in_tmp(tmp_path_factory, worker_id):
    """Compiled programs go to a cache of this test session, never the user's: one directory
    shared by the session's worker processes (JAX locks it) and the CLI's subprocesses (which
    inherit the variable), so a program compiled in one is loaded by the others."""
    old = os.environ.get("AICAPEX_CACHE_DIR")
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "aicapex-cache"
    shared.mkdir(mode=0o700, exist_ok=True)  # a cache others can write to is refused
    os.environ["AICAPEX_CACHE_DIR"] = str(shared)
    from aicapex.sim.engine.compile_cache import default_compile_cache_dir, use_compile_cache
    use_compile_cache(default_compile_cache_dir())
    yield
    if old is None:
        os.environ.pop("AICAPEX_CACHE_DIR", None)
    else:
        os.environ["AICAPEX_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def compiled64():
    """Built-in scenarios compiled in float64, by name."""
    return {n: compile_scenario(load_scenario(n).scenario, dtype="float64") for n in BUILTINS_2}


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(12345)


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker per core, at most 4. Every worker is a JAX process with its own
    thread pool and compiled programs; past a few, they only contend for cores and memory
    (the suite's long tests are single files, and one file stays in one worker)."""
    return max(1, min(os.cpu_count() or 1, 4))
