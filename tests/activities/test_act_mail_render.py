"""Every mail kind renders in Spanish, English and French, HTML and text, with a subject, from one template."""

from __future__ import annotations

import pytest

from casefac.activity_io import MailKind
from casefac.mail_render import (
    MAIL_LANGUAGES,
    TEMPLATES_DIR,
    ActionLink,
    action_label,
    format_day,
    format_money,
    mail_language,
    render_mail,
    template_name,
)

#: Every key any template uses (the comment atop each template says which it reads).
FULL_CONTEXT: dict[str, object] = {
    "case_id": "JIM-2026-0042", "recipient_name": "Ana", "staff_email": "coordinators@example.org",
    "defender_name": "Lucía Hernández", "advocate_name": "Alex Rivera", "advocate_organization": "Rivera Law",
    "amount": "USD 1,230.00", "due_date": "2026-04-30", "revision": 3, "report_number": 2,
    "invoice_number": "AB12-0001", "hosted_invoice_url": "https://invoice.example.test/i/1",
    "reasons": "Receipt missing for 3 March.\nHours on 4 March look doubled.", "reason": "Scope changed",
    "note": "Deadline moved", "step": "invoice r2", "error": "StripeRejected · HTTP 400", "country": "MX",
    "services": "locate_client, document_collection", "deadline": "2026-06-30", "answer_by": "2026-03-10",
    "waiting_days": 4, "defender_id": "DEF-HN-001", "retry_command": "casefac retry JIM-2026-0042",
    "cancel_command": "casefac cancel JIM-2026-0042",
    # the offer's local deadline and half-window reminder (issue 12, M8/m22)
    "answer_by_time": "18:00", "answer_by_zone": "America/Mexico_City", "reminder": 1,
    # present but empty: FULL_CONTEXT renders the "waited too long" escalation; DECLINE_CONTEXT the decline one
    "declined_by": "", "decline_reason": "",
    # the invoice email names the Defender's receipts by expense line, never by the uploaded file name (item 4)
    "receipts": ["E1-receipt-1.pdf", "E2-receipt-1.jpg"],
}
#: A Defender's decline, told to staff as a decline with the reason (issue 12 item 2), not as "waiting too long".
DECLINE_CONTEXT: dict[str, object] = {**FULL_CONTEXT, "declined_by": "DEF-HN-001",
                                      "decline_reason": "Conflict of interest <with> the other party"}
GREETING = {"es": "Hola, Ana:", "en": "Dear Ana,", "fr": "Bonjour Ana,"}
DIGESTS = {"staff_digest", "finance_digest"}


@pytest.mark.parametrize("kind", [k for k in MailKind if k.value not in DIGESTS])
@pytest.mark.parametrize("language", MAIL_LANGUAGES)
def test_every_kind_has_html_text_and_subject(kind: MailKind, language: str) -> None:
    assert (TEMPLATES_DIR / template_name(kind)).is_file()
    actions = [ActionLink("evaluate", action_label("evaluate", language), "https://p.example.test/p/tok")]
    mail = render_mail(kind, language, FULL_CONTEXT, actions, strict=True)
    assert mail.subject and "\n" not in mail.subject and "{" not in mail.subject and "%(" not in mail.subject
    assert mail.html.startswith("<!doctype html>") and f'<html lang="{language}">' in mail.html
    assert "{{" not in mail.html + mail.text and "{%" not in mail.html + mail.text
    assert "%(" not in mail.html + mail.text
    assert "https://p.example.test/p/tok" in mail.html and "https://p.example.test/p/tok" in mail.text
    assert "<" not in mail.text  # the text alternative carries no markup
    assert GREETING[language] in mail.text
    assert 'href="mailto:coordinators@example.org"' in mail.html  # the address is tappable


def test_one_template_per_kind_and_no_per_language_copies() -> None:
    names = {p.name for p in (TEMPLATES_DIR / "email").iterdir()}
    assert not [n for n in names if n.endswith((".es.html", ".en.html", ".es.txt", ".en.txt"))]
    assert {f"{k.value}.jinja" for k in MailKind} <= names


def test_every_template_documents_its_context() -> None:
    for path in (TEMPLATES_DIR / "email").glob("*.jinja"):
        assert path.read_text(encoding="utf-8").startswith("{#"), path.name


def test_html_is_escaped_text_is_not() -> None:
    # A staff email (party emails carry no free text since review M4).
    mail = render_mail(MailKind.STAFF_ESCALATION, "en", {**FULL_CONTEXT, "reason": "Budget <b>too</b> low & late"})
    assert "Budget &lt;b&gt;too&lt;/b&gt; low &amp; late" in mail.html
    assert "Budget <b>too</b> low & late" in mail.text


