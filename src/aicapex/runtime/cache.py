"""Where aicapex keeps what it builds for later runs (compiled programs, CUDA kernels), and
what makes it safe to run what it finds there."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path


def cache_root() -> Path:
    """``$AICAPEX_CACHE_DIR``, else ``$XDG_CACHE_HOME/aicapex``, else ``~/.cache/aicapex``."""
    if os.environ.get("AICAPEX_CACHE_DIR"):
        return Path(os.environ["AICAPEX_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aicapex"


class UnsafeCacheError(PermissionError):
    """A cache directory that someone else could write to: its files would run as code."""


def check_private(path: Path) -> None:
    """Raise ``UnsafeCacheError`` if ``path`` is writable by its group or by others, or owned
    by another user: a compiled program found there is executed as it is."""
    st = path.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafeCacheError(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise UnsafeCacheError(f"{path} is writable by its group or by others "
                               f"(mode {st.st_mode & 0o777:o}); chmod go-w it")


INDEX = ".aicapex-index.json"
"""The SHA-256 of every compiled program aicapex has seen in a cache directory."""


def verify_entries(path: Path, suffix: str = "-cache", lock_name: str = ".lockfile",
                   new_only: bool = False) -> list[str]:
    """Check the cache's program files (``*<suffix>``) against ``INDEX``, under the lock the
    cache's writer takes (``lock_name``, JAX's): a file whose bytes changed since it was
    recorded (replaced by another program's file, or corrupted) is deleted, with its
    companion files, and its name returned; a file not yet recorded is recorded (on first
    sight: the directory is the user's own, ``check_private``). ``new_only``: record the files
    not yet recorded and check nothing else (after a run that stored programs)."""
    from filelock import FileLock

    index_path = path / INDEX
    removed = []
    with FileLock(path / lock_name, timeout=30):
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
        seen = {}
        for entry in sorted(path.glob(f"*{suffix}")):
            if new_only and entry.name in index:
                seen[entry.name] = index[entry.name]
                continue
            digest = hashlib.sha256(entry.read_bytes()).hexdigest()
            if index.get(entry.name, digest) != digest:
                key = entry.name.removesuffix(suffix)
                for companion in path.glob(f"{glob.escape(key)}-*"):
                    companion.unlink(missing_ok=True)
                removed.append(entry.name)
                continue
            seen[entry.name] = digest
        if seen != index:
            tmp = index_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(seen, indent=0, sort_keys=True), encoding="utf-8")
            tmp.replace(index_path)
    return removed
