"""The example notebook (``examples/tutorial.ipynb``) runs in a Jupyter kernel: it shows a
progress bar while simulating and its figures inline, and importing aicapex leaves the
inline backend in place (summary-only runs chart too)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tutorial.ipynb"

BEFORE = ["import matplotlib\nbackend = matplotlib.rcParams._get_backend_or_none()\n"
          "print(backend)"]
AFTER = [
    "assert matplotlib.rcParams._get_backend_or_none() == backend\n"
    "assert 'inline' in str(backend), backend",
    "aicapex.fan_chart(aicapex.simulate('baseline', draws=1024, seed=1, summary_only=True));",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);",
]


def _images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def _stderr(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("name") == "stderr")


def test_the_example_notebook_runs_with_progress_and_figures(tmp_path):
    example = nbformat.read(EXAMPLE, as_version=4)
    assert not any(c.get("outputs") for c in example.cells if c.cell_type == "code"), \
        "commit the example without outputs"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in BEFORE]
                                  + example.cells
                                  + [nbformat.v4.new_code_cell(c) for c in AFTER])
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    assert "inline" in "".join(o.get("text", "") for o in nb.cells[0].outputs)
    code = {c.source: c for c in nb.cells if c.cell_type == "code"}
    simulate = next(c for s, c in code.items() if s.startswith("ds = aicapex.simulate"))
    assert "3 scenarios" in _stderr(simulate) and "4.00k/4.00k" in _stderr(simulate)
    for source in ("aicapex.tail_chart(ds);", "aicapex.fan_grid(ds)",
                   "aicapex.exceedance_chart(ds);", 'aicapex.regime_chart(ds, "bust");',
                   AFTER[1], AFTER[2]):
        assert _images(code[source]) == 1, source
    table = code["aicapex.tail_events(ds)"].outputs[0]["data"]["text/plain"]
    assert "credit_cut_tariffs" in table and "deeper_cut" in table
