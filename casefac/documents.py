"""Where signed documents are archived: a two-method store, so S3 (or similar) can replace the disk.

Signed contracts name the parties and DocuSign's certificate of completion lists signers' names, emails
and IP addresses, so the local store encrypts them at rest with the key ring (review M5): AES-256-GCM
under the ring's current key, in a file that starts with a header (magic, key id, nonce), the document
key bound as associated data so a file moved to another case's key no longer opens. ``put`` takes and
``get`` returns the plaintext, so callers (and their sha256 of the plaintext) are unchanged.

Files written before encryption (no header) still read, and each such read is reported (a warning
naming the key, and :attr:`LocalDocumentStore.plaintext_reads`), so an operator can re-store them.
Without a key ring (``keyring=None``) the store writes plaintext: unit tests only; the worker builds its
store with :func:`document_store` and the ring.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlparse

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casefac.keyring import KeyRing

if TYPE_CHECKING:
    from casefac.settings import Settings

log = logging.getLogger(__name__)

#: Keys are ``/``-separated segments of safe characters: no ``..``, no absolute paths, no surprises.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAGIC = b"casefac-doc\x01"
NONCE_BYTES = 12


class DocumentDecryptionError(ValueError):
    """A stored document could not be decrypted (missing key, tampered, or moved from another key)."""


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


def _aad(key_id: str, document_key: str) -> bytes:
    return MAGIC + key_id.encode("ascii") + b"\x00" + document_key.encode("utf-8")


def seal(ring: KeyRing, document_key: str, data: bytes) -> bytes:
    """``MAGIC ‖ len(key id) ‖ key id ‖ nonce ‖ ciphertext+tag`` under the ring's current key."""
    key_id = ring.current
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key_bytes(key_id)).encrypt(nonce, data, _aad(key_id, document_key))
    raw_id = key_id.encode("ascii")
    return MAGIC + bytes([len(raw_id)]) + raw_id + nonce + sealed


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def open_sealed(ring: KeyRing, document_key: str, blob: bytes) -> bytes:
    at = len(MAGIC)
    if len(blob) < at + 1:
        raise DocumentDecryptionError(f"document {document_key!r} is truncated")
    id_len = blob[at]
    key_id = blob[at + 1:at + 1 + id_len].decode("ascii", errors="replace")
    body = blob[at + 1 + id_len:]
    if key_id not in ring.keys:
        raise DocumentDecryptionError(f"document {document_key!r} is encrypted with key {key_id!r}, "
                                      "which is not in the key ring")
    try:
        return AESGCM(ring.key_bytes(key_id)).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:],
                                                      _aad(key_id, document_key))
    except (InvalidTag, ValueError) as exc:
        raise DocumentDecryptionError(f"document {document_key!r} under key {key_id!r} failed authentication "
                                      "(tampered, or moved from another document's place)") from exc


class LocalDocumentStore:
    """Files under ``root``; URIs are ``file://`` URLs. Writes are atomic (temp file, fsync, rename).

    ``keyring`` (a ring, or a function that loads one on first use) turns encryption at rest on.
    """

    def __init__(self, root: Path, keyring: KeyRing | Callable[[], KeyRing] | None = None) -> None:
        self.root = root.resolve()
        self._ring_source = keyring
        self._ring: KeyRing | None = keyring if isinstance(keyring, KeyRing) else None
        #: Document keys read in plaintext (written before encryption at rest): to re-store.
        self.plaintext_reads: list[str] = []

    @property
    def encrypts(self) -> bool:
        return self._ring_source is not None

    def _keyring(self) -> KeyRing | None:
        if self._ring is None and callable(self._ring_source):
            self._ring = self._ring_source()
        return self._ring

    def put(self, key: str, data: bytes) -> str:
        path = self.root.joinpath(*check_key(key))
        ring = self._keyring()
        blob = seal(ring, key, data) if ring is not None else data
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
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
        key = path.relative_to(self.root).as_posix()
        blob = path.read_bytes()
        if is_sealed(blob):
            ring = self._keyring()
            if ring is None:
                raise DocumentDecryptionError(f"document {key!r} is encrypted, but this store has no key ring")
            return open_sealed(ring, key, blob)
        if self.encrypts:
            self.plaintext_reads.append(key)
            log.warning("document %s is stored unencrypted (written before encryption at rest); store it "
                        "again to encrypt it", key)
        return blob


def document_store(settings: Settings) -> LocalDocumentStore:
    """The worker's store: ``settings.documents_path``, encrypted with the key ring (loaded on first use)."""
    return LocalDocumentStore(settings.documents_path,
                              keyring=lambda: KeyRing.load(settings.keyring_path, owner_only=settings.mode == "live"))


__all__ = ["DocumentDecryptionError", "DocumentStore", "LocalDocumentStore", "check_key", "document_store",
           "is_sealed", "open_sealed", "seal"]
