"""Per-data-dir random secrets for the local stack (review M6/m9): no secret ships as a constant.

``casefac up`` creates ``<data dir>/dev-secrets.json`` (0600) once, the way it creates the key ring, and
every process that reads settings with that data dir (the gateway, the worker, the sandbox, a CLI in
another terminal) uses its values for whatever the environment does not set. So links and webhooks of a
local stack are signed with secrets nobody else has, and nothing secret is on a command line or in
``stack.json``. Live mode never reads this file: it requires real values.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from pathlib import Path

FILE_NAME = "dev-secrets.json"


def path_in(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def generate() -> dict[str, str]:
    return {
        "link_secret": secrets.token_urlsafe(48),
        "stripe_webhook_secret": "whsec_" + secrets.token_urlsafe(32),
        "docusign_connect_hmac_key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
    }


def load(data_dir: Path) -> dict[str, str] | None:
    """The data dir's dev secrets, or None when there are none (yet) or the file is unreadable."""
    try:
        data = json.loads(path_in(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else None


def load_or_create(data_dir: Path) -> tuple[dict[str, str], bool]:
    """The secrets, created 0600 from the first byte when missing; True when created now."""
    found = load(data_dir)
    if found is not None:
        return found, False
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    values = generate()
    path = path_in(data_dir)
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
    os.replace(tmp, path)
    return values, True


__all__ = ["FILE_NAME", "generate", "load", "load_or_create", "path_in"]
