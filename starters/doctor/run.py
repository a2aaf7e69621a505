"""Run every check in order; one failing area never stops the others (each says what it could)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from casefac.settings import Settings
from starters.doctor.docusign import check_docusign
from starters.doctor.gateway import check_gateway
from starters.doctor.local import check_keyring, check_records, check_settings
from starters.doctor.report import Check, failed
from starters.doctor.sendgrid import check_sendgrid
from starters.doctor.stripe_checks import check_stripe
from starters.doctor.temporal import check_temporal

SYNC_CHECKS: tuple[tuple[str, Callable[[Settings], list[Check]]], ...] = (
    ("Key ring", check_keyring), ("Case record", check_records), ("DocuSign", check_docusign),
    ("SendGrid", check_sendgrid), ("Stripe", check_stripe), ("Gateway", check_gateway),
)


def load_settings() -> Settings:
    """``CASEFAC_*`` environment and ``.env``, as every command reads them."""
    return Settings()


def settings_or_failure() -> tuple[Settings | None, list[Check]]:
    """The settings, or the one ✗ saying what is missing (nothing else can be checked without them)."""
    from pydantic import ValidationError

    try:
        return load_settings(), []
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                             for e in exc.errors(include_url=False, include_input=False))
        return None, [failed("Settings", "complete", problems,
                             "set each named CASEFAC_* variable (environment or .env); see README "
                             "\"Configuration\"")]


def run_all(settings: Settings) -> list[Check]:
    checks = check_settings(settings)
    checks += asyncio.run(check_temporal(settings))
    for area, check in SYNC_CHECKS:
        try:
            checks += check(settings)
        except Exception as exc:  # a check that crashed is a failed check, named, and the rest still run
            checks.append(failed(area, "check", f"could not run: {type(exc).__name__}",
                                 "see the log; report it if the settings look right"))
    return checks
