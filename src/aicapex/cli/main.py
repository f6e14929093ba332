"""The ``aicapex`` command line's entry point: the parser and the dispatch to the commands.

    aicapex run baseline capex_slowdown --draws 20000 --seed 1 --out runs/nov
    aicapex list | aicapex params | aicapex validate my.yaml | aicapex plot runs/nov
    aicapex calibrate --check | aicapex calibrate --fit --out fit/ | aicapex replay --out rp/
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import signal
import sys
import warnings
from importlib.metadata import version
from typing import NoReturn

from ..runtime import interrupts
from ..runtime.memory import address_space_problem
from . import (
    cmd_calibrate,
    cmd_completion,
    cmd_list,
    cmd_params,
    cmd_plot,
    cmd_replay,
    cmd_report,
    cmd_reverse_stress,
    cmd_run,
    cmd_schema,
    cmd_sensitivities,
    cmd_show,
    cmd_validate,
)
from .console import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    HelpFormatter,
    err,
    error,
    info,
    labelled,
    subcommands,
    warning,
)

SIMULATING = ("run", "calibrate", "replay")
"""Commands that compile and run the model."""

COMMANDS = {"run": cmd_run, "list": cmd_list, "show": cmd_show, "params": cmd_params,
            "validate": cmd_validate, "schema": cmd_schema, "report": cmd_report,
            "plot": cmd_plot, "calibrate": cmd_calibrate, "replay": cmd_replay,
            "sensitivities": cmd_sensitivities, "reverse-stress": cmd_reverse_stress,
            "completion": cmd_completion}
"""Each command's module: ``add_parser(subparsers)`` and ``run(args) -> exit status``."""


