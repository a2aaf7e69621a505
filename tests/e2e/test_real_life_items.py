"""Issue 12 items 1-3 on the real stack, as people live them (the issue's "one real-stack test").

Everything real: the Temporal dev server, the worker with the provider activities through the official SDKs
against the sandbox (DocuSign, SendGrid, Stripe over HTTP), the gateway serving the portal. Staff type
``casefac`` commands (Typer's runner on the real app, with a staff key so every update is signed, as
``casefac up`` provisions); the parties act through the portal links in their sandbox emails.

1. A new Advocate's first case is cancelled before she signs the Advocate Agreement; her second case is not
   stranded: the Agreement link leads to a live signing, ``casefac resend --what agreement`` sends a fresh
   one, she signs on the sandbox's DocuSign page and the case moves on; nobody reminds her for case 1.
2. The first Defender offered case 2 declines on the portal with a reason: staff read it in
   ``casefac status`` (table and ``--json``), in their email and in the timeline, never as "waiting too long".
3. The signed contract's expense cap (CAD 300.00, from ``casefac open --budget-cap``): a report over it is
   accepted and flagged; ``casefac review-report --yes`` is refused naming the cap; ``--over-cap "…"``
   approves it, and finance sees the override and its reason.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from typer.testing import CliRunner

# Rich sizes its consoles when the CLI module is imported: wide enough that tables never truncate ids.
os.environ.setdefault("COLUMNS", "200")

from casefac.case import CaseStage
from casefac.ids import advocate_workflow_id
from casefac.state import AdvocateState
from casefac.status import CaseStatus
from starters.cases import read_status
from starters.cli import app
from starters.demo_parties import links_in, token_action
from tests.conftest import eventually
from tests.portal.stack import STAFF_EMAIL
from tests.workflow.fakes import ROSTER

from .world import World

pytestmark = pytest.mark.integration

DECLINE_REASON = "Conflicto de interés: represento a la contraparte"
OVER_CAP_REASON = "witness travel agreed by phone"
AGREEMENT_MAILS = ("agreement_to_sign", "agreement_reminder")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Staff:
    """A coordinator's shell on this stack: ``casefac …`` with the server, key ring, data dir and staff key."""

    def __init__(self, world: World, keys_dir: Path) -> None:
        self.world = world
        self.env = {"CASEFAC_TEMPORAL__ADDRESS": world.target, "CASEFAC_DATA_DIR": str(world.settings.data_dir),
                    "CASEFAC_KEYRING_FILE": str(world.settings.keyring_path), "CASEFAC_STAFF_ID": "coord.ana",
                    "CASEFAC_STAFF__KEYS_DIR": str(keys_dir), "CASEFAC_STAFF__REQUIRE_SIGNATURES": "true",
                    "COLUMNS": "200"}

    async def __call__(self, *args: str) -> Ran:
        result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=self.env, catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)

    async def ok(self, *args: str) -> Ran:
        ran = await self(*args)
        assert ran.code == 0, f"casefac {' '.join(args)} exited {ran.code}:\n{ran.text}"
        return ran

    async def open(self, case_id: str, advocate_id: str, advocate_email: str) -> None:
        await self.ok("open", "--case-id", case_id, "--advocate-id", advocate_id, "--advocate-name", "Mia Tremblay",
                      "--advocate-org", "Tremblay Immigration Law", "--advocate-email", advocate_email,
                      "--advocate-country", "CA", "--advocate-language", "en", "--billing-currency", "CAD",
                      "--client-name", "Rosa Ixchel Coc", "--country", "GT", "--matter-type", "protection",
                      "--service", "document_collection", "--budget-cap", "CAD 300.00",
                      "--description", "Collect the client's civil records for her asylum hearing.")
        await self.until(case_id, lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")

    async def status(self, case_id: str) -> CaseStatus:
        return await read_status(self.world.env.client, case_id)

    async def until(self, case_id: str, predicate: Any, what: str, timeout: float = 20.0) -> CaseStatus:
        return await eventually(lambda: self.status(case_id), predicate, timeout=timeout, what=f"{case_id}: {what}")


def _email(defender_id: str) -> str:
    defender = ROSTER.get(defender_id)
    assert defender is not None
    return str(defender.email)


def _text(mail: dict[str, Any]) -> str:
    content = mail.get("request", {}).get("content") or []
    return html.unescape(" ".join(str(c.get("value", "")) for c in content))


def _kind(mail: dict[str, Any]) -> str:
    return str((mail.get("custom_args") or {}).get("kind", ""))


def _items(answer: object) -> list[dict[str, Any]]:
    if isinstance(answer, dict):
        for key in ("data", "items", "envelopes", "invoices"):
            if isinstance(answer.get(key), list):
                return answer[key]
    assert isinstance(answer, list), answer
    return answer


async def _agreement_links(world: World, to: str, case_id: str) -> list[str]:
    """The sign_agreement links mailed to ``to`` about ``case_id``, newest first."""
    found = []
    for mail in await world.parties.mails(to, case_id):
        for url in links_in(mail):
            granted = token_action(url)
            if granted and granted["action"] == "sign_agreement" and granted["case_id"] == case_id:
                found.append(url)
    return found


async def _press_sign(world: World, url: str) -> httpx.Response:
    """Open a sign link and press its "open the signing page" button (no redirect followed)."""
    page, forms = await world.parties.open(url)
    form = next((f for f in forms if f.id == "sign"), None)
    assert form is not None, page.text[:400]
    return await world.parties.http.post(urljoin(url, form.action or url), data=form.data("sign"))


async def _entity(world: World, advocate_id: str) -> AdvocateState:
    handle = world.env.client.get_workflow_handle(advocate_workflow_id(advocate_id))
    state: AdvocateState = await handle.query("agreement", result_type=AdvocateState)
    return state


async def test_a_new_advocates_second_case_decline_reason_and_expense_cap_on_the_real_stack(
        world: World, tmp_path: Path) -> None:
    staff = Staff(world, tmp_path / "staff-keys")
    parties = world.parties
    await staff.ok("staff", "add", "coord.ana", "--role", "staff", "--name", "Ana Pérez")  # the CLI signs now

    run = world.harness.run
    adv_id, adv = f"ADV-NEW-{run}", f"mia.{run.lower()}@tremblay-law.example.ca"
    first, second = (f"JIM-2026-{random.randint(100_000, 999_999)}" for _ in range(2))
    ana, gabriela = "DEF-GT-001", "DEF-GT-003"

    # ---- 1. the first case reaches AGREEMENT, then is cancelled before she signs the Agreement -------------
    await staff.open(first, adv_id, adv)
    await staff.ok("assign", first, "--defender", ana)
    assert "Usted aceptó el caso" in (await parties.defender_responds(first, _email(ana))).text
    await staff.until(first, lambda s: s.stage == CaseStage.AGREEMENT, "AGREEMENT")
    [case1_link] = await eventually(lambda: _agreement_links(world, adv, first), bool, timeout=20,
                                    what="the Agreement email for case 1")
    cancelled = await staff.ok("cancel", first, "--reason", "The client found other counsel")
    assert "cancel" in cancelled.text.lower()
    await staff.until(first, lambda s: s.stage == CaseStage.CANCELLED, "CANCELLED")
    withdrawn = await eventually(lambda: _entity(world, adv_id), lambda s: not s.waiters,
                                 what="the cancelled case withdrew from the Agreement")
    assert withdrawn.status == "pending", "the envelope is still out: nobody signed it"
    case1_mails = [m["id"] for m in await parties.mails(adv, first) if _kind(m) in AGREEMENT_MAILS]

    # ---- 2. the second case: the first Defender offered declines with a reason ------------------------------
    await staff.open(second, adv_id, adv)
    await staff.ok("assign", second, "--defender", gabriela)
    declined = await parties.defender_responds(second, _email(gabriela), accept=False, reason=DECLINE_REASON)
    assert declined.ok, declined.text
    status = await staff.until(second, lambda s: s.defender_id is None and s.waiting is not None
                               and s.waiting.role == "staff", "back in review after the decline")
    assert [(o.defender_id, o.result, o.reason) for o in status.offers] == [(gabriela, "declined", DECLINE_REASON)]

    as_json = json.loads((await staff.ok("status", second, "--json")).out)
    assert [(o["defender_id"], o["result"], o["reason"]) for o in as_json["offers"]] == [
        (gabriela, "declined", DECLINE_REASON)]
    assert any(DECLINE_REASON in e["event"] for e in as_json["timeline"]), as_json["timeline"]
    table = (await staff.ok("status", second)).out
    assert f"{gabriela} · declined" in table and DECLINE_REASON in table, table

    told = await eventually(lambda: parties.mails(STAFF_EMAIL, second, "staff_escalation"),
                            lambda ms: any(DECLINE_REASON in _text(m) for m in ms), timeout=20,
                            what="the staff email carrying the decline reason")
    decline_mail = next(m for m in told if DECLINE_REASON in _text(m))
    assert f"Defender {gabriela} declined the assignment" in decline_mail["subject"], decline_mail["subject"]
    assert all("waiting too long" not in _text(m) and "waiting too long" not in m["subject"]
               for m in await parties.mails(STAFF_EMAIL, second)), "a decline is not a wait that ran too long"

    # ---- 1 (cont.). Ana takes case 2; the Agreement is not stranded --------------------------------------------
    await staff.ok("assign", second, "--defender", ana)
    assert "Usted aceptó el caso" in (await parties.defender_responds(second, _email(ana))).text
    await staff.until(second, lambda s: s.stage == CaseStage.AGREEMENT, "AGREEMENT")
    relinked = await eventually(lambda: _agreement_links(world, adv, second), bool, timeout=20,
                                what="a live Agreement link for case 2")
    for url in (case1_link, relinked[0]):  # even her old link of the cancelled case leads to the live signing
        page, forms = await parties.open(url)
        assert page.ok and "already signed" not in page.text, page.text[:400]
        assert any(f.id == "sign" for f in forms), page.text[:400]

    resent = await staff.ok("resend", second, "--what", "agreement", "--note", "her first link was for case 1")
    assert f"the advocate ({adv_id})" in resent.out, resent.out
    fresh = await eventually(lambda: _agreement_links(world, adv, second), lambda ls: len(ls) > len(relinked),
                             timeout=20, what="the re-sent Agreement email")
    assert fresh[0] not in relinked
    for retired in (case1_link, relinked[0]):  # the re-send retired her older links: the button opens nothing
        pressed = await _press_sign(world, retired)
        assert pressed.status_code != 303 and "This link was replaced" in pressed.text, pressed.text[:400]

    signed = await parties.sign(second, adv, agreement=True)  # the newest link → sandbox DocuSign → Sign
    assert "Thank you for signing!" in signed.text, signed.text[:400]
    await staff.until(second, lambda s: s.agreement.status == "signed" and s.contract is not None,
                      "Agreement signed, contract drafted", timeout=30)
    entity = await eventually(lambda: _entity(world, adv_id), lambda s: s.status == "signed" and not s.waiters,
                              what="the Agreement in force, nobody left waiting")
    assert entity.link_case_id == second, "her links and reminders name the case that waited"
    assert entity.attempts == 1, "the one envelope that was out, not a second Agreement"
    agreements = [e for e in _items(world.sandbox.admin("GET", "/_sandbox/envelopes")) if adv_id in str(e)]
    assert len(agreements) == 1, agreements
    assert [m["id"] for m in await parties.mails(adv, first) if _kind(m) in AGREEMENT_MAILS] == case1_mails, \
        "nothing more about the Agreement for the cancelled case"
    assert (await staff.status(first)).stage == CaseStage.CANCELLED

    # ---- 3. the contract (expense cap CAD 300.00) is signed; a report over it ------------------------------------
    assert "revision 2" in (await parties.advocate_completes_contract(
        second, adv, "Receipts for every expense.")).text
    assert "Usted aprobó la versión 2" in (await parties.defender_approves_contract(second, _email(ana))).text
    await staff.ok("approve-contract", second)
    for email in (adv, _email(ana), STAFF_EMAIL):
        step = await parties.sign(second, email)
        assert step.ok and ("gracias por firmar" in step.text.lower() or "thank you for signing" in step.text.lower())
    status = await staff.until(second, lambda s: s.stage == CaseStage.ASSIGNMENT, "contract signed", timeout=30)
    assert status.caps is not None and status.caps.expense_cap is not None
    assert status.caps.expense_cap.format() == "CAD 300.00"

    report_url = await parties.link(second, _email(ana), "submit_report")
    page, _ = await parties.open(report_url)
    assert "CAD 300.00" in page.text, page.text[:600]  # the Defender sees what is left before she writes
    today = date.today().isoformat()
    step = await parties.defender_submits_report(second, _email(ana), hours=[
        {"date": today, "hours": "2", "task_code": "L110", "activity_code": "A106",
         "description": "Registro civil"}], expenses=[
        {"date": today, "amount": "280,00", "currency": "CAD", "expense_code": "E110",
         "description": "Viaje del testigo"},
        {"date": today, "amount": "60,00", "currency": "CAD", "expense_code": "E105", "description": "Teléfono"}])
    assert "Recibimos su informe n.º 1" in step.text, step.text[:400]  # accepted …
    flag = "expense cap: CAD 340.00 of CAD 300.00"
    status = await staff.until(second, lambda s: s.stage == CaseStage.PAYMENT and flag in s.caps_flagged,
                               "the report flagged over the expense cap")  # … and flagged
    assert any("over the expense cap" in e.event for e in status.timeline), [e.event for e in status.timeline]
    await eventually(lambda: parties.mails(STAFF_EMAIL, second, "staff_escalation"),
                     lambda ms: any("over-cap" in _text(m) for m in ms), timeout=20,
                     what="staff told the report is over a cap")
    assert flag in (await staff.ok("status", second)).out

    rates = ("--rate", "USD:CAD=1.38", "--rate", "CAD:USD=0.725", "--rate-source", "Bank of Canada")
    refused = await staff("review-report", second, *rates, "--yes")
    assert refused.code != 0 and flag in refused.text and "--over-cap" in refused.text, refused.text
    no_tty = await staff("review-report", second, *rates, "--over-cap", OVER_CAP_REASON)
    assert no_tty.code != 0 and "--yes" in no_tty.text, no_tty.text
    status = await staff.status(second)
    assert not status.approvals and not status.invoices, "nothing moved on the refusals"

    approved = await staff.ok("review-report", second, *rates, "--over-cap", OVER_CAP_REASON, "--yes")
    assert "invoice total" in approved.out, approved.out
    status = await staff.until(second, lambda s: bool(s.invoices) and s.invoices[0].invoice_id, "invoice issued",
                               timeout=30)
    [approval] = status.approvals
    assert flag in approval.over_caps and approval.over_cap_reason == OVER_CAP_REASON
    assert status.caps is not None and status.caps.overrides == [f"report 1: {OVER_CAP_REASON}"]

    # what finance reads: the status (table and JSON), the money worklist, the email, the Stripe invoice
    table = (await staff.ok("status", second)).out
    assert "report 1 approved over the expense cap" in table and OVER_CAP_REASON in table, table
    as_json = json.loads((await staff.ok("status", second, "--json")).out)
    assert as_json["approvals"][0]["over_cap_reason"] == OVER_CAP_REASON
    assert as_json["caps"]["overrides"] == [f"report 1: {OVER_CAP_REASON}"]
    [invoice] = status.invoices
    money = json.loads((await staff.ok("money", "--json")).out)
    mine = [i for i in money["items"] if i["case_id"] == second]
    assert [(i["kind"], i["amount"]) for i in mine] == [("invoice_open", invoice.amount_due.format())], mine
    await eventually(lambda: parties.mails(world.settings.sendgrid.finance_email, second),
                     lambda ms: any(OVER_CAP_REASON in _text(m) for m in ms), timeout=20,
                     what="finance told of the approval over the cap, with its reason")
    [stripe] = [i for i in _items(world.sandbox.admin("GET", "/_sandbox/invoices"))
                if i["metadata"].get("case_id") == second]
    assert stripe["currency"] == "cad" and stripe["total"] == invoice.billed.amount
    assert stripe["total"] > 30000, "the invoice carries what staff approved over the cap"
