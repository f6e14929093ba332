"""The devices a run uses and what follows from their kind."""

from __future__ import annotations

import jax


def resolve_devices(device) -> list:
    """Devices to spread chunks over: the one or the list given, else every device of the
    default backend (several CPU devices after ``aicapex.use_cpu_devices(n)``, or several
    GPUs)."""
    if device is None:
        return list(jax.devices())
    return list(device) if isinstance(device, list | tuple) else [device]


def on_accelerator(devices) -> bool:
    """Whether the chunks run on a GPU/TPU (chooses chunk sizes and histogram copies)."""
    return any(d.platform != "cpu" for d in devices)


def loop_scenarios_on(devices) -> bool:
    """How a chunk runs a batch of scenarios on ``devices``: one after another on CPU (True),
    all at once in one batched program on an accelerator (False). On CPU a scenario's
    per-quarter working set (state, outputs, vintage ring: a few MB per 16k draws) stays in
    cache, where the batch's (S, ...) arrays did not: a 16-scenario chunk ran 1.25x (full
    paths) and 1.30x (summaries) faster in a loop, measured (docs/performance.md). On a GPU
    one scenario's chunk is what fills the card, so scenarios stay batched there."""
    return not on_accelerator(devices)
