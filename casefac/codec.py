"""AES-256-GCM payload codec: everything Temporal stores for a case is ciphertext (DESIGN §6).

Encode wraps each serialized ``Payload`` with the ring's current key; decode picks the key by the id in
the metadata, so rotated-out keys keep old histories readable.

**Binding (review m6).** The SDK tells a codec which workflow a payload belongs to
(``WithSerializationContext``: the workflow id of a start, signal, update, query, activity input or
result). Each payload is bound to that workflow: its id is written into the clear metadata (workflow ids
are clear in Temporal anyway) and into the associated data together with the key id, so rewriting either
fails authentication. Decoding *with* a context refuses a payload bound to another workflow: an update
captured from case A cannot be replayed into case B. Decoding *without* a context (the codec service for
the Web UI, history readers) reads any binding, because it only displays.

**Strict (review C2 §1).** An unencrypted payload is refused on decode: with AEAD, "decrypts under a
ring key" means "was written by a key holder", so someone with namespace access but no key ring cannot
feed a workflow plain inputs, signals or updates. The one exception is what the SDK writes past the
codec, ``workflow.patched`` marker details (``{"id": ..., "deprecated": ...}``). Test fixtures that feed
plain payloads on purpose opt out with ``allow_plaintext=True`` on the constructor; no setting does.
A refused update is rejected with its workflow task; a refused signal or input fails the workflow task
on every attempt, loudly, until an operator resets the workflow past the forged event. Whoever could write
that event could terminate the case as well, so this adds no denial of service.

**Legacy payloads.** Before the binding the associated data was the key id alone. Such payloads (no
workflow-id metadata) still decrypt, but only under a key the ring lists in ``legacy_aad_keys`` (keys
that existed before the binding; a ring file written before it lists all its keys). New payloads are
always bound, whatever the key; keys created since never accept the old form. The window closes when the
cases that hold old payloads have closed: then remove their ids from ``legacy_aad_keys`` in the ring.

An encrypted payload that cannot be decrypted is always an error that names its key id, never a silent
pass-through: a workflow acting on a garbled input is worse than a workflow task that fails and retries
until an operator supplies the missing key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from casefac.converter import data_converter
from casefac.keyring import KeyRing

if TYPE_CHECKING:
    from casefac.settings import Settings
ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
#: The workflow the payload is bound to, in the clear ("" = encoded outside any workflow).
WORKFLOW_ID_METADATA = "encryption-workflow-id"
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_V2 = b"casefac-aad-v2\x00"
#: Temporal names a scheduled run ``<action workflow id>-<nominal time, RFC 3339>``.
_SCHEDULED_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")
#: Workflow-id families started by schedules (``starters.schedules``): only these get the suffix rule,
#: so a case's payload never reads in a look-alike ``case-…-<time>`` workflow.
SCHEDULED_PREFIXES = ("digest-",)


class PayloadDecryptionError(ValueError):
    """An encrypted payload could not be decrypted; ``key_id`` says which key it needs."""

    def __init__(self, key_id: str | None, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class PlaintextRefused(PayloadDecryptionError):
    """A payload arrived unencrypted: nobody holding the key ring wrote it."""


class WorkflowBindingError(PayloadDecryptionError):
    """A payload bound to one workflow was presented to another (or was never bound)."""


def _aad(key_id: str, workflow_id: str) -> bytes:
    return _AAD_V2 + key_id.encode("utf-8") + b"\x00" + workflow_id.encode("utf-8")


def context_workflow_id(context: SerializationContext | None) -> str | None:
    """The workflow a context speaks for; "" for an activity outside any workflow; None without context."""
    if isinstance(context, WorkflowSerializationContext):
        return context.workflow_id
    if isinstance(context, ActivitySerializationContext):
        return context.workflow_id or ""
    return None


def binding_matches(bound: str, expected: str) -> bool:
    """Same workflow, or a scheduled run reading what its schedule encoded with the action's id."""
    if bound == expected:
        return True
    return (bound.startswith(SCHEDULED_PREFIXES) and expected.startswith(bound)
            and _SCHEDULED_SUFFIX.fullmatch(expected[len(bound):]) is not None)


