"""Every built-in scenario's results at fixed seeds match the golden record
(``tests/system/golden.py`` says what is recorded and why: float32 bytes exactly, float64
values within ``golden.F64_ULPS`` ulps of each array's scale). A change that means to change
results re-records them (``python tests/system/golden.py --write``) in the same commit and
says why."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import golden


def test_builtin_scenarios_match_the_golden_record():
    got = golden.cases_in_subprocess(golden.CASES)
    assert golden.differences(got) == []


def test_the_float64_comparison_fails_on_a_change_and_passes_rounding():
    rng = np.random.default_rng(0)
    want = {"x/head": rng.normal(size=(2, 16, 20)) * 50.0,
            "regime/head": rng.integers(0, 3, size=(2, 16, 20)).astype(np.int32)}
    scale = np.abs(want["x/head"][1]).max()
    eps = np.finfo(np.float64).eps

    rounding = {k: v.copy() for k, v in want.items()}
    rounding["x/head"][1, 3, 4] += 20 * eps * scale       # what another machine's libm does
    assert golden.compare_values(rounding, want) == {}

    changed = {k: v.copy() for k, v in want.items()}
    changed["x/head"][1, 3, 4] *= 1.0 + 1e-9               # an equation that moved
    assert list(golden.compare_values(changed, want)) == ["x/head"]

    flipped = {k: v.copy() for k, v in want.items()}
    flipped["regime/head"][0, 0, 0] += 1
    assert golden.compare_values(flipped, want) == {"regime/head": float("inf")}

    nan = {k: v.copy() for k, v in want.items()}
    nan["x/head"][0, 0, 0] = np.nan
    assert "x/head" in golden.compare_values(nan, want)
    assert "x/head" in golden.compare_values({"regime/head": want["regime/head"]}, want)
