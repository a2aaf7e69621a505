"""Signed, expiring, single-purpose portal links (``/p/<token>``) for the parties' emails.

A link is the party's only credential on the portal, so it names exactly one action for one party on one
case, expires, and cannot be altered without the server's secret. The token is
``<payload>.<mac>``, both URL-safe base64 without padding: the payload is a compact JSON array
``[version, action, role, party_id, case_id, expires_unix, nonce]``, the MAC is HMAC-SHA256 over the
payload text. The nonce makes every link unique, so the gateway can treat a link as used once it has
done its job. No personal data is in a token: ids only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from casefac.activity_io import PortalAction

_VERSION = 1
PATH_PREFIX = "/p/"


class LinkInvalid(Exception):
    """The token cannot be trusted; the gateway answers with a generic "link not valid" page."""


class LinkTampered(LinkInvalid):
    """Malformed, or the MAC does not match: someone edited or invented the token."""


class LinkExpired(LinkInvalid):
    """A genuine link past its expiry: the party should ask for a new one (the case resends it)."""

    def __init__(self, action: PortalAction, expired_at: datetime) -> None:
        super().__init__(f"link for {action.action} on {action.case_id} expired at {expired_at.isoformat()}")
        self.action = action
        self.expired_at = expired_at


@dataclass(frozen=True)
class VerifiedLink:
    action: PortalAction
    expires_at: datetime
    nonce: str


class LinkSigner:
    """Makes and checks links. ``secret`` comes from settings (``gateway.link_secret``)."""

    def __init__(self, secret: bytes, base_url: str, ttl: timedelta) -> None:
        if len(secret) < 16:
            raise ValueError("link secret must be at least 16 bytes")
        if ttl <= timedelta(0):
            raise ValueError("link ttl must be positive")
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._ttl = ttl

    def token(self, action: PortalAction, now: datetime) -> str:
        expires = int((_aware(now) + self._ttl).timestamp())
        payload = [_VERSION, action.action, action.role.value, action.party_id, action.case_id, expires,
                   secrets.token_urlsafe(9)]
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def url(self, action: PortalAction, now: datetime) -> str:
        return f"{self._base_url}{PATH_PREFIX}{self.token(action, now)}"

    def verify(self, token: str, now: datetime) -> PortalAction:
        """The action a token grants; raises :class:`LinkTampered` or :class:`LinkExpired`."""
        return self.verify_link(token, now).action

    def verify_link(self, token: str, now: datetime) -> VerifiedLink:
        """Like :meth:`verify`, plus the expiry and nonce (for single-use bookkeeping)."""
        body, dot, mac = token.removeprefix(PATH_PREFIX).partition(".")
        if not dot or not body or not mac:
            raise LinkTampered("malformed link token")
        try:
            given = _unb64(mac)
        except ValueError as exc:
            raise LinkTampered("malformed link signature") from exc
        if _b64(given) != mac:
            # Base64's last character carries bits the decoder drops: only the one canonical spelling of a
            # signature is accepted, so a link has exactly one valid form.
            raise LinkTampered("malformed link signature")
        # MAC first: nothing from an unauthenticated payload is parsed.
        if not hmac.compare_digest(given, self._mac(body)):
            raise LinkTampered("link signature mismatch")
        try:
            version, action, role, party_id, case_id, expires, nonce = json.loads(_unb64(body))
            if version != _VERSION:
                raise ValueError(f"unknown link version {version}")
            granted = PortalAction(action=action, role=role, party_id=party_id, case_id=case_id)
            expires_at = datetime.fromtimestamp(int(expires), UTC)
        except (ValueError, TypeError, ValidationError) as exc:
            # Signed by us yet unreadable: treat as forged rather than crash the portal.
            raise LinkTampered("unreadable link payload") from exc
        if _aware(now) >= expires_at:
            raise LinkExpired(granted, expires_at)
        return VerifiedLink(action=granted, expires_at=expires_at, nonce=str(nonce))

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._secret, body.encode("utf-8"), hashlib.sha256).digest()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base64") from exc
