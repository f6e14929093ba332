"""Writing a run directory atomically: everything goes to a hidden temporary directory beside
the target, which is renamed into place only when every file is complete."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
from filelock import FileLock, Timeout

from ..runtime import interrupts
from .chart_set import write_plots
from .dataset import is_summary
from .metadata import RunMetadata
from .ownership import (
    MARKER,
    foreign_entry,
    is_aicapex_output,
    sha256_of,
    sidecar,
    write_marker,
)
from .report import write_report
from .store import metadata_sha256, store_bytes
from .summary import quantiles, summary_table, tail_events


class OutputExistsError(FileExistsError):
    pass


class OutputBusyError(OutputExistsError):
    """Another aicapex command is writing to the same output directory."""


class OutputNotWritableError(OutputExistsError):
    """The output path cannot be written (a file where a folder must be, no permission, a
    read-only filesystem), found before anything is simulated."""


def output_path(out: str | Path) -> Path:
    """Where a run given ``--out out`` writes: ``out``, or the folder a symbolic link
    ``out`` points to (the link stays, and leads to the results)."""
    out = Path(out)
    return out.resolve() if out.is_symlink() else out


def lock_dir() -> Path:
    """Where output claims keep their lock files: ``aicapex-locks-<uid>`` in the system's
    temporary directory."""
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"aicapex-locks-{user}"


@contextmanager
def claim_output(out_dir: str | Path) -> Iterator[list[Path]]:
    """Hold the output directory ``out_dir`` for one command: a second command writing to the
    same path fails at once with ``OutputBusyError`` instead of replacing the first one's
    output. Under the claim, hidden temporary directories of earlier runs to this path that
    were killed before they could clean up (``kill -9``) are removed; the block gets their
    paths. The lock file lives in a directory of this user's under the system's temporary
    directory (``lock_dir``), neither beside the output nor in the cache."""
    out = Path(out_dir).absolute()
    locks = lock_dir()
    locks.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = hashlib.sha256(str(out).encode()).hexdigest()[:32]
    lock = FileLock(locks / f"{name}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusyError(f"another aicapex command is writing to {out}; wait for it to "
                              "finish or choose another --out") from None
    try:
        stale = [p for p in out.parent.glob(f".aicapex-tmp-{out.name}-*") if p.is_dir()]
        old = sorted((p for p in out.parent.glob(f".aicapex-old-{out.name}-*") if p.is_dir()),
                     key=lambda p: p.stat().st_mtime)
        if old and not (out.exists() or out.is_symlink()):
            # killed between the two renames of a replacement: the previous run comes back
            old.pop().rename(out)
        for p in stale + old:
            shutil.rmtree(p, ignore_errors=True)
        yield stale + old
    finally:
        lock.release()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system or the filesystem cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse an existing, non-empty output path unless ``overwrite``, and with ``overwrite``
    anything but a previous aicapex output directory holding only what aicapex wrote there,
    unchanged (``ownership.foreign_entry``): ``--overwrite`` never deletes a folder or file of
    the user's, nor one the user added to a run or edited in it."""
    if not (out.exists() or out.is_symlink()) or (
            out.is_dir() and not out.is_symlink() and not any(out.iterdir())):
        _check_writable(out)
        return
    if not overwrite:
        raise OutputExistsError(f"{out} already exists and is not empty; pass --overwrite "
                                "to replace it or choose another --out")
    if not is_aicapex_output(out):
        what = ("a symbolic link" if out.is_symlink() else "a file" if not out.is_dir()
                else "a directory aicapex did not write")
        raise OutputExistsError(f"{out} is {what} (no {MARKER} or aicapex manifest.json); "
                                "--overwrite replaces only a previous aicapex output. Choose "
                                "another --out, or remove it yourself")
    foreign = foreign_entry(out)
    if foreign:
        raise OutputExistsError(f"{out} holds {foreign}; --overwrite replaces only a previous "
                                "aicapex output and deletes nothing else. Move it out, choose "
                                "another --out, or remove it yourself")
    _check_writable(out)


