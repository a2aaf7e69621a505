"""A ``casefac`` helper that reads the wall clock, for ``test_runner_policing`` (never part of the package).

Registered in the host's ``sys.modules`` as ``casefac._clock_probe`` by the test, before any sandbox exists, so
it is exactly what a real helper in ``casefac`` is to the strict runner: a module under a passed-through
prefix (``workers.runner.PASSTHROUGH``), imported once by the host.
"""

from __future__ import annotations

import sys
import types

NAME = "casefac._clock_probe"
SOURCE = '''
from datetime import datetime


def stamp() -> str:
    return datetime.now().isoformat()  # the mistake: a helper reading the wall clock
'''


def register() -> None:
    if NAME not in sys.modules:
        module = types.ModuleType(NAME)
        exec(compile(SOURCE, f"<{NAME}>", "exec"), module.__dict__)
        sys.modules[NAME] = module
