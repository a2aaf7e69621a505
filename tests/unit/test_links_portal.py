"""Portal links: signing, tampering, expiry, and one-shot semantics derived from the case's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from casefac.activity_io import PortalAction
from casefac.case import CaseStage
from casefac.contract import ContractRevision, ContractTerms, TaskSpec
from casefac.links import LinkExpired, LinkSigner, LinkTampered, _unb64
from casefac.money import Money
from casefac.parties import Actor, Role, Service
from casefac.state import AgreementStatus, EnvelopeState, Waiting
from casefac.status import CaseStatus, MoneyFigures, ReportView
from gateway.portal.pending import link_state, party_matches, signer_turn

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
SIGNER = LinkSigner(b"unit-test-secret-0123456789abcdefghij", "https://portal.example.org", timedelta(days=14))


def _action(action: str = "respond_assignment", role: Role = Role.DEFENDER, party: str = "DEF-GT-001") -> PortalAction:
    return PortalAction(action=action, role=role, party_id=party, case_id="JIM-2026-0042")  # type: ignore[arg-type]


def _contract(number: int = 1) -> ContractRevision:
    terms = ContractTerms(scope="Locate the client", tasks=[TaskSpec(id="T1", service=Service.LOCATE_CLIENT,
                                                                     description="Locate")],
                          hourly_rate=Money(amount=3500, currency="USD"))
    return ContractRevision(number=number, terms=terms, author=Actor(role=Role.STAFF, id="coord"), created_at=NOW)


def _status(stage: CaseStage = CaseStage.REVIEW, **changes: Any) -> CaseStatus:
    values: dict[str, Any] = dict(
        case_id="JIM-2026-0042", stage=stage, country="GT", advocate_id="ADV-1", advocate_language="en",
        defender_id="DEF-GT-001", defender_language="es", waiting=None, attention=None,
        agreement=AgreementStatus(), contract=None, previous_contract=None, advocate_completed=False,
        envelope=None, tasks=[], reports=[], invoices=[], payouts=[], money=MoneyFigures(), evaluations_from=[],
        outcome=None, timeline=[], history_events=10)
    values.update(changes)
    return CaseStatus(**values)


def test_a_link_round_trips_and_names_one_action_for_one_party() -> None:
    url = SIGNER.url(_action(), NOW)
    assert url.startswith("https://portal.example.org/p/")
    link = SIGNER.verify_link(url.removeprefix("https://portal.example.org"), NOW + timedelta(days=13))
    assert link.action == _action() and link.expires_at == NOW + timedelta(days=14)
    assert SIGNER.token(_action(), NOW) != SIGNER.token(_action(), NOW)  # a fresh nonce every time


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # MAC altered
    lambda t: ("A" if t[0] != "A" else "B") + t[1:],  # payload altered
    lambda t: t.replace(".", ""),  # no separator
    lambda t: t.split(".")[0] + "." + "!!!",  # MAC not base64
    lambda t: "",
])
def test_tampered_tokens_are_refused(mangle: Any) -> None:
    with pytest.raises(LinkTampered):
        SIGNER.verify(mangle(SIGNER.token(_action(), NOW)), NOW)


def test_another_secret_is_tampering_and_expiry_names_the_action() -> None:
    other = LinkSigner(b"another-secret-0123456789xyz-0123456", "https://portal.example.org", timedelta(days=14))
    with pytest.raises(LinkTampered):
        SIGNER.verify(other.token(_action(), NOW), NOW)
    token = SIGNER.token(_action("evaluate", Role.ADVOCATE, "ADV-1"), NOW)
    with pytest.raises(LinkExpired) as expired:
        SIGNER.verify(token, NOW + timedelta(days=14))
    assert expired.value.action.role is Role.ADVOCATE and expired.value.action.action == "evaluate"


def test_offer_link_is_open_until_answered_then_done() -> None:
    waiting = Waiting(role="defender", party_id="DEF-GT-001", what="accept or decline the assignment", since=NOW)
    assert link_state(_action(), _status(waiting=waiting)) == "open"
    assert link_state(_action(), _status(waiting=None)) == "done"  # answered, stage change pending
    assert link_state(_action(), _status(CaseStage.AGREEMENT)) == "done"
    assert not party_matches(_action(party="DEF-GT-002"), _status())  # offered to someone else now
    assert not party_matches(_action(), _status(defender_id=None))


def test_contract_review_and_signing_states() -> None:
    review = _action("review_contract")
    assert link_state(review, _status(CaseStage.REVIEW)) == "early"
    assert link_state(review, _status(CaseStage.AGREEMENT, contract=_contract())) == "open"
    sent = EnvelopeState(envelope_id="env-1", revision=1)
    assert link_state(review, _status(CaseStage.AGREEMENT, contract=_contract(), envelope=sent)) == "done"
    declined = EnvelopeState(envelope_id="env-1", revision=1, status="declined")
    assert link_state(review, _status(CaseStage.AGREEMENT, contract=_contract(), envelope=declined)) == "open"

    sign = _action("sign_contract")
    assert link_state(sign, _status(CaseStage.AGREEMENT, contract=_contract())) == "early"
    assert link_state(sign, _status(CaseStage.AGREEMENT, contract=_contract(), envelope=sent)) == "open"
    assert not signer_turn(Role.DEFENDER, _status(envelope=sent))
    after_advocate = EnvelopeState(envelope_id="env-1", revision=1, signed=["1"])
    assert signer_turn(Role.DEFENDER, _status(envelope=after_advocate))
    mine = EnvelopeState(envelope_id="env-1", revision=1, signed=["1", "2"])
    assert link_state(sign, _status(CaseStage.AGREEMENT, contract=_contract(), envelope=mine)) == "done"
    staff = _action("sign_contract", Role.STAFF, "coordinators")
    assert party_matches(staff, _status()) and not party_matches(_action("evaluate", Role.STAFF, "x"), _status())


def test_report_evaluation_and_outcome_one_shot() -> None:
    report = _action("submit_report")
    assert link_state(report, _status(CaseStage.AGREEMENT)) == "early"
    assert link_state(report, _status(CaseStage.ASSIGNMENT)) == "open"
    waiting = ReportView(number=1, kind="final", status="submitted", hours="1.5", expense_currencies=[])
    assert link_state(report, _status(CaseStage.PAYMENT, reports=[waiting])) == "done"
    changes = waiting.model_copy(update={"status": "changes_requested"})
    assert link_state(report, _status(CaseStage.ASSIGNMENT, reports=[changes])) == "open"  # resubmit

    evaluate = _action("evaluate", Role.ADVOCATE, "ADV-1")
    assert link_state(evaluate, _status(CaseStage.PAYMENT)) == "early"
    assert link_state(evaluate, _status(CaseStage.EVALUATION, evaluations_from=["defender"])) == "open"
    assert link_state(evaluate, _status(CaseStage.EVALUATION, evaluations_from=["advocate"])) == "done"
    assert link_state(evaluate, _status(CaseStage.CLOSED)) == "done"

    outcome = _action("report_outcome", Role.ADVOCATE, "ADV-1")
    assert link_state(outcome, _status(CaseStage.ASSIGNMENT)) == "open"
    assert link_state(outcome, _status(CaseStage.EVALUATION, outcome="granted")) == "done"
    assert link_state(outcome, _status(CaseStage.CANCELLED)) == "cancelled"  # says so, not "already done"


def test_contract_links_open_the_signed_contract_once_everyone_signed() -> None:
    signed = EnvelopeState(envelope_id="env-1", revision=1, status="completed", signed=["1", "2", "3"])
    for action in ("review_contract", "sign_contract"):
        for role, party in ((Role.ADVOCATE, "ADV-1"), (Role.DEFENDER, "DEF-GT-001")):
            link = _action(action, role, party)
            assert link_state(link, _status(CaseStage.ASSIGNMENT, contract=_contract(), envelope=signed)) == "signed"
            assert link_state(link, _status(CaseStage.CANCELLED, contract=_contract(), envelope=signed)) == "cancelled"


def test_a_signature_spelled_another_way_is_refused() -> None:
    """A 32-byte MAC is 43 base64 characters, whose last carries two bits the decoder drops: the three other
    spellings of the same bytes are refused (they made the "MAC altered" case above pass by chance)."""
    token = SIGNER.token(_action(), NOW)
    body, _, mac = token.partition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    dropped = len(mac) * 6 - len(_unb64(mac)) * 8
    assert dropped == 2
    index = alphabet.index(mac[-1])
    spellings = [mac[:-1] + alphabet[(index >> dropped << dropped) | low] for low in range(1 << dropped)]
    others = [s for s in spellings if s != mac]
    assert len(others) == 3
    for spelling in others:
        with pytest.raises(ValueError):  # strict decoding refuses them outright (review m12)
            _unb64(spelling)
        with pytest.raises(LinkTampered):
            SIGNER.verify(f"{body}.{spelling}", NOW)
    assert SIGNER.verify(token, NOW) == _action()
