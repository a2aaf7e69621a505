"""Webhook signing exactly as each provider does it, so the gateway's real verifiers accept it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def docusign_signature_headers(body: bytes, keys: list[str]) -> dict[str, str]:
    """``X-DocuSign-Signature-N`` = base64(HMAC-SHA256(key_N, body)), one per active key."""
    headers: dict[str, str] = {}
    for index, key in enumerate(keys, start=1):
        digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
        headers[f"X-DocuSign-Signature-{index}"] = base64.b64encode(digest).decode("ascii")
    return headers


def stripe_signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """``Stripe-Signature: t=…,v1=hex(HMAC-SHA256(secret, f"{t}.{body}"))``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def load_or_create_ec_key(pem: str | None, keep_at: Path | None = None) -> ec.EllipticCurvePrivateKey:
    """Use the configured P-256 key, else the one kept at ``keep_at``, else a fresh one.

    A generated key is written to ``keep_at`` (next to the state file) so a restarted sandbox keeps
    signing with the key the gateway was configured with. The public half is exposed by the admin API.
    """
    if not pem and keep_at is not None and keep_at.exists():
        pem = keep_at.read_text(encoding="utf-8")
    if pem:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("sendgrid_webhook_private_key_pem must be an EC (P-256) private key")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    if keep_at is not None:
        keep_at.parent.mkdir(parents=True, exist_ok=True)
        keep_at.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        keep_at.chmod(0o600)
    return key


def ec_public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """Base64 DER SubjectPublicKeyInfo: the format SendGrid shows and ``EventWebhook`` expects."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def sendgrid_signature_headers(body: bytes, key: ec.EllipticCurvePrivateKey, timestamp: int) -> dict[str, str]:
    """ECDSA P-256/SHA-256 over ``timestamp + payload``, base64 DER signature."""
    ts = str(timestamp)
    signature = key.sign(ts.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode("ascii"),
        "X-Twilio-Email-Event-Webhook-Timestamp": ts,
    }
