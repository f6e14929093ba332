"""Where aicapex keeps what it builds for later runs (compiled programs, CUDA kernels)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$AICAPEX_CACHE_DIR``, else ``$XDG_CACHE_HOME/aicapex``, else ``~/.cache/aicapex``."""
    if os.environ.get("AICAPEX_CACHE_DIR"):
        return Path(os.environ["AICAPEX_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aicapex"
