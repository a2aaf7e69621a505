"""The HTML documents DocuSign gets: the case contract and the one-time Advocate Agreement, multilingual.

Pure rendering (no provider SDK), so the portal and the tests can see exactly what will be signed. Each
document holds its full text once per language, in sequence: English, then Spanish (the Defender's
language, and the network's), then French when the Advocate reads French; each version says which one
governs (English, the language JiM contracts in). Text the system generated (the drafted scope, default
tasks) appears in each version's language; what a person wrote appears as written. Each signer's tabs are
placed on anchor strings (``/sig<N>/``, ``/date<N>/``, N = DocuSign recipient id) printed in white, once.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from babel import Locale
from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from casefac import labels
from casefac.activity_io import CONTRACT_SIGNERS, SendAgreementEnvelope, SendContractEnvelope
from casefac.contract_draft import system_text
from casefac.i18n import LOCALES, N_, Lang, format_day, format_money, gettext, jinja_environment
from casefac.mail_render import TEMPLATES_DIR
from casefac.parties import Advocate, Role

#: The version that governs if the translations ever differ.
GOVERNING: Lang = "en"
HEADINGS = {"signatures": N_("Signatures"), "signature": N_("Signature"), "role": N_("Role"), "name": N_("Name"),
            "date": N_("Date"), "advocate": N_("Advocate")}
TITLES = {"contract": N_("Case Facilitation Contract %(case_id)s"), "agreement": N_("Advocate Agreement")}


def sign_anchor(recipient_id: str) -> str:
    return f"/sig{recipient_id}/"


def date_anchor(recipient_id: str) -> str:
    return f"/date{recipient_id}/"


def document_languages(advocate: Advocate) -> list[Lang]:
    """English and Spanish always; French too when the Advocate reads French."""
    return ["en", "es", "fr"] if advocate.language == "fr" else ["en", "es"]


def render_contract(request: SendContractEnvelope, jim_name: str, issued: date) -> str:
    """The contract for one revision. Parties are named (they sign it); the client never is."""
    names = {Role.ADVOCATE: request.advocate.name, Role.DEFENDER: request.defender.name, Role.STAFF: jim_name}
    langs = document_languages(request.advocate)
    terms = request.revision.terms
    versions = []
    for lang in langs:
        context: dict[str, Any] = {
            "case_id": request.case_id,
            "revision": request.revision.number,
            "issued": format_day(issued, lang),
            "terms": terms,
            "scope": system_text(terms.scope, lang),
            "country": labels.country(request.country, lang),
            "matter": labels.label(labels.MATTERS, request.matter_type.value, lang),
            "services": labels.services([s.value for s in request.services], lang),
            "tasks": [{"id": t.id, "service": labels.service(t.service.value, lang),
                       "description": system_text(t.description, lang),
                       "due": format_day(t.due, lang) if t.due else None} for t in terms.tasks],
            "rate": format_money(terms.hourly_rate.amount, terms.hourly_rate.currency, lang),
            "expense_cap": (format_money(terms.expense_cap.amount, terms.expense_cap.currency, lang)
                            if terms.expense_cap else None),
            "hours_cap": terms.hours_cap,
            "deadline": format_day(terms.deadline, lang) if terms.deadline else None,
            "advocate": {"name": request.advocate.name, "organization": request.advocate.organization},
            "defender": {"name": request.defender.name},
            "jim": {"name": jim_name},
            **_governing(langs, lang),
        }
        versions.append(_version(lang, "contract/_contract_body.html", context))
    signers = [{"id": rid, "roles": _each(langs, labels.ROLES[role.value]), "name": names[role],
                "sig": sign_anchor(rid), "date": date_anchor(rid)}
               for role, rid in sorted(CONTRACT_SIGNERS.items(), key=lambda kv: kv[1])]
    return _env().get_template("contract/contract.html").render(
        versions=versions, signers=signers, headings=_headings(langs),
        title=" / ".join(gettext(lang, TITLES["contract"], case_id=request.case_id) for lang in langs))


def render_agreement(request: SendAgreementEnvelope, jim_name: str, issued: date) -> str:
    advocate = request.advocate
    langs = document_languages(advocate)
    versions = [_version(lang, "contract/_agreement_body.html", {
        "advocate": {"id": advocate.id, "name": advocate.name, "organization": advocate.organization},
        "jim": {"name": jim_name}, "issued": format_day(issued, lang), **_governing(langs, lang)})
        for lang in langs]
    return _env().get_template("contract/agreement.html").render(
        versions=versions, advocate={"name": advocate.name}, sig=sign_anchor("1"), date=date_anchor("1"),
        headings=_headings(langs), title=" / ".join(gettext(lang, TITLES["agreement"]) for lang in langs))


def _language_name(code: str, lang: str) -> str:
    return str(Locale.parse(LOCALES[lang]).languages[code])


def _governing(langs: list[Lang], lang: Lang) -> dict[str, str]:
    """``others``: the versions' languages named in ``lang``; ``governing``: the governing one's name."""
    names = [_language_name(code, lang) for code in langs]
    return {"others": format_list(names, locale=LOCALES[lang]), "governing": _language_name(GOVERNING, lang)}


def _each(langs: list[Lang], message: str) -> list[str]:
    """One label per language, without repeating a word that reads the same (Justice in Motion)."""
    out: list[str] = []
    for lang in langs:
        text = gettext(lang, message)
        if text not in out:
            out.append(text)
    return out


def _headings(langs: list[Lang]) -> dict[str, str]:
    return {key: " · ".join(_each(langs, message)) for key, message in HEADINGS.items()}


def _version(lang: Lang, template: str, context: dict[str, Any]) -> dict[str, Any]:
    return {"lang": lang, "html": Markup(_body_env(lang).get_template(template).render(context))}


@cache
def _body_env(lang: Lang) -> Environment:
    # Strict: a legal document must never silently lose a clause to a typo.
    return jinja_environment(lang, FileSystemLoader(TEMPLATES_DIR), autoescape=True, strict=True)


@cache
def _env() -> Environment:
    return jinja_environment("en", FileSystemLoader(TEMPLATES_DIR), autoescape=True, strict=True)
