"""The digests on the time-skipping server: the real DigestWorkflow and gather activity over real cases.

A Schedule starts the workflow in production (``starters/schedules.py``); here it is started directly, as the
schedule's action would, so the test controls the clock and the cases.
"""

from __future__ import annotations

import uuid

from casefac.activity_io import ActivityName, TaskQueue
from casefac.digest import WORKFLOW, DigestInput, DigestRecipient, DigestResult, period
from casefac.mail_render import render_mail
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
