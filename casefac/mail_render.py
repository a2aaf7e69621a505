"""Email rendering, pure: templates, subjects and locale formatting, shared by the mail activity and portal.

Templates live in ``casefac/templates/email/<kind>.<lang>.html`` and ``.txt`` (the text alternative), each
extending a per-language layout; the comment at the top of each template names the context keys it uses.
Spanish goes to Defenders, English to Advocates and JiM; French readers get English until a translation
exists (``mail_language``). Missing keys render empty rather than failing, because a reminder with a blank
is better than no reminder; tests render with ``strict=True`` to catch typos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    Undefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from casefac.activity_io import MailKind, PortalAction
from casefac.money import EXPONENT

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

MailLanguage = Literal["es", "en"]
MAIL_LANGUAGES: tuple[MailLanguage, ...] = ("es", "en")

#: Babel locales: Latin-American Spanish and U.S. English.
LOCALES: dict[MailLanguage, str] = {"es": "es_419", "en": "en_US"}


def mail_language(language: str) -> MailLanguage:
    """The template language for a party's language (French falls back to English for now)."""
    return "es" if language == "es" else "en"


#: Subject per kind and language; Jinja expressions over the same context as the body.
SUBJECTS: dict[MailKind, dict[MailLanguage, str]] = {
    MailKind.CASE_RECEIVED: {"en": "We received your request: case {{ case_id }}",
                             "es": "Recibimos su solicitud: caso {{ case_id }}"},
    MailKind.CASE_DECLINED: {"en": "Case {{ case_id }}: we cannot take this request",
                             "es": "Caso {{ case_id }}: no podemos atender esta solicitud"},
    MailKind.REVIEW_REMINDER: {"en": "Case {{ case_id }} is waiting for review",
                               "es": "El caso {{ case_id }} espera revisión"},
    MailKind.ASSIGNMENT_OFFER: {"en": "A new case for you: {{ case_id }}",
                                "es": "Un caso nuevo para usted: {{ case_id }}"},
    MailKind.ASSIGNMENT_CONFIRMED: {"en": "Case {{ case_id }}: assignment confirmed",
                                    "es": "Caso {{ case_id }}: asignación confirmada"},
    MailKind.AGREEMENT_TO_SIGN: {"en": "Please sign the Justice in Motion Advocate Agreement",
                                 "es": "Firme el Acuerdo de Abogado de Justice in Motion"},
    MailKind.AGREEMENT_REMINDER: {"en": "Reminder: the Advocate Agreement awaits your signature",
                                  "es": "Recordatorio: el Acuerdo de Abogado espera su firma"},
    MailKind.CONTRACT_REVIEW: {"en": "Case {{ case_id }}: please review the contract (revision {{ revision }})",
                               "es": "Caso {{ case_id }}: revise el contrato (versión {{ revision }})"},
    MailKind.CONTRACT_REMINDER: {"en": "Reminder: the contract for case {{ case_id }} awaits your review",
                                 "es": "Recordatorio: el contrato del caso {{ case_id }} espera su revisión"},
    MailKind.CONTRACT_TO_SIGN: {"en": "Case {{ case_id }}: the contract is ready to sign",
                                "es": "Caso {{ case_id }}: el contrato está listo para firmar"},
    MailKind.SIGNATURE_REMINDER: {"en": "Reminder: please sign the contract for case {{ case_id }}",
                                  "es": "Recordatorio: firme el contrato del caso {{ case_id }}"},
    MailKind.CONTRACT_SIGNED: {"en": "Case {{ case_id }}: the contract is signed",
                               "es": "Caso {{ case_id }}: el contrato está firmado"},
    MailKind.CONTRACT_RETURNED: {"en": "Case {{ case_id }}: the contract is back in editing",
                                 "es": "Caso {{ case_id }}: el contrato volvió a edición"},
    MailKind.ASSIGNMENT_STARTED: {"en": "Case {{ case_id }}: the work can begin",
                                  "es": "Caso {{ case_id }}: puede comenzar el trabajo"},
    MailKind.REPORT_REMINDER: {"en": "Case {{ case_id }}: hour and expense report",
                               "es": "Caso {{ case_id }}: informe de horas y gastos"},
    MailKind.REPORT_RECEIVED: {"en": "Case {{ case_id }}: report {{ report_number }} received",
                               "es": "Caso {{ case_id }}: recibimos el informe {{ report_number }}"},
    MailKind.REPORT_CHANGES_REQUESTED: {
        "en": "Case {{ case_id }}: changes needed in report {{ report_number }}",
        "es": "Caso {{ case_id }}: se necesitan cambios en el informe {{ report_number }}"},
    MailKind.REPORT_APPROVED: {"en": "Case {{ case_id }}: report {{ report_number }} approved",
                               "es": "Caso {{ case_id }}: informe {{ report_number }} aprobado"},
    MailKind.INVOICE_SENT: {"en": "Invoice for case {{ case_id }}{% if amount %}: {{ amount }}{% endif %}",
                            "es": "Factura del caso {{ case_id }}{% if amount %}: {{ amount }}{% endif %}"},
    MailKind.INVOICE_REMINDER: {"en": "Reminder: invoice for case {{ case_id }} is open",
                                "es": "Recordatorio: factura pendiente del caso {{ case_id }}"},
    MailKind.PAYOUT_MADE: {"en": "Case {{ case_id }}: your payment is on its way",
                           "es": "Caso {{ case_id }}: su pago está en camino"},
    MailKind.PAYOUT_TO_RECORD: {
        "en": "Manual payout to record: case {{ case_id }}, report {{ report_number }}",
        "es": "Pago manual por registrar: caso {{ case_id }}, informe {{ report_number }}"},
    MailKind.EVALUATION_REQUEST: {"en": "Case {{ case_id }}: how did it go?",
                                  "es": "Caso {{ case_id }}: ¿cómo le fue?"},
    MailKind.EVALUATION_REMINDER: {"en": "Reminder: your evaluation of case {{ case_id }}",
                                   "es": "Recordatorio: su evaluación del caso {{ case_id }}"},
    MailKind.OUTCOME_REMINDER: {"en": "Case {{ case_id }}: any news on the outcome?",
                                "es": "Caso {{ case_id }}: ¿hay novedades sobre el resultado?"},
    MailKind.CASE_CLOSED: {"en": "Case {{ case_id }} is closed: thank you",
                           "es": "El caso {{ case_id }} está cerrado: gracias"},
    MailKind.CASE_CANCELLED: {"en": "Case {{ case_id }} has been cancelled",
                              "es": "El caso {{ case_id }} fue cancelado"},
    MailKind.STAFF_ESCALATION: {
        "en": "[Escalation]{% if case_id %} Case {{ case_id }}{% endif %}{% if step %}: {{ step }}{% endif %}",
        "es": "[Escalamiento]{% if case_id %} Caso {{ case_id }}{% endif %}{% if step %}: {{ step }}{% endif %}"},
    MailKind.NEEDS_ATTENTION: {
        "en": "[Needs attention]{% if case_id %} Case {{ case_id }}{% endif %}{% if step %}: {{ step }}{% endif %}",
        "es": "[Requiere atención]{% if case_id %} Caso {{ case_id }}{% endif %}"
              "{% if step %}: {{ step }}{% endif %}"},
}

