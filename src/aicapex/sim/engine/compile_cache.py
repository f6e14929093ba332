"""JAX's persistent compilation cache, as aicapex uses it: where it lives, turning it on, and
counting the programs a run compiled and stored or loaded."""

from __future__ import annotations

from pathlib import Path

import jax

from ...runtime.cache import cache_root

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
    evicted. ``aicapex run`` does this by default. Returns the directory."""
    p = Path(path) if path is not None else default_compile_cache_dir()
    p.mkdir(parents=True, exist_ok=True)
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
