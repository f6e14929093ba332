"""Every built-in scenario's results at fixed seeds are bit-identical to the recorded hashes
(``tests/data/golden_hashes.json``, recorded on the code before the architecture redesign by
``python tests/system/golden.py --write``). A change that means to change results re-records
them in the same commit and says why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import golden


def test_builtin_scenarios_are_bit_identical_to_the_recorded_hashes():
    want = json.loads(golden.HASHES.read_text(encoding="utf-8"))
    assert set(want) == set(golden.CASES)
    got = golden.cases_in_subprocess(golden.CASES)
    for case, hashes in want.items():
        assert set(got[case]) == set(hashes), case
        differ = sorted(v for v in hashes if got[case][v] != hashes[v])
        assert not differ, f"{case}: {differ}"
