"""The ``aicapex`` console script's target, kept apart from the command line so that Ctrl-C
while the command line is still loading ends the process quietly (exit 130) instead of with
a Python traceback: importing ``aicapex.cli`` takes tens of milliseconds, this module almost
none. ``cli.main`` puts in its own handlers (which unwind a run's writers) once loaded."""

from __future__ import annotations

import os
import signal
from typing import NoReturn


def _stopped_while_loading(signum, frame) -> NoReturn:
    os._exit(128 + signum)  # nothing written yet: nothing to clean up


def entry() -> NoReturn:
    """``aicapex`` on the process's arguments (``cli.main.entry``)."""
    signal.signal(signal.SIGINT, _stopped_while_loading)
    from .cli.main import entry as command_line

    command_line()
