"""m6: which keys still read payloads written before workflow binding, and the live-mode permission refusal."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from casefac.keyring import KeyRing, KeyRingError


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_ring_file_from_before_the_binding_marks_all_its_keys_legacy(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    path.write_text(json.dumps({"current": "old", "keys": {"old": _key(), "older": _key()}}))
    os.chmod(path, 0o600)
    ring = KeyRing.load(path)
    assert ring.legacy_aad_keys == ["old", "older"]
    new = ring.add_new_key(key_id="new")
    ring.save(path)
    again = KeyRing.load(path)
    assert again.current == new and again.legacy_aad_keys == ["old", "older"]  # the new key never reads unbound


def test_a_fresh_ring_has_no_legacy_keys() -> None:
    assert KeyRing.generate("k").legacy_aad_keys == []
    assert KeyRing.generate("k").to_document()["legacy_aad_keys"] == []


def test_legacy_keys_must_be_in_the_ring() -> None:
    with pytest.raises(ValueError, match="not in the ring"):
        KeyRing.model_validate({"current": "a", "keys": {"a": _key()}, "legacy_aad_keys": ["ghost"]})


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o700, 0o660])
def test_owner_only_refuses_a_wider_file(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ring.json"
    KeyRing.generate("k").save(path)
    os.chmod(path, mode)
    with pytest.raises(KeyRingError, match="chmod 600"):
        KeyRing.load(path, owner_only=True)
    assert KeyRing.load(path).current == "k"  # elsewhere a warning only
