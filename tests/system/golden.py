"""Golden hashes: every built-in scenario's results at a fixed seed, as SHA-256 digests of each
variable's bytes, so a refactoring that should change nothing can prove it.

    python tests/system/golden.py --write    # record tests/data/golden_hashes.json
    python tests/system/golden.py            # compare with it (exit 1 on a difference)

The cases run in one fresh process with one CPU device (``simulate`` sets JAX's x64 mode
for each: off for float32, as ``aicapex run`` does, on for float64); ``test_golden.py`` runs
the same cases.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

HASHES = Path(__file__).resolve().parents[1] / "data" / "golden_hashes.json"

TODAY = ["baseline", "ai_revenue_shortfall", "capex_slowdown", "china_commoditisation",
         "credit_stress", "dotcom_replay", "fast_depreciation", "fed_hawkish", "fed_put", "ramp",
         "tariff_escalation"]
CASES: dict[str, dict] = {
    # every built-in that starts today, in one batch with common random numbers (full paths)
    "today_paths_f32": dict(scenarios=TODAY, draws=1500, seed=11, dtype="float32"),
    # the same batch in summary mode (quantiles, moments, tail probabilities)
    "today_summary_f32": dict(scenarios=TODAY, draws=3000, seed=5, dtype="float32",
                              summary_only=True),
    # independent streams and antithetic draws
    "streams_antithetic_f32": dict(scenarios=["baseline", "ramp", "credit_stress"], draws=2048,
                                   seed=3, dtype="float32", common_random_numbers=False,
                                   antithetic=True),
    # the historical replay (another start and its own anchors)
    "dotcom_2000_f32": dict(scenarios=["dotcom_2000"], draws=1024, seed=2, dtype="float32"),
    # float64
    "today_paths_f64": dict(scenarios=["baseline", "capex_slowdown", "fed_hawkish"], draws=1024,
                            seed=4, dtype="float64"),
}


def digest(ds) -> dict[str, str]:
    """SHA-256 of every data variable's values (C order, native dtype)."""
    import numpy as np

    return {name: hashlib.sha256(np.ascontiguousarray(ds[name].values).tobytes()).hexdigest()
            for name in sorted(ds.data_vars)}


def run_case(name: str) -> dict[str, str]:
    """The case's digests, computed in this process (call it in a fresh one)."""
    import aicapex

    kw = dict(CASES[name])
    scenarios = kw.pop("scenarios")
    return digest(aicapex.simulate(scenarios, **kw))


def cases_in_subprocess(names) -> dict[str, dict[str, str]]:
    """Each named case's digests, computed in one fresh process."""
    env_code = ("import os, sys, json; os.environ['JAX_PLATFORMS'] = 'cpu'; "
                "os.environ.pop('XLA_FLAGS', None); "
                f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import golden; "
                f"print(json.dumps({{n: golden.run_case(n) for n in {list(names)!r}}}))")
    out = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True,
                         check=False, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"cases {list(names)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    got = cases_in_subprocess(CASES)
    if "--write" in argv:
        HASHES.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {HASHES}")
        return 0
    want = json.loads(HASHES.read_text(encoding="utf-8"))
    bad = [(c, v) for c in want for v in want[c] if got.get(c, {}).get(v) != want[c][v]]
    for c, v in bad:
        print(f"DIFFERENT: {c} {v}")
    print("identical" if not bad else f"{len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
