"""The ``aicapex`` command line: a thin layer over the API and the calibration workflows.

``main`` parses the arguments and hands each command to its module (``run``, ``list``,
``params``, ``validate``, ``report``, ``plot``, ``calibrate``, ``replay``: one module each,
``cmd_*.py``); ``console`` holds the shared output and error conventions. Commands import the
API when they run, not at import, so ``aicapex --help`` starts without JAX.

Exit status: 0 success, 1 a run failed, 2 bad input (a scenario or an argument), 130/143 a
signal.
"""

from .main import entry, main

__all__ = ["entry", "main"]
