"""The optional CUDA histogram kernel (``aicapex.kernels``): its NumPy reference by hand, the
build (where nvcc is installed: compiled for an H100, cached, nothing half-written on failure),
the fallback where it cannot be used, and on a CUDA GPU its counts against the reference."""

from __future__ import annotations

import ctypes
import stat

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aicapex.sim import engine
from aicapex.sim.engine import histograms, kernels


@pytest.fixture
def fresh_state(monkeypatch):
    """``load()`` with no answer kept from earlier calls in this process."""
    monkeypatch.setattr(kernels, "_STATE", {"loaded": False, "why_not": None, "seconds": 0.0})


def _cuda() -> bool:
    try:
        return bool(jax.devices("cuda"))
    except RuntimeError:
        return False


needs_kernel = pytest.mark.skipif(not _cuda(), reason="no CUDA GPU")
"""On a CUDA host these run, and a kernel that does not build fails them (``test_the_kernel_
builds_where_there_is_a_cuda_gpu``): a GPU machine never turns them into skips."""


@needs_kernel
def test_the_kernel_builds_where_there_is_a_cuda_gpu():
    assert kernels.load(), kernels.why_not()


def test_reference_counts_by_hand():
    """Range [0, 1) in 2 bins (scale 2): -10 underflows, 0.1 and 0.9 fall in the two bins, 1.5
    overflows (cell 3), NaN is dropped and the value past n_valid = 5 is not counted."""
    x = np.array([[-10.0, 0.1, 0.9, 1.5, np.nan, 0.2]], np.float32)
    got = kernels.reference_counts(x, np.zeros(1, np.float32), np.full(1, 2, np.float32), 5, 4)
    np.testing.assert_array_equal(got, [[1, 1, 1, 1]])


@pytest.mark.skipif(kernels.find_nvcc() is None, reason="no nvcc on this machine")
def test_kernel_builds_once_for_an_h100(tmp_path):
    """The source compiles (for sm_90, which needs no GPU here) into a library that exports
    both handlers; a second build of the same inputs is the cached file, untouched, and no
    temporary file is left beside it."""
    lib = kernels.build(arch="sm_90", out_dir=tmp_path)
    loaded = ctypes.cdll.LoadLibrary(str(lib))
    assert all(hasattr(loaded, symbol) for symbol in kernels.TARGETS.values())
    mtime = lib.stat().st_mtime_ns
    assert kernels.build(arch="sm_90", out_dir=tmp_path) == lib
    assert lib.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([lib.name, lib.name + ".lock"])


def test_failed_build_says_why_and_leaves_no_library(tmp_path):
    """A compiler that fails: the error carries its message, and no .so (whole or partial)
    is left where a later run would take it for a finished build."""
    nvcc = tmp_path / "nvcc"
    nvcc.write_text('#!/bin/sh\n[ "$1" = --version ] && { echo fake 1.0; exit 0; }\n'
                    'for a; do case $a in -o) o=1;; *) [ -n "$o" ] && { echo half > "$a"; '
                    'o=; };; esac; done\necho "error: no such intrinsic" >&2\nexit 2\n')
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "cache"
    with pytest.raises(RuntimeError, match=r"(?s)nvcc failed .*exit 2.*no such intrinsic"):
        kernels.build(nvcc=str(nvcc), out_dir=out)
    assert not list(out.glob("*.so"))


def test_no_compiler_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(kernels, "find_nvcc", lambda: None)
    with pytest.raises(RuntimeError, match="no nvcc found"):
        kernels.build(out_dir=tmp_path)


def test_find_nvcc_honours_the_environment(monkeypatch, tmp_path):
    fake = tmp_path / "my-nvcc"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AICAPEX_NVCC", str(fake))
    assert kernels.find_nvcc() == str(fake)


@pytest.mark.skipif(_cuda(), reason="checks the fallback on a machine without a CUDA GPU")
def test_without_a_cuda_gpu_summaries_count_by_scatter(fresh_state):
    assert kernels.load() is False
    assert "no CUDA device" in kernels.why_not()
    assert histograms.summary_histogram_method(jax.devices("cpu"), jnp.float32) == (
        "scatter", None)


