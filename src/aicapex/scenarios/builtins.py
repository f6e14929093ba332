"""The built-in scenarios (``library/*.yaml``) by name, and what each says of itself, read
without validating them (the schema imports the model, and with it JAX): what ``aicapex
list`` shows starts in a fraction of a second. ``tests`` validate every built-in."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from .yaml_safe import load_yaml


def library_dir() -> Path:
    """The folder of the built-in scenario files."""
    return Path(str(resources.files(__package__).joinpath("library")))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios: baseline first, then alphabetically."""
    return sorted((p.stem for p in library_dir().glob("*.yaml")),
                  key=lambda n: (n != "baseline", n))


def builtin_summaries() -> list[dict[str, Any]]:
    """Each built-in's name, the scenario it extends ("" for none) and its description on
    one line, in ``builtin_names`` order."""
    out = []
    for name in builtin_names():
        doc = load_yaml((library_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
        out.append({"name": name, "extends": doc.get("extends") or "",
                    "description": " ".join(str(doc.get("description", "")).split())})
    return out
