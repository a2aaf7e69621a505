"""The record store on SQLite and PostgreSQL: idempotent snapshots, one row per fact, sealed personal data."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, select, text

from casefac.keyring import KeyRing
from casefac.money import Money
from records import models as m
from records.reader import RecordReader
from records.sealing import Sealer, UnsealError
from records.store import CaseIdTaken, RecordStore
from tests.records.samples import SECRETS, at, cancelled_record, closed_record


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate("k-test-1")


def _counts(engine: Engine, case_id: str) -> dict[str, int]:
    with engine.connect() as c:
        return {t.__tablename__: c.scalar(select(func.count()).select_from(t).where(t.case_id == case_id))
                for t in m.CHILD_TABLES}


def test_a_closed_case_reads_back_as_written(records_engine: Engine, ring: KeyRing) -> None:
    store, reader = RecordStore(records_engine, Sealer(ring)), RecordReader(records_engine, Sealer(ring))
    assert store.write(closed_record()).result == "written"
    got = reader.case("JIM-2026-0042")
    assert got is not None
    assert (got.stage.value, got.country, got.problem_code, got.defender_id) == ("CLOSED", "GT", "81", "DEF-GT-001")
    assert [s.value for s in got.services] == ["locate_client", "document_collection"]  # as asked
    assert [(s.stage.value, s.entered_at, s.left_at) for s in got.stages] == [
        ("REVIEW", at(0), at(1)), ("AGREEMENT", at(1), at(4)), ("ASSIGNMENT", at(4), at(19.5)),
        ("PAYMENT", at(19.5), at(21)), ("EVALUATION", at(21), at(30)), ("CLOSED", at(30), None)]
    assert got.closed_at == at(30) and got.opened_at == at(0)
    assert [(c.number, c.approvals, c.signed, c.envelope_id) for c in got.contract] == [
        (1, [], False, None), (2, ["defender", "staff"], True, "env-42")]
    assert len(got.contract[1].content_hash) == 64 and got.contract[0].content_hash != got.contract[1].content_hash
    assert [(t.id, t.status, t.notes) for t in got.tasks] == [("T1", "done", ["Call from the cousin"]),
                                                             ("T2", "done", [])]
    assert [(r.number, r.kind, r.status, r.hours, r.expense_currencies) for r in got.reports] == [
        (1, "final", "approved", "5", ["GTQ"])]
    inv = got.invoices[0]
    assert (inv.invoice_id, inv.number, inv.status, inv.amount_due, inv.paid_at) == (
        "in_42", "0396E41C-0001", "paid", Money(amount=22250, currency="USD"), at(25))
    assert [(h.status, h.at) for h in inv.history] == [("open", at(21)), ("paid", at(25))]
    assert inv.due_date == date(2026, 4, 22)
    pay = got.payouts[0]
    assert (pay.method, pay.status, pay.reference, pay.amount.amount) == ("stripe_connect", "paid", "tr_42", 23250)
    assert got.money.invoiced == got.money.paid == Money(amount=22250, currency="USD")
    assert got.money.outstanding == Money(amount=0, currency="USD")
    assert got.evaluations_from == ["advocate", "defender"] and got.outcome == "granted"
    assert (got.closing_code, got.closing_code_suggested) == (None, "H")  # granted → administrative decision
    assert [(a.step, a.resolved_at) for a in got.attention] == [("invoice for report 1", at(21.2))]
    assert got.attention[0].message == "customer email invalid"
    assert got.ledes_reports == [1] and "Met the client" in (reader.ledes("JIM-2026-0042", 1) or "")


def test_reportable_facts_are_columns(records_engine: Engine, ring: KeyRing) -> None:
    RecordStore(records_engine, Sealer(ring)).write(closed_record())
    with records_engine.connect() as c:
        hours = c.execute(select(m.HourLineRow.hours_tenths, m.HourLineRow.task_code, m.HourLineRow.activity_code)
                          .order_by(m.HourLineRow.line)).all()
        assert [tuple(h) for h in hours] == [(35, "L110", "A106"), (15, "L120", "A104")]
        expense = c.execute(select(m.ExpenseLineRow.amount, m.ExpenseLineRow.currency,
                                   m.ExpenseLineRow.expense_code)).one()
        assert tuple(expense) == (25000, "GTQ", "E109")
        approval = c.execute(select(m.ApprovalRow.exchange_rates, m.ApprovalRow.invoice_amount,
                                    m.ApprovalRow.payout_amount)).one()
        assert tuple(approval) == ("GTQ:USD=0.13", 22250, 23250)
        priced = c.execute(select(m.PricedLineRow.code, m.PricedLineRow.amount, m.PricedLineRow.source_amount)
                           .order_by(m.PricedLineRow.line)).all()
        assert [tuple(p) for p in priced] == [("L110", 14000, None), ("L120", 6000, None), ("E109", 3250, 25000),
                                              ("ADJ", -1000, None)]
        assert c.scalar(select(m.InvoiceRow.amount_usd)) == 22250 and c.scalar(select(m.PayoutRow.amount_usd)) == 23250
        scores = c.execute(select(m.EvaluationRow.role, m.EvaluationRow.overall, m.EvaluationRow.defender_id)
                           .order_by(m.EvaluationRow.role)).all()
        assert [tuple(s) for s in scores] == [("advocate", 5, "DEF-GT-001"), ("defender", 4, "DEF-GT-001")]
        offers = c.execute(select(m.AssignmentOfferRow.defender_id, m.AssignmentOfferRow.result)
                           .order_by(m.AssignmentOfferRow.position)).all()
        assert [tuple(o) for o in offers] == [("DEF-GT-002", "declined"), ("DEF-GT-001", "accepted")]
        assert c.scalar(select(m.AdvocateRow.organization)) == "Whitfield Immigration Law"
        assert c.scalar(select(m.DefenderRow.organization)) == "Defensoría Maya"


def test_the_same_snapshot_twice_or_late_changes_nothing(records_engine: Engine, ring: KeyRing) -> None:
    store = RecordStore(records_engine, Sealer(ring))
    assert store.write(closed_record(seq=9)).result == "written"
    before = _counts(records_engine, "JIM-2026-0042")
    assert store.write(closed_record(seq=9)).result == "unchanged"
    late = closed_record(seq=4).model_copy(update={"stage": closed_record().stages[3].stage, "invoices": []})
    assert store.write(late).model_dump() == {"result": "stale", "seq": 9}
    assert _counts(records_engine, "JIM-2026-0042") == before
    assert before["report_hours"] == 2 and before["invoices"] == 1 and before["stage_changes"] == 6
    with records_engine.connect() as c:
        assert c.scalar(select(m.CaseRow.stage)) == "CLOSED"
        assert c.scalar(select(func.count()).select_from(m.CaseRow)) == 1


def test_a_newer_snapshot_replaces_the_facts_and_keeps_what_staff_set(records_engine: Engine, ring: KeyRing) -> None:
    store, reader = RecordStore(records_engine, Sealer(ring)), RecordReader(records_engine, Sealer(ring))
    store.write(closed_record(seq=9))
    assert reader.set_closing_code("JIM-2026-0042", "Ib", "staff:coord.ana") == "H"
    newer = closed_record(seq=10)
    newer.tasks[0].notes.append("A second note")
    assert store.write(newer).result == "written"
    got = reader.case("JIM-2026-0042")
    assert got is not None and got.record_seq == 10 and got.closing_code == "Ib"
    assert got.tasks[0].notes == ["Call from the cousin", "A second note"]
    assert _counts(records_engine, "JIM-2026-0042")["tasks"] == 2


def test_a_reused_case_id_never_overwrites_the_case_of_record(records_engine: Engine, ring: KeyRing) -> None:
    store = RecordStore(records_engine, Sealer(ring))
    store.write(closed_record(origin="run-1"))
    with pytest.raises(CaseIdTaken, match="already holds another case JIM-2026-0042"):
        store.write(closed_record(seq=50, origin="run-2"))
    assert RecordReader(records_engine, Sealer(ring)).case("JIM-2026-0042").record_seq == 9  # type: ignore[union-attr]


def test_closing_codes_are_checked(records_engine: Engine, ring: KeyRing) -> None:
    store, reader = RecordStore(records_engine, Sealer(ring)), RecordReader(records_engine, Sealer(ring))
    store.write(cancelled_record(seq=2))
    assert reader.case("JIM-2026-0043").closing_code_suggested == "A"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not an LSC CSR closing code"):
        reader.set_closing_code("JIM-2026-0043", "Z", "staff:coord.ana")
    with pytest.raises(LookupError, match="no case JIM-2026-9999"):
        reader.set_closing_code("JIM-2026-9999", "B", "staff:coord.ana")
    assert reader.case("JIM-2026-0043").cancel_reason == "The client withdrew"  # type: ignore[union-attr]


def test_no_personal_data_or_free_text_in_the_clear(records_engine: Engine, ring: KeyRing) -> None:
    RecordStore(records_engine, Sealer(ring)).write(closed_record())
    dump: list[str] = []
    with records_engine.connect() as c:
        for table in m.Base.metadata.sorted_tables:
            for row in c.execute(select(table)):
                dump += [str(v) for v in row]
    everything = "\n".join(dump)
    assert "Whitfield Immigration Law" in everything  # the dump is real: the organisation is a reportable fact
    leaked = [s for s in SECRETS if s in everything]
    assert leaked == []
    sealed = [v for v in dump if v.startswith("v1:k-test-1:")]
    assert len(sealed) >= 15
    if records_engine.dialect.name == "sqlite":  # and nothing in the file's pages either (WAL included)
        with records_engine.connect() as c:
            c.execute(text("PRAGMA wal_checkpoint(FULL)"))
        raw = open(records_engine.url.database or "", "rb").read()  # noqa: SIM115
        assert b"Whitfield Immigration Law" in raw
        assert [s for s in SECRETS if s.encode() in raw] == []


def test_sealed_values_open_after_a_key_rotation_and_not_without_the_key(records_engine: Engine) -> None:
    ring = KeyRing.generate("k-old")
    RecordStore(records_engine, Sealer(ring)).write(closed_record(case_id="JIM-2026-0042"))
    rotated = ring.model_copy(deep=True)
    rotated.add_new_key(key_id="k-new")
    RecordStore(records_engine, Sealer(rotated)).write(cancelled_record(seq=3, case_id="JIM-2026-0043"))
    reader = RecordReader(records_engine, Sealer(rotated))
    old, new = reader.case("JIM-2026-0042"), reader.case("JIM-2026-0043")
    assert old is not None and old.tasks[0].notes == ["Call from the cousin"]
    assert new is not None and new.cancel_reason == "The client withdrew"
    with records_engine.connect() as c:
        reason = c.scalar(select(m.CaseRow.cancel_reason_sealed).where(m.CaseRow.case_id == "JIM-2026-0043"))
    assert reason is not None and reason.startswith("v1:k-new:")
    with pytest.raises(UnsealError, match="key 'k-new'"):
        RecordReader(records_engine, Sealer(ring)).case("JIM-2026-0043")


def test_a_sealed_value_moved_to_another_case_does_not_open(records_engine: Engine, ring: KeyRing) -> None:
    store = RecordStore(records_engine, Sealer(ring))
    store.write(closed_record(case_id="JIM-2026-0042"))
    store.write(cancelled_record(seq=2, case_id="JIM-2026-0043"))
    with records_engine.begin() as c:
        stolen = c.scalar(select(m.CaseRow.client_sealed).where(m.CaseRow.case_id == "JIM-2026-0042"))
        c.execute(m.CaseRow.__table__.update().where(m.CaseRow.case_id == "JIM-2026-0043")
                  .values(cancel_reason_sealed=stolen))
    with pytest.raises(UnsealError, match="failed authentication"):
        RecordReader(records_engine, Sealer(ring)).case("JIM-2026-0043")


def test_a_time_with_another_offset_comes_back_as_the_same_moment(records_engine: Engine, ring: KeyRing) -> None:
    guatemala = timezone(timedelta(hours=-6))
    signed = datetime(2026, 3, 4, 9, 30, tzinfo=guatemala)  # 15:30 UTC
    record = closed_record()
    record = record.model_copy(update={"agreement": record.agreement.model_copy(update={"signed_at": signed})})
    RecordStore(records_engine, Sealer(ring)).write(record)
    got = RecordReader(records_engine, Sealer(ring)).case("JIM-2026-0042")
    assert got is not None and got.agreement.signed_at == signed
    assert got.agreement.signed_at is not None and got.agreement.signed_at.utcoffset() == timedelta(0)
