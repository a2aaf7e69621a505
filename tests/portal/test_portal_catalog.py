"""The portal's strings are complete: every key's message is translated in es and fr with the same named
placeholders, every key the templates and pages name (literally or by family) exists, and the refusal
kinds other code relies on (``not_your_turn``, ``signed_already``, ``cancelled``) read well in each language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from markupsafe import escape

from casefac.activity_io import PortalAction
from casefac.evaluation import OutcomeResult
from casefac.i18n import translations
from casefac.i18n_tools import placeholders
from casefac.parties import Role, Service
from gateway.portal.access import REFUSALS
from gateway.portal.catalog import M, problems, translate
from gateway.portal.pages.evaluation import CRITERIA
from gateway.portal.pages.tasks import STATUSES
from gateway.portal.rules_text import RULES

PORTAL = Path(__file__).resolve().parents[2] / "gateway" / "portal"
LITERAL = re.compile(r"""(?:\bt|\btl|translate\(\s*(?:visit\.)?lang\s*,)\(?\s*["']([a-z_]+\.[a-z_.]+)["']""")
QUOTED_KEY = re.compile(r"""["']((?:receipt|next|error|rule|refused|done|signed_view)\.[a-z_.]+)["']""")


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_every_key_is_translated_with_the_same_placeholders(lang: str) -> None:
    catalog = translations(lang)
    for key, message in M.items():
        translated = catalog.gettext(message)
        assert translated != message or not re.search(r"[a-z]{4}", message) or message in _SAME, (lang, key)
        assert placeholders(translated) == placeholders(message), (lang, key)


#: Messages that read the same in Spanish or French as in English.
_SAME = {"Justice in Motion", "%(label)s — %(message)s", "%(service)s: %(description)s", "Communication",
         "Description", "Signature", "Service", "Date", "Total", "Totals", "Error:"}


def test_every_key_named_in_templates_and_pages_exists() -> None:
    named: set[str] = set()
    for path in [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        named |= set(LITERAL.findall(source)) | set(QUOTED_KEY.findall(source))
    # family prefixes ("done." ~ action, "intro_" ~ role) are checked below; template names are not keys
    named = {k for k in named if not k.endswith((".", "_", ".html"))}
    missing = sorted(k for k in named if k not in M)
    assert not missing, missing
    assert len(named) > 100


def test_every_key_family_is_complete() -> None:
    actions = get_args(PortalAction.model_fields["action"].annotation)
    families = {
        "service": [s.value for s in Service], "task_status": list(STATUSES), "evaluate": list(CRITERIA),
        "result": [r.value for r in OutcomeResult if r is not OutcomeResult.UNKNOWN], "kind": ["interim", "final"],
        "done": list(actions), "role": [r.value for r in Role], "contract.author": [r.value for r in Role],
        "next": [a for a in actions if not a.startswith("sign_")] + ["declined"],
        "evaluate.intro": ["_advocate", "_defender"],
    }
    for prefix, names in families.items():
        for name in names:
            key = f"{prefix}{name}" if name.startswith("_") else f"{prefix}.{name}"
            assert key in M, key
    for reason in REFUSALS:
        assert f"refused.{reason}.title" in M
        assert f"refused.{reason}.body" in M or reason == "cancelled"
    for outcome in ("signed", "declined", "unfinished"):
        assert f"signed.{outcome}.title" in M and f"signed.{outcome}.body" in M
    assert all(key in M for _, key, _ in RULES)


def test_translate_fills_named_placeholders_in_each_language() -> None:
    assert translate("es", "report.hour_line", n=2) == "Horas, línea 2"
    assert translate("en", "report.hour_line", n=2) == "Hours, line 2"
    assert translate("fr", "report.hour_line", n=2) == "Heures, ligne 2"
    assert translate("fr", "contract.author.advocate", day="1 mai 2026") == \
        "Version de l'avocat ou de l'avocate, 1 mai 2026."
    assert translate("es", "contract.author.advocate", day="1 de mayo de 2026") == \
        "Versión del abogado o la abogada, 1 de mayo de 2026."


def test_refusal_kinds_for_signing_read_in_each_language() -> None:
    assert translate("en", "refused.not_your_turn.title") == "It is not your turn to sign yet"
    assert translate("es", "refused.not_your_turn.title") == "Todavía no es su turno para firmar"
    assert translate("fr", "refused.not_your_turn.title") == "Ce n'est pas encore votre tour de signer"
    assert translate("es", "refused.signed_already.title") == "Este documento ya está firmado"
    assert translate("fr", "refused.signed_already.title") == "Ce document est déjà signé"
    assert "email" in translate("en", "refused.not_your_turn.body")


def test_error_summary_counts_with_each_languages_plural_forms() -> None:
    assert problems("en", 1) == "There is 1 problem on this page:"
    assert problems("en", 3) == "There are 3 problems on this page:"
    assert problems("es", 1) == "Hay 1 problema en esta página:"
    assert problems("es", 2) == "Hay 2 problemas en esta página:"
    assert problems("fr", 1) == "Cette page comporte 1 problème :"
    assert problems("fr", 2) == "Cette page comporte 2 problèmes :"


@pytest.mark.parametrize("lang", ["es", "en", "fr"])
@pytest.mark.parametrize("reason", REFUSALS)
def test_every_refusal_page_renders_in_each_language_with_jims_address(lang: str, reason: str) -> None:
    from types import SimpleNamespace

    from gateway.portal.access import refusal

    gw = SimpleNamespace(settings=SimpleNamespace(sendgrid=SimpleNamespace(staff_email="coordinators@jim.test")))
    page = refusal(gw, lang, reason, action="sign_contract", case_id="JIM-2026-0042")  # type: ignore[arg-type]
    html = bytes(page.body).decode()
    assert page.status_code == 403 and f'<section lang="{lang}"' in html
    assert str(escape(translate(lang, f"refused.{reason}.title"))) in html
    assert '<a href="mailto:coordinators@jim.test">coordinators@jim.test</a>' in html and "JIM-2026-0042" in html


def test_an_unknown_refusal_kind_is_a_programming_error() -> None:
    from types import SimpleNamespace

    from gateway.portal.access import refusal

    gw = SimpleNamespace(settings=SimpleNamespace(sendgrid=SimpleNamespace(staff_email="c@jim.test")))
    with pytest.raises(ValueError):
        refusal(gw, "en", "not_a_kind")  # type: ignore[arg-type]
