"""``aicapex schema``: the scenario files' JSON Schema, for editors' completion and checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .console import add_command

LIGHT = True
"""Runs without the API, the compilation cache or JAX (``main._command``)."""


def add_parser(sub) -> None:
    p = add_command(sub, "schema", "write the JSON Schema of scenario files",
                    "Write the JSON Schema of scenario files: every field with its "
                    "description, unit and allowed range. Point an editor at it for completion "
                    "and checks as you type (VS Code's YAML extension: a first line "
                    "'# yaml-language-server: $schema=aicapex.schema.json').",
                    ["aicapex schema --out aicapex.schema.json", "aicapex schema | less"])
    p.add_argument("--out", dest="schema_out", type=Path, metavar="FILE",
                   help="write to FILE (default: print it)")


def run(args) -> int:
    from ..scenarios.json_schema import json_schema

    text = json.dumps(json_schema(), indent=1) + "\n"
    if args.schema_out is None:
        print(text, end="")
    else:
        tmp = args.schema_out.with_name(f".{args.schema_out.name}.tmp-{os.getpid()}")
        try:  # whole or not at all
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, args.schema_out)
        finally:
            tmp.unlink(missing_ok=True)
        print(f"wrote {args.schema_out}")
    return 0