def test_missing_keys_render_blank_not_fail() -> None:
    mail = render_mail(MailKind.REPORT_APPROVED, "es", {"case_id": "JIM-2026-0042"})
    assert "JIM-2026-0042" in mail.subject and "Monto" not in mail.text


def test_the_spanish_offer_names_services_and_country_in_words() -> None:
    mail = render_mail(MailKind.ASSIGNMENT_OFFER, "es", FULL_CONTEXT, strict=True)
    assert "Servicios solicitados: Localizar al cliente; Obtener documentos." in mail.text
    assert "locate_client" not in mail.text + mail.html and "en México" in mail.text
    assert "antes del 10 de marzo de 2026 a las 18:00 (hora de America/Mexico_City)" in mail.text
    assert "Un recordatorio: esta oferta sigue esperando su respuesta." in mail.text


def test_an_offer_without_a_local_deadline_or_reminder_keeps_the_plain_wording() -> None:
    ctx = {**FULL_CONTEXT, "answer_by_time": None, "answer_by_zone": None, "reminder": None}
    mail = render_mail(MailKind.ASSIGNMENT_OFFER, "en", ctx, strict=True)
    assert "Please let us know by March 10, 2026 whether you can take it." in mail.text
    assert "reminder" not in mail.text.lower()


@pytest.mark.parametrize("language", MAIL_LANGUAGES)
def test_a_decline_reaches_staff_as_a_decline_with_the_reason(language: str) -> None:
    mail = render_mail(MailKind.STAFF_ESCALATION, language, DECLINE_CONTEXT, strict=True)
    assert "DEF-HN-001" in mail.subject and "JIM-2026-0042" in mail.subject and "[Escalation]" not in mail.subject
    assert "Conflict of interest <with> the other party" in mail.text
    assert "Conflict of interest &lt;with&gt; the other party" in mail.html
    assert "Scope changed" not in mail.text  # the generic "reason" is not what staff read for a decline
    if language == "en":
        assert mail.subject == "Case JIM-2026-0042: Defender DEF-HN-001 declined the assignment"
        assert "waiting too long" not in mail.text and "The Defender's reason:" in mail.text


def test_french_mail_uses_canadian_french_dates_and_amounts() -> None:
    mail = render_mail(MailKind.INVOICE_SENT, "fr", FULL_CONTEXT, strict=True)
    assert mail.subject == "Facture du dossier JIM-2026-0042 : USD 1\u00a0230,00"
    assert "au plus tard le 30 avril 2026" in mail.text and "USD 1\u00a0230,00" in mail.text


def test_plural_forms_follow_the_count() -> None:
    one = render_mail(MailKind.REVIEW_REMINDER, "en", {**FULL_CONTEXT, "waiting_days": 1})
    many = render_mail(MailKind.REVIEW_REMINDER, "es", FULL_CONTEXT)
    assert "for 1 day." in one.text and "lleva 4 días esperando revisión" in many.text
    two_links = [ActionLink("evaluate", "a", "https://x.test/1"), ActionLink("report_outcome", "b", "https://x.test/2")]
    assert "Ces liens vous sont personnels" in render_mail(MailKind.CASE_CLOSED, "fr", FULL_CONTEXT, two_links).text


def test_languages_and_formatting() -> None:
    assert mail_language("fr") == "fr" and mail_language("es") == "es" and mail_language("de") == "en"
    assert format_money(123000, "USD", "es") == "USD 1,230.00"
    assert format_money(-5, "MXN", "en") == "MXN -0.05"
    assert format_money(123000, "CAD", "fr") == "CAD 1\u00a0230,00"
    assert format_day("2026-05-01", "es") == "1 de mayo de 2026"
    assert format_day("2026-05-01", "en") == "May 1, 2026"
    assert format_day("2026-05-01", "fr") == "1 mai 2026"
    assert format_day("someday", "en") == "someday"


@pytest.mark.parametrize("lang", ["es", "en", "fr"])
def test_the_invoice_email_lists_the_receipts_by_neutral_name(lang: str) -> None:
    mail = render_mail(MailKind.INVOICE_SENT, lang, FULL_CONTEXT, strict=True)
    assert "E1-receipt-1.pdf, E2-receipt-1.jpg" in mail.text and "E2-receipt-1.jpg" in mail.html
    one = render_mail(MailKind.INVOICE_SENT, lang, {**FULL_CONTEXT, "receipts": ["E1-receipt-1.pdf"]}, strict=True)
    none = render_mail(MailKind.INVOICE_SENT, lang, {**FULL_CONTEXT, "receipts": []}, strict=True)
    assert "E1-receipt-1.pdf" in one.text and "-receipt-" not in none.text
