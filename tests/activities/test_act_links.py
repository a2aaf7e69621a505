"""Signed portal links: round trip, tampering, expiry."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from casefac.activity_io import PortalAction
from casefac.links import LinkExpired, LinkInvalid, LinkSigner, LinkTampered
from casefac.parties import Role

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTION = PortalAction(action="sign_contract", role=Role.DEFENDER, party_id="DEF-MX-001", case_id="JIM-2026-0042")


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(b"0123456789abcdef0123456789abcdef", "https://portal.example.test/", timedelta(days=14))


def test_round_trip(signer: LinkSigner) -> None:
    url = signer.url(ACTION, NOW)
    assert url.startswith("https://portal.example.test/p/")
    token = url.removeprefix("https://portal.example.test/p/")
    assert signer.verify(token, NOW + timedelta(days=13)) == ACTION
    verified = signer.verify_link(token, NOW)
    assert verified.expires_at == NOW + timedelta(days=14)
    assert signer.verify(f"/p/{token}", NOW) == ACTION


def test_every_link_is_unique(signer: LinkSigner) -> None:
    assert signer.token(ACTION, NOW) != signer.token(ACTION, NOW)


def test_token_is_url_safe_and_has_no_personal_data(signer: LinkSigner) -> None:
    token = signer.token(ACTION, NOW)
    assert all(c.isalnum() or c in "-_." for c in token)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert payload[1:5] == ["sign_contract", "defender", "DEF-MX-001", "JIM-2026-0042"]


def test_expired(signer: LinkSigner) -> None:
    token = signer.token(ACTION, NOW)
    with pytest.raises(LinkExpired) as caught:
        signer.verify(token, NOW + timedelta(days=14))
    assert caught.value.action == ACTION  # the portal can offer "ask for a new link" for this case


def _reencode(payload: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("edit", ["party", "action", "expiry", "signature", "truncated", "garbage", "empty"])
def test_tampered(signer: LinkSigner, edit: str) -> None:
    token = signer.token(ACTION, NOW)
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    if edit == "party":
        payload[3] = "DEF-MX-002"
        token = f"{_reencode(payload)}.{mac}"
    elif edit == "action":
        payload[1] = "submit_report"
        token = f"{_reencode(payload)}.{mac}"
    elif edit == "expiry":
        payload[5] += 86400 * 365
        token = f"{_reencode(payload)}.{mac}"
    elif edit == "signature":
        token = f"{body}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    elif edit == "truncated":
        token = token[:-5]
    elif edit == "garbage":
        token = "not a token at all ünïcode"
    else:
        token = ""
    with pytest.raises(LinkTampered):
        signer.verify(token, NOW)


def test_other_secret_is_tampered(signer: LinkSigner) -> None:
    other = LinkSigner(b"another-secret-another-secret-00", "https://portal.example.test", timedelta(days=1))
    with pytest.raises(LinkInvalid):
        other.verify(signer.token(ACTION, NOW), NOW)


def test_weak_secret_and_naive_clock_are_refused(signer: LinkSigner) -> None:
    with pytest.raises(ValueError):
        LinkSigner(b"short", "https://x", timedelta(days=1))
    with pytest.raises(ValueError):
        signer.url(ACTION, datetime(2026, 3, 1))
