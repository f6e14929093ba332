"""What aicapex wrote into an output directory, so that ``--overwrite`` replaces only that.

Every output directory carries ``MARKER``, written last, with an inventory of what went into it:
each directory, and each file with its size and, up to ``HASHED_MAX_BYTES``, its SHA-256.
``foreign_entry`` compares a directory with its inventory and names the first thing in it
that aicapex did not write, or that changed since (a summary edited and saved, a note added,
a link): ``--overwrite`` then refuses rather than delete it. Directories written before the
inventory existed are judged by their ``manifest.json``, trusted only where the files it lists
are there with the sizes and hashes it records.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

MARKER = ".aicapex-output"
"""The file every output directory aicapex writes carries (its kind, when, and what it wrote),
so that ``--overwrite`` can tell a previous output from a user's folder."""

HASHED_MAX_BYTES = 1 << 20
"""Files up to 1 MiB (tables, plots, report, manifest, store metadata) are recorded by their
SHA-256; larger ones (``results.nc``, path-store chunks) by their size, which keeps the
inventory's cost in proportion to the tables rather than to the data."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inventory(root: Path) -> dict[str, dict[str, Any]]:
    """Every entry under ``root`` (relative POSIX path -> record), the marker excepted:
    ``{"dir": True}`` for a directory, ``{"link": target}`` for a symbolic link, else
    ``{"bytes": n}`` and, up to ``HASHED_MAX_BYTES``, ``"sha256"``."""
    out: dict[str, dict[str, Any]] = {}
    covered: list[str] = []  # paths stores whose own inventory (``sidecar``) lists them
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel == MARKER or any(rel.startswith(c + "/") for c in covered):
            continue
        if p.is_dir() and not p.is_symlink() and (known := _sidecar_entries(p)) is not None:
            out[rel] = {"dir": True}  # hashed when the store was committed: not again
            out.update({f"{rel}/{k}": v for k, v in known.items()})
            covered.append(rel)
        elif p.is_symlink():
            out[rel] = {"link": os.readlink(p)}
        elif p.is_dir():
            out[rel] = {"dir": True}
        else:
            size = p.stat().st_size
            out[rel] = {"bytes": size}
            if size <= HASHED_MAX_BYTES:
                out[rel]["sha256"] = sha256_of(p)
    return out


def write_marker(root: Path, to: Path | None = None) -> None:
    """Write ``MARKER`` into ``root`` (last: it records everything already there), or the
    same record to the file ``to`` (a paths store's ``sidecar``)."""
    record = {"written_by": "aicapex", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "entries": inventory(root)}
    (to or root / MARKER).write_text(json.dumps(record) + "\n", encoding="utf-8")


def sidecar(store: Path) -> Path:
    """The inventory of a paths store, beside it (``paths.zarr.aicapex-output``): zarr
    warns about a file inside a store that is not its own."""
    return store.with_name(store.name + MARKER)


def _sidecar_entries(store: Path) -> dict[str, Any] | None:
    record = _read_json(sidecar(store))
    entries = record.get("entries") if record else None
    return entries if isinstance(entries, dict) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_aicapex_output(path: Path) -> bool:
    """Whether ``path`` is a directory aicapex wrote: it has the marker, or (runs written before
    the marker) a ``manifest.json`` of package aicapex."""
    if path.is_symlink() or not path.is_dir():
        return False
    if (path / MARKER).is_file():
        return True
    manifest = _read_json(path / "manifest.json")
    return manifest is not None and manifest.get("package") == "aicapex"


def _matches(p: Path, record: dict[str, Any]) -> bool:
    if "dir" in record:
        return p.is_dir() and not p.is_symlink()
    if "link" in record:
        return p.is_symlink() and os.readlink(p) == record["link"]
    if p.is_symlink() or not p.is_file() or p.stat().st_size != record.get("bytes"):
        return False
    return "sha256" not in record or sha256_of(p) == record["sha256"]


def damaged_entry(root: Path, under: str = "", record_file: Path | None = None) -> str | None:
    """The first entry the inventory of ``root``'s marker (or ``record_file``) records (those
    under the relative path ``under``, all if empty) that is missing, or is no longer what
    was written (its size, its SHA-256 where recorded), said in words; None if all are there
    unchanged, or if there is no inventory to check against."""
    record = _read_json(record_file or root / MARKER)
    entries = record.get("entries") if record else None
    if not isinstance(entries, dict):
        return None
    prefix = f"{under.rstrip('/')}/" if under else ""
    for rel, rec in entries.items():
        if under and rel != under and not rel.startswith(prefix):
            continue
        p = root / rel
        if not (p.exists() or p.is_symlink()):
            return f"{rel} is missing"
        if not isinstance(rec, dict) or not _matches(p, rec):
            return f"{rel} is not what was written ({_difference(p, rec)})"
    return None


def _difference(p: Path, rec: Any) -> str:
    if not isinstance(rec, dict) or "bytes" not in rec or not p.is_file():
        return "another kind of entry"
    size = p.stat().st_size
    if size != rec["bytes"]:
        return f"{size:,} bytes, {rec['bytes']:,} written"
    return "same size, different SHA-256"


def _legacy_records(path: Path) -> dict[str, dict[str, Any]] | None:
    """What a directory written before the inventory recorded, from its manifest's files
    (every file must be there with its size and hash, else nothing is trusted): those files,
    the directories that hold them, the manifest and a marker without an inventory."""
    manifest = _read_json(path / "manifest.json")
    files = manifest.get("files") if manifest else None
    if not isinstance(files, dict) or not files:
        return None
    out: dict[str, dict[str, Any]] = {"manifest.json": {"any": True}}
    for name, rec in files.items():
        p = path / name
        if not isinstance(rec, dict):
            return None
        if "sha256" in rec:
            if not _matches(p, {"bytes": rec.get("bytes"), "sha256": rec["sha256"]}):
                return None
            out[name] = {"any": True}
        elif p.is_dir() and not p.is_symlink():  # a paths store: everything inside it
            out[name] = {"tree": True}
        else:
            return None
        for parent in Path(name).parents[:-1]:
            out[parent.as_posix()] = {"dir": True}
    return out


def foreign_entry(path: Path) -> str | None:
    """The first entry under the aicapex output directory ``path`` (relative path) that aicapex
    did not write there or that changed since, with why; None if everything is aicapex's."""
    marker = _read_json(path / MARKER)
    records = marker.get("entries") if marker else None
    legacy = not isinstance(records, dict)
    if legacy:
        records = _legacy_records(path)
        if records is None:
            return (f"{MARKER} (an output from before aicapex recorded what it writes, with no "
                    "manifest whose files all check)")
    trees = [name for name, rec in records.items() if rec.get("tree")]
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if rel == MARKER or any(rel.startswith(t + "/") for t in trees):
            continue
        rec = records.get(rel)
        if rec is None:
            return f"{rel} (aicapex did not write it)"
        if not (rec.get("any") or rec.get("tree") or _matches(p, rec)):
            return f"{rel} (changed since aicapex wrote it)"
    return None
