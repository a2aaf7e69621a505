"""The first contract revision, drafted from the case request, and its system text in the reader's language.

The draft is made inside the workflow, so its texts are stored in English, always the same (replay must
see the same terms). Whoever reads them later reads them in their own language: ``system_text`` recognises
each generated sentence (the scope, a default task, the revision note) and translates it; anything a person
wrote or edited is shown exactly as written.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import MappingProxyType

from casefac.case import CaseRequest
from casefac.contract import ContractRevision, ContractTerms, TaskSpec
from casefac.i18n import N_, gettext
from casefac.labels import MATTERS, country, label
from casefac.parties import Actor, Defender, Role, Service

SERVICE_TASKS: MappingProxyType[Service, str] = MappingProxyType({
    Service.LOCATE_CLIENT: N_("Locate the client and confirm a safe way to reach them"),
    Service.FACILITATE_COMMUNICATION: N_("Facilitate communication between the Advocate and the client"),
    Service.SETTLEMENT_COORDINATION: N_("Coordinate settlement signatures and the transfer of the award"),
    Service.WITNESS_AFFIDAVIT: N_("Obtain the witness affidavit(s) the Advocate specifies"),
    Service.DOCUMENT_COLLECTION: N_("Collect the documents the Advocate lists (e.g. birth certificates)"),
    Service.SERVICE_OF_PROCESS: N_("Serve process as instructed and return proof of service"),
})
DRAFT_NOTE = N_("Drafted from the case request")
#: The scope as stored (English, fixed for replay); SCOPE_MESSAGE is its translatable form.
SCOPE_STORED = "Case Facilitation {case_id}: services in {country} for a {matter} matter, as listed in the tasks."
SCOPE_MESSAGE = N_("Case Facilitation %(case_id)s: services in %(country)s for a %(matter)s matter, as listed "
                   "in the tasks.")
_SCOPE = re.compile(r"^Case Facilitation (?P<case_id>\S+): services in (?P<country>[A-Z]{2}) for a "
                    r"(?P<matter>[a-z ]+) matter, as listed in the tasks\.$")
_STORED_MATTERS = {code.replace("_", " "): code for code in MATTERS}
_GENERATED = frozenset([*SERVICE_TASKS.values(), DRAFT_NOTE])


def draft_revision(request: CaseRequest, defender: Defender, now: datetime) -> ContractRevision:
    """Revision 1: one task per requested service, the Defender's rate, the request's deadline and cap."""
    tasks = [TaskSpec(id=f"T{i}", service=svc, description=SERVICE_TASKS[svc], due=request.deadline)
             for i, svc in enumerate(request.services, start=1)]
    terms = ContractTerms(
        scope=SCOPE_STORED.format(case_id=request.case_id, country=request.country,
                                  matter=request.matter_type.value.replace("_", " ")),
        tasks=tasks,
        hourly_rate=defender.hourly_rate,
        expense_cap=request.budget_cap,
        deadline=request.deadline,
    )
    return ContractRevision(number=1, terms=terms, author=Actor(role=Role.STAFF, id="casefac"),
                            note=DRAFT_NOTE, created_at=now)


def is_generated(text: str) -> bool:
    """Whether ``text`` is exactly a sentence the system wrote (so it may be shown translated)."""
    return text in _GENERATED or _SCOPE.match(text) is not None


def system_text(text: str, lang: str) -> str:
    """``text`` in ``lang`` when the system generated it; a person's own words unchanged."""
    if text in _GENERATED:
        return gettext(lang, text)
    match = _SCOPE.match(text)
    if match and match["matter"] in _STORED_MATTERS:
        return gettext(lang, SCOPE_MESSAGE, case_id=match["case_id"], country=country(match["country"], lang),
                       matter=label(MATTERS, _STORED_MATTERS[match["matter"]], lang))
    return text
