"""JAX's persistent compilation cache, as aicapex uses it: where it lives, turning it on, and
counting the programs a run compiled and stored or loaded."""

from __future__ import annotations

import warnings
from pathlib import Path

import jax

from ...runtime.cache import cache_root, check_private, verify_entries

COMPILE_CACHE_MAX_BYTES = 2**30
"""Size cap of the on-disk compilation cache; JAX evicts the least recently used programs."""


def default_compile_cache_dir() -> Path:
    """Where ``aicapex run`` keeps compiled programs: ``$AICAPEX_CACHE_DIR/jax``, else
    ``$XDG_CACHE_HOME/aicapex/jax``, else ``~/.cache/aicapex/jax``."""
    return cache_root() / "jax"


def use_compile_cache(path: str | Path | None = None) -> Path:
    """Keep compiled programs on disk (JAX's persistent compilation cache, at ``path`` or
    ``default_compile_cache_dir()``), so that a later process running the same program
    (same scenario count, horizon, chunk size, dtype, devices and JAX version) loads it
    instead of compiling it again. Results do not change (the same executable runs). A
    program takes ~0.4 MB; beyond ``COMPILE_CACHE_MAX_BYTES`` the least recently used are
    evicted. ``aicapex run`` does this by default. Returns the directory.

    What is found there runs as code, so the directory must be the user's own and writable
    by no one else (``UnsafeCacheError`` otherwise), and every program file is checked
    against the SHA-256 recorded when it was first seen (``runtime.cache.verify_entries``:
    one that changed is removed, and compiled again, with a warning). ``record_compiled``
    records the programs a run stored."""
    p = Path(path) if path is not None else default_compile_cache_dir()
    p.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(p)
    removed = verify_entries(p)
    if removed:
        warnings.warn(f"removed {len(removed)} compiled program(s) from {p} whose files "
                      f"changed since they were stored ({', '.join(removed)}); they will be "
                      "compiled again", RuntimeWarning, stacklevel=2)
    jax.config.update("jax_compilation_cache_dir", str(p))
    jax.config.update("jax_compilation_cache_max_size", COMPILE_CACHE_MAX_BYTES)
    return p


def cache_dir_in_use() -> str:
    """The compilation cache directory JAX uses in this process ("" for none)."""
    return jax.config.jax_compilation_cache_dir or ""


_EVENTS = {"/jax/compilation_cache/cache_misses": 0,  # compiled and stored
           "/jax/compilation_cache/cache_hits": 0}
_LISTENING: list[bool] = []


def _count_event(event: str, **kwargs) -> None:
    if event in _EVENTS:
        _EVENTS[event] += 1


def cache_counts() -> tuple[int, int]:
    """Programs (compiled and stored in, loaded from) the on-disk cache in this process so
    far; programs that compile in under a second are neither (JAX does not store them). The
    listener is registered on the first call, when a run starts."""
    if not _LISTENING:
        jax.monitoring.register_event_listener(_count_event)
        _LISTENING.append(True)
    return tuple(_EVENTS.values())


def record_compiled() -> None:
    """Record the SHA-256 of the programs stored in the cache in use (after a run that
    compiled some), so that a later process can tell if one was replaced."""
    d = cache_dir_in_use()
    if d and Path(d).is_dir():
        verify_entries(Path(d), new_only=True)
