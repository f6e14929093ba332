"""``aicapex completion``: a shell completion script for the command line, generated from its
parser by shtab (commands, options, choices; file and directory arguments complete as
paths)."""

from __future__ import annotations

from .console import add_command, subcommands

LIGHT = True
"""Runs without the API, the compilation cache or JAX (``main._command``)."""

SHELLS = ("bash", "zsh", "tcsh")


def add_parser(sub) -> None:
    p = add_command(sub, "completion", "print a shell completion script",
                    "Print a completion script for bash, zsh or tcsh: commands, options and "
                    "their choices complete with Tab, files and directories where an argument "
                    "is one. Load it from your shell's start-up file.",
                    ["aicapex completion bash > ~/.local/share/bash-completion/completions/"
                     "aicapex",
                     "aicapex completion zsh > ~/.zfunc/_aicapex"])
    p.add_argument("shell", choices=SHELLS, help="the shell to write the script for")


def run(args) -> int:
    import shtab

    p = args.parser  # the whole command line's (main.parser)
    for action in [*p._actions, *(a for c in subcommands(p).values() for a in c._actions)]:
        name = f"{action.metavar or ''} {action.dest}".upper()
        if "DIR" in name:
            action.complete = shtab.DIRECTORY
        elif "FILE" in name or action.dest in ("out", "schema_out"):
            action.complete = shtab.FILE
    print(shtab.complete(p, shell=args.shell), end="")
    return 0

