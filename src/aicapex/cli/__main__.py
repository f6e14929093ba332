"""``python -m aicapex.cli``: the same as the ``aicapex`` command."""

import sys

from .main import main

sys.exit(main())
