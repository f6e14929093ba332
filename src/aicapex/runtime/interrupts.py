"""Signals that stop a run, remembered as well as raised.

Python runs a signal handler between bytecodes of whatever code is running; when that is a
garbage-collector callback, a ``__del__`` or a weakref callback (JAX installs a gc callback),
the exception the handler raises is printed as "Exception ignored in ..." and dropped, and the
run would carry on to write its outputs. So the CLI's handlers also record the signal here, and
``check()`` — called once per chunk and just before an output directory is renamed into place
— raises it again; and the "Exception ignored" report of that dropped exception, a traceback
that looks like a crash, is not printed (``quiet_swallowed``). Library users who install no
handler are unaffected (nothing is recorded).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

_PENDING: list[int] = []


def exception_for(signum: int) -> BaseException:
    """What a signal raises: ``KeyboardInterrupt`` for SIGINT, ``SystemExit(128 + n)`` else."""
    if signum == signal.SIGINT:
        return KeyboardInterrupt()
    return SystemExit(128 + signum)


def handler(signum, frame) -> None:
    """Signal handler: remember the signal, then raise its exception."""
    _PENDING.append(int(signum))
    raise exception_for(signum)


def install() -> None:
    """Stop on SIGINT and SIGTERM by exception, so that ``finally`` blocks and the output
    writers clean up. SIGINT is set explicitly: a process started in the background by a
    non-interactive shell inherits it ignored, and Python then raises no KeyboardInterrupt."""
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    quiet_swallowed()


def quiet_swallowed() -> None:
    """Let ``sys.unraisablehook`` drop the report of an interrupt that Python could not raise
    (in a ``__del__`` or gc callback) once a signal is recorded: ``check()`` raises it again.
    Anything else still goes to the hook that was there before."""
    previous = sys.unraisablehook
    if getattr(previous, "_aicapex_quiet", False):
        return

    def hook(unraisable) -> None:
        if _PENDING and isinstance(unraisable.exc_value, KeyboardInterrupt | SystemExit):
            return
        previous(unraisable)
    hook._aicapex_quiet = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def pending() -> int | None:
    """The first signal recorded since ``clear()``, if any."""
    return _PENDING[0] if _PENDING else None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block (an import of JAX and NumPy, whose C
    initialisation cut short by a signal printed a traceback or aborted the process): a
    signal sent meanwhile is delivered, and handled as usual, when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def check() -> None:
    """Raise again a signal whose exception may have been swallowed."""
    if _PENDING:
        raise exception_for(_PENDING[0])


def clear() -> None:
    """Forget recorded signals (tests; a new command in the same process)."""
    _PENDING.clear()
