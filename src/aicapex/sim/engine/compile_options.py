"""The XLA options the engine's programs are compiled with, passed per program (JAX's
``jit(..., compiler_options=...)``), never through the user's ``XLA_FLAGS``.

XLA:CPU lowers each of a program's ~400 fused kernels through MLIR to its own LLVM module
(its "fusion emitters", the default); its older emitters write the same loops straight to
LLVM. Measured on the 2-core development machine (``docs/performance.md``; ``python
benchmarks/bench.py --ab-switch emitters``): the older ones compile the quick start's program
(three scenarios, full paths) in 2.7-3.1 s instead of 5.6-6.8 s, and run it at ~70% of the
default's throughput.
A run compiles once and simulates for as long as its draws take, so runs keep XLA's default;
``AICAPEX_FUSION_EMITTERS=0`` compiles with the older emitters, which pays where programs are
many and draws few: the test suite sets it. Results agree to rounding (measured on two
scenarios: within 2.1e-6 of each array's largest magnitude in float32, 4.4e-15 in float64, no
regime different; the emitters inline different forms of ``exp`` and ``log``), and the golden
record runs XLA's default.
A JAX whose XLA no longer has the option compiles without it (``jit`` retries once).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import jax

ENV = "AICAPEX_FUSION_EMITTERS"
"""``=0``: compile with XLA:CPU's older emitters (``OLDER_EMITTERS``)."""

OLDER_EMITTERS = {"xla_cpu_use_fusion_emitters": False}
"""The option; GPU compilers ignore it."""

_UNSUPPORTED: list[str] = []
"""Options this process's XLA refused (filled on the first refusal)."""


def fusion_emitters() -> bool:
    """Whether programs compile with XLA's default fusion emitters (unless
    ``AICAPEX_FUSION_EMITTERS=0``). Read at each call of a program, so it may change between
    runs in one process."""
    return os.environ.get(ENV, "1") != "0"


def options() -> dict[str, Any]:
    """The compiler options a program compiled now gets."""
    if fusion_emitters():
        return {}
    return {k: v for k, v in OLDER_EMITTERS.items() if k not in _UNSUPPORTED}


def jit(fn: Callable | None = None, **jit_kwargs) -> Callable:
    """``jax.jit(fn, **jit_kwargs)`` compiled with ``options()`` as they are when it is called
    (one jitted function per distinct set, each with its own trace cache); called inside
    another program's trace, a plain ``jax.jit`` (the outer program's options apply). Usable
    as ``@jit`` or ``@jit(static_argnames=...)``."""
    if fn is None:
        return functools.partial(jit, **jit_kwargs)
    variants: dict[tuple, Callable] = {}

    @functools.wraps(fn)
    def call(*args, **kwargs):
        # inside another program's trace the outer program's options apply (JAX refuses
        # options on a nested jit)
        nested = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves((args, kwargs)))
        opts = {} if nested else options()
        key = tuple(sorted(opts.items()))
        f = variants.get(key)
        if f is None:
            f = variants[key] = jax.jit(fn, compiler_options=opts or None, **jit_kwargs)
        try:
            return f(*args, **kwargs)
        except jax.errors.JaxRuntimeError as e:
            refused = [k for k in opts if f"No such compile option: '{k}'" in str(e)]
            if not refused:
                raise
            _UNSUPPORTED.extend(refused)
            return call(*args, **kwargs)
    return call
