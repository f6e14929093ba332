"""How much memory a new allocation can get, from the kernel and a container's cgroup."""

from __future__ import annotations

import contextlib
from pathlib import Path


def available_memory_bytes(root: str | Path = "/") -> int | None:
    """Memory a new allocation can get (bytes): the kernel's ``MemAvailable``, or less where a
    cgroup (a container) limits this process (its limit less its usage, the page cache it can
    drop not counted as used); None where neither can be read. ``root``: where ``proc`` and
    ``sys`` are (tests)."""
    root = Path(root)
    avail = None
    try:
        with open(root / "proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    for d, limit, usage, cache in (
            ("sys/fs/cgroup", "memory.max", "memory.current", "inactive_file"),
            ("sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
             "total_inactive_file")):
        d = root / d
        try:
            room = int((d / limit).read_text()) - int((d / usage).read_text())
        except (OSError, ValueError):  # absent, or "max" (no limit)
            continue
        with contextlib.suppress(OSError, ValueError):  # page cache the kernel can drop
            stat = dict(line.split() for line in (d / "memory.stat").read_text().splitlines())
            room += int(stat.get(cache, 0))
        avail = room if avail is None else min(avail, room)
        break
    return avail


def size_text(n: int) -> str:
    """Bytes for a message: ``21.6 GiB``, ``6.6 MiB``."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


MIN_ADDRESS_SPACE_BYTES = 3 * 2**30
"""Virtual address space (``ulimit -v``) a simulation needs at least: XLA's compiler reserves
far more address space than it uses; measured on a one-scenario run, 2.4 GiB sufficed and 1.9
GiB aborted (or segfaulted) inside the compilation, with no message."""


def address_space_problem() -> str | None:
    """Why the process's address-space limit (``RLIMIT_AS``, ``ulimit -v``) is too low to
    simulate, or None (no limit, or enough, or unknown)."""
    try:
        import resource
    except ImportError:  # not on this system
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= MIN_ADDRESS_SPACE_BYTES:
        return None
    return (f"the address-space limit (ulimit -v) is {size_text(soft)}; JAX's compiler needs "
            f"at least {size_text(MIN_ADDRESS_SPACE_BYTES)} of address space (it reserves "
            "more than it uses). Raise the limit, e.g. ulimit -v unlimited")
