"""Ctrl-C in the ``benchalign`` command: one clear line and exit code 130, from process start.

The command line loads numpy, pandas, scipy and click before it can run anything (a second or
more on a busy machine). An interrupt in that time would otherwise print a traceback of whatever
was importing and end the process by the signal (exit code -2). :func:`guard_startup`, called
first thing by the package when it is loaded as the ``benchalign`` command, ends the process at
once with the message below instead; the command group calls :func:`end_startup` when the
command starts, so that from then on Ctrl-C raises ``KeyboardInterrupt``, the atomic writers
remove their temporary files, and the group prints the same message. Library users importing
benchalign keep Python's own handling.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

MESSAGE = "interrupted: stopped before writing any output file."
EXIT_CODE = 130


def _started_as_command() -> bool:
    """Whether this process is the ``benchalign`` console script or ``python -m benchalign``."""
    if Path(sys.argv[0]).stem == "benchalign":
        return True
    argv = list(getattr(sys, "orig_argv", []))
    return sys.argv[0] == "-m" and any(a == "-m" and b == "benchalign" for a, b in zip(argv, argv[1:]))


def _exit_interrupted(signum: int, frame: object) -> None:
    sys.stderr.write(MESSAGE + "\n")
    sys.stderr.flush()
    os._exit(EXIT_CODE)  # nothing is written before the command starts: nothing to clean up


def guard_startup() -> None:
    """Make Ctrl-C end the process cleanly while the command line loads (command only)."""
    if _started_as_command() and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _exit_interrupted)


def end_startup() -> None:
    """From now on Ctrl-C raises ``KeyboardInterrupt`` (if the start-up guard was installed)."""
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is _exit_interrupted):
        signal.signal(signal.SIGINT, signal.default_int_handler)
