"""Ending a casefac process: flush, then leave without interpreter finalization.

The Temporal SDK's native runtime keeps threads that can crash while Python finalizes after a failed
connection (observed with temporalio 1.35: exit 134 or 139 right after the one-line error was printed), which
would turn "Temporal unreachable, exit 1" into an abort. Everything that must happen on the way out has
happened by then (workers shut down, children stopped, files closed), so the process flushes its streams
and logs and exits with the code it meant.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable


def run_then_exit(entry: Callable[[], object]) -> None:
    """Run ``entry`` (which may ``sys.exit``) and exit the process with its code, skipping finalization."""
    try:
        entry()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
