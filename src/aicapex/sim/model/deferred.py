"""JAX's modules as the model's blocks use them, imported on first use.

The blocks declare their parameters, scenario paths and outputs beside their equations, and
the scenario schema validates files against those declarations: ``aicapex validate``,
``show``, ``schema`` and ``params`` read them and never run a block. Importing JAX costs
about a second; through these names the first block that runs (when a program is traced)
imports it instead. ``jnp.where`` resolves ``jax.numpy.where`` at each use, a dictionary
look-up that costs nothing next to tracing.
"""

from __future__ import annotations

import importlib
from typing import Any


class Deferred:
    """A module imported when one of its attributes is first read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


jnp = Deferred("jax.numpy")
lax = Deferred("jax.lax")
