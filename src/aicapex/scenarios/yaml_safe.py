"""PyYAML's safe loader and dumper, libyaml's where PyYAML was built with them (its wheels
are): the same safe constructors, 10-20x faster than the pure-Python classes. Imports
nothing of the package, so the light commands (``aicapex list``) can read YAML too."""

from __future__ import annotations

from typing import Any

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_yaml(text: str) -> Any:
    """A YAML document's data, safe-loaded, without ``yaml_read.parse_yaml``'s checks and
    line record: for YAML this package wrote or ships (a run's resolved scenarios, the
    built-in files)."""
    return yaml.load(text, Loader=Loader)
