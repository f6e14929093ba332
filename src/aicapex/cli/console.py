"""The CLI's output conventions: two consoles, labelled messages, tables, plain progress."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import textwrap
import time

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Without rich markup: messages carry paths, names and errors, whose bracketed text rich would
# read as style tags and drop ("pip install 'aicapex[cuda]'", "[and 2 more problems]", a path
# like "runs/[a]"). Colour comes from ``labelled``'s styled label instead.
err = Console(stderr=True, highlight=False, markup=False)
out = Console(width=None if sys.stdout.isatty() else 120, markup=False)
info = Console(stderr=True, highlight=False, markup=False)
"""Status lines, notes and progress on standard error: what ``aicapex -q`` silences (errors
and warnings go to ``err`` and are always shown)."""

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def labelled(label: str, style: str, rest: str) -> Text:
    """``label`` in ``style`` followed by ``rest`` as written."""
    return Text.assemble((label, style), rest)


def error(message: object) -> None:
    """``error: message`` on stderr, the label in red, the message as written; a message of
    several lines (a scenario's problems) gets a label on each."""
    for line in str(message).splitlines() or [""]:
        err.print(labelled("error:", "red", f" {line}"), soft_wrap=True)


def warning(message: object) -> None:
    """``warning: message`` on stderr, the label in yellow."""
    err.print(labelled("warning:", "yellow", f" {message}"), soft_wrap=True)


def frame_table(df, title: str) -> Table:
    """A rich table of a DataFrame, numbers at 4 significant digits, FAIL in red."""
    t = Table(title=title)
    for col in df.columns:
        t.add_column(str(col), overflow="fold")
    for _, r in df.iterrows():
        t.add_row(*(_cell(v) for v in r.to_numpy()))
    return t


def _cell(v) -> str | Text:
    if isinstance(v, float | int) and not isinstance(v, bool):
        return "n/a" if v != v else f"{v:.4g}"
    if v == "FAIL":
        return Text("FAIL", style="red")
    return str(v)


class PlainProgress:
    """Progress for logs and CI (no terminal): a line at most every ``interval`` seconds."""

    INTERVAL = 15.0

    def __init__(self, total: int, interval: float = INTERVAL):
        self.total, self.interval, self.done = total, interval, 0
        self.t0 = self.last = time.perf_counter()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last < self.interval or self.done >= self.total:
            return
        self.last = now
        elapsed = now - self.t0
        left = elapsed * (self.total - self.done) / self.done
        info.print(f"progress: {self.done:,}/{self.total:,} draws ({self.done / self.total:.0%})"
                  f" in {elapsed:.0f}s, ~{left:.0f}s left", highlight=False)


def check_out(path, overwrite: bool) -> bool:
    """Whether ``--out`` may be written (an error printed if not), checked before simulating."""
    from ..outputs import OutputExistsError, check_output_dir

    if path is None:
        return True
    try:
        check_output_dir(path, overwrite)
    except OutputExistsError as e:
        error(e)
        return False
    return True


class LazyHelp:
    """An argument's help text made only when ``--help`` prints it: text derived from the
    model's declarations (which import JAX) costs nothing to a command that does not ask."""

    def __init__(self, make):
        self.make = make

    def __bool__(self) -> bool:
        return True

    def __mod__(self, params) -> str:  # what argparse's formatter does with a help string
        return self.make() % params

    def __contains__(self, item) -> bool:
        return item in self.make()

    def __str__(self) -> str:
        return self.make()

    def __getattr__(self, name: str):  # any other string method (strip, splitlines, ...)
        return getattr(self.make(), name)


def add_cache_flag(p) -> None:
    p.add_argument("--no-compile-cache", action="store_true",
                   help="do not keep compiled programs on disk (default: kept in "
                   "$AICAPEX_CACHE_DIR/jax or ~/.cache/aicapex/jax, so a later run of the same "
                   "shapes skips JAX compilation; AICAPEX_COMPILE_CACHE=0 also turns it off)")


def add_command(sub, name: str, summary: str, description: str, examples: list[str]
                ) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` says what it does and shows examples."""
    return sub.add_parser(
        name, help=summary, description=description,
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=HelpFormatter)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text wrapped to the terminal, the examples kept as written."""

    def _fill_text(self, text, width, indent):
        if text.startswith("examples:"):
            return super()._fill_text(text, width, indent)
        return "\n\n".join(textwrap.fill(" ".join(par.split()), width, initial_indent=indent,
                                          subsequent_indent=indent)
                            for par in text.split("\n\n"))


def subcommands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of ``p``'s commands, by name (none for a command's own parser)."""
    return {name: sub for a in p._actions if isinstance(a, argparse._SubParsersAction)
            for name, sub in a.choices.items()}


def add_format_flags(p) -> None:
    """``--json`` / ``--csv`` for a listing command."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON (one object per row)")
    g.add_argument("--csv", action="store_true", help="print CSV with a header row")


def print_rows(rows: list[dict], args) -> bool:
    """Print ``rows`` as JSON or CSV if the command was asked to; whether it was."""
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=1))
        return True
    if getattr(args, "csv", False):
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else [])
        w.writeheader()
        w.writerows(rows)
        return True
    return False


def width() -> int:
    """The terminal's width in columns (``COLUMNS`` when set; 80 when unknown)."""
    return shutil.get_terminal_size((80, 24)).columns


def wrapped(text: str, indent: int, columns: int | None = None) -> str:
    """``text`` wrapped to the terminal, every line indented by ``indent`` spaces."""
    pad = " " * indent
    return textwrap.fill(" ".join(text.split()), max(columns or width(), indent + 20),
                         initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False)


def number(v: float) -> str:
    """A number at 4 significant digits (a prior's parameter, a bound)."""
    return f"{v:.4g}"
