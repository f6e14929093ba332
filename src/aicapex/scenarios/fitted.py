"""The fitted values as data: ``data/fitted.yaml``, written by ``aicapex calibrate --fit``
(``calibration/fit.py``) and read by the default priors and the anchor check."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from .yaml_safe import load_yaml

FITTED_FILE = "fitted.yaml"


@functools.lru_cache(maxsize=1)
def shipped_fit() -> dict[str, Any]:
    """The shipped ``scenarios/data/fitted.yaml``: ``parameters`` (name -> estimate, se,
    unit, adopted, method, data, ...), ``correlations`` and historical ``moments``."""
    text = resources.files(__package__).joinpath("data", FITTED_FILE).read_text(encoding="utf-8")
    return load_yaml(text)
