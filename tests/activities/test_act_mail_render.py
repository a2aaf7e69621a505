"""Every mail kind renders in Spanish and English, HTML and text, with a subject in both."""

from __future__ import annotations

import pytest

from casefac.activity_io import MailKind
from casefac.mail_render import (
    ACTION_LABELS,
    MAIL_LANGUAGES,
    SUBJECTS,
    TEMPLATES_DIR,
    ActionLink,
    format_day,
    format_money,
    mail_language,
    render_mail,
    template_names,
)

#: Every key any template uses (the comment atop each template says which it reads).
FULL_CONTEXT: dict[str, object] = {
    "case_id": "JIM-2026-0042", "recipient_name": "Ana", "staff_email": "coordinators@example.org",
    "defender_name": "Lucía Hernández", "advocate_name": "Alex Rivera", "advocate_organization": "Rivera Law",
    "amount": "USD 1,230.00", "due_date": "2026-04-30", "revision": 3, "report_number": 2,
    "invoice_number": "AB12-0001", "hosted_invoice_url": "https://invoice.example.test/i/1",
    "reasons": "Receipt missing for 3 March.\nHours on 4 March look doubled.", "reason": "Scope changed",
    "note": "Deadline moved", "step": "invoice r2", "error": "StripeRejected · HTTP 400", "country": "México",
    "services": "localizar al cliente", "deadline": "2026-06-30", "answer_by": "2026-03-10",
    "waiting_days": 4, "defender_id": "DEF-HN-001",
}


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("language", MAIL_LANGUAGES)
def test_every_kind_has_html_text_and_subject(kind: MailKind, language: str) -> None:
    html_name, text_name = template_names(kind, language)  # type: ignore[arg-type]
    assert (TEMPLATES_DIR / html_name).is_file() and (TEMPLATES_DIR / text_name).is_file()
    assert SUBJECTS[kind][language]  # type: ignore[index]
    actions = [ActionLink("evaluate", ACTION_LABELS["evaluate"][language], "https://p.example.test/p/tok")]  # type: ignore[index]
    mail = render_mail(kind, language, FULL_CONTEXT, actions, strict=True)
    assert mail.subject and "\n" not in mail.subject and "{" not in mail.subject
    assert mail.html.startswith("<!doctype html>") and f'<html lang="{language}">' in mail.html
    assert "{{" not in mail.html + mail.text and "{%" not in mail.html + mail.text
    assert "https://p.example.test/p/tok" in mail.html and "https://p.example.test/p/tok" in mail.text
    assert "<" not in mail.text  # the text alternative carries no markup
    greeting = "Hola, Ana:" if language == "es" else "Dear Ana,"
    assert greeting in mail.text


def test_every_template_documents_its_context() -> None:
    for path in (TEMPLATES_DIR / "email").glob("[!_]*.*"):
        assert path.read_text(encoding="utf-8").startswith("{#"), path.name


def test_every_portal_action_has_labels() -> None:
    actions = ["respond_assignment", "review_contract", "sign_contract", "update_task", "submit_report",
               "evaluate", "report_outcome", "sign_agreement"]
    assert sorted(ACTION_LABELS) == sorted(actions)
    assert all(set(labels) == set(MAIL_LANGUAGES) for labels in ACTION_LABELS.values())


def test_html_is_escaped_text_is_not() -> None:
    mail = render_mail(MailKind.CASE_DECLINED, "en", {**FULL_CONTEXT, "reason": "Budget <b>too</b> low & late"})
    assert "Budget &lt;b&gt;too&lt;/b&gt; low &amp; late" in mail.html
    assert "Budget <b>too</b> low & late" in mail.text


def test_missing_keys_render_blank_not_fail() -> None:
    mail = render_mail(MailKind.REPORT_APPROVED, "es", {"case_id": "JIM-2026-0042"})
    assert "JIM-2026-0042" in mail.subject and "Monto" not in mail.text


def test_languages_and_formatting() -> None:
    assert mail_language("fr") == "en" and mail_language("es") == "es"
    assert format_money(123000, "USD", "es") == "USD 1,230.00"
    assert format_money(-5, "MXN", "en") == "MXN -0.05"
    assert format_day("2026-05-01", "es") == "1 de mayo de 2026"
    assert format_day("2026-05-01", "en") == "May 1, 2026"
    assert format_day("someday", "en") == "someday"
