"""The documents sent to DocuSign: the contract and the Advocate Agreement in English and Spanish (and French
for a French-reading Advocate), each version saying which governs, system text in each version's language,
the signature anchors once. Written to ``test-artifacts/documents/`` for a human look."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from activities.documents_html import render_agreement, render_contract
from casefac.activity_io import SendAgreementEnvelope, SendContractEnvelope
from casefac.case import CaseRequest, Client, MatterType
from casefac.contract_draft import draft_revision, is_generated, system_text
from casefac.money import Money
from casefac.parties import Actor, Advocate, Defender, Role, Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def _advocate(language: str = "en") -> Advocate:
    return Advocate(id="ADV-0042", name="Alex Rivera", organization="Rivera Immigration Law",
                    email="alex@rivera-law.example.org", language=language, country="CA" if language == "fr" else "US")  # type: ignore[arg-type]


def _request(language: str = "en", special: str = "") -> SendContractEnvelope:
    defender = Defender(id="DEF-GT-001", name="Ana Lucía Pop", email="ana@defensoras.example.org", country="GT",
                        services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                        hourly_rate=Money(amount=2500, currency="USD"))
    request = CaseRequest(case_id="JIM-2026-0042", advocate=_advocate(language),
                          client=Client(full_name="Rosa Ixchel Coc"), country="GT",
                          matter_type=MatterType.PROTECTION,
                          services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                          description="Locate the client.", deadline=date(2026, 6, 30),
                          budget_cap=Money(amount=123000, currency="USD"),
                          opened_by=Actor(role=Role.STAFF, id="coord.ana"))
    revision = draft_revision(request, defender, datetime(2026, 5, 1, tzinfo=UTC))
    if special:
        revision = revision.model_copy(update={"terms": revision.terms.model_copy(update={"special_terms": special})})
    return SendContractEnvelope(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", attempt=1,
                                revision=revision, advocate=request.advocate, defender=defender, country="GT",
                                matter_type=MatterType.PROTECTION, services=request.services)


def _version(html: str, lang: str) -> str:
    match = re.search(rf'<section class="version" lang="{lang}" id="version-{lang}">(.*?)</section>', html, re.S)
    assert match, lang
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_contract_reads_in_english_then_spanish_with_a_governing_clause() -> None:
    html = render_contract(_request(special="Weekly updates by secure messaging."), "Justice in Motion",
                           date(2026, 5, 2))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "contract-en-es.html").write_text(html, encoding="utf-8")
    en, es = _version(html, "en"), _version(html, "es")
    assert html.index('id="version-en"') < html.index('id="version-es"') < html.index('id="signatures"')
    assert "If the versions differ, the English version governs." in en
    assert "Si las versiones difieren, prevalece la versión en inglés." in es
    assert "written in English and Spanish" in en and "redactado en inglés y español" in es
    # system text in each version's language; the parties' own words as written, in both
    assert "Case Facilitation JIM-2026-0042: services in Guatemala for a protection matter" in en
    assert "Facilitación de Caso JIM-2026-0042: servicios en Guatemala para un asunto de protección" in es
    assert "Localizar al cliente y confirmar una forma segura" in es and "Locate the client and confirm" in en
    assert "Locate the client and confirm" not in es
    assert "Weekly updates by secure messaging." in en and "Weekly updates by secure messaging." in es
    # dates and amounts in each locale; services as words, never codes
    assert "May 2, 2026" in en and "2 de mayo de 2026" in es and "30 de junio de 2026" in es
    assert "Hourly rate: USD 25.00." in en and "Tarifa por hora: USD 25.00." in es
    assert "Máximo de gastos: USD 1,230.00." in es
    assert "locate_client" not in html and "document_collection" not in html
    assert "Rosa" not in html  # the client is never named
    for anchor in ("/sig1/", "/sig2/", "/sig3/", "/date1/", "/date2/", "/date3/"):
        assert html.count(anchor) == 1, anchor  # DocuSign places a tab at every occurrence
    assert "Persona defensora" in html and "Defender" in html


def test_contract_for_a_french_reading_advocate_adds_french() -> None:
    html = render_contract(_request("fr"), "Justice in Motion", date(2026, 5, 2))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "contract-en-es-fr.html").write_text(html, encoding="utf-8")
    fr = _version(html, "fr")
    assert "En cas de divergence, la version en anglais prévaut." in fr
    assert "rédigé en anglais, espagnol et français" in fr
    assert "Tarif horaire : USD 25,00." in fr and "2 mai 2026" in fr
    assert html.count("/sig1/") == 1


def test_agreement_is_bilingual_and_signed_once() -> None:
    html = render_agreement(SendAgreementEnvelope(workflow_id="advocate-ADV-0042", advocate=_advocate()),
                            "Justice in Motion", date(2026, 5, 2))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "agreement-en-es.html").write_text(html, encoding="utf-8")
    en, es = _version(html, "en"), _version(html, "es")
    assert "Advocate Agreement" in en and "Acuerdo de Abogado" in es
    assert "the English version governs" in en and "prevalece la versión en inglés" in es
    assert "Seguridad y confidencialidad" in es
    assert html.count("/sig1/") == 1 and html.count("/date1/") == 1


@pytest.mark.parametrize(("lang", "expected"), [
    ("es", "Redactado a partir de la solicitud del caso"),
    ("fr", "Rédigé à partir de la demande de facilitation"),
    ("en", "Drafted from the case request"),
])
def test_system_text_is_translated_and_peoples_words_are_not(lang: str, expected: str) -> None:
    assert system_text("Drafted from the case request", lang) == expected
    assert system_text("Please bring the originals", lang) == "Please bring the originals"
    assert is_generated("Drafted from the case request") and not is_generated("Drafted by hand")
