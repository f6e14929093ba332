"""Calibration data: anchor figures with sources, initial conditions and default priors."""

from .anchors import SOURCES, Anchor, anchor_values, default_anchors, with_values
from .initial import initial_conditions
from .priors import SHOCK_CORRELATIONS, Prior, default_priors

__all__ = [
    "SHOCK_CORRELATIONS",
    "SOURCES",
    "Anchor",
    "Prior",
    "anchor_values",
    "default_anchors",
    "default_priors",
    "initial_conditions",
    "with_values",
]
