"""The architecture holds: the layer contract (import-linter, configured in pyproject.toml), no
private name used outside its package, no source file over 500 lines, and no global state
changed by importing aicapex."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "aicapex"


def test_layer_contract_is_kept():
    """Each layer imports only those below it, the model nothing of the engine, the numeric
    core no file formats, and no package has an import circle (function-level imports
    included: import-linter reads every import statement)."""
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str, path: Path) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to itself)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(node: ast.ImportFrom, module: str, path: Path) -> str | None:
    if node.level == 0:
        return node.module if (node.module or "").startswith("aicapex") else None
    base = _package(module, path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


MAX_LINES = 500
"""The longest a module in ``src/`` may be (a project rule): split a longer one by concern."""


def test_no_source_file_is_longer_than_the_limit():
    long = {str(p.relative_to(SRC)): n for p in sorted(SRC.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_private_name_is_used_outside_its_package():
    """``from aicapex.x import _name`` and ``module._name`` only within the package that
    defines the name; other packages use its public interface."""
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        modules[_module_name(path)] = path
    bad = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        here = _package(module, path)
        aliases = {}  # local name -> aicapex module it refers to
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _resolve(node, module, path)
            if target is None:
                continue
            for a in node.names:
                full = f"{target}.{a.name}"
                if full in modules:  # a module imported by name
                    aliases[a.asname or a.name] = full
                    owner = _package(full, modules[full])
                else:
                    owner = _package(target, modules.get(target, path)) if target in modules \
                        else target
                if _is_private(a.name) and owner != here:
                    bad.append(f"{module}: from {target} import {a.name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _is_private(node.attr)):
                full = aliases[node.value.id]
                if _package(full, modules[full]) != here and full.rpartition(".")[0] != here:
                    bad.append(f"{module}: {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


CHECK_IMPORT = r"""
import json, sys
import matplotlib
backend = matplotlib.rcParams._get_backend_or_none()
import jax, numpy as np
x64 = jax.config.jax_enable_x64
import aicapex
import aicapex.cli, aicapex.calibration.check
from aicapex.sim.engine import host
print(json.dumps({
    "backend_unchanged": matplotlib.rcParams._get_backend_or_none() == backend,
    "pyplot_imported": "matplotlib.pyplot" in sys.modules,
    "x64_unchanged": jax.config.jax_enable_x64 == x64,
    "malloc_tuned": bool(host._done),
    "compile_cache": jax.config.jax_compilation_cache_dir,
    "jax_ran": jax._src.xla_bridge._backends != {},
}))
"""


def test_importing_aicapex_changes_no_global_state():
    """No matplotlib backend chosen and no pyplot, no JAX setting, no malloc tuning, no
    compilation cache, no JAX backend started: importing is free of side effects; each
    happens when a run (or the CLI) asks for it."""
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND",)}
    r = subprocess.run([sys.executable, "-c", CHECK_IMPORT], capture_output=True, text=True,
                       env=env, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got == {"backend_unchanged": True, "pyplot_imported": False, "x64_unchanged": True,
                   "malloc_tuned": False, "compile_cache": None, "jax_ran": False}, got
