"""Signed staff assertions: who (a staff key) asked for which update on which workflow, over which payload.

Temporal gives a workflow no authenticated caller: anyone with namespace access can send an update that
*says* ``actor: staff coord.ana``. So the CLI signs every staff update with the member's Ed25519 key and
the workflow verifies it against the staff directory (review C2 §3). Verifying Ed25519 is deterministic,
so it may run in a workflow's update validator; the clock it checks expiry against is the caller's
(``workflow.now()`` there), never the wall clock.

Token format (compact, URL-safe, at most a few hundred bytes)::

    csa1.<base64url(JSON claims)>.<base64url(Ed25519 signature over "csa1.<claims part>")>

Claims: ``kid`` (the key's fingerprint), ``sub`` (staff id), ``role``, ``wid`` (workflow id), ``upd``
(update name), ``dig`` (hex SHA-256 of the canonical JSON payload without its ``assertion`` field),
``iat`` / ``exp`` (Unix seconds), ``nonce`` (16 random bytes, base64url).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PREFIX = "csa1"
#: How long a CLI assertion lives: long enough for a slow network and one refresh-and-retry.
DEFAULT_LIFETIME = timedelta(minutes=5)
#: The longest lifetime a verifier accepts (a signer cannot mint a long-lived token).
MAX_LIFETIME = timedelta(minutes=15)
#: Tolerated clock skew between the staff laptop and the Temporal server (an ``iat`` in the future).
CLOCK_SKEW = timedelta(minutes=2)


class AssertionRefused(ValueError):
    """An assertion that must be refused; the message says why (it reaches the CLI as the rejection)."""


class Claims(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str = Field(min_length=8, max_length=64)
    sub: str = Field(min_length=1, max_length=40)
    role: str = Field(min_length=1, max_length=20)
    wid: str = Field(min_length=1, max_length=200)
    upd: str = Field(min_length=1, max_length=100)
    dig: str = Field(pattern=r"^[0-9a-f]{64}$")
    iat: int
    exp: int
    nonce: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.iat, UTC)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.exp, UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise AssertionRefused("assertion: malformed")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:  # canonical encoding only: one token, one spelling
        raise AssertionRefused("assertion: malformed")
    return raw


# ------------------------------------------------------------------------------------------ keys
def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """The key id: the first 16 bytes of SHA-256 over the raw public key, hex (what ``staff list`` shows)."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key_bytes(key)).decode("ascii")


def load_public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))


# -------------------------------------------------------------------------------------- payloads
def canonical_payload(payload: Any) -> bytes:
    """The bytes the digest covers: the payload as JSON, keys sorted, no whitespace, without ``assertion``.

    The CLI passes the message's ``model_dump(mode="json")``; the workflow the dict the data converter
    decoded from the same JSON, so both sides see the same values.
    """
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    if not isinstance(payload, dict):
        raise AssertionRefused("assertion: the update's payload is not an object")
    body = {k: v for k, v in payload.items() if k != "assertion"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload_digest(payload: Any) -> str:
    return hashlib.sha256(canonical_payload(payload)).hexdigest()


# ------------------------------------------------------------------------------------- sign/verify
def sign(private_key: Ed25519PrivateKey, *, staff_id: str, role: str, workflow_id: str, update: str,
         payload: Any, now: datetime, lifetime: timedelta = DEFAULT_LIFETIME, nonce: str | None = None) -> str:
    """An assertion for one update; ``nonce`` is random unless given (tests)."""
    claims = Claims(kid=fingerprint(public_key_bytes(private_key.public_key())), sub=staff_id, role=role,
                    wid=workflow_id, upd=update, dig=payload_digest(payload), iat=int(now.timestamp()),
                    exp=int((now + lifetime).timestamp()), nonce=nonce or _b64(secrets.token_bytes(16)))
    body = _b64(json.dumps(claims.model_dump(), sort_keys=True, separators=(",", ":")).encode("utf-8"))
    signed = f"{PREFIX}.{body}"
    return f"{signed}.{_b64(private_key.sign(signed.encode('ascii')))}"


def peek(token: str) -> Claims:
    """The claims WITHOUT checking the signature: to find the key id, or the nonce for an update id."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise AssertionRefused("assertion: malformed")
    try:
        return Claims.model_validate_json(_unb64(parts[1]))
    except (ValidationError, ValueError):
        raise AssertionRefused("assertion: malformed") from None


def verify(token: str, public_key: Ed25519PublicKey, *, workflow_id: str, update: str, payload: Any,
           now: datetime) -> Claims:
    """The claims of a genuine, current assertion for exactly this update; else ``AssertionRefused``.

    Checks, in order: shape, signature, key id, workflow, update, payload digest, lifetime. Replay (the
    nonce) and who the key belongs to are the caller's business: they need the workflow's state.
    """
    claims = peek(token)
    prefix, body, sig = token.split(".")
    try:
        public_key.verify(_unb64(sig), f"{prefix}.{body}".encode("ascii"))
    except InvalidSignature:
        raise AssertionRefused("assertion: the signature does not verify") from None
    if claims.kid != fingerprint(public_key_bytes(public_key)):
        raise AssertionRefused("assertion: signed by another key than it names")
    if claims.wid != workflow_id:
        raise AssertionRefused("assertion: made for another case")
    if claims.upd != update:
        raise AssertionRefused("assertion: made for another action")
    if claims.dig != payload_digest(payload):
        raise AssertionRefused("assertion: the payload was changed after it was signed")
    if claims.exp - claims.iat > MAX_LIFETIME.total_seconds() or claims.exp <= claims.iat:
        raise AssertionRefused("assertion: lifetime too long")
    if claims.issued_at > now + CLOCK_SKEW:
        raise AssertionRefused("assertion: issued in the future (check this computer's clock)")
    if now >= claims.expires_at:
        raise AssertionRefused("assertion: expired; run the command again")
    return claims


def update_id(token: str) -> str:
    """A stable Temporal update id for a signed update: a retried call attaches to the first (review m3)."""
    claims = peek(token)
    return f"staff-{claims.sub}-{claims.nonce}"
