"""Optional CUDA kernels, compiled on first use with ``nvcc`` and called from XLA through JAX's
FFI. Nothing needs them: without a CUDA GPU, ``nvcc`` or a working build, the engine counts
with XLA's own scatter-add instead (the same counts, slower), and says so.

``histogram.cu`` counts a quarter's summary histograms in shared memory. ``load()`` builds it
into ``cache_dir()`` (once per source, JAX, nvcc and GPU architecture; concurrent processes
wait on a lock and share one build, written under a temporary name and renamed when whole)
for the GPU's architecture, registers it with XLA for CUDA and checks it on the GPU against
NumPy before the engine may use it. Environment: ``AICAPEX_NVCC`` (the compiler to use),
``AICAPEX_CACHE_DIR`` (builds go in its ``kernels`` folder), ``AICAPEX_CUDA_KERNELS=0`` (never
use them).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from filelock import FileLock

from ....runtime.cache import cache_root

SOURCE = Path(__file__).with_name("histogram.cu")
TARGETS = {"aicapex_count_cells": "AicapexCountCells",
           "aicapex_count_cells_graph": "AicapexCountCellsGraph"}
"""XLA custom-call names and the library symbols behind them (``_graph``: the handler that
XLA may record into a CUDA graph)."""
NVCC_FLAGS = ("-O3", "-std=c++17", "-shared", "-Xcompiler", "-fPIC,-Wno-return-type",
              "-diag-suppress", "940,2473")  # the two warnings are in XLA's FFI headers

_STATE: dict = {"loaded": False, "why_not": None, "seconds": 0.0}


def cache_dir() -> Path:
    """Where built kernels go: ``kernels`` in ``aicapex.runtime.cache.cache_root()`` (so
    ``$AICAPEX_CACHE_DIR/kernels``, else ``~/.cache/aicapex/kernels``)."""
    return cache_root() / "kernels"


def find_nvcc() -> str | None:
    """``AICAPEX_NVCC``, else ``nvcc`` on the PATH, else under ``CUDA_HOME`` or
    /usr/local/cuda; None if there is none."""
    for cand in (os.environ.get("AICAPEX_NVCC"), shutil.which("nvcc"),
                 os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "nvcc")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def build(arch: str = "native", nvcc: str | None = None, out_dir: Path | None = None) -> Path:
    """Compile ``histogram.cu`` for ``arch`` (an nvcc ``-arch`` value; ``native`` is the GPU
    of this machine) against this JAX's FFI headers, unless a build of the same inputs is in
    ``out_dir`` (default ``cache_dir()``). Returns the library's path; raises RuntimeError with
    the compiler's message when the build fails."""
    nvcc = nvcc or find_nvcc()
    if nvcc is None:
        raise RuntimeError("no nvcc found (set AICAPEX_NVCC or put CUDA's bin on the PATH)")
    version = subprocess.run([nvcc, "--version"], capture_output=True, text=True,
                             check=False).stdout
    include = jax.ffi.include_dir()
    tag = hashlib.sha256("\0".join([SOURCE.read_text(), jax.__version__, include, version,
                                    arch, *NVCC_FLAGS]).encode()).hexdigest()[:16]
    out_dir = Path(out_dir or cache_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    lib = out_dir / f"aicapex_kernels-{tag}.so"
    with FileLock(str(lib) + ".lock"):
        if lib.exists():
            return lib
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=out_dir)
        os.close(fd)
        try:
            res = subprocess.run([nvcc, *NVCC_FLAGS, f"-arch={arch}", "-I", include, "-o", tmp,
                                  str(SOURCE)], capture_output=True, text=True, check=False)
            if res.returncode:
                raise RuntimeError(f"nvcc failed building {SOURCE.name} (exit "
                                   f"{res.returncode}):\n{res.stderr[-2000:]}")
            os.replace(tmp, lib)  # whole or not at all
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return lib