def _check_writable(out: Path) -> None:
    """Raise ``OutputNotWritableError`` unless a run can make its temporary directory beside
    ``out`` (in the nearest existing folder above it, where missing folders are made): tried,
    not inferred from permission bits, which root and read-only mounts ignore."""
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputNotWritableError(f"cannot write {out}: {parent} is a file, not a folder; "
                                     "choose another --out")
    try:
        Path(tempfile.mkdtemp(prefix=".aicapex-probe-", dir=parent)).rmdir()
    except OSError as e:
        raise OutputNotWritableError(f"cannot write {out}: {e.strerror or e} in {parent}; "
                                     "choose another --out") from None


_FAILED_WRITES: list[BaseException] = []


class NoSpaceError(OSError):
    """The output's filesystem has too little free space for what a run will write."""


OUTPUT_OVERHEAD_BYTES = 8_000_000
"""Room for a run's tables, plots, report and manifest beside its results file (a summary
run of two scenarios writes 0.8 MB in all, a full-paths run about 1 MB besides results.nc)."""


def check_free_space(directory: str | Path, results_bytes: int) -> None:
    """Raise ``NoSpaceError`` unless the filesystem holding ``directory`` (or its nearest
    existing parent) has room for a results file of ``results_bytes`` and the rest of a run:
    a full disk found while HDF5 writes leaves a half-written file (whose close then crashed
    the process), found here it costs a message."""
    here = Path(directory).absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    try:
        free = shutil.disk_usage(here).free
    except OSError:
        return  # unknown: let the write find out
    need = int(results_bytes) + OUTPUT_OVERHEAD_BYTES
    if free < need:
        raise NoSpaceError(errno.ENOSPC, f"{here} has {free / 1e6:,.0f} MB free; this run "
                           f"writes about {need / 1e6:,.0f} MB. Free some space, choose "
                           "another --out, or write summaries only (--summary-only)")


