"""Golden results: every built-in scenario's results at a fixed seed, so a refactoring that
should change nothing can prove it, on any x86-64 machine of the project's kind.

    python tests/system/golden.py --write    # record both files below
    python tests/system/golden.py            # compare with them (exit 1 on a difference)

Two kinds of record, because float32 and float64 programs are portable to different degrees:

* **float32 cases: exact.** SHA-256 digests of each variable's bytes
  (``tests/data/golden_hashes.json``). XLA compiles float32 arithmetic, logarithms included,
  to its own inline code, so the bytes depend only on JAX's version and on the CPU having FMA
  (every machine of this kind has AVX2 and FMA).
* **float64 cases: values within a tolerance.** XLA:CPU calls the C library for float64
  logarithms, and glibc picks its implementation by the CPU at run time; the float64 bytes
  therefore differ between machines (seen: 31 of 33 variables on an AVX2 machine, with the
  float32 bytes identical). ``tests/data/golden_f64.npz`` stores, per variable and
  scenario, the first ``HEAD_DRAWS`` draws and the correctly rounded sum (``math.fsum``) and
  sum of squares over every draw; a value may differ from its record by at most
  ``F64_ULPS`` units in the last place of the largest magnitude of its array (variable and
  scenario), integers not at all. Measured on one machine: glibc's other ``log``
  (``GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA``) moves the values by up to 15 such ulps,
  XLA's code without FMA (``XLA_FLAGS=--xla_cpu_max_isa=AVX``) by up to 26; any change of
  an equation moves them by many orders of magnitude more.

The cases run in one fresh process with one CPU device and the programs compiled as a
user's run compiles them (XLA's default emitters, whatever the test suite's
``AICAPEX_FUSION_EMITTERS``; ``sim/engine/compile_options.py``); ``simulate`` sets JAX's x64
mode for each: off for float32, as ``aicapex run`` does, on for float64. ``test_golden.py``
runs the same cases.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from aicapex.sim.engine import compile_options

DATA = Path(__file__).resolve().parents[1] / "data"
HASHES = DATA / "golden_hashes.json"
VALUES = DATA / "golden_f64.npz"
HEAD_DRAWS = 16
"""Draws of each scenario whose values the float64 record keeps whole."""
F64_ULPS = 256
"""Tolerance of the float64 record, in ulps of the largest magnitude of each array."""

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
    # circular financing unwinding (orders cancelled, financing written off, spreads wider)
    "financing_unwind_f32": dict(scenarios=["financing_unwind"], draws=1024, seed=6,
                                 dtype="float32"),
    # the historical replay (another start and its own anchors)
    "dotcom_2000_f32": dict(scenarios=["dotcom_2000"], draws=1024, seed=2, dtype="float32"),
    # float64
    "today_paths_f64": dict(scenarios=["baseline", "capex_slowdown", "fed_hawkish"], draws=1024,
                            seed=4, dtype="float64"),
}
F64_CASES = [name for name, kw in CASES.items() if kw["dtype"] == "float64"]


def digest(ds) -> dict[str, str]:
    """SHA-256 of every data variable's values (C order, native dtype)."""
    return {name: hashlib.sha256(np.ascontiguousarray(ds[name].values).tobytes()).hexdigest()
            for name in sorted(ds.data_vars)}


def _fsum(a: np.ndarray) -> np.ndarray:
    """Correctly rounded sums over axis 1 (draws), so the record does not depend on how a
    machine's NumPy orders a sum."""
    moved = np.moveaxis(a.astype(np.float64), 1, -1)
    return np.array([math.fsum(row) for row in moved.reshape(-1, moved.shape[-1])]
                    ).reshape(moved.shape[:-1])


def values(ds) -> dict[str, np.ndarray]:
    """The float64 record of a full-paths run: for each variable (dims scenario, draw, ...)
    its first ``HEAD_DRAWS`` draws and the sum and sum of squares over every draw."""
    out = {}
    for name in sorted(ds.data_vars):
        a = np.asarray(ds[name].transpose("scenario", "draw", ...).values)
        out[f"{name}/head"] = a[:, :HEAD_DRAWS]
        out[f"{name}/sum"] = _fsum(a)
        out[f"{name}/sumsq"] = _fsum(a.astype(np.float64) ** 2)
    return out