#: Every ``workflow.patched`` id of this codebase (the ``*_PATCH`` constants of ``workflows/``; a test keeps the
#: two equal). Only a marker naming one of these passes the codec as plaintext.
KNOWN_PATCH_IDS: frozenset[str] = frozenset({
    "agreement-confirm",
    "agreement-confirm-again",
    "agreement-live-waiters",
    "agreement-withdraw",
    "attention-list",
    "beside-failure-flagged",
    "can-any-stage",
    "cancel-settles-money",
    "caps-enforced",
    "case-record",
    "contract-clock",
    "contract-frozen-signing",
    "envelope-confirm",
    "four-eyes-cumulative",
    "invoice-truth",
    "local-deadlines",
    "local-reminders",
    "mail-chunks",
    "mail-outbox",
    "money-retry-key",
    "money-view",
    "neutral-invoice-text",
    "no-notice-after-cancel",
    "no-op-task-save",
    "offer-mail-pause",
    "payout-after-void-loss",
    "payout-beside-invoice",
    "payout-four-eyes",
    "refund-credit-recorded",
    "reminder-cap",
    "retry-resends-mails",
    "staff-directory",
    "store-documents-beside",
    "uncollectible-decides",
    "update-wins-over-timer",
})


def is_patch_marker(payload: Payload) -> bool:
    """``workflow.patched`` marker details, the one payload the SDK writes past the codec.

    Exactly what the SDK's core writes (in the ``patch-data`` details of a ``core_patch`` marker event):
    ``json/plain`` as its only metadata and the compact ``{"id":…,"deprecated":…}`` of a known patch id. The
    codec's callers (the UI's ``/decode``) pass payloads without their event, so the id bound is what keeps a
    plaintext "input" shaped like a marker from passing: it can then only be one of these fixed strings.
    """
    if payload.metadata.get("encoding") != b"json/plain" or set(payload.metadata) != {"encoding"}:
        return False
    try:
        data = json.loads(payload.data)
    except ValueError:
        return False
    if not (isinstance(data, dict) and set(data) == {"id", "deprecated"} and isinstance(data["id"], str)
            and isinstance(data["deprecated"], bool)):
        return False
    written = json.dumps({"id": data["id"], "deprecated": data["deprecated"]}, separators=(",", ":"))
    return data["id"] in KNOWN_PATCH_IDS and payload.data == written.encode()


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """Encrypts with the key ring's current key, decrypts with whichever key the payload names."""

    def __init__(self, keyring: KeyRing, *, allow_plaintext: bool = False) -> None:
        # AESGCM objects are built once: key setup is the costly part, encryption itself is cheap.
        self._current = keyring.current
        self._ciphers = {key_id: AESGCM(raw) for key_id, raw in keyring.raw_keys().items()}
        self._legacy = frozenset(keyring.legacy_aad_keys or ())
        self._allow_plaintext = allow_plaintext
        #: None: no context (decode reads any binding); "": outside a workflow; else the workflow id.
        self._workflow_id: str | None = None

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        bound = object.__new__(EncryptionCodec)
        bound.__dict__.update(self.__dict__)
        bound._workflow_id = context_workflow_id(context)
        return bound

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    @property
    def allow_plaintext(self) -> bool:
        return self._allow_plaintext

    @property
    def workflow_id(self) -> str | None:
        return self._workflow_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload, *, workflow_id: str | None = None) -> Payload:
        """One payload → ``nonce ‖ ciphertext ‖ tag`` of its serialized proto, bound to its workflow."""
        key_id = self._current
        bound = workflow_id if workflow_id is not None else (self._workflow_id or "")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(key_id, bound))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode("utf-8"),
                      WORKFLOW_ID_METADATA: bound.encode("utf-8")},
            data=nonce + sealed,
        )

    @staticmethod
    def bound_workflow(payload: Payload) -> str | None:
        """The workflow id an encrypted payload names in the clear (None: unencrypted or legacy)."""
        raw = payload.metadata.get(WORKFLOW_ID_METADATA)
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload; refuses plaintext (but patch markers) and payloads of another workflow."""
        if payload.metadata.get("encoding") != ENCODING:
            if self._allow_plaintext or is_patch_marker(payload):
                return payload
            raise PlaintextRefused(None, "payload is not encrypted: only a key-ring holder may write casefac "
                                         "inputs, signals and updates (plaintext refused)")
        return self.open_sealed(payload)

    def open_sealed(self, payload: Payload) -> Payload:
        """Decrypt an encrypted payload, checking its workflow binding when this codec has a context."""
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_id is None:
            raise PayloadDecryptionError(None, f"encrypted payload has no {KEY_ID_METADATA!r} metadata")
        key_id = raw_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                key_id, f"payload is encrypted with key {key_id!r}, which is not in the key ring")
        if len(payload.data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(key_id, f"payload encrypted with key {key_id!r} is truncated")
        bound = self.bound_workflow(payload)
        if bound is None:
            if key_id not in self._legacy:
                raise WorkflowBindingError(key_id, f"payload under key {key_id!r} has no workflow binding, but "
                                                   "that key does not predate workflow binding")
            aad = raw_id
        else:
            if self._workflow_id is not None and not binding_matches(bound, self._workflow_id):
                where = f"bound to workflow {bound!r}" if bound else "not bound to a workflow"
                raise WorkflowBindingError(key_id, f"payload is {where}, refused in {self._workflow_id!r} "
                                                   "(replayed from elsewhere?)")
            aad = _aad(key_id, bound)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, aad)
        except InvalidTag as exc:
            raise PayloadDecryptionError(
                key_id, f"payload encrypted with key {key_id!r} failed authentication "
                        "(tampered, or the key under that id is not the one that encrypted it)") from exc
        original = Payload()
        original.ParseFromString(plaintext)
        return original

    def _legacy_encrypt_for_tests(self, payload: Payload, key_id: str) -> Payload:
        """A payload as the codec wrote it before the binding (AAD = key id): for migration tests only."""
        nonce = os.urandom(NONCE_BYTES)
        raw_id = key_id.encode("utf-8")
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), raw_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: raw_id}, data=nonce + sealed)


def codec_from_settings(settings: Settings, *, create: bool = False) -> EncryptionCodec:
    """The codec for ``settings.keyring_path``; ``create=True`` (``casefac up``) makes the ring if missing.

    Everything else loads only, so a worker pointed at the wrong path fails loudly instead of inventing a
    key that cannot read the existing histories. In live mode a ring file readable by others is refused
    (review m6). Strict always: plaintext is never accepted because of a setting.
    """
    path = settings.keyring_path
    owner_only = settings.mode == "live"
    ring = KeyRing.load_or_create(path) if create else KeyRing.load(path, owner_only=owner_only)
    return EncryptionCodec(ring)


def converter_from_settings(settings: Settings, *, create: bool = False) -> DataConverter:
    """The project's pydantic data converter wrapped with the encryption codec from ``settings``."""
    return data_converter(codec_from_settings(settings, create=create))


__all__ = [
    "ENCODING",
    "KEY_ID_METADATA",
    "KNOWN_PATCH_IDS",
    "SCHEDULED_PREFIXES",
    "WORKFLOW_ID_METADATA",
    "EncryptionCodec",
    "PayloadDecryptionError",
    "PlaintextRefused",
    "WorkflowBindingError",
    "binding_matches",
    "codec_from_settings",
    "context_workflow_id",
    "converter_from_settings",
    "is_patch_marker",
]
