"""The translation catalog is complete: every key in both languages with the same placeholders, and every
key the templates and pages name (literally or by family) exists."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import get_args

from casefac.activity_io import PortalAction
from casefac.evaluation import OutcomeResult
from casefac.parties import Role, Service
from gateway.portal.catalog import LANGS, M, translate
from gateway.portal.pages.evaluation import CRITERIA
from gateway.portal.pages.tasks import STATUSES
from gateway.portal.rules_text import RULES

PORTAL = Path(__file__).resolve().parents[2] / "gateway" / "portal"
LITERAL = re.compile(r"""(?:\bt|translate\(\s*(?:visit\.)?lang\s*,|tr\(\s*\w+\s*,)\(?\s*["']([a-z_]+\.[a-z_.]+)["']""")
QUOTED_KEY = re.compile(r"""["']((?:receipt|next|error|rule|refused|done|notice)\.[a-z_.]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, texts in M.items():
        assert set(texts) == set(LANGS), key
        assert all(texts[lang].strip() for lang in LANGS), key
        assert _placeholders(texts["es"]) == _placeholders(texts["en"]), key


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
        "done": list(actions), "role": [r.value for r in Role], "lang": list(LANGS),
        "next": [a for a in actions if not a.startswith("sign_")] + ["declined"],
        "evaluate.intro": ["_advocate", "_defender"],
    }
    for prefix, names in families.items():
        for name in names:
            key = f"{prefix}{name}" if name.startswith("_") else f"{prefix}.{name}"
            assert key in M, key
    for reason in ("invalid", "expired", "done", "early", "gone"):
        assert f"refused.{reason}.title" in M and f"refused.{reason}.body" in M
    for outcome in ("signed", "declined", "unfinished"):
        assert f"signed.{outcome}.title" in M and f"signed.{outcome}.body" in M
    assert all(key in M for _, key, _ in RULES)


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    assert translate("es", "report.hour_line", n=2) == "Horas, línea 2"
    assert translate("fr", "report.hour_line", n=2) == "Hours, line 2"