def compare_values(got: dict[str, np.ndarray], want: dict[str, np.ndarray],
                   ulps: float = F64_ULPS) -> dict[str, float]:
    """The arrays of ``want`` that ``got`` misses or differs from beyond the tolerance, with
    the difference in ulps of the array's largest magnitude per scenario (inf when missing,
    of another shape, or an integer that differs)."""
    bad = {}
    for key, w in want.items():
        g = got.get(key)
        if g is None or g.shape != w.shape:
            bad[key] = math.inf
            continue
        if w.dtype.kind in "iub":
            if not np.array_equal(g, w):
                bad[key] = math.inf
            continue
        scale = np.max(np.abs(w.reshape(w.shape[0], -1)), axis=1)
        scale = np.where(scale > 0, scale, np.finfo(np.float64).tiny)
        diff = np.abs(g.astype(np.float64) - w).reshape(w.shape[0], -1).max(axis=1)
        if not np.all(np.isfinite(g) == np.isfinite(w)):
            bad[key] = math.inf
            continue
        worst = float(np.nanmax(diff / (scale * np.finfo(np.float64).eps)))
        if worst > ulps:
            bad[key] = worst
    return bad


def run_case(name: str) -> dict:
    """The case's record, computed in this process (call it in a fresh one): digests for
    a float32 case, ``values`` (serialised as an npz's bytes, hex) for a float64 one."""
    import aicapex

    kw = dict(CASES[name])
    scenarios = kw.pop("scenarios")
    ds = aicapex.simulate(scenarios, **kw)
    if name not in F64_CASES:
        return digest(ds)
    buf = io.BytesIO()
    np.savez(buf, **values(ds))
    return {"npz": buf.getvalue().hex()}


def cases_in_subprocess(names) -> dict[str, dict]:
    """Each named case's record, computed in one fresh process."""
    env_code = ("import os, sys, json; os.environ['JAX_PLATFORMS'] = 'cpu'; "
                "os.environ.pop('XLA_FLAGS', None); "
                f"os.environ.pop({compile_options.ENV!r}, None); "
                f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import golden; "
                f"print(json.dumps({{n: golden.run_case(n) for n in {list(names)!r}}}))")
    out = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True,
                         check=False, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"cases {list(names)} failed:\n{out.stderr[-4000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    for name in got:
        if "npz" in got[name]:
            with np.load(io.BytesIO(bytes.fromhex(got[name]["npz"]))) as z:
                got[name] = {k: z[k] for k in z.files}
    return got


def recorded_values() -> dict[str, dict[str, np.ndarray]]:
    """The float64 record: case -> key -> array."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(VALUES) as z:
        for key in z.files:
            case, rest = key.split(":", 1)
            out.setdefault(case, {})[rest] = z[key]
    return out


def differences(got: dict[str, dict]) -> list[str]:
    """Every difference of ``got`` (all cases) from the two records, one line each."""
    bad = []
    hashes = json.loads(HASHES.read_text(encoding="utf-8"))
    for case, want in hashes.items():
        bad += [f"{case} {v}: hash differs" for v in sorted(want)
                if got.get(case, {}).get(v) != want[v]]
        bad += [f"{case} {v}: not recorded" for v in sorted(set(got.get(case, {})) - set(want))]
    recorded = recorded_values()
    for case, want in recorded.items():
        for key, ulps in sorted(compare_values(got.get(case, {}), want).items()):
            bad.append(f"{case} {key}: differs by {ulps:.3g} ulps (allowed {F64_ULPS})")
        bad += [f"{case} {k}: not recorded" for k in sorted(set(got.get(case, {})) - set(want))]
    missing = set(CASES) - set(hashes) - set(recorded)
    bad += [f"{case}: no record" for case in sorted(missing)]
    return bad


def write(got: dict[str, dict]) -> None:
    """Record ``got``: the float32 digests in ``HASHES``, the float64 values in ``VALUES``."""
    hashes = {c: v for c, v in got.items() if c not in F64_CASES}
    HASHES.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    np.savez_compressed(VALUES, **{f"{c}:{k}": a for c in F64_CASES for k, a in got[c].items()})


def main(argv: list[str]) -> int:
    got = cases_in_subprocess(CASES)
    if "--write" in argv:
        write(got)
        print(f"wrote {HASHES} and {VALUES}")
        return 0
    bad = differences(got)
    for line in bad:
        print(f"DIFFERENT: {line}")
    print("identical" if not bad else f"{len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
