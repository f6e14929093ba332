"""Engine properties: reproducibility, chunk-size invariance, one compilation per batch shape,
scenario-order invariance, dtypes."""

from __future__ import annotations

import os
import sys

import jax
import numpy as np
import pytest

import aicapex
from aicapex.sim import engine
from aicapex.sim.engine import plan, priors


@pytest.fixture(scope="module")
def three():
    return aicapex.load_scenarios(["baseline", "capex_slowdown", "fast_depreciation"])


def test_same_seed_identical_and_chunk_size_invariant(three):
    a = aicapex.simulate(three, draws=2500, seed=5, chunk_size=1024)
    b = aicapex.simulate(three, draws=2500, seed=5, chunk_size=1024)
    c = aicapex.simulate(three, draws=2500, seed=5, chunk_size=4096)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
        np.testing.assert_array_equal(a[v].values, c[v].values, err_msg=v)
    d = aicapex.simulate(three, draws=2500, seed=6, chunk_size=1024)
    assert not np.array_equal(a["index_level"].values, d["index_level"].values)


def test_fewer_draws_are_a_prefix_of_more(three):
    small = aicapex.simulate(three, draws=300, seed=5, chunk_size=1024)
    big = aicapex.simulate(three, draws=2500, seed=5, chunk_size=1024)
    np.testing.assert_array_equal(small["index_level"].values,
                                  big["index_level"].values[:, :300])


def test_one_compilation_serves_any_scenarios_of_the_same_shape():
    batch1 = ["baseline", "capex_slowdown", "fast_depreciation"]
    batch2 = ["fed_hawkish", "tariff_escalation", "baseline"]
    aicapex.simulate(batch1, draws=2048, seed=1, chunk_size=1024, dtype="float32")
    before = engine.trace_counts()["simulate_chunk"]
    aicapex.simulate(batch2, draws=2048, seed=2, chunk_size=1024, dtype="float32")
    aicapex.simulate(batch1, draws=3000, seed=3, chunk_size=1024, dtype="float32")
    assert engine.trace_counts()["simulate_chunk"] == before


def test_independent_streams_do_not_depend_on_batch_order():
    a = aicapex.simulate(["baseline", "fed_hawkish"], draws=500, seed=9,
                         common_random_numbers=False)
    b = aicapex.simulate(["tariff_escalation", "fed_hawkish", "baseline"], draws=500, seed=9,
                         common_random_numbers=False)
    for name in ("baseline", "fed_hawkish"):
        for v in ("index_level", "policy_rate", "ai_capex"):
            np.testing.assert_array_equal(a[v].sel(scenario=name).values,
                                          b[v].sel(scenario=name).values)
    # and the two scenarios really have different random numbers
    assert not np.array_equal(a["gdp_growth"].sel(scenario="baseline").values,
                              b["gdp_growth"].sel(scenario="tariff_escalation").values)


def test_common_random_numbers_share_shocks_across_scenarios():
    ds = aicapex.simulate(["baseline", "fast_depreciation"], draws=500, seed=9)
    # in the first quarter depreciation lives touch neither the Fed (the market's December
    # odds; the rule reacts to unemployment from the second), inflation nor the 10-year
    # yield: identical draw by draw under common random numbers, and not without them
    first = {v: ds[v].isel(time=0) for v in ("policy_rate", "inflation", "yield_10y")}
    for x in first.values():
        np.testing.assert_array_equal(x.sel(scenario="baseline").values,
                                      x.sel(scenario="fast_depreciation").values)
    assert not np.array_equal(ds["ai_capex"].sel(scenario="baseline").values,
                              ds["ai_capex"].sel(scenario="fast_depreciation").values)
    own = aicapex.simulate(["baseline", "fast_depreciation"], draws=500, seed=9,
                           common_random_numbers=False).isel(time=0)
    assert not np.array_equal(own["inflation"].sel(scenario="baseline").values,
                              own["inflation"].sel(scenario="fast_depreciation").values)


def test_dtypes():
    f32 = aicapex.simulate("baseline", draws=200, seed=1, dtype="float32")
    f64 = aicapex.simulate("baseline", draws=200, seed=1, dtype="float64")
    assert f32["index_level"].dtype == np.float32
    assert f64["index_level"].dtype == np.float64
    assert f32["regime"].dtype == np.int32
    assert f32.attrs["dtype"] == "float32" and f64.attrs["dtype"] == "float64"


def test_outputs_are_finite_for_all_builtins():
    by_start: dict[str, list[str]] = {}
    for name in aicapex.builtin_names():  # a batch shares its start (dotcom_2000: 2000Q1)
        by_start.setdefault(aicapex.load_scenario(name).scenario.settings.start, []).append(name)
    assert len(by_start) == 2
    for names in by_start.values():
        ds = aicapex.simulate(names, draws=1024, seed=3)
        for v in ds.data_vars:
            assert np.isfinite(ds[v].values).all(), (names, v)


