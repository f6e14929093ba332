"""Streamed-paths benchmark: what compression costs and saves when full paths go to disk.

    python benchmarks/store_bench.py                      # baseline x 100,000 draws
    python benchmarks/store_bench.py --draws 10000000 --streamed-run-only

Part 1, codecs: the paths of one in-memory run are written chunk by chunk to a zarr store and
a netCDF file with each codec (``outputs.store.PathStore``, the writer ``aicapex run
--format`` uses), then read back whole. Reported per codec: bytes on disk, the ratio to the
raw float32 size, and write and read throughput in MB/s of raw data; the uncompressed store
measured in the same run is the reference of the ratios.

Part 2, a streamed run: ``aicapex run baseline --draws N --paths --format zarr`` in a
subprocess, its wall time, peak resident memory (``getrusage`` of the child), the store's
size and the lazily opened store's reduction of the index at the horizon (dask). The NumPy
reference model is not run here (``bench.py`` compares the engine with it). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZARR_CODECS = {
    "none": False,
    "blosc-lz4 shuffle": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"},
    "blosc-zstd1 shuffle (default)": True,
    "blosc-zstd3 shuffle": {"cname": "zstd", "clevel": 3, "shuffle": "shuffle"},
    "blosc-zstd3 bitshuffle": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle"},
    "blosc-zstd7 shuffle": {"cname": "zstd", "clevel": 7, "shuffle": "shuffle"},
}
NETCDF_CODECS = {
    "none": False,
    "zlib1 shuffle (default)": True,
    "zlib4 shuffle": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
    "lzf shuffle": {"compression": "lzf", "shuffle": True},
}


def codecs(draws: int, chunk: int, root: Path) -> None:
    import numpy as np

    import aicapex
    from aicapex.outputs.store import PathStore, store_bytes

    ds = aicapex.simulate("baseline", draws=draws, seed=1, progress=False)
    arrays = {v: np.ascontiguousarray(np.swapaxes(ds[v].values, 1, 2)) for v in ds.data_vars}
    raw = sum(a.nbytes for a in arrays.values())
    print(f"paths: baseline x {draws:,} draws, {raw / 1e6:,.0f} MB raw, "
          f"{chunk:,}-draw chunks")
    print(f"{'format':7} {'codec':30} {'MB':>8} {'ratio':>6} {'write MB/s':>11} "
          f"{'read MB/s':>10}")
    for fmt, table, suffix in (("zarr", ZARR_CODECS, ".zarr"), ("netcdf", NETCDF_CODECS, ".nc")):
        for name, codec in table.items():
            path = root / f"{fmt}-{len(list(root.iterdir()))}{suffix}"
            template = ds.chunk({"draw": chunk})
            t0 = time.perf_counter()
            with PathStore(path, template, chunk, compression=codec) as store:
                for start in range(0, draws, chunk):
                    store.write(start, {v: a[..., start:start + chunk]
                                        for v, a in arrays.items()})
                store.commit(dict(ds.attrs))
            t1 = time.perf_counter()
            back = aicapex.open_paths(path).load()
            t2 = time.perf_counter()
            assert all(np.array_equal(back[v].values, ds[v].values, equal_nan=True)
                       for v in ds.data_vars)
            size = store_bytes(path)
            print(f"{fmt:7} {name:30} {size / 1e6:8,.0f} {size / raw:6.2f} "
                  f"{raw / 1e6 / (t1 - t0):11,.0f} {raw / 1e6 / (t2 - t1):10,.0f}")
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def streamed_run(draws: int, root: Path) -> None:
    out = root / "run"
    cmd = [sys.executable, "-m", "aicapex.cli", "run", "baseline", "--draws", str(draws),
           "--paths", "--format", "zarr", "--no-plots", "--out", str(out)]
    print("\n$ " + " ".join(cmd[2:]))
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
    import aicapex
    from aicapex.api import paths_bytes
    from aicapex.outputs.store import store_bytes

    size = store_bytes(out / "paths.zarr")
    raw = paths_bytes(1, draws, 20, "float32")
    t1 = time.perf_counter()
    paths = aicapex.open_paths(out)
    lazy = type(paths["index_level"].data).__module__.startswith("dask")
    mean = float(paths["index_level"].isel(time=-1).mean().compute())
    t2 = time.perf_counter()
    print(f"wall {wall:,.0f} s ({draws / wall:,.0f} draws/s, both passes); peak RSS "
          f"{peak / 2**30:.2f} GiB; store {size / 1e9:,.2f} GB ({size / raw:.2f} of "
          f"{raw / 1e9:,.2f} GB raw, {raw / 1e6 / wall:,.0f} MB/s of raw paths)")
    print(f"opened lazily: {lazy}; mean index at the horizon over {draws:,} draws "
          f"{mean:,.0f}, read in {t2 - t1:.1f} s")
    print("\n".join(line for line in r.stderr.splitlines() if line.startswith("simulated")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=16_384, help="draws a store chunk holds")
    ap.add_argument("--streamed-run-only", action="store_true")
    ap.add_argument("--codecs-only", action="store_true")
    ap.add_argument("--dir", type=Path, help="where to write (default: a temporary directory)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="aicapex-store-bench-", dir=args.dir))
    try:
        if not args.streamed_run_only:
            codecs(args.draws, args.chunk, root)
        if not args.codecs_only:
            streamed_run(args.draws, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
