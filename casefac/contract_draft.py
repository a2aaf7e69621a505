"""The first contract revision, drafted from the case request: a starting point the parties then edit."""

from __future__ import annotations

from datetime import datetime

from casefac.case import CaseRequest
from casefac.contract import ContractRevision, ContractTerms, TaskSpec
from casefac.parties import Actor, Defender, Role, Service

SERVICE_TASKS: dict[Service, str] = {
    Service.LOCATE_CLIENT: "Locate the client and confirm a safe way to reach them",
    Service.FACILITATE_COMMUNICATION: "Facilitate communication between the Advocate and the client",
    Service.SETTLEMENT_COORDINATION: "Coordinate settlement signatures and the transfer of the award",
    Service.WITNESS_AFFIDAVIT: "Obtain the witness affidavit(s) the Advocate specifies",
    Service.DOCUMENT_COLLECTION: "Collect the documents the Advocate lists (e.g. birth certificates)",
    Service.SERVICE_OF_PROCESS: "Serve process as instructed and return proof of service",
}


def draft_revision(request: CaseRequest, defender: Defender, now: datetime) -> ContractRevision:
    """Revision 1: one task per requested service, the Defender's rate, the request's deadline and cap."""
    tasks = [TaskSpec(id=f"T{i}", service=svc, description=SERVICE_TASKS[svc], due=request.deadline)
             for i, svc in enumerate(request.services, start=1)]
    terms = ContractTerms(
        scope=(f"Case Facilitation {request.case_id}: services in {request.country} for a "
               f"{request.matter_type.value.replace('_', ' ')} matter, as listed in the tasks."),
        tasks=tasks,
        hourly_rate=defender.hourly_rate,
        expense_cap=request.budget_cap,
        deadline=request.deadline,
    )
    return ContractRevision(number=1, terms=terms, author=Actor(role=Role.STAFF, id="casefac"),
                            note="Drafted from the case request", created_at=now)