def test_malloc_tuning_is_applied_once_and_can_be_turned_off():
    """glibc's mmap threshold is raised for the simulation (XLA's per-chunk scratch reuses heap
    pages instead of faulting in fresh ones) unless AICAPEX_MALLOC_TUNING=0."""
    import ctypes.util
    import subprocess

    if not sys.platform.startswith("linux") or "libc.so" not in (ctypes.util.find_library("c")
                                                                 or ""):
        pytest.skip("glibc only")
    # the module alone, loaded from its file: importing the package (JAX) would cost each of
    # the four interpreters ~4 s, and malloc.py needs nothing of it
    from aicapex.sim.engine import host as malloc

    load = ("import importlib.util as u; s = u.spec_from_file_location('m', "
            f"{malloc.__file__!r}); m = u.module_from_spec(s); s.loader.exec_module(m); "
            "tune_malloc = m.tune_malloc; ")
    code = load + "a = tune_malloc(); print(a, tune_malloc() == a)"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "AICAPEX_MALLOC_TUNING": "0"})
    assert on.stdout.split() == ["True", "True"], on.stderr
    assert off.stdout.split() == ["False", "True"], off.stderr

    # and freed heap memory stays for reuse: 64 MB malloc'd, touched and freed leaves the
    # resident set ~64 MB larger only when both thresholds are raised (with the mmap
    # threshold alone glibc trims the heap's top; with neither, the block is its own mmap)
    kept = (load + "import ctypes, os; tune_malloc(); "
            "libc = ctypes.CDLL('libc.so.6'); libc.malloc.restype = ctypes.c_void_p; "
            "rss = lambda: int(open('/proc/self/statm').read().split()[1]) * os.sysconf("
            "'SC_PAGE_SIZE'); n = 64 << 20; before = rss(); p = libc.malloc(n); "
            "ctypes.memset(p, 1, n); libc.free(ctypes.c_void_p(p)); "
            "print(round((rss() - before) / n, 1))")
    env = {k: v for k, v in env.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    on = subprocess.run([sys.executable, "-c", kept], capture_output=True, text=True, env=env)
    off = subprocess.run([sys.executable, "-c", kept], capture_output=True, text=True,
                         env={**env, "AICAPEX_MALLOC_TUNING": "0"})
    assert float(on.stdout) >= 0.9, on.stderr
    assert float(off.stdout) <= 0.1, off.stderr


def test_fixed_parameters_as_scalars_change_no_result():
    """The engine samples only parameters whose prior varies and keeps the rest as scalars;
    sampling every parameter (constant tables interpolate to their value) gives the same
    bits."""
    import jax
    import jax.numpy as jnp

    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch

    batch = stack_batch([compile_scenario(load_scenario(n).scenario)
                         for n in ("baseline", "fast_depreciation")])
    rows = priors.random_prior_rows(batch.prior_table)
    assert 0 < len(rows) < batch.prior_table.shape[1]
    key, ids = jax.random.key(4), jnp.zeros(2, jnp.uint32)
    some = engine.simulate_chunk(batch, key, ids, np.uint32(3),
                                 engine.ChunkSpec(2, prior_rows=rows))
    every = engine.simulate_chunk(batch, key, ids, np.uint32(3), engine.ChunkSpec(2))
    for name in some._fields:
        np.testing.assert_array_equal(np.asarray(getattr(some, name)),
                                      np.asarray(getattr(every, name)), err_msg=name)


def test_scenarios_in_a_loop_match_the_batched_program():
    """On CPU a chunk runs its scenarios one after another (``lax.map``), on an accelerator as
    one batched program (``vmap``). The loop gives every scenario the same bits whatever the
    batch's order; the two ways agree to float rounding (XLA fuses them differently)."""
    import jax
    import jax.numpy as jnp

    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch

    names = ("baseline", "capex_slowdown", "fast_depreciation")

    def chunk(order, loop):
        batch = stack_batch([compile_scenario(load_scenario(n).scenario) for n in order])
        rows = priors.random_prior_rows(batch.prior_table)
        out = engine.simulate_chunk(batch, jax.random.key(4), jnp.zeros(3, jnp.uint32),
                                    np.uint32(3), engine.ChunkSpec(2, prior_rows=rows,
                                                                   loop_scenarios=loop))
        return {k: np.asarray(v, np.float64) for k, v in out._asdict().items()}

    loop, batched, reversed_loop = (chunk(names, True), chunk(names, False),
                                    chunk(names[::-1], True))
    assert not np.array_equal(loop["index_level"][0], loop["index_level"][1])
    for k, v in loop.items():
        np.testing.assert_array_equal(v, reversed_loop[k][::-1], err_msg=k)
        close = np.isclose(v, batched[k], rtol=1e-4, atol=1e-6)
        assert close.mean() > 0.99, (k, close.mean())
        np.testing.assert_allclose(v.mean(-1), batched[k].mean(-1), rtol=1e-5, atol=1e-7,
                                   err_msg=k)


def test_chunk_blocks_cuts_padding_of_small_runs_by_hand():
    """Hand-worked cases of the chunk rule (time = steps x (chunk + 1 block), the larger on a
    tie): 10 blocks on two devices: 6-block chunks, one step (7), beat 8-block ones (9) and
    3-block ones (two steps, 8); 98 on two: 16 costs 4 x 17 = 68, 12 5 x 13 = 65, 8 and 6
    7 x 9 = 9 x 7 = 63, so 8; 20 on one: 4 (5 x 5) beats 12 (2 x 13); large runs keep the
    largest chunk; a user's odd maximum is itself allowed."""
    assert plan.chunk_blocks(10, 16, 2) == 6
    assert plan.chunk_blocks(98, 16, 2) == 8
    assert plan.chunk_blocks(20, 16, 1) == 4
    assert plan.chunk_blocks(977, 16, 2) == 16
    # on an accelerator a step costs a quarter of the largest chunk: 16 scenarios x 10^7
    # draws keep the 512-block chunks measured best (20 x 640 < 26 x 512 for 384)
    assert plan.chunk_blocks(9766, 512, 1, accelerator=True) == 512
    assert plan.chunk_blocks(9766, 512, 1) == 384  # CPU overhead (32 blocks): less padding
    assert plan.chunk_blocks(1, 16, 2) == 1
    assert plan.chunk_blocks(5, 5, 1) == 5
    assert plan.chunk_blocks(7, 5, 1) == 4  # 2 x (4 + 1) beats 2 x (5 + 1)
    with pytest.raises(ValueError):
        plan.chunk_blocks(0, 16, 1)


@pytest.mark.parametrize("max_blocks", [1, 5, 8, 12, 16, 512, 2048])
@pytest.mark.parametrize("n_devices", [1, 2, 3])
@pytest.mark.parametrize("accelerator", [False, True])
def test_chunk_blocks_keeps_few_shapes_and_never_computes_more_than_the_old_rule(
        max_blocks, n_devices, accelerator):
    """Any run: the chunk is at most the largest allowed and a power of two, three times one
    or the largest itself (few shapes, so few compilations); the run computes no more blocks
    (padding included) than with the old rule's power-of-two chunks; large runs use the
    largest chunk."""
    allowed = {max_blocks} | {c for k in range(12) for c in (1 << k, 3 << k >> 1)}

    def computed(n: int, size: int) -> int:
        chunks = -(-n // size)
        return -(-chunks // n_devices) * n_devices * size

    for n in [*range(1, 300), 977, 9766, 97657]:
        c = plan.chunk_blocks(n, max_blocks, n_devices, accelerator)
        assert 1 <= c <= max_blocks and c in allowed, (n, c)
        even = -(-n // n_devices)
        old = max(1, min(max_blocks, 1 << (even - 1).bit_length()))
        assert computed(n, c) <= computed(n, old), (n, c, old)
    big = 1000 * max_blocks * n_devices
    assert plan.chunk_blocks(big, max_blocks, n_devices, accelerator) == max_blocks


@pytest.mark.parametrize("packed", ["1", "0"])
def test_scenario_batch_packs_into_one_buffer_per_dtype_and_back_exactly(compiled64, x64,
                                                                          monkeypatch, packed):
    """The run programs take the scenario batch as one flat buffer per dtype (few transfers
    and arguments); unpacking inside the program gives back every leaf, shape, dtype and bit.
    Switched off (``AICAPEX_PACK_BATCH=0``) the leaves pass one by one, with the same round
    trip."""
    from aicapex.scenarios import stack_batch
    from aicapex.sim.engine.packing import pack, unpack

    monkeypatch.setenv("AICAPEX_PACK_BATCH", packed)
    batch = stack_batch([compiled64["baseline"], compiled64["fed_hawkish"]])
    buffers, layout = pack(batch)
    leaves = jax.tree.leaves(batch)
    if packed == "1":
        assert len(buffers) == len({np.asarray(x).dtype for x in leaves}) < len(leaves)
    else:
        assert len(buffers) == len(leaves) and layout.leaves is None
    assert sum(b.size for b in buffers) == sum(np.asarray(x).size for x in leaves)
    hash(layout)  # a static jit argument
    back = jax.jit(unpack, static_argnums=1)(buffers, layout)
    assert jax.tree.structure(back) == jax.tree.structure(batch)
    for got, want in zip(jax.tree.leaves(back), leaves, strict=True):
        want = np.asarray(want)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(np.asarray(got), want)


def test_the_one_entry_runs_every_mode_with_the_modes_own_draws():
    """``execute`` with a ``RunConfig`` gives what the mode's own function gives, and refuses
    settings that cannot go together."""
    import jax
    import pytest

    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch

    batch = stack_batch([compile_scenario(load_scenario("baseline").scenario)])
    key = jax.random.key(9)
    got = engine.execute(batch, key, engine.RunConfig(1024))
    want, _ = engine.simulate_paths(batch, key, 1024)
    assert got.summary is None
    for name, a in want.items():
        np.testing.assert_array_equal(got.paths[name], a, err_msg=name)
    summary = engine.execute(batch, key, engine.RunConfig(1024, summary=True))
    assert summary.paths is None and summary.summary[0].counts.sum() > 0
    with pytest.raises(ValueError, match="at least one draw"):
        engine.RunConfig(0)
    with pytest.raises(ValueError, match="a sink takes full paths"):
        engine.execute(batch, key, engine.RunConfig(1024, summary=True), sink=print)


def test_a_large_batch_runs_in_groups_of_scenarios_with_the_same_draws(monkeypatch):
    """A batch whose step would exceed ``STEP_PATHS_BYTES`` runs its scenarios in equal groups
    (the last padded), one launch each, on one compiled program: every scenario's paths,
    parameters and streamed chunks are bit for bit those of the batch run whole."""
    import jax

    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    from aicapex.sim.engine import runner
    from aicapex.sim.model import N_OUTPUTS

    names = ("baseline", "capex_slowdown", "fast_depreciation")
    batch = stack_batch([compile_scenario(load_scenario(n).scenario) for n in names])
    key, ids = jax.random.key(3), np.arange(3, dtype=np.uint32) * 7919
    run = dict(chunk_size=1024, common_random_numbers=False, stream_ids=ids)

    def streamed(**kw):
        got: dict[str, list] = {}
        ticks: list[int] = []
        _, stats = engine.simulate_paths(batch, key, 2500, progress=ticks.append, **run,
                                         sink=lambda start, a: [got.setdefault(k, []).append(
                                             (start, v.copy())) for k, v in a.items()])
        return got, ticks, stats

    whole, whole_stats = engine.simulate_paths(batch, key, 2500, **run)
    whole_sunk, whole_ticks, _ = streamed()
    one_scenario = (whole_stats.devices * whole_stats.chunk_draws
                    * np.dtype(batch.years.dtype).itemsize
                    * (N_OUTPUTS * batch.years.shape[1] + len(whole_stats.parameters)))
    monkeypatch.setattr(runner, "STEP_PATHS_BYTES", 3 * one_scenario - 1)  # groups of 2
    assert runner.group_size(3, one_scenario) == 2  # the second group padded
    before = engine.trace_counts()["simulate_chunk"]
    grouped, stats = engine.simulate_paths(batch, key, 2500, **run)
    sunk, ticks, _ = streamed()
    assert engine.trace_counts()["simulate_chunk"] - before <= 1  # one program, both groups
    assert stats.steps == 2 * whole_stats.steps and stats.parameters == whole_stats.parameters
    assert ticks == whole_ticks == [1024, 1024, 452]
    assert grouped.keys() == whole.keys()
    for name, a in whole.items():
        np.testing.assert_array_equal(grouped[name], a, err_msg=name)
        assert [s for s, _ in sunk[name]] == [s for s, _ in whole_sunk[name]] == [0, 1024, 2048]
        for (_, x), (_, y) in zip(sunk[name], whole_sunk[name], strict=True):
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert not np.array_equal(whole["index_level"][0], whole["index_level"][2])


def test_compile_options_follow_the_switch_and_survive_an_xla_without_them(monkeypatch):
    """Programs get XLA:CPU's older emitters only under AICAPEX_FUSION_EMITTERS=0, read at
    each call; an option this XLA does not know is dropped once, and the program still runs
    (and is recorded, so later programs do not try it again)."""
    import jax.numpy as jnp

    from aicapex.sim.engine import compile_options as co

    monkeypatch.setenv(co.ENV, "1")
    assert co.options() == {}
    monkeypatch.setenv(co.ENV, "0")
    assert co.options() == co.OLDER_EMITTERS
    monkeypatch.setattr(co, "OLDER_EMITTERS", {**co.OLDER_EMITTERS,
                                               "xla_no_such_option_for_the_test": True})
    monkeypatch.setattr(co, "_UNSUPPORTED", [])
    f = co.jit(lambda x: jnp.exp(x) + 1.0)
    np.testing.assert_allclose(np.asarray(f(jnp.zeros(3))), 2.0)
    assert co._UNSUPPORTED == ["xla_no_such_option_for_the_test"]
    assert co.options() == {"xla_cpu_use_fusion_emitters": False}
    with pytest.raises(TypeError):  # other errors are the caller's, not swallowed
        f("not an array")