@contextmanager
def atomic_dir(out_dir: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary directory beside ``out_dir``; when the block completes it is
    marked (``MARKER``, with the inventory of what it holds) and replaces ``out_dir`` in one
    rename, and when it raises it is
    deleted. An existing, non-empty ``out_dir`` is replaced only with ``overwrite``, and only
    if it is a previous aicapex output (``check_output_dir``): in one atomic exchange where
    the system has one, else by two renames that ``claim_output`` undoes if they were cut
    short."""
    out = Path(out_dir)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the run is an ordinary folder
    try:
        yield tmp
        write_marker(tmp)
        interrupts.check()  # a signal swallowed while writing must not commit the run
        check_output_dir(out, overwrite)  # nothing added to it or changed in it meanwhile
        if not out.exists():
            tmp.rename(out)
        elif _exchange(tmp, out):  # one step: the new run in place, the old one in tmp
            shutil.rmtree(tmp, ignore_errors=True)
        else:  # two renames; killed between them, the next claim_output restores the old run
            old = Path(tempfile.mkdtemp(prefix=f".aicapex-old-{out.name}-", dir=out.parent))
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest(ds: xr.Dataset, files: dict[str, Path], timings: dict[str, float]
             ) -> dict[str, Any]:
    """What a run was: versions, scenarios (with hashes of their resolved YAML), seed, draws,
    dtype, device, timings, non-finite counts and the files written (size, sha256)."""
    m = RunMetadata.of(ds)
    t = m.timings
    return {
        "package": "aicapex", "package_version": m.package_version,
        "jax_version": m.jax_version, "backend": m.backend, "device": m.device,
        "dtype": m.dtype, "seed": m.seed, "draws": m.draws, "start": m.start,
        "horizon_quarters": m.horizon_quarters,
        "common_random_numbers": m.common_random_numbers, "antithetic": m.antithetic,
        "scenarios": [{"name": s.name,
                       "sha256": hashlib.sha256(s.resolved_yaml.encode()).hexdigest(),
                       "files": list(s.files)} for s in m.scenarios],
        "timings_seconds": {"compile_scenarios": _finite(t.compile_scenarios),
                            "simulate": _finite(t.simulate),
                            "first_chunk_incl_jax_compile": _finite(t.first_chunk),
                            "later_chunks_mean": _finite(t.later_chunks_mean),
                            "jax_compile_estimate": _finite(t.compile_estimate),
                            **timings},
        "jax_compilation_cache": {"dir": m.compilation_cache,
                                  "programs_compiled": m.programs_compiled,
                                  "programs_loaded": m.programs_from_cache}
        if m.compilation_cache else None,
        "nonfinite_counts": dict(m.nonfinite_counts),
        "output_ranges": {k: list(v) for k, v in m.output_ranges.items()},
        "files": {name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)}
                  for name, p in files.items()},
        "created": m.created,
    }


def _finite(x):
    """JSON has no NaN: None where an estimate is unavailable (a single chunk)."""
    return None if x is None or x != x else x


def store_entry(path: Path) -> dict[str, Any]:
    """The manifest's record of a zarr store (a directory of chunk files)."""
    return {"bytes": store_bytes(path), "files": sum(1 for f in path.rglob("*") if f.is_file()),
            "metadata_sha256": metadata_sha256(path)}


def write_run(ds: xr.Dataset, out_dir: str | Path, *,
              tables: Mapping[str, pd.DataFrame] | None = None, overwrite: bool = False,
              plots: bool = True, report: bool = False,
              stores: Sequence[str | Path] = (), analysis=None) -> Path:
    """Write ``results.nc``, ``summary.csv``, ``tail_probabilities.csv``, each of ``tables``
    as ``NAME.csv`` (``aicapex run`` passes the anchor check as ``anchor_check``), ``plots/``,
    optionally ``report.html`` (with the ``anchor_check`` table if given), and, last,
    ``manifest.json``. ``analysis`` (``aicapex.analysis`` results by name) adds its
    sections to the report. Each of ``stores`` (a finished paths store, ``store.PathStore``) is
    moved into the directory under its own name; the manifest records its size (and for a
    zarr store the SHA-256 of its metadata, not of every chunk).

    An existing, non-empty ``out_dir`` is replaced only with ``overwrite``; an interrupted
    write leaves at most a hidden ``.aicapex-tmp-*`` directory, never a partial ``out_dir``.
    """
    out = Path(out_dir)
    with atomic_dir(out, overwrite) as tmp:
        t0 = time.perf_counter()
        check_free_space(tmp, ds.nbytes)
        try:
            ds.to_netcdf(tmp / "results.nc", engine="h5netcdf")
        except OSError as e:
            # the traceback holds the HDF5 file whose close failed; freeing it closes it
            # again, and that crashed the process (exit 139). Kept, it goes with the process
            # (the CLI ends by os._exit after a failed run).
            _FAILED_WRITES.append(e)
            raise OSError(e.errno, f"writing {tmp / 'results.nc'} failed: "
                          f"{e.strerror or e}") from None
        qs = None if is_summary(ds) else quantiles(ds)  # the table's and the charts'
        summary_table(ds, qs=qs).to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        tail_events(ds).to_csv(tmp / "tail_probabilities.csv", index=False, float_format="%.6g")
        for name, table in (tables or {}).items():
            table.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
        t1 = time.perf_counter()
        if plots:
            write_plots(ds, tmp / "plots", qs=qs)
        if report:
            write_report(ds, tmp, (tables or {}).get("anchor_check"), analysis)
        t2 = time.perf_counter()
        moved = [Path(s).rename(tmp / Path(s).name) for s in stores]
        for m, s in zip(moved, stores, strict=True):  # a store's inventory goes with it
            if sidecar(Path(s)).is_file():
                sidecar(Path(s)).rename(sidecar(m))
        files = {str(p.relative_to(tmp)): p for p in sorted(tmp.rglob("*"))
                 if p.is_file() and not any(m.is_dir() and m in p.parents for m in moved)}
        man = manifest(ds, files, {"write_data": round(t1 - t0, 4), "plots": round(t2 - t1, 4)})
        man["files"].update({m.name: store_entry(m) for m in moved if m.is_dir()})
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2, allow_nan=False) + "\n",
                                           encoding="utf-8")
    return out
