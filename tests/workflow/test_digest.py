"""The digests on the time-skipping server: the real DigestWorkflow and gather activity over real cases.

A Schedule starts the workflow in production (``starters/schedules.py``); here it is started directly, as the
schedule's action would, so the test controls the clock and the cases.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic_core import to_json

from casefac.activity_io import ActivityName, MailKind, TaskQueue
from casefac.case import CaseStage
from casefac.digest import (
    BATCH_BOUND,
    KINDS,
    MAX_READERS,
    SECTION_CAP,
    WORKFLOW,
    DigestInput,
    DigestRecipient,
    DigestResult,
    period,
)
from casefac.mail_render import render_mail
from casefac.money import Money
from casefac.state import AgreementStatus, InvoiceState
from casefac.status import CaseStatus, MoneyFigures
from tests.workflow.harness import Harness

READERS = [DigestRecipient(email="coord.ana@justiceinmotion.example.org", language="en"),
           DigestRecipient(email="coord.gt@justiceinmotion.example.org", language="es")]


async def _digest(h: Harness, audience: str) -> DigestResult:
    # Waiting on a result lets the time-skipping server jump to the cases' next timers (days ahead): here the
    # clock must stand still, as it does between two runs of a schedule on one morning.
    with h.env.auto_time_skipping_disabled():
        result: DigestResult = await h.client.execute_workflow(
            WORKFLOW, DigestInput(audience=audience, recipients=READERS),  # type: ignore[arg-type]
            id=f"digest-{audience}-{uuid.uuid4().hex[:6]}", task_queue=TaskQueue.MAIN, result_type=DigestResult)
    return result


async def test_the_staff_digest_lists_what_waits_on_staff_in_each_readers_language(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")

    result = await _digest(harness, "staff")

    assert result.items == 1 and result.sent == len(READERS)
    mails = harness.fakes.mails("staff_digest")
    assert [(str(m.to.email), m.to.language) for m in mails] == [(str(r.email), r.language) for r in READERS]
    [section] = mails[0].context["sections"]  # type: ignore[misc]
    [entry] = section["entries"]
    assert section["kind"] == "review" and entry["case_id"] == case.case_id
    assert entry["command"].startswith(f"casefac suggest {case.case_id}")
    for mail in mails:  # each reader's message renders in their language, with the command to type
        rendered = render_mail(mail.kind, mail.to.language, mail.context, strict=True)
        assert case.case_id in rendered.text and f"casefac suggest {case.case_id}" in rendered.text
        assert f'lang="{mail.to.language}"' in rendered.html


async def test_a_second_run_in_the_same_period_reuses_the_mail_keys(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    first, second = await _digest(harness, "staff"), await _digest(harness, "staff")
    assert first.period == second.period
    keys = [m.idempotency_key for m in harness.fakes.mails("staff_digest")]
    # The mail activity's ledger answers a known key without sending (tests/activities/test_act_mail.py).
    assert keys[:len(READERS)] == keys[len(READERS):]
    assert keys[0] == f"digest:staff:{first.period}:0" and "@" not in "".join(keys)


async def test_an_empty_digest_sends_nothing(harness: Harness) -> None:
    case = await harness.open()  # waits on staff: nothing for finance
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    result = await _digest(harness, "finance")
    assert result.items == 0 and result.sent == 0
    assert not harness.fakes.calls[ActivityName.SEND_MAILS] or not harness.fakes.mails("finance_digest")


async def test_the_finance_digest_is_weekly() -> None:
    from datetime import UTC, datetime

    assert period("finance", datetime(2026, 12, 1, 13, tzinfo=UTC)) == "2026-W49"
    assert period("staff", datetime(2026, 12, 1, 13, tzinfo=UTC)) == "2026-12-01"


def test_every_kind_of_item_renders_in_both_digests_and_languages() -> None:
    """Each section and line of ``_digest.jinja``, strictly: a typo or a wrong plural variable fails here."""
    from datetime import UTC, datetime, timedelta

    from casefac.activity_io import MailKind
    from casefac.digest import context
    from casefac.worklist import SECTIONS, Item, Worklist

    now = datetime(2026, 12, 1, 13, tzinfo=UTC)
    kinds = {k for sections in SECTIONS.values() for kinds in sections for k in kinds}
    items = [Item(kind=k, case_id=f"JIM-2026-{n:04d}", since=now - timedelta(days=n), what=f"what {k}",  # type: ignore[arg-type]
                  party="defender DEF-GT-002", detail="INV-0001", amount="USD 155.00", days=n, bucket="1-30",
                  escalated=n % 2 == 0, command=f"casefac status JIM-2026-{n:04d}")
             for n, k in enumerate(sorted(kinds), start=1)]
    for audience, kind in (("staff", MailKind.STAFF_DIGEST), ("finance", MailKind.FINANCE_DIGEST)):
        worklist = Worklist(audience=audience, at=now, items=items, cases=len(items))  # type: ignore[arg-type]
        for language in ("en", "es"):
            rendered = render_mail(kind, language, context(worklist), strict=True)
            shown = [i for i in items if any(i.kind in ks for ks in SECTIONS[audience])]  # type: ignore[index]
            assert all(i.command in rendered.text and i.command in rendered.html for i in shown)


# ---- a long worklist: capped per section, and a bounded mail input ---------------------------------------------
OPEN, OVERDUE = 300, 100  # 400 items, every one an invoice (the finance digest lists every open invoice)
TEN_READERS = [DigestRecipient(email=f"fin.{n}@justiceinmotion.example.org", language=("en", "es", "fr")[n % 3],
                               name=f"Reader {n}") for n in range(10)]
MORE = {"en": "and {n} more items: run casefac money for the full list",
        "es": "y {n} elementos más: ejecute casefac money para ver la lista completa",
        "fr": "et {n} autres éléments : exécutez casefac money pour voir la liste complète"}


def _status(case_id: str, invoice: Any) -> CaseStatus:
    return CaseStatus(
        case_id=case_id, stage=CaseStage.PAYMENT, country="GT", advocate_id="ADV-1", advocate_language="en",
        defender_id="DEF-GT-002", defender_language="es", waiting=None, attention=None, agreement=AgreementStatus(),
        contract=None, previous_contract=None, advocate_completed=True, envelope=None, tasks=[], reports=[],
        invoices=[invoice], payouts=[], money=MoneyFigures(), evaluations_from=[], outcome=None, timeline=[],
        history_events=10)


def _invoiced(n: int, *, overdue: bool) -> CaseStatus:
    today = date.today()
    due = today - timedelta(days=10 + n) if overdue else today + timedelta(days=400 + n)
    return _status(f"JIM-2025-{n:04d}", InvoiceState(
        report_number=1, invoice_id=f"in_{n}", number=f"INV-{n:04d}", status="open",
        amount_due=Money(amount=15500, currency="USD"), issued_at=datetime.now(UTC) - timedelta(days=40 + n),
        due_date=due))


@dataclass
class _Listed:
    """Stands in for a harness case: the digest reads ``status()`` of each (``tests.workflow.world``)."""

    listed: CaseStatus

    async def status(self) -> CaseStatus:
        return self.listed


async def test_a_long_worklist_is_capped_per_section_and_the_mail_input_stays_bounded(harness: Harness) -> None:
    statuses = ([_invoiced(n, overdue=False) for n in range(OPEN)]
                + [_invoiced(OPEN + n, overdue=True) for n in range(OVERDUE)])
    harness.cases.extend(_Listed(s) for s in statuses)  # type: ignore[misc]

    with harness.env.auto_time_skipping_disabled():
        result: DigestResult = await harness.client.execute_workflow(
            WORKFLOW, DigestInput(audience="finance", recipients=TEN_READERS),
            id=f"digest-finance-{uuid.uuid4().hex[:6]}", task_queue=TaskQueue.MAIN, result_type=DigestResult)

    assert result.items == OPEN + OVERDUE and result.sent == len(TEN_READERS)
    [batch] = harness.fakes.calls[ActivityName.SEND_MAILS]
    size = len(to_json(batch))
    assert size < 256 * 1024 and size <= BATCH_BOUND < 2 * 1024 * 1024, size
    mails = harness.fakes.mails("finance_digest")
    assert len(mails) == len(TEN_READERS)
    for mail in mails:
        sections = {s["kind"]: s for s in mail.context["sections"]}  # type: ignore[union-attr]
        assert [(k, s["count"], len(s["entries"]), s["more"]) for k, s in sections.items()] == [
            ("invoice_overdue", OVERDUE, SECTION_CAP, OVERDUE - SECTION_CAP),
            ("invoice_open", OPEN, SECTION_CAP, OPEN - SECTION_CAP)]
        # Oldest first: the overdue invoices longest unpaid (the last made here), the open ones issued first.
        assert [e["case_id"] for e in sections["invoice_overdue"]["entries"]] == [
            f"JIM-2025-{n:04d}" for n in range(OPEN + OVERDUE - 1, OPEN + OVERDUE - 1 - SECTION_CAP, -1)]
        assert [e["case_id"] for e in sections["invoice_open"]["entries"]][:2] == [
            f"JIM-2025-{OPEN - 1:04d}", f"JIM-2025-{OPEN - 2:04d}"]
        rendered = render_mail(mail.kind, mail.to.language, mail.context, strict=True)
        assert rendered.text.count("$ casefac status ") == 2 * SECTION_CAP
        assert rendered.html.count("<code") == 2 * SECTION_CAP
        for n in (OPEN - SECTION_CAP, OVERDUE - SECTION_CAP):
            line = MORE[mail.to.language].format(n=n)
            assert line in rendered.text and line in rendered.html, (mail.to.language, line)
        assert f"({OPEN})" in rendered.text and f"({OVERDUE})" in rendered.text  # the true counts, in the titles


def test_the_mail_input_is_bounded_whatever_the_items_say() -> None:
    """Every section full of items whose texts are as long as texts get, escaped at six bytes a character,
    and ten readers with the longest names: each context stays in its budget and the batch under the bound."""
    from casefac.activity_io import MailBatch, MailTo, SendMail
    from casefac.digest import CONTEXT_BUDGET, context
    from casefac.parties import Role
    from casefac.worklist import SECTIONS, Item, Worklist

    now = datetime(2026, 12, 1, 13, tzinfo=UTC)
    wordy = "\x01é€😀" * 2000
    for audience in ("staff", "finance"):
        kinds = [k for ks in SECTIONS[audience] for k in ks]  # type: ignore[index]
        items = [Item(kind=k, case_id=f"JIM-2026-{n:04d}" + wordy[:80], since=now - timedelta(days=n), what=wordy,  # type: ignore[arg-type]
                      party=wordy, detail=wordy, amount=wordy, days=n, bucket=wordy, escalated=True,
                      command=wordy) for k in kinds for n in range(200)]
        worklist = Worklist(audience=audience, at=now, items=items, cases=len(items),  # type: ignore[arg-type]
                            unanswered=[f"case-{n}-" + wordy for n in range(500)])
        ctx = context(worklist)
        assert len(json.dumps(ctx, separators=(",", ":"))) <= CONTEXT_BUDGET
        assert all(s["count"] == len(s["entries"]) + s["more"] for s in ctx["sections"])
        assert ctx["unanswered_more"] == 500 - 25
        batch = MailBatch(messages=[SendMail(
            idempotency_key="k" * 200, kind=MailKind.FINANCE_DIGEST,
            to=MailTo(role=Role.FINANCE, party_id=f"{audience}-digest-{n}", language="fr",
                      email=f"{'a' * 64}@{'b' * 55}.{'c' * 60}.{'d' * 60}.example.org", name="\x01" * 200),
            context=ctx) for n in range(MAX_READERS)])
        assert len(to_json(batch)) <= BATCH_BOUND < 2 * 1024 * 1024
        for language in ("en", "es", "fr"):
            render_mail(KINDS[audience], language, ctx, strict=True)  # type: ignore[index]


def test_the_workflow_reads_a_gather_result_from_before_the_cap() -> None:
    """A run begun on an older worker (or an older worker's gather during a rolling deploy) holds a Worklist."""
    from casefac.converter import data_converter
    from casefac.digest import Digest, digest_of
    from casefac.worklist import build

    convert = data_converter(None).payload_converter
    worklist = build("finance", [_invoiced(n, overdue=True) for n in range(30)], datetime.now(UTC))
    for sent, kind in ((worklist, type(worklist)), (digest_of(worklist), Digest)):
        [payload] = convert.to_payloads([sent])
        [got] = convert.from_payloads([payload], [Digest | type(worklist)])  # type: ignore[list-item]
        assert type(got) is kind
    assert digest_of(worklist).context["sections"][0]["more"] == 30 - SECTION_CAP  # type: ignore[index]