class Parser(argparse.ArgumentParser):
    """argparse as the commands use it: an option is spelled out (``--draw`` is not taken for
    ``--draws``), and a mistyped command or option gets the closest ones suggested."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}{_suggestion(self, message)}\n")


def _suggestion(p: argparse.ArgumentParser, message: str) -> str:
    """" Did you mean ...?" for an unknown command (``invalid choice: 'rnu'``) or options
    (``unrecognized arguments: --sectoin``), from the names ``p`` and its commands know."""
    choice = re.match(r"argument \S+: invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        known = re.findall(r"'([^']*)'", choice[2])
        close = difflib.get_close_matches(choice[1], known, n=1, cutoff=0.5)
        return f". Did you mean {close[0]!r}?" if close else ""
    if not message.startswith("unrecognized arguments: "):
        return ""
    options = {o for a in p._actions for o in a.option_strings} | set(
        getattr(p, "root_options", ()))  # `aicapex --debugg run`: the top level's too
    hints = []
    for word in message.removeprefix("unrecognized arguments: ").split():
        name = word.split("=", 1)[0]
        close = difflib.get_close_matches(name, options, n=1, cutoff=0.6) if (
            name.startswith("--")) else []
        if close:
            hints.append(f"{close[0]} for {name}")
    return f". Did you mean {', '.join(hints)}?" if hints else ""


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="aicapex", formatter_class=HelpFormatter,
               description=("Monte Carlo scenarios of the AI-capex cycle: capex -> "
                            "depreciation and AI revenue -> earnings -> valuations -> "
                            "S&P 500."),
               epilog="aicapex COMMAND --help says what a command does, with examples.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no status lines, notes or progress (errors and warnings still show)")
    p.add_argument("--version", action="version", version=f"aicapex {version('aicapex')}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in COMMANDS.values():
        module.add_parser(sub)
    for command in sub.choices.values():
        command.root_options = [o for a in p._actions for o in a.option_strings]
    p.set_defaults(parser=p)  # for the command that describes the command line (completion)
    return p


def _compile_cache(args) -> None:
    """Turn JAX's on-disk compilation cache on for commands that simulate, unless told not to
    or the user set JAX's own cache directory (JAX then uses that). A cache that cannot be
    created costs a note, not the run."""
    if (getattr(args, "no_compile_cache", True) or os.environ.get("AICAPEX_COMPILE_CACHE") == "0"
            or os.environ.get("JAX_COMPILATION_CACHE_DIR")):
        return
    from ..sim.engine.compile_cache import default_compile_cache_dir, use_compile_cache

    try:
        use_compile_cache()
    except OSError as e:
        info.print(f"note: no compilation cache ({default_compile_cache_dir()}: {e}); "
                  "every run compiles afresh")


def entry() -> NoReturn:
    """The ``aicapex`` command: ``main`` on the process's arguments, then the exit. After a
    signal or a failed run the process ends at once (``os._exit``, once its output is
    flushed): the cleanup has already run in ``main``, and the interpreter's teardown, with
    XLA's compiler threads still busy or an HDF5 file half-written to a full disk, is where
    such a process used to segfault."""
    try:
        code = main()
    except SystemExit as e:  # argparse's usage errors and --help, or a signal's exit status
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        code = 130
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if code in (0, EXIT_BAD_INPUT):
        sys.exit(code)
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status (a signal's as ``SystemExit``)."""
    # Ctrl-C and SIGTERM unwind through the writers, so partial outputs are removed on the way
    # out; they are also recorded, and raised again where a gc callback swallowed them. The
    # handlers go in first: nothing heavy is imported before this point (``aicapex`` imports
    # its layers lazily).
    interrupts.clear()
    interrupts.install()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _command(argv)
    except KeyboardInterrupt:
        return _stopped(signal.SIGINT)
    except SystemExit:
        if interrupts.pending() is None:  # argparse's exit, not a signal's
            raise
        return _stopped(interrupts.pending())
    except Exception:
        # what a signal cut short may fail in its own way (an extension module's import
        # raises ImportError): it is the signal all the same
        if interrupts.pending() is None:
            raise
        return _stopped(interrupts.pending())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A scenario's warning as ``warning: file:line: field: ...``; others as Python shows
    them."""
    if getattr(category, "__name__", "") == "ScenarioWarning":
        warning(message)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def _stopped(signum: int) -> int:
    """Say that a signal stopped the command: 130 for SIGINT, else ``SystemExit(128 + n)``."""
    if signum == signal.SIGINT:
        err.print(labelled("interrupted", "red", ": no output was written"))
        return 130
    err.print(labelled("terminated", "red", f" (signal {signum}): no output was written"))
    raise SystemExit(128 + signum)


def _closed_pipe() -> int:
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 128 + signal.SIGPIPE


def _command(argv: list[str] | None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    if extra:  # reported by the command's own parser, which knows its options
        subcommands(p).get(args.command, p).error(f"unrecognized arguments: {' '.join(extra)}")
    info.quiet = args.quiet
    if args.command is None:  # a bare `aicapex`: what it can do
        p.print_help()
        return 0
    if args.command in SIMULATING and (problem := address_space_problem()):
        error(problem)  # found here: XLA's compiler aborts without a message
        return EXIT_FAILED
    if getattr(COMMANDS[args.command], "LIGHT", False):  # needs neither the API nor its
        try:                                             # imports (xarray, the engine)
            return COMMANDS[args.command].run(args)
        except BrokenPipeError:
            return _closed_pipe()
        except Exception as e:
            from ..scenarios.problems import ScenarioError  # light: no schema, no JAX

            if isinstance(e, ScenarioError):
                error(e)
                return EXIT_BAD_INPUT
            return _failed(e, args)
    with interrupts.deferred():  # the heavy imports, in one piece
        from ..api import PathsTooLargeError, RunSettingError
        from ..outputs import OutputBusyError, claim_output
        from ..preflight import RunTooLargeError
        from ..scenarios import ScenarioError

    try:
        _compile_cache(args)
        with contextlib.ExitStack() as held:
            claims = getattr(COMMANDS[args.command], "CLAIMS_OUTPUT", False)
            if getattr(args, "out", None) is not None and not claims:  # one command per output
                # directory (a command whose workflow holds it itself says CLAIMS_OUTPUT)
                stale = held.enter_context(claim_output(args.out))
                if stale:
                    info.print(f"note: removed {len(stale)} temporary director"
                              f"{'y' if len(stale) == 1 else 'ies'} of an interrupted earlier "
                              f"run: {', '.join(map(str, stale))}", soft_wrap=True)
            return COMMANDS[args.command].run(args)
    except (OutputBusyError, ScenarioError) as e:
        error(e)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `aicapex params | head`: the reader has all it wanted
        return _closed_pipe()
    except (PathsTooLargeError, RunTooLargeError, RunSettingError) as e:  # e.g. --seed -1
        if args.debug:
            raise
        error(e)
        return EXIT_BAD_INPUT
    except Exception as e:
        return _failed(e, args)


def _failed(e: Exception, args) -> int:
    """An unexpected error as one line (exit 1), or raised again with ``--debug``."""
    interrupts.check()  # an error a signal caused (an import it cut short) is the signal
    if args.debug:
        raise e
    error(f"{type(e).__name__}: {e}")
    return EXIT_FAILED
