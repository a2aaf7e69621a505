"""Signed, expiring, single-purpose portal links (``/p/<token>``) for the parties' emails.

A link is the party's only credential on the portal, so it names exactly one action for one party on one
case, expires, and cannot be altered without the server's secret. The token is
``<payload>.<mac>``, both URL-safe base64 without padding: the payload is a compact JSON array
``[version, action, role, party_id, case_id, expires_unix, nonce]``, the MAC is HMAC-SHA256 over the
payload text. The nonce makes every link unique, so the gateway can treat a link as used once it has
done its job. No personal data is in a token: ids only.

Version 2 (review M2) appends the party's link **epoch** and the issue time:
``[2, action, role, party_id, case_id, expires_unix, nonce, epoch, issued_unix]``. The workflow refuses a
link whose epoch is older than the party's current one (``casefac resend`` bumps it), and a one-shot
link's nonce once used (``workflows/guard_links.py``). Version-1 tokens still verify until they expire;
they carry no epoch and count as epoch 0. Lifetimes are per action with an absolute cap, so the pages
that show sensitive notes (tasks, signing) live days, not weeks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from casefac.activity_io import PortalAction

_VERSION = 2
#: Versions still accepted: version-1 links (no epoch) keep working until they expire.
_READABLE = (1, 2)
PATH_PREFIX = "/p/"
#: HMAC-SHA256 keys shorter than this are guessable from leaked links (review m12).
MIN_SECRET_BYTES = 32


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
    #: The party's link epoch when it was minted (0 for version-1 links); ``action.epoch`` too.
    epoch: int = 0
    issued_at: datetime | None = None


class LinkSigner:
    """Makes and checks links. ``secret`` comes from settings (``gateway.link_secret``)."""

    def __init__(self, secret: bytes, base_url: str, ttl: timedelta, *,
                 ttls: Mapping[str, timedelta] | None = None, max_ttl: timedelta | None = None) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"link secret must be at least {MIN_SECRET_BYTES} bytes")
        if ttl <= timedelta(0) or any(t <= timedelta(0) for t in (ttls or {}).values()):
            raise ValueError("link ttl must be positive")
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._ttl = ttl
        self._ttls = dict(ttls or {})
        self._max_ttl = max_ttl

    @classmethod
    def from_settings(cls, gateway: Any) -> LinkSigner:
        """The signer ``gateway`` settings describe (``casefac.settings.GatewaySettings``): secret, base
        URL, default lifetime, per-action lifetimes and the absolute cap."""
        return cls(gateway.link_secret.get_secret_value().encode(), gateway.public_url,
                   timedelta(hours=gateway.link_ttl_hours),
                   ttls={a: timedelta(hours=h) for a, h in getattr(gateway, "link_ttl_hours_by_action", {}).items()},
                   max_ttl=timedelta(hours=getattr(gateway, "link_max_ttl_hours", gateway.link_ttl_hours)))

    def ttl(self, action: str) -> timedelta:
        """How long a link for ``action`` lives: its own lifetime or the default, never over the cap."""
        ttl = self._ttls.get(action, self._ttl)
        return min(ttl, self._max_ttl) if self._max_ttl is not None else ttl

    def token(self, action: PortalAction, now: datetime) -> str:
        issued = int(_aware(now).timestamp())
        expires = int((_aware(now) + self.ttl(action.action)).timestamp())
        payload = [_VERSION, action.action, action.role.value, action.party_id, action.case_id, expires,
                   secrets.token_urlsafe(9), action.epoch, issued]
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
            # Strict and canonical (review m12): only the one spelling we mint is accepted, for both parts,
            # so a link has exactly one valid form.
            given = _unb64(mac)
            _unb64(body)
        except ValueError as exc:
            raise LinkTampered("malformed link token") from exc
        # MAC first: nothing from an unauthenticated payload is parsed.
        if not hmac.compare_digest(given, self._mac(body)):
            raise LinkTampered("link signature mismatch")
        try:
            fields = json.loads(_unb64(body))
            if not isinstance(fields, list) or not fields or fields[0] not in _READABLE:
                raise ValueError("unknown link version")
            if fields[0] == 1:
                _, action, role, party_id, case_id, expires, nonce = fields
                epoch, issued_at = 0, None
            else:
                _, action, role, party_id, case_id, expires, nonce, epoch, issued = fields
                if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
                    raise ValueError("bad link epoch")
                issued_at = datetime.fromtimestamp(int(issued), UTC)
            granted = PortalAction(action=action, role=role, party_id=party_id, case_id=case_id, epoch=epoch)
            expires_at = datetime.fromtimestamp(int(expires), UTC)
        except (ValueError, TypeError, ValidationError, OverflowError, OSError) as exc:
            # Signed by us yet unreadable: treat as forged rather than crash the portal.
            raise LinkTampered("unreadable link payload") from exc
        if _aware(now) >= expires_at:
            raise LinkExpired(granted, expires_at)
        return VerifiedLink(action=granted, expires_at=expires_at, nonce=str(nonce), epoch=epoch,
                            issued_at=issued_at)

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._secret, body.encode("utf-8"), hashlib.sha256).digest()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict URL-safe base64 without padding: any other character, or a non-canonical spelling (the
    last character's unused bits set), is refused rather than silently mapped to the same bytes."""
    if "=" in text or len(text) % 4 == 1:
        raise ValueError("bad base64")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base64") from exc
    if _b64(data) != text:
        raise ValueError("non-canonical base64")
    return data
