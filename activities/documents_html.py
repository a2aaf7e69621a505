"""The HTML documents DocuSign gets: the case contract (bilingual) and the one-time Advocate Agreement.

Pure rendering (no provider SDK), so the portal can show exactly what will be signed. Each signer's tabs
are placed on anchor strings (``/sig<N>/``, ``/date<N>/``, N = DocuSign recipient id) printed in white.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from casefac.activity_io import CONTRACT_SIGNERS, SendAgreementEnvelope, SendContractEnvelope
from casefac.mail_render import TEMPLATES_DIR
from casefac.parties import Role, Service

SERVICE_LABELS: dict[Service, tuple[str, str]] = {
    Service.LOCATE_CLIENT: ("Locating the client", "Localización del cliente"),
    Service.FACILITATE_COMMUNICATION: ("Facilitating communication", "Facilitación de la comunicación"),
    Service.SETTLEMENT_COORDINATION: ("Settlement coordination", "Coordinación de acuerdos"),
    Service.WITNESS_AFFIDAVIT: ("Witness affidavits", "Declaraciones juradas de testigos"),
    Service.DOCUMENT_COLLECTION: ("Document collection", "Obtención de documentos"),
    Service.SERVICE_OF_PROCESS: ("Service of process", "Notificación de actos procesales"),
}
COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    "MX": ("Mexico", "México"), "GT": ("Guatemala", "Guatemala"), "SV": ("El Salvador", "El Salvador"),
    "HN": ("Honduras", "Honduras"), "NI": ("Nicaragua", "Nicaragua"),
}
MATTER_LABELS: dict[str, tuple[str, str]] = {
    "rights_violation": ("rights violation", "violación de derechos"),
    "protection": ("protection", "protección"),
}
ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.ADVOCATE: ("Advocate", "Abogado/a"),
    Role.DEFENDER: ("Defender", "Defensor/a"),
    Role.STAFF: ("Justice in Motion", "Justice in Motion"),
}


def sign_anchor(recipient_id: str) -> str:
    return f"/sig{recipient_id}/"


def date_anchor(recipient_id: str) -> str:
    return f"/date{recipient_id}/"


def render_contract(request: SendContractEnvelope, jim_name: str, issued: date) -> str:
    """The contract for one revision. Parties are named (they sign it); the client never is."""
    names = {Role.ADVOCATE: request.advocate.name, Role.DEFENDER: request.defender.name, Role.STAFF: jim_name}
    terms = request.revision.terms
    context: dict[str, Any] = {
        "case_id": request.case_id,
        "revision": request.revision.number,
        "issued": issued.isoformat(),
        "terms": terms,
        "country": _pair(COUNTRY_NAMES[request.country]),
        "matter": _pair(MATTER_LABELS[request.matter_type.value]),
        "services": [_pair(SERVICE_LABELS[s]) for s in request.services],
        "tasks": [{"id": t.id, "service": _pair(SERVICE_LABELS[t.service]), "description": t.description,
                   "due": t.due.isoformat() if t.due else None} for t in terms.tasks],
        "advocate": {"name": request.advocate.name, "organization": request.advocate.organization},
        "defender": {"name": request.defender.name},
        "jim": {"name": jim_name},
        "signers": [{"id": rid, "role": _pair(ROLE_LABELS[role]), "name": names[role],
                     "sig": sign_anchor(rid), "date": date_anchor(rid)}
                    for role, rid in sorted(CONTRACT_SIGNERS.items(), key=lambda kv: kv[1])],
    }
    return _env().get_template("contract/contract.html").render(context)


def render_agreement(request: SendAgreementEnvelope, jim_name: str, issued: date) -> str:
    advocate = request.advocate
    context = {
        "advocate": {"id": advocate.id, "name": advocate.name, "organization": advocate.organization},
        "jim": {"name": jim_name},
        "issued": issued.isoformat(),
        "sig": sign_anchor("1"),
        "date": date_anchor("1"),
    }
    return _env().get_template("contract/agreement.html").render(context)


def _pair(labels: tuple[str, str]) -> dict[str, str]:
    return {"en": labels[0], "es": labels[1]}


@cache
def _env() -> Environment:
    # Strict: a legal document must never silently lose a clause to a typo.
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
