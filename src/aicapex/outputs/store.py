"""Full paths written to disk chunk by chunk, so that a run's memory does not grow with its
draws: a zarr store (region writes into a template, ``xarray.Dataset.to_zarr``) or a chunked,
compressed netCDF-4 file (h5netcdf). Either holds the dataset ``dataset.to_dataset`` would
(dims scenario, draw, time; the same variables, attributes and coordinates) and opens lazily
with dask (``open_paths``). The store is written under a hidden temporary name beside its
path and renamed into place only when complete: a failed or interrupted run leaves nothing
that looks finished.

Compression (on by default; ``docs/performance.md`` has the sizes and speeds measured by
``benchmarks/store_bench.py``): zarr chunks with Blosc-zstd (``ZARR_COMPRESSION``), netCDF
with HDF5's zlib (``NETCDF_COMPRESSION``), codecs every reader of the format has without
plugins."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .ownership import MARKER, damaged_entry, sidecar, write_marker

FORMATS = {"zarr": ".zarr", "netcdf": ".nc"}
"""Store formats and the suffix of their path."""

WRITE_THREADS = 4
"""Threads writing a chunk's zarr variables side by side (``AICAPEX_STORE_THREADS`` sets
another number; 1 writes them one after another)."""


def write_threads() -> int:
    """``WRITE_THREADS``, or ``AICAPEX_STORE_THREADS`` where set (read when a store opens)."""
    value = os.environ.get("AICAPEX_STORE_THREADS", "")
    return max(1, int(value)) if value.isdigit() else WRITE_THREADS


class StoreError(ValueError):
    """A store path or format aicapex cannot write, or a store it cannot read."""


class DamagedStoreError(StoreError):
    """A paths store whose files are missing or not what was written (a deleted chunk, a
    garbled one, broken metadata): reading it would give NaN or garbage where data was lost."""


def store_format(path: str | Path, fmt: str | None = None) -> str:
    """The format of a store at ``path``: ``fmt`` if given (checked), else from the suffix
    (``.zarr`` or ``.nc``)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise StoreError(f"unknown store format {fmt!r}; allowed: {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix
    for name, s in FORMATS.items():
        if suffix == s:
            return name
    raise StoreError(f"{path}: a paths store ends in .zarr (zarr) or .nc (netCDF); pass the "
                     "format to write another name")


ZARR_COMPRESSION = {"cname": "zstd", "clevel": 1, "shuffle": "shuffle"}
"""The default zarr codec: Blosc's arguments (``zarr.codecs.BloscCodec``)."""

NETCDF_COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
"""The default netCDF filter: h5netcdf's ``create_variable`` arguments (HDF5's zlib)."""


class PathStore:
    """A store being written: ``write`` each chunk of draws, then ``commit`` (attributes
    known only at the end, then the rename into place); ``abort`` (or leaving the ``with``
    block by an exception) removes it. ``template`` is the dataset of the whole run with
    lazy (dask) data: its coordinates, attributes and shapes, never its values.
    ``compression``: True for the format's default (``ZARR_COMPRESSION``,
    ``NETCDF_COMPRESSION``), False for none, or the codec's arguments in their place."""

    def __init__(self, path: str | Path, template: xr.Dataset, chunk_draws: int, *,
                 fmt: str | None = None, compression: bool | Mapping[str, Any] = True,
                 overwrite: bool = False):
        self.path = Path(path)
        self.format = store_format(self.path, fmt)
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{self.path} already exists; choose another path or pass "
                                  "overwrite")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{self.path.name}-",
                                         dir=self.path.parent))
        self.target = self.tmp / self.path.name
        self.names = list(template.data_vars)
        self._pool: ThreadPoolExecutor | None = None
        draws = min(chunk_draws, template.sizes["draw"])
        chunks = {n: (1, draws, max(template[n].shape[2], 1)) for n in self.names}
        try:
            if self.format == "zarr":
                from zarr.codecs import BloscCodec

                template = _text_as_objects(template)
                codec = ZARR_COMPRESSION if compression is True else compression
                enc = {n: {"chunks": chunks[n],
                           "compressors": (BloscCodec(**codec),) if codec else None}
                       for n in self.names}
                template.to_zarr(self.target, mode="w", compute=False, encoding=enc,
                                 consolidated=False, zarr_format=3)
                import zarr

                self._group = zarr.open_group(self.target, mode="r+")
                threads = write_threads()
                self._pool = (ThreadPoolExecutor(threads, thread_name_prefix="store")
                              if threads > 1 else None)
                self._arrays = {n: self._group[n] for n in self.names}
            else:
                import h5netcdf

                template.drop_vars(self.names).to_netcdf(self.target, engine="h5netcdf")
                self._file = h5netcdf.File(self.target, "a")
                self._arrays = {}
                filters = NETCDF_COMPRESSION if compression is True else compression or {}
                for n in self.names:
                    v = template[n]
                    var = self._file.create_variable(n, v.dims, v.dtype, chunks=chunks[n],
                                                     **filters)
                    for k, a in v.attrs.items():
                        var.attrs[k] = a
                    self._arrays[n] = var
        except BaseException:
            self.abort()
            raise

    def write(self, start: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write draws ``start .. start + n`` of every variable, ``arrays[name]`` shaped
        (S, T, n) as the engine returns them (the parameters (S, P, n)). Zarr variables are
        written side by side in threads (compression and file writes release the GIL;
        ``AICAPEX_STORE_THREADS=1`` turns it off); HDF5 allows one writer at a time."""
        def put(n: str) -> None:
            a = arrays[n]
            self._arrays[n][:, start:start + a.shape[-1], :] = np.swapaxes(a, 1, 2)

        if self._pool is None:
            for n in self.names:
                put(n)
        else:
            list(self._pool.map(put, self.names))

    def commit(self, attrs: Mapping[str, Any]) -> Path:
        """Set the dataset's attributes ``attrs``, close the store and move it into place
        (removed if that fails)."""
        try:
            return self._commit(attrs)
        except BaseException:
            self.abort()
            raise

    def _commit(self, attrs: Mapping[str, Any]) -> Path:
        self._stop_pool()
        if self.format == "zarr":
            import zarr

            self._group.attrs.update({k: _plain(v) for k, v in attrs.items()})
            # one metadata document: xarray.open_zarr(path) opens it without a warning. (zarr
            # warns that format 3 does not specify it yet; zarr and xarray read it)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Consolidated metadata is currently not",
                                        UserWarning)
                zarr.consolidate_metadata(self._group.store)
        else:
            for k, v in attrs.items():
                self._file.attrs[k] = v
            self._file.close()
        if self.path.exists():
            (shutil.rmtree if self.path.is_dir() else os.remove)(self.path)
        sidecar(self.path).unlink(missing_ok=True)
        self.target.rename(self.path)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.format == "zarr":  # what open_paths checks each chunk against
            write_marker(self.path, sidecar(self.path))
        return self.path

    def _stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def abort(self) -> None:
        """Remove what was written."""
        self._stop_pool()
        f = getattr(self, "_file", None)
        if f is not None:
            with contextlib.suppress(Exception):  # a half-written file may fail to close
                f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> PathStore:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.abort()


def _text_as_objects(ds: xr.Dataset) -> xr.Dataset:
    """Text coordinates (scenario names, swept text values) as Python strings, which zarr 3
    stores in its specified variable-length string type (fixed-width numpy text has no
    zarr 3 specification yet)."""
    text = {n: c.astype(object) for n, c in ds.coords.items() if c.dtype.kind == "U"}
    return ds.assign_coords(text) if text else ds


def _plain(v: Any) -> Any:
    """An attribute value as JSON holds it (zarr's attributes are JSON)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def store_bytes(path: str | Path) -> int:
    """Bytes a store takes on disk (a zarr directory's files added up)."""
    p = Path(path)
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return p.stat().st_size


def metadata_sha256(path: str | Path) -> str:
    """SHA-256 of a zarr store's metadata (its ``zarr.json`` files in path order): what the
    store holds, not the chunks' bytes (hashing every chunk of a 10^7-draw store would take
    longer than writing it)."""
    import hashlib

    h = hashlib.sha256()
    root = Path(path)
    for f in sorted(root.rglob("zarr.json")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def open_paths(path: str | Path, chunks: Mapping[str, int] | None = None) -> xr.Dataset:
    """A paths store (``.zarr`` or ``.nc``), or a run directory holding one, opened lazily:
    variables are dask arrays read chunk by chunk when computed. ``chunks`` (default: the
    store's own) as ``xarray.open_dataset``'s."""
    from .dataset import VARIABLES, index_sweep_coords

    p = Path(path)
    if p.is_dir() and p.suffix != ".zarr":
        found = [p / f"paths{s}" for s in FORMATS.values() if (p / f"paths{s}").exists()]
        if not found:
            raise StoreError(f"{p}: no paths.zarr or paths.nc; was the run written with "
                             "--format?")
        p = found[0]
    fmt = store_format(p)
    if not p.exists():
        raise StoreError(f"{p}: no such store")
    damaged = (damaged_entry(p, record_file=sidecar(p)) if sidecar(p).is_file()
               else damaged_entry(p.parent, p.name) if (p.parent / MARKER).is_file() else None)
    if damaged:
        raise DamagedStoreError(f"{p} is damaged: {damaged}. Its data cannot be read as "
                                "written; run it again, or restore it from a copy")
    try:
        if fmt == "zarr":
            ds = xr.open_zarr(p, chunks=chunks if chunks is not None else {}, zarr_format=3,
                              consolidated=False)
        else:
            ds = xr.open_dataset(p, engine="h5netcdf",
                                 chunks=chunks if chunks is not None else {})
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise DamagedStoreError(f"{p} cannot be read ({type(e).__name__}: {e})") from None
    if ds.attrs.get("package") != "aicapex" or "index_level" not in ds:
        raise StoreError(f"{p} is not an aicapex paths store")
    # text coordinates as numpy text, as a run in memory has them
    text = {n: (c.dims, np.array([str(x) for x in c.values]), c.attrs)
            for n, c in ds.coords.items() if c.dtype.kind not in "biufcmM"}
    order = [v for v in VARIABLES if v in ds.data_vars]  # the model's order, as in memory
    ds = ds.drop_indexes([n for n in text if n in ds.xindexes]).assign_coords(text)
    return index_sweep_coords(ds[order + [v for v in ds.data_vars if v not in order]])


def template(names: Sequence[str], n_scenarios: int, n_draws: int, n_time: int, dtype: str,
             chunk_draws: int, n_params: int = 0) -> dict[str, Any]:
    """Lazy (dask) zero arrays (S, T, N) for every output and (S, P, N) for the sampled
    parameters, as ``dataset.to_dataset`` takes them: a store's shape without its values."""
    import dask.array as da

    from .dataset import PARAMETERS_VAR

    chunk = min(chunk_draws, n_draws)
    out = {n: da.zeros((n_scenarios, n_time, n_draws),
                       dtype=np.int32 if n == "regime" else np.dtype(dtype),
                       chunks=(1, n_time, chunk)) for n in names}
    out[PARAMETERS_VAR] = da.zeros((n_scenarios, n_params, n_draws), dtype=np.dtype(dtype),
                                   chunks=(1, max(n_params, 1), chunk))
    return out


__all__ = [
    "FORMATS",
    "NETCDF_COMPRESSION",
    "ZARR_COMPRESSION",
    "DamagedStoreError",
    "PathStore",
    "StoreError",
    "metadata_sha256",
    "open_paths",
    "store_bytes",
    "store_format",
    "template",
]
