"""Signed staff assertions (``casefac/staff_assertion.py``): what verifies, and every way a forgery is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefac.messages import CancelCase
from casefac.parties import Actor, Role
from casefac.staff_assertion import (
    MAX_LIFETIME,
    AssertionRefused,
    peek,
    sign,
    update_id,
    verify,
)

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
WID = "case-JIM-2026-0042"
KEY = Ed25519PrivateKey.generate()


def _payload(reason: str = "The client withdrew") -> dict[str, Any]:
    return CancelCase(actor=Actor(role=Role.STAFF, id="coord.ana"), reason=reason).model_dump(mode="json")


def _token(payload: dict[str, Any] | None = None, **kw: Any) -> str:
    args: dict[str, Any] = dict(staff_id="coord.ana", role="staff", workflow_id=WID, update="cancel_case",
                                payload=payload or _payload(), now=NOW)
    args.update(kw)
    return sign(KEY, **args)


def _verify(token: str, payload: dict[str, Any] | None = None, **kw: Any) -> Any:
    args: dict[str, Any] = dict(workflow_id=WID, update="cancel_case", payload=payload or _payload(),
                                now=NOW + timedelta(seconds=5))
    args.update(kw)
    return verify(token, KEY.public_key(), **args)


def test_a_genuine_assertion_verifies_and_names_its_signer() -> None:
    claims = _verify(_token())
    assert (claims.sub, claims.role, claims.wid, claims.upd) == ("coord.ana", "staff", WID, "cancel_case")
    assert len(claims.nonce) >= 16


def test_the_assertion_field_itself_is_outside_the_digest() -> None:
    token = _token()
    assert _verify(token, {**_payload(), "assertion": token}).sub == "coord.ana"


def test_a_changed_payload_is_refused() -> None:
    with pytest.raises(AssertionRefused, match="payload was changed"):
        _verify(_token(), _payload("Something else"))


def test_another_workflow_or_update_is_refused() -> None:
    with pytest.raises(AssertionRefused, match="another case"):
        _verify(_token(), workflow_id="case-JIM-2026-0043")
    with pytest.raises(AssertionRefused, match="another action"):
        _verify(_token(), update="review_report")


def test_another_key_is_refused() -> None:
    with pytest.raises(AssertionRefused, match="signature"):
        verify(_token(), Ed25519PrivateKey.generate().public_key(), workflow_id=WID, update="cancel_case",
               payload=_payload(), now=NOW)


def test_a_tampered_claim_is_refused() -> None:
    prefix, _body, sig = _token().split(".")
    other = _token(workflow_id="case-JIM-2026-0043").split(".")[1]
    with pytest.raises(AssertionRefused, match="signature"):
        _verify(f"{prefix}.{other}.{sig}", workflow_id="case-JIM-2026-0043")


def test_expired_and_future_and_overlong_assertions_are_refused() -> None:
    with pytest.raises(AssertionRefused, match="expired"):
        _verify(_token(), now=NOW + timedelta(minutes=6))
    with pytest.raises(AssertionRefused, match="future"):
        _verify(_token(), now=NOW - timedelta(minutes=10))
    with pytest.raises(AssertionRefused, match="lifetime"):
        _verify(_token(lifetime=MAX_LIFETIME + timedelta(minutes=1)))


@pytest.mark.parametrize("junk", ["", "csa1", "csa1.a.b", "xyz.e30.AA", "csa1.e30=.AA"])
def test_malformed_tokens_are_refused(junk: str) -> None:
    with pytest.raises(AssertionRefused, match="malformed"):
        _verify(junk)


def test_the_update_id_is_stable_per_assertion() -> None:
    token = _token()
    assert update_id(token) == update_id(token) == f"staff-coord.ana-{peek(token).nonce}"
    assert update_id(_token()) != update_id(token)
