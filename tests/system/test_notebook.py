"""aicapex in a Jupyter kernel: importing it leaves the inline backend in place, and
``aicapex.fan_chart(ds)`` in a cell displays its figure (for full-path and summary runs)."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

CELLS = [
    "import matplotlib\nbackend = matplotlib.rcParams._get_backend_or_none()\nprint(backend)",
    "import aicapex\nassert matplotlib.rcParams._get_backend_or_none() == backend\n"
    "assert 'inline' in str(backend), backend",
    "ds = aicapex.simulate('baseline', draws=1024, seed=1)",
    "aicapex.fan_chart(ds);",
    "aicapex.fan_chart(aicapex.simulate('baseline', draws=1024, seed=1, summary_only=True));",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);",
]


def _images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_a_notebook_shows_aicapex_figures_and_keeps_the_inline_backend(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "inline" in printed
    assert _images(nb.cells[3]) == 1   # fan chart of a full-path run
    assert _images(nb.cells[4]) == 1   # of a summary-only run
    assert _images(nb.cells[5]) == 1   # plain pyplot still shows inline
