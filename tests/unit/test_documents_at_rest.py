"""M5: documents on disk are ciphertext under the key ring; old plaintext files still read and are reported.

Attack: a worker disk, snapshot or backup leaks. Before, the signed contract and DocuSign's certificate
(signer names, emails, IP addresses) were plain files; now the file holds nothing readable, and moving a
file to another document's place (another case) fails authentication.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
from pathlib import Path

import pytest

from casefac.documents import DocumentDecryptionError, LocalDocumentStore, document_store, is_sealed
from casefac.keyring import KeyRing
from casefac.settings import Settings

CERTIFICATE = (b"%PDF-1.7 Certificate of Completion: Ana Luc\xc3\xada P\xc3\xa9rez Xol "
               b"ana@defensores.example 181.174.1.9")
KEY = "JIM-2026-0042/contract-r2/env-1-certificate.pdf"


def test_the_file_on_disk_reveals_nothing(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "docs", keyring=KeyRing.generate("doc-key"))
    uri = store.put(KEY, CERTIFICATE)
    on_disk = (tmp_path / "docs" / KEY).read_bytes()
    assert is_sealed(on_disk) and b"doc-key" in on_disk[:40]  # header: magic, key id, nonce
    for secret in (b"Ana", b"P\xc3\xa9rez", b"defensores", b"181.174", b"Certificate"):
        assert secret not in on_disk
    assert store.get(uri) == CERTIFICATE
    assert stat.S_IMODE((tmp_path / "docs" / KEY).stat().st_mode) == 0o600


def test_the_sha256_callers_record_is_of_the_plaintext(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path, keyring=KeyRing.generate("k"))
    assert hashlib.sha256(store.get(store.put(KEY, CERTIFICATE))).hexdigest() == hashlib.sha256(CERTIFICATE).hexdigest()


def test_a_document_moved_to_another_case_does_not_open(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path, keyring=KeyRing.generate("k"))
    store.put(KEY, CERTIFICATE)
    other = "JIM-2026-0043/contract-r2/env-1-certificate.pdf"
    (tmp_path / other).parent.mkdir(parents=True)
    shutil.copy(tmp_path / KEY, tmp_path / other)
    with pytest.raises(DocumentDecryptionError, match="failed authentication"):
        store.get((tmp_path / other).as_uri())


def test_tampering_and_a_missing_key_are_errors(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path, keyring=KeyRing.generate("k"))
    uri = store.put(KEY, CERTIFICATE)
    raw = bytearray((tmp_path / KEY).read_bytes())
    raw[-1] ^= 1
    (tmp_path / KEY).write_bytes(bytes(raw))
    with pytest.raises(DocumentDecryptionError, match="failed authentication"):
        store.get(uri)
    store.put(KEY, CERTIFICATE)
    with pytest.raises(DocumentDecryptionError, match="not in the key ring"):
        LocalDocumentStore(tmp_path, keyring=KeyRing.generate("other")).get(uri)


def test_rotation_keeps_old_documents_readable(tmp_path: Path) -> None:
    ring = KeyRing.generate("old")
    uri = LocalDocumentStore(tmp_path, keyring=ring).put(KEY, CERTIFICATE)
    ring.add_new_key(key_id="new")
    assert LocalDocumentStore(tmp_path, keyring=ring).get(uri) == CERTIFICATE


def test_old_plaintext_documents_still_read_and_are_reported(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    uri = LocalDocumentStore(tmp_path).put(KEY, CERTIFICATE)  # as written before encryption at rest
    store = LocalDocumentStore(tmp_path, keyring=KeyRing.generate("k"))
    with caplog.at_level(logging.WARNING, logger="casefac.documents"):
        assert store.get(uri) == CERTIFICATE
    assert store.plaintext_reads == [KEY]
    assert "stored unencrypted" in caplog.text and "Ana" not in caplog.text


def test_the_workers_store_encrypts_with_the_settings_ring(tmp_path: Path) -> None:
    KeyRing.generate("worker-key").save(tmp_path / "keyring.json")
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    store = document_store(settings)
    uri = store.put(KEY, CERTIFICATE)
    assert is_sealed((settings.documents_path / KEY).read_bytes())
    assert store.get(uri) == CERTIFICATE
