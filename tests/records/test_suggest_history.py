"""What ``casefac suggest`` reads of each Defender's past from the case record, on SQLite and PostgreSQL.

Three closed cases written through the store, their figures chosen by hand: the histories must say
exactly those figures (counts, means, the last assignment, the median days to a first report).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from casefac.evaluation import Evaluation
from casefac.keyring import KeyRing
from casefac.record import CaseRecord, build_record
from casefac.state import Offer
from records import models as m
from records.roster_store import open_case_counts
from records.sealing import Sealer
from records.store import RecordStore
from records.suggest import histories
from tests.records.samples import DEFENDER, at, closed_state, request


def _case(case_id: str, *, defender_id: str, overall: int, report_days: float, offers: list[Offer],
          closed: bool = True) -> CaseRecord:
    state = closed_state()
    stages = [c for c in state.stage_changes if closed or c.stage.value != "CLOSED"]
    assignment = next(c for c in stages if c.stage.value == "ASSIGNMENT")
    state = state.model_copy(update={
        "defender": DEFENDER.model_copy(update={"id": defender_id}), "offers": offers,
        "stage_changes": stages, "stage": stages[-1].stage,
        "evaluations": {"advocate": Evaluation(communication=4, quality=4, timeliness=4, overall=overall,
                                               would_work_again=True)},
        "reports": [state.reports[0].model_copy(update={"submitted_at": assignment.at + timedelta(days=report_days)})],
        "invoices": [i.model_copy(update={"invoice_id": f"in_{case_id}"}) for i in state.invoices],
    })
    return build_record(request(case_id), state, seq=5, origin=f"run-{case_id}", workflow_id=f"case-{case_id}",
                        recorded_at=at(30), ledes={})


def test_histories_say_what_the_cases_did(records_engine: Engine) -> None:
    sealer = Sealer(KeyRing.generate())
    store = RecordStore(records_engine, sealer)
    a1 = Offer(defender_id="DEF-GT-001", offered_at=at(0.1), result="accepted", answered_at=at(0.2))
    store.write(_case("JIM-2026-0101", defender_id="DEF-GT-001", overall=5, report_days=4, offers=[
        Offer(defender_id="DEF-GT-002", offered_at=at(0.0), result="declined", reason="Travelling",
              answered_at=at(0.05)), a1]))
    a2 = Offer(defender_id="DEF-GT-001", offered_at=at(40), result="accepted", answered_at=at(40.5),
               override="Asked for it while at capacity")
    store.write(_case("JIM-2026-0102", defender_id="DEF-GT-001", overall=3, report_days=10, offers=[a2]))
    store.write(_case("JIM-2026-0103", defender_id="DEF-GT-002", overall=4, report_days=7, closed=False, offers=[
        Offer(defender_id="DEF-GT-003", offered_at=at(1), result="no_answer", answered_at=at(4)),
        Offer(defender_id="DEF-GT-002", offered_at=at(4), result="accepted", answered_at=at(4.1))]))

    found = histories(records_engine)
    one, two, three = found["DEF-GT-001"], found["DEF-GT-002"], found["DEF-GT-003"]
    assert (one.evaluations, one.mean_overall) == (2, 4.0)  # (5 + 3) / 2
    assert (one.offers, one.accepted, one.declined, one.lapsed) == (2, 2, 0, 0)
    assert one.last_assigned_at == at(40)
    assert one.median_report_days is not None and abs(one.median_report_days - 7.0) < 1e-6  # median of 4 and 10
    assert (two.offers, two.accepted, two.declined, two.evaluations) == (2, 1, 1, 1)
    assert two.median_report_days is not None and abs(two.median_report_days - 7.0) < 1e-6
    assert (three.offers, three.lapsed, three.accepted, three.last_assigned_at) == (1, 1, 0, None)
    assert open_case_counts(records_engine) == {"DEF-GT-002": 1}  # the third case is still open

    with records_engine.connect() as c:
        sealed = c.scalar(select(m.AssignmentOfferRow.override_sealed)
                          .where(m.AssignmentOfferRow.case_id == "JIM-2026-0102"))
    assert sealed is not None and "Asked for it" not in sealed
    assert sealer.open(sealed, where="assignment_offers.override/0", case_id="JIM-2026-0102") == (
        "Asked for it while at capacity")
