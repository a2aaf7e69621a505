"""AES-256-GCM payload codec: round trip, rotation, tamper/unknown key errors, plain pass-through."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload

from casefac.codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
    codec_from_settings,
    converter_from_settings,
)
from casefac.keyring import KeyRing, KeyRingError
from casefac.settings import Settings


def _payload(text: str = "Ana López, Tegucigalpa") -> Payload:
    return Payload(metadata={"encoding": b"json/plain", "messageType": b"x"}, data=f'"{text}"'.encode())


async def test_round_trip_and_ciphertext_hides_plaintext() -> None:
    codec = EncryptionCodec(KeyRing.generate("a"))
    original = [_payload(), _payload("second")]
    encoded = await codec.encode(original)
    for payload in encoded:
        assert payload.metadata["encoding"] == ENCODING
        assert payload.metadata[KEY_ID_METADATA] == b"a"
        assert b"Tegucigalpa" not in payload.data and b"json/plain" not in payload.data
    assert await codec.decode(encoded) == original


async def test_same_payload_encrypts_differently_each_time() -> None:
    codec = EncryptionCodec(KeyRing.generate("a"))
    first, second = await codec.encode([_payload(), _payload()])
    assert first.data != second.data  # random nonce


async def test_rotation_old_payloads_decode_new_ones_use_new_key() -> None:
    ring = KeyRing.generate("a")
    old = await EncryptionCodec(ring).encode([_payload("old")])
    ring.add_new_key(key_id="b")
    rotated = EncryptionCodec(ring)
    assert await rotated.decode(old) == [_payload("old")]
    new = await rotated.encode([_payload("new")])
    assert new[0].metadata[KEY_ID_METADATA] == b"b"
    assert await rotated.decode(new) == [_payload("new")]


async def test_tampered_ciphertext_names_key_id() -> None:
    codec = EncryptionCodec(KeyRing.generate("a"))
    [payload] = await codec.encode([_payload()])
    data = bytearray(payload.data)
    data[-1] ^= 0x01
    tampered = Payload(metadata=dict(payload.metadata), data=bytes(data))
    with pytest.raises(PayloadDecryptionError, match="'a' failed authentication") as info:
        await codec.decode([tampered])
    assert info.value.key_id == "a"


async def test_relabelled_key_id_fails_authentication() -> None:
    """The key id is associated data: pointing a payload at another key never 'decrypts'."""
    ring = KeyRing.generate("a")
    ring.add_new_key(key_id="b", make_current=False)
    codec = EncryptionCodec(ring)
    [payload] = await codec.encode([_payload()])
    relabelled = Payload(metadata={**payload.metadata, KEY_ID_METADATA: b"b"}, data=payload.data)
    with pytest.raises(PayloadDecryptionError, match="'b' failed authentication"):
        await codec.decode([relabelled])


async def test_unknown_key_id_is_an_error_naming_it() -> None:
    [payload] = await EncryptionCodec(KeyRing.generate("gone")).encode([_payload()])
    with pytest.raises(PayloadDecryptionError, match=r"'gone'.*not in the key ring") as info:
        await EncryptionCodec(KeyRing.generate("other")).decode([payload])
    assert info.value.key_id == "gone"


async def test_missing_key_id_and_truncated_data_are_errors() -> None:
    codec = EncryptionCodec(KeyRing.generate("a"))
    with pytest.raises(PayloadDecryptionError, match="no 'encryption-key-id'"):
        await codec.decode([Payload(metadata={"encoding": ENCODING}, data=b"x" * 40)])
    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await codec.decode([Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: b"a"}, data=b"x")])


async def test_plain_payloads_pass_through_decode_only_for_fixtures_that_opt_out() -> None:
    """Strict by default (tests/codec/test_codec_strict.py); a fixture may opt out on the constructor."""
    codec = EncryptionCodec(KeyRing.generate("a"), allow_plaintext=True)
    plain = [_payload(), Payload(metadata={"encoding": b"binary/null"})]
    assert await codec.decode(plain) == plain


class _Sample(BaseModel):
    name: str
    amount: int


async def test_converter_from_settings_round_trips_pydantic(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, keyring_file=tmp_path / "ring.json")  # type: ignore[call-arg]
    with pytest.raises(KeyRingError, match="does not exist"):
        codec_from_settings(settings)
    converter = converter_from_settings(settings, create=True)
    assert (tmp_path / "ring.json").exists()
    [encoded] = await converter.encode([_Sample(name="Ana", amount=12300)])
    assert encoded.metadata["encoding"] == ENCODING
    assert await converter.decode([encoded], [_Sample]) == [_Sample(name="Ana", amount=12300)]
    # A second process reading the same ring decodes what the first wrote.
    assert await converter_from_settings(settings).decode([encoded], [_Sample]) == [
        _Sample(name="Ana", amount=12300)
    ]