def test_switched_off_by_the_environment(fresh_state, monkeypatch):
    """The user's choice: the scatter, with no reason to warn of (on a GPU path too)."""
    monkeypatch.setattr(histograms, "on_accelerator", lambda devices: True)
    monkeypatch.setenv("AICAPEX_CUDA_KERNELS", "0")
    assert histograms.summary_histogram_method(jax.devices(), jnp.float32) == ("scatter", None)
    assert kernels.load_seconds() == 0.0
    assert kernels.load() is False
    assert "AICAPEX_CUDA_KERNELS=0" in kernels.why_not()
    assert kernels.load_seconds() > 0.0  # how long is benchmarks' business


def test_an_unknown_counting_method_is_refused_before_running():
    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    batch = stack_batch([compile_scenario(load_scenario("baseline").scenario)])
    with pytest.raises(ValueError, match="hist must be one of"):
        engine.simulate_summaries(batch, jax.random.key(0), 1024, hist="bincount")


@needs_kernel
@pytest.mark.parametrize(("replicas", "parts", "aggregate"),
                         [(2, 0, False), (1, 3, False), (8, 0, True)])
def test_kernel_counts_equal_numpy_on_awkward_values(replicas, parts, aggregate):
    """Rows of spread, crowded (one value), non-finite and far-out values, a padded tail, an
    odd row length (no vector loads), and a batch of rows under vmap."""
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 3.0, (4, 6, 5001)).astype(np.float32)
    x[:, 0] = 0.25  # every value in one bin
    x[:, 1, ::3] = np.nan
    x[:, 2, ::4] = -np.inf
    x[:, 3, ::5] = 3e38
    lo = rng.uniform(-4, -1, (4, 6)).astype(np.float32)
    scale = (np.float32(128) / rng.uniform(2, 8, (4, 6)).astype(np.float32)).astype(np.float32)
    n_valid, cells = 4999, 130

    def count(v, a, b):
        return kernels.count_cells(v, a, b, n_valid, cells, replicas=replicas, parts=parts,
                                   aggregate=aggregate)
    got = np.asarray(jax.jit(jax.vmap(count))(x, lo, scale))
    for i in range(4):
        np.testing.assert_array_equal(
            got[i], kernels.reference_counts(x[i], lo[i], scale[i], n_valid, cells))
    even = np.asarray(jax.jit(count)(x[0, :, :4096], lo[0], scale[0]))  # float4 loads
    np.testing.assert_array_equal(
        even, kernels.reference_counts(x[0, :, :4096], lo[0], scale[0], 4096, cells))


@needs_kernel
def test_summaries_on_the_gpu_use_the_kernel_and_match_the_scatter():
    """A GPU run picks the kernel and gives the scatter-add's summaries exactly."""
    from aicapex.scenarios import compile_scenario, load_scenario, stack_batch
    batch = stack_batch([compile_scenario(load_scenario(n).scenario)
                         for n in ("baseline", "capex_slowdown")])
    runs = {hist: engine.simulate_summaries(batch, jax.random.key(5), 70_000,
                                            chunk_size=32_768, hist=hist)
            for hist in ("scatter", None)}
    (acc_s, lo_s, hi_s, _), (acc_c, lo_c, hi_c, stats) = runs["scatter"], runs[None]
    assert stats.histogram == "cuda"
    np.testing.assert_array_equal(np.stack([lo_s, hi_s]), np.stack([lo_c, hi_c]))
    for name, a, b in zip(acc_s._fields, acc_s, acc_c, strict=True):
        if name in ("total", "total_sq"):  # float sums: fusion may order them differently
            np.testing.assert_allclose(a, b, rtol=1e-5, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    assert acc_c.counts.sum() > 0


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AICAPEX_CACHE_DIR", str(tmp_path))
    assert kernels.cache_dir() == tmp_path / "kernels"
    monkeypatch.delenv("AICAPEX_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert kernels.cache_dir() == tmp_path / "xdg" / "aicapex" / "kernels"
