"""Opaque return ids for DocuSign's ``returnUrl`` (review M3): the thank-you page without the capability.

DocuSign stores the ``returnUrl`` of every recipient view and redirects the signer's browser to it, so it
must not be the party's portal token. It is ``/p/r/<id>``: an HMAC-signed, short-lived record of
``(envelope id, recipient id, expiry)`` plus what the page needs to say thank you in the right words (the
case number, contract or Agreement, the language). Holding it lets nobody act: the page it opens has no
form, shows nothing about the case but its number, and links back to nothing.

The key is derived from the link secret with its own label, so an id can never verify as a link token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casefac.links import LinkTampered, _b64, _unb64

PREFIX = "/p/r/"
#: DocuSign sends the signer back within the view's few minutes; a little slack for a slow signer.
LIFETIME = timedelta(hours=2)
_LABEL = b"casefac docusign return id v1"


@dataclass(frozen=True)
class ReturnTarget:
    envelope_id: str
    recipient_id: str
    case_id: str
    agreement: bool
    lang: str
    expires_at: datetime


class ReturnIds:
    def __init__(self, link_secret: bytes) -> None:
        self._key = hmac.new(link_secret, _LABEL, hashlib.sha256).digest()

    def make(self, *, envelope_id: str, recipient_id: str, case_id: str, agreement: bool, lang: str,
             now: datetime) -> str:
        expires = int((now + LIFETIME).timestamp())
        body = _b64(json.dumps([envelope_id, recipient_id, case_id, int(agreement), lang, expires],
                               separators=(",", ":")).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def read(self, rid: str, now: datetime) -> ReturnTarget:
        """The target, or :class:`casefac.links.LinkTampered` when forged, altered or expired."""
        body, dot, mac = rid.partition(".")
        try:
            if not dot or not hmac.compare_digest(_unb64(mac), self._mac(body)):
                raise LinkTampered("return id signature mismatch")
            envelope_id, recipient_id, case_id, agreement, lang, expires = json.loads(_unb64(body))
            expires_at = datetime.fromtimestamp(int(expires), UTC)
        except (ValueError, TypeError) as exc:
            raise LinkTampered("unreadable return id") from exc
        if now >= expires_at:
            raise LinkTampered("return id expired")
        return ReturnTarget(str(envelope_id), str(recipient_id), str(case_id), bool(agreement), str(lang),
                            expires_at)

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii", "replace"), hashlib.sha256).digest()