#: Button labels of portal actions.
ACTION_LABELS: dict[str, dict[MailLanguage, str]] = {
    "respond_assignment": {"en": "Respond to the case offer", "es": "Responder a la oferta del caso"},
    "review_contract": {"en": "Review the contract", "es": "Revisar el contrato"},
    "sign_contract": {"en": "Sign the contract", "es": "Firmar el contrato"},
    "update_task": {"en": "Update tasks", "es": "Actualizar tareas"},
    "submit_report": {"en": "Submit hours and expenses", "es": "Enviar horas y gastos"},
    "evaluate": {"en": "Evaluate the facilitation", "es": "Evaluar la facilitación"},
    "report_outcome": {"en": "Report the case outcome", "es": "Informar el resultado del caso"},
    "sign_agreement": {"en": "Sign the Advocate Agreement", "es": "Firmar el Acuerdo de Abogado"},
}


@dataclass(frozen=True)
class ActionLink:
    action: str
    label: str
    url: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    html: str
    text: str


def template_names(kind: MailKind, language: MailLanguage) -> tuple[str, str]:
    return f"email/{kind.value}.{language}.html", f"email/{kind.value}.{language}.txt"


def action_links(actions: Sequence[tuple[PortalAction, str]], language: MailLanguage) -> list[ActionLink]:
    """Button data for signed URLs (the mail activity signs; rendering stays pure)."""
    return [ActionLink(a.action, ACTION_LABELS[a.action][language], url) for a, url in actions]


def render_mail(kind: MailKind, language: str, context: Mapping[str, Any],
                actions: Sequence[ActionLink] = (), *, strict: bool = False) -> RenderedMail:
    """Subject, HTML and text of one email. ``context`` values are shown as given (already formatted)."""
    lang = mail_language(language)
    env = environment(strict)
    values: dict[str, Any] = {**context, "lang": lang, "actions": list(actions),
                              "links": {a.action: a.url for a in actions}}
    values.setdefault("recipient_name", "")
    values.setdefault("case_id", None)
    values.setdefault("staff_email", "")
    subject = " ".join(subject_template(kind, lang, strict).render(values).split())
    values["subject"] = subject
    html_name, text_name = template_names(kind, lang)
    html = env.get_template(html_name).render(values)
    text = _tidy_text(env.get_template(text_name).render(values))
    return RenderedMail(subject=subject, html=html, text=text)


@cache
def subject_template(kind: MailKind, language: MailLanguage, strict: bool = False) -> Template:
    """Compiled once: compiling a subject line on every send was a twentieth of the worker's CPU under load."""
    return environment(strict).from_string(SUBJECTS[kind][language])


@cache
def environment(strict: bool = False) -> Environment:
    """One cached environment per mode: autoescape for ``.html`` only (text and subjects are plain)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["day"] = _day_filter
    env.filters["money"] = _money_filter
    return env


def format_day(value: date | datetime | str, language: str) -> str:
    """``1 de mayo de 2026`` / ``May 1, 2026``; an unparseable string is shown as given."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=LOCALES[mail_language(language)])


def format_money(amount_minor: int, currency: str, language: str) -> str:
    """``USD 1,230.00`` with the locale's separators, from integer minor units (never through float).

    The ISO code, not a symbol: USD, CAD and MXN all write ``$``, and a Defender must never wonder which.
    """
    exponent = EXPONENT.get(currency, 2)
    value = Decimal(amount_minor).scaleb(-exponent)
    pattern = "#,##0" + ("." + "0" * exponent if exponent else "")
    return f"{currency} {format_decimal(value, format=pattern, locale=LOCALES[mail_language(language)])}"


def format_number(value: int | Decimal, language: str) -> str:
    return format_decimal(value, locale=LOCALES[mail_language(language)])


@pass_context
def _day_filter(ctx: Context, value: Any) -> str:
    if value is None or isinstance(value, Undefined) or value == "":
        return ""
    return format_day(value, ctx.get("lang", "en"))


@pass_context
def _money_filter(ctx: Context, amount_minor: Any, currency: str) -> str:
    return format_money(int(amount_minor), currency, ctx.get("lang", "en"))


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Collapse the blank lines conditional blocks leave behind."""
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip() + "\n"
