"""Email rendering, pure: one template per message kind, gettext catalogs, locale formatting.

``casefac/templates/email/<kind>.jinja`` holds a kind's subject (block ``subject``) and body (block
``body``), written once in English and marked for translation; ``email/_layout.jinja`` wraps it as HTML
or as the plain-text alternative from the same strings. The catalogs (``casefac/locale``, see
:mod:`casefac.i18n`) give Spanish to Defenders, English and French to Advocates, English to JiM. The
comment at the top of each template names the context keys it uses. Missing keys render empty rather
than failing, because a reminder with a blank is better than no reminder; tests render with
``strict=True`` to catch typos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template, Undefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from casefac import labels
from casefac.activity_io import MailKind, PortalAction
from casefac.contract_draft import system_text
from casefac.i18n import LANGUAGES, LOCALES, N_, Lang, format_day, format_money, format_number, gettext, language
from casefac.i18n import jinja_environment as _jinja_environment
from casefac.money import EXPONENT

__all__ = ["ACTION_LABELS", "LOCALES", "MAIL_LANGUAGES", "TEMPLATES_DIR", "ActionLink", "MailLanguage",
           "RenderedMail", "action_label", "action_links", "format_day", "format_money", "format_number",
           "mail_language", "render_mail", "template_name"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

MailLanguage = Lang
MAIL_LANGUAGES: tuple[Lang, ...] = LANGUAGES


def mail_language(value: str) -> Lang:
    """The language a party reads mail in (any unknown value reads English)."""
    return language(value)


#: Button labels of portal actions (English msgids; translated per recipient).
ACTION_LABELS: dict[str, str] = {
    "respond_assignment": N_("Respond to the case offer"),
    "review_contract": N_("Review the contract"),
    "sign_contract": N_("Sign the contract"),
    "update_task": N_("Update tasks"),
    "submit_report": N_("Submit hours and expenses"),
    "evaluate": N_("Evaluate the facilitation"),
    "report_outcome": N_("Report the case outcome"),
    "sign_agreement": N_("Sign the Advocate Agreement"),
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


def template_name(kind: MailKind | str) -> str:
    """The one template of a message kind (all languages, HTML and text)."""
    return f"email/{MailKind(kind).value if isinstance(kind, MailKind) else kind}.jinja"


def action_label(action: str, lang: str) -> str:
    return gettext(lang, ACTION_LABELS[action])


def action_links(actions: Sequence[tuple[PortalAction, str]], language: str) -> list[ActionLink]:
    """Button data for signed URLs (the mail activity signs; rendering stays pure)."""
    return [ActionLink(a.action, action_label(a.action, language), url) for a, url in actions]


def render_mail(kind: MailKind | str, language: str, context: Mapping[str, Any],
                actions: Sequence[ActionLink] = (), *, strict: bool = False) -> RenderedMail:
    """Subject, HTML and text of one email. ``context`` values are shown as given (already formatted)."""
    lang = mail_language(language)
    values: dict[str, Any] = {**_localized_amounts(context, lang), "lang": lang, "actions": list(actions),
                              "links": {a.action: a.url for a in actions}}
    values.setdefault("recipient_name", "")
    values.setdefault("case_id", None)
    values.setdefault("staff_email", "")
    name = template_name(kind)
    text_template = environment(lang, html=False, strict=strict).get_template(name)
    # One line, with the locale's no-break spaces kept (``USD 1\u00a0230,00`` must not wrap).
    subject = _SPACES.sub(" ", _block(text_template, "subject", values)).strip()
    values["subject"] = subject
    html = environment(lang, html=True, strict=strict).get_template(name).render({**values, "html": True})
    text = _tidy_text(text_template.render({**values, "html": False}))
    return RenderedMail(subject=subject, html=html, text=text)


def _block(template: Template, block: str, values: dict[str, Any]) -> str:
    return "".join(template.blocks[block](template.new_context({**values, "html": False})))


@cache
def environment(lang: str, *, html: bool, strict: bool = False) -> Environment:
    """One cached environment per language and mode: HTML autoescapes, text and subjects stay plain."""
    env = _jinja_environment(lang, FileSystemLoader(TEMPLATES_DIR), autoescape=html, strict=strict,
                             globals_={"mailto": _mailto if html else _plain})
    env.filters.update(day=_day_filter, money=_money_filter, services=_services_filter, country=_country_filter,
                       system_text=_system_text_filter)
    return env


def _mailto(address: Any) -> Markup:
    """A tappable address in HTML mail (``mailto:``)."""
    if not address or isinstance(address, Undefined):
        return Markup("")
    safe = escape(str(address))
    return Markup(f'<a href="mailto:{safe}" style="color:#1b4f72;">{safe}</a>')


def _plain(address: Any) -> str:
    return "" if isinstance(address, Undefined) else str(address or "")


def _blank(value: Any) -> bool:
    return value is None or isinstance(value, Undefined) or value == ""


@pass_context
def _day_filter(ctx: Context, value: Any) -> str:
    return "" if _blank(value) else format_day(value, ctx.get("lang", "en"))


@pass_context
def _money_filter(ctx: Context, amount_minor: Any, currency: str) -> str:
    return format_money(int(amount_minor), currency, ctx.get("lang", "en"))


@pass_context
def _services_filter(ctx: Context, value: Any) -> str:
    return "" if _blank(value) else labels.services(value, ctx.get("lang", "en"))


@pass_context
def _country_filter(ctx: Context, value: Any) -> str:
    return "" if _blank(value) else labels.country(str(value), ctx.get("lang", "en"))


@pass_context
def _system_text_filter(ctx: Context, value: Any) -> str:
    return "" if _blank(value) else system_text(str(value), ctx.get("lang", "en"))


#: An amount as the workflow writes it (``Money.format``: ``USD 1,230.00``).
_AMOUNT = re.compile(r"^(?P<currency>[A-Z]{3}) (?P<number>-?\d{1,3}(?:,\d{3})*(?:\.\d+)?)$")


def _localized_amounts(context: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Amounts the workflow formatted in English (``USD 1,230.00``) written the reader's way
    (``USD 1 230,00`` in French), through integer minor units; anything else is left as given."""
    out = dict(context)
    for key, value in context.items():
        match = _AMOUNT.match(value) if isinstance(value, str) else None
        if match and match["currency"] in EXPONENT:
            exponent = EXPONENT[match["currency"]]
            number = Decimal(match["number"].replace(",", ""))
            minor = number.scaleb(exponent)
            if minor == minor.to_integral_value():
                out[key] = format_money(int(minor), match["currency"], lang)
    return out


_SPACES = re.compile(r"[ \t\r\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Collapse the blank lines conditional blocks leave behind."""
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip() + "\n"
