"""Where signed documents are archived: a two-method store, so S3 (or similar) can replace the disk.

Signed contracts name the parties, so the local store writes owner-only files; encryption at rest is
the deployment's job (an encrypted volume, or a bucket with server-side encryption).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

#: Keys are ``/``-separated segments of safe characters: no ``..``, no absolute paths, no surprises.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class DocumentStore(Protocol):
    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` (overwriting: a retried activity stores the same bytes) → URI."""
        ...

    def get(self, uri: str) -> bytes:
        """The bytes behind a URI this store returned."""
        ...


def check_key(key: str) -> list[str]:
    """The key's segments; ``ValueError`` for anything that could escape the store's root."""
    parts = key.split("/")
    if not parts or any(not _SEGMENT.match(p) or p in (".", "..") for p in parts):
        raise ValueError(f"invalid document key {key!r}")
    return parts


class LocalDocumentStore:
    """Files under ``root``; URIs are ``file://`` URLs. Writes are atomic (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def put(self, key: str, data: bytes) -> str:
        path = self.root.joinpath(*check_key(key))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path.as_uri()

    def get(self, uri: str) -> bytes:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            raise ValueError(f"not a local document URI: {uri!r}")
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("document URI outside the store")
        return path.read_bytes()
