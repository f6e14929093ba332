"""``python -m aicapex.cli``: the same as the ``aicapex`` command."""

from .main import entry

entry()
