"""The local document store: atomic, owner-only, no path escapes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from casefac.documents import DocumentStore, LocalDocumentStore


def test_put_get_round_trip(tmp_path: Path) -> None:
    store: DocumentStore = LocalDocumentStore(tmp_path / "docs")
    uri = store.put("JIM-2026-0042/contract-r3/env-combined.html", b"<p>signed</p>")
    assert uri.startswith("file://")
    assert store.get(uri) == b"<p>signed</p>"
    assert store.get(store.put("JIM-2026-0042/contract-r3/env-combined.html", b"v2")) == b"v2"
    path = tmp_path / "docs" / "JIM-2026-0042" / "contract-r3" / "env-combined.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["env-combined.html"]  # no temp files left


@pytest.mark.parametrize("key", ["../escape", "/abs/path", "a//b", "a/../b", "", ".hidden", "a/b c"])
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        LocalDocumentStore(tmp_path).put(key, b"x")


def test_uri_outside_the_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"x")
    store = LocalDocumentStore(tmp_path / "docs")
    with pytest.raises(ValueError):
        store.get((tmp_path / "secret").as_uri())
    with pytest.raises(ValueError):
        store.get("s3://bucket/key")
