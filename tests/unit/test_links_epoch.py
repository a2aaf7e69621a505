"""Attacks on portal links (review M2, m12): reuse of a one-shot link, a revoked link, a forged spelling.

Each test is an attack that worked before the fix: a version-1 link had no epoch, a spent nonce was never
recorded, lifetimes were 14 days for every page, and the base64 decoder accepted many spellings of a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from casefac.activity_io import PortalAction
from casefac.case import CaseStage
from casefac.links import LinkSigner, LinkTampered, VerifiedLink
from casefac.messages import LinkUse, SubmitEvaluation, SubmitReport, UpdateTask
from casefac.parties import Actor, Role
from casefac.settings import GatewaySettings
from casefac.state import AdvocateState, AgreementStatus, CaseState
from casefac.status import CaseStatus, MoneyFigures
from gateway.portal.access import link_spent
from workflows import guard_links

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
SECRET = b"unit-test-link-secret-0123456789abcdef"
SIGNER = LinkSigner(SECRET, "https://portal.example.org", timedelta(days=7),
                    ttls={"update_task": timedelta(days=3)}, max_ttl=timedelta(days=14))
DEFENDER = Actor(role=Role.DEFENDER, id="DEF-GT-001")


def _action(action: str = "evaluate", epoch: int = 0) -> PortalAction:
    return PortalAction(action=action, role=Role.DEFENDER, party_id="DEF-GT-001",  # type: ignore[arg-type]
                        case_id="JIM-2026-0042", epoch=epoch)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _v1_token(expires: datetime) -> str:
    """A token as the version-1 signer minted it (no epoch, no issue time)."""
    payload = [1, "evaluate", "defender", "DEF-GT-001", "JIM-2026-0042", int(expires.timestamp()), "abcdefghijkl"]
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(SECRET, body.encode(), hashlib.sha256).digest())}"


def test_tokens_carry_the_epoch_and_issue_time_and_old_tokens_verify_as_epoch_zero() -> None:
    link = SIGNER.verify_link(SIGNER.token(_action(epoch=3), NOW), NOW)
    assert link.epoch == 3 and link.action.epoch == 3 and link.issued_at == NOW
    old = SIGNER.verify_link(_v1_token(NOW + timedelta(days=1)), NOW)
    assert old.epoch == 0 and old.issued_at is None and old.nonce == "abcdefghijkl"


def test_lifetimes_are_per_action_and_capped() -> None:
    assert SIGNER.verify_link(SIGNER.token(_action("update_task"), NOW), NOW).expires_at == NOW + timedelta(days=3)
    assert SIGNER.verify_link(SIGNER.token(_action(), NOW), NOW).expires_at == NOW + timedelta(days=7)
    capped = LinkSigner(SECRET, "https://x", timedelta(days=30), max_ttl=timedelta(days=14))
    assert capped.verify_link(capped.token(_action(), NOW), NOW).expires_at == NOW + timedelta(days=14)
    default = LinkSigner.from_settings(GatewaySettings())
    assert default.ttl("sign_contract") <= timedelta(days=3) and default.ttl("evaluate") <= timedelta(days=7)
    assert all(default.ttl(a) <= timedelta(days=14) for a in ("update_task", "submit_report", "report_outcome"))


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError):
        LinkSigner(b"x" * 31, "https://x", timedelta(days=1))
    LinkSigner.from_settings(GatewaySettings())  # the dev default is long enough


@pytest.mark.parametrize("spell", [
    lambda t: t.replace(".", ".!", 1),  # a non-alphabet character the lax decoder dropped
    lambda t: t + "=",  # padding
    lambda t: t.split(".")[0] + "." + t.split(".")[1].replace("-", "+").replace("_", "/"),  # standard alphabet
    lambda t: t.split(".")[0] + "\n." + t.split(".")[1],  # whitespace in the payload
])
def test_only_the_canonical_spelling_of_a_token_verifies(spell: Any) -> None:
    token = SIGNER.token(_action(), NOW)
    variant = spell(token)
    if variant == token:
        pytest.skip("this token has no such character")
    with pytest.raises(LinkTampered):
        SIGNER.verify_link(variant, NOW)


def test_non_canonical_trailing_bits_are_refused() -> None:
    token = SIGNER.token(_action(), NOW)
    body, mac = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(mac[-1])
    sibling = alphabet[last ^ 1]  # 32-byte MAC: 43 chars, the last carries 2 unused bits
    with pytest.raises(LinkTampered):
        SIGNER.verify_link(f"{body}.{mac[:-1]}{sibling}", NOW)


@dataclass
class _Wf:
    s: Any = field(default_factory=lambda: CaseState(opened_at=NOW, stage=CaseStage.EVALUATION))


def _evaluation(nonce: str = "nonce-0001", epoch: int = 0) -> SubmitEvaluation:
    return SubmitEvaluation.model_validate({
        "actor": DEFENDER.model_dump(), "link": {"nonce": nonce, "epoch": epoch},
        "evaluation": {"communication": 5, "quality": 5, "timeliness": 5, "overall": 5, "would_work_again": True}})


def test_a_one_shot_link_works_once_then_is_refused_by_the_workflow() -> None:
    wf = _Wf()
    msg = _evaluation()
    guard_links.check_update(wf, "submit_evaluation", msg)
    guard_links.after_update(wf, "submit_evaluation", msg)
    with pytest.raises(ValueError, match="already been used"):
        guard_links.check_update(wf, "submit_evaluation", msg)
    guard_links.check_update(wf, "submit_evaluation", _evaluation("nonce-0002"))  # another link is fine


def test_the_validator_never_records_and_repeatable_actions_are_not_spent() -> None:
    wf = _Wf()
    guard_links.check_update(wf, "submit_evaluation", _evaluation())
    assert wf.s.used_links == []
    task = UpdateTask(actor=DEFENDER, task_id="T1", status="done", link=LinkUse(nonce="task-link-1"))
    for _ in range(3):
        guard_links.check_update(wf, "update_task", task)
        guard_links.after_update(wf, "update_task", task)
    assert wf.s.used_links == []


def test_a_report_link_submits_one_report() -> None:
    wf = _Wf()
    report = SubmitReport.model_construct(actor=DEFENDER, link=LinkUse(nonce="report-link-1"))
    guard_links.after_update(wf, "submit_report", report)
    with pytest.raises(ValueError):
        guard_links.check_update(wf, "submit_report", report)


def test_resend_revokes_every_older_link_of_that_party_only() -> None:
    wf = _Wf()
    assert guard_links.bump_epoch(wf.s, "defender", "DEF-GT-001") == 1
    task = UpdateTask(actor=DEFENDER, task_id="T1", status="done", link=LinkUse(nonce="task-link-1", epoch=0))
    with pytest.raises(ValueError, match="replaced"):
        guard_links.check_update(wf, "update_task", task)
    guard_links.check_update(wf, "update_task", task.model_copy(update={"link": LinkUse(nonce="task-link-2", epoch=1)}))
    advocate = task.model_copy(update={"actor": Actor(role=Role.ADVOCATE, id="ADV-1")})
    guard_links.check_update(wf, "update_task", advocate)  # the Advocate's links are untouched
    assert guard_links.current_epoch(wf.s, Role.DEFENDER, "DEF-GT-001") == 1


def test_the_spent_list_is_bounded() -> None:
    wf = _Wf()
    for i in range(guard_links.MAX_USED + 10):
        guard_links.after_update(wf, "submit_evaluation", _evaluation(f"nonce-{i:06d}"))
    assert len(wf.s.used_links) == guard_links.MAX_USED
    assert wf.s.used_links[-1] == f"nonce-{guard_links.MAX_USED + 9:06d}"
    CaseState.model_validate(wf.s.model_dump())  # still a valid persisted state


def test_the_advocate_entity_keeps_its_own_epochs() -> None:
    state = AdvocateState()
    assert guard_links.bump_epoch(state, "advocate", "ADV-1") == 1
    assert AdvocateState.model_validate(state.model_dump()).link_epochs == {"advocate:ADV-1": 1}


def _status(**changes: Any) -> CaseStatus:
    values: dict[str, Any] = dict(
        case_id="JIM-2026-0042", stage=CaseStage.EVALUATION, country="GT", advocate_id="ADV-1",
        advocate_language="en", defender_id="DEF-GT-001", defender_language="es", waiting=None, attention=None,
        agreement=AgreementStatus(), contract=None, previous_contract=None, advocate_completed=False,
        envelope=None, tasks=[], reports=[], invoices=[], payouts=[], money=MoneyFigures(), evaluations_from=[],
        outcome=None, timeline=[], history_events=10)
    values.update(changes)
    return CaseStatus(**values)


def _verified(action: str = "evaluate", epoch: int = 0, nonce: str = "nonce-0001") -> VerifiedLink:
    return VerifiedLink(action=_action(action, epoch), expires_at=NOW, nonce=nonce, epoch=epoch)


def test_the_gateway_refuses_spent_and_revoked_links_before_showing_anything() -> None:
    assert link_spent(_verified(), _status()) is None
    assert link_spent(_verified(), _status(used_links=["nonce-0001"])) == "done"
    assert link_spent(_verified(), _status(link_epochs={"defender:DEF-GT-001": 1})) == "replaced"
    assert link_spent(_verified(epoch=1), _status(link_epochs={"defender:DEF-GT-001": 1})) is None