def count_cells(values, lo, scale, n_valid, cells: int, *, replicas: int = 2, parts: int = 0,
                aggregate: bool = False, target: str = "aicapex_count_cells"):
    """Histogram counts (R, cells) of ``values`` (R, N) float32 by the CUDA kernel (after
    ``load()``): row r's finite values among its first ``n_valid`` (a scalar) in cell
    ``clip(floor((x - lo[r]) * scale[r]), -1, cells - 2) + 1``; ``lo``/``scale`` (R,) float32.
    ``replicas``: shared-memory histograms per block (1-8); ``parts``: blocks per row (0:
    enough to fill the GPU); ``aggregate``: lanes of a warp in one cell add once. Works under
    ``vmap`` (leading axes)."""
    rows = values.shape[0]
    call = jax.ffi.ffi_call(target, jax.ShapeDtypeStruct((rows, cells), jnp.int32),
                            vmap_method="broadcast_all")
    return call(values, lo, scale, jnp.broadcast_to(jnp.asarray(n_valid, jnp.int32), (rows,)),
                replicas=np.int32(replicas), parts=np.int32(parts),
                aggregate=np.int32(aggregate))


def reference_counts(values, lo, scale, n_valid: int, cells: int):
    """``count_cells``' counts computed with NumPy (float32 arithmetic, as the kernel's)."""
    x = np.asarray(values, np.float32)[:, :n_valid]
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, 3e38 * 20: as the GPU
        f = np.floor((x - np.asarray(lo, np.float32)[:, None])
                     * np.asarray(scale, np.float32)[:, None])
        idx = np.clip(np.nan_to_num(f), -1, cells - 2).astype(np.int64) + 1
    keep = np.isfinite(x)
    return np.stack([np.bincount(idx[r][keep[r]], minlength=cells) for r in range(len(x))])


def _self_test() -> None:
    """Run the kernel once on awkward values (NaN, +-inf, values far outside the range, a
    padded tail) against ``reference_counts``; raises if it fails or differs (a driver older
    than the compiler, say), so that ``load()`` falls back instead of a run failing."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 2.0, (3, 4099)).astype(np.float32)
    x[0, ::5] = np.nan
    x[1, ::7] = np.inf
    x[1, 1::7] = -np.inf
    x[2, ::3] = 1e30
    lo = np.array([-3.0, -1.0, 0.5], np.float32)
    scale = (np.float32(64) / np.array([6.0, 2.0, 1.0], np.float32)).astype(np.float32)
    got = np.asarray(jax.jit(lambda v, a, b: count_cells(v, a, b, 4000, 66))(x, lo, scale))
    want = reference_counts(x, lo, scale, 4000, 66)
    if not np.array_equal(got, want):
        raise RuntimeError(f"the kernel's self-test counts differ from NumPy's in "
                           f"{int(np.sum(got != want))} cells")


def switched_off() -> bool:
    """Whether the user chose XLA's scatter-add over the kernels (``AICAPEX_CUDA_KERNELS=0``)."""
    return os.environ.get("AICAPEX_CUDA_KERNELS", "1") == "0"


def load() -> bool:
    """Build (if needed) and register the kernels with XLA for CUDA, and check them once on
    the GPU (``_self_test``); True when they are ready. Never raises: on failure ``why_not()``
    says why, and the answer is kept for the process."""
    if _STATE["loaded"] or _STATE["why_not"]:
        return _STATE["loaded"]
    t0 = time.perf_counter()
    try:
        if switched_off():
            raise RuntimeError("AICAPEX_CUDA_KERNELS=0")
        try:
            gpu = jax.devices("cuda")[0]
        except RuntimeError:
            raise RuntimeError("JAX has no CUDA device") from None
        cc = getattr(gpu, "compute_capability", None)  # e.g. "9.0"; part of the build's key
        lib = ctypes.cdll.LoadLibrary(str(build(f"sm_{cc.replace('.', '')}" if cc
                                                else "native")))
        for name, symbol in TARGETS.items():
            jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(lib, symbol)),
                                        platform="CUDA")
        _self_test()
        _STATE["loaded"] = True
    except Exception as e:  # any failure means: count with XLA instead
        _STATE["why_not"] = f"{type(e).__name__}: {e}"
    _STATE["seconds"] = time.perf_counter() - t0
    return _STATE["loaded"]


def why_not() -> str | None:
    """Why ``load()`` returned False (None if it did not, or was not called)."""
    return _STATE["why_not"]


def load_seconds() -> float:
    """Seconds this process's ``load()`` took (the build, when nvcc ran, and the self-test);
    0 before it was called."""
    return _STATE["seconds"]
