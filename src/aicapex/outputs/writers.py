"""Writing a run directory atomically: everything goes to a hidden temporary directory beside
the target, which is renamed into place only when every file is complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

from .plots import write_plots
from .summary import summary_table, tail_probabilities


class OutputExistsError(FileExistsError):
    pass


def write_run(ds: xr.Dataset, out_dir: str | Path, *, overwrite: bool = False,
              plots: bool = True) -> Path:
    """Write ``results.nc``, ``summary.csv``, ``tail_probabilities.csv`` and ``plots/``.

    An existing, non-empty ``out_dir`` is replaced only with ``overwrite``; an interrupted
    write leaves at most a hidden ``.aicapex-tmp-*`` directory, never a partial ``out_dir``.
    """
    out = Path(out_dir)
    if out.exists() and not (out.is_dir() and not any(out.iterdir())) and not overwrite:
        raise OutputExistsError(f"{out} already exists and is not empty; pass --overwrite "
                                "to replace it or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".aicapex-tmp-{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the run is an ordinary folder
    try:
        ds.to_netcdf(tmp / "results.nc", engine="h5netcdf")
        summary_table(ds).to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        tail_probabilities(ds).to_csv(tmp / "tail_probabilities.csv", float_format="%.6g")
        if plots:
            write_plots(ds, tmp / "plots")
        if out.exists():
            old = out.with_name(f".aicapex-old-{out.name}")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
