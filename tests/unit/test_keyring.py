"""Key ring: generation, rotation, validation and the on-disk file (atomic, owner-only)."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from casefac.keyring import KEY_BYTES, KeyRing, KeyRingError


def test_generate_has_one_current_aes256_key() -> None:
    ring = KeyRing.generate()
    assert list(ring.keys) == [ring.current]
    assert len(ring.key_bytes(ring.current)) == KEY_BYTES


def test_add_new_key_rotates_and_keeps_old_keys() -> None:
    ring = KeyRing.generate("a")
    old = ring.key_bytes("a")
    new_id = ring.add_new_key()
    assert ring.current == new_id != "a"
    assert ring.key_bytes("a") == old
    assert ring.key_bytes(new_id) != old


def test_add_new_key_without_making_it_current() -> None:
    ring = KeyRing.generate("a")
    staged = ring.add_new_key(make_current=False)
    assert ring.current == "a"
    assert staged in ring.keys


def test_add_existing_key_id_is_refused() -> None:
    ring = KeyRing.generate("a")
    with pytest.raises(KeyRingError, match="'a' already exists"):
        ring.add_new_key(key_id="a")


def test_keys_never_show_in_repr() -> None:
    ring = KeyRing.generate("a")
    secret = ring.keys["a"].get_secret_value()
    assert secret not in repr(ring) and secret not in str(ring)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"current": "b", "keys": {"a": base64.b64encode(b"x" * 32).decode()}}, "current key 'b'"),
        ({"current": "a", "keys": {"a": base64.b64encode(b"x" * 16).decode()}}, "16 bytes"),
        ({"current": "a", "keys": {"a": "not base64!"}}, "not valid base64"),
        ({"current": "a", "keys": {}}, "no keys"),
        ({"current": "a b", "keys": {"a b": base64.b64encode(b"x" * 32).decode()}}, "pattern"),
    ],
)
def test_invalid_documents_are_rejected(tmp_path: Path, document: dict[str, object], message: str) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match=message):
        KeyRing.load(path)


def test_save_is_owner_only_and_round_trips(tmp_path: Path) -> None:
    ring = KeyRing.generate("a")
    ring.add_new_key()
    path = tmp_path / "nested" / "keyring.json"
    ring.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyRing.load(path).to_document() == ring.to_document()
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]  # no temp file left behind


def test_save_replaces_and_keeps_perms(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    ring = KeyRing.generate("a")
    ring.save(path)
    ring.add_new_key(key_id="b")
    ring.save(path)
    assert KeyRing.load(path).current == "b"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_or_create_creates_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "keyring.json"
    first = KeyRing.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = KeyRing.load_or_create(path)
    assert second.to_document() == first.to_document()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="does not exist"):
        KeyRing.load(tmp_path / "nope.json")


def test_world_readable_file_loads_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keyring.json"
    KeyRing.generate("a").save(path)
    path.chmod(0o644)
    KeyRing.load(path)
    assert "chmod 600" in caplog.text
