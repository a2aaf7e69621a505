"""Settings consistent for the mode, the key ring, and the case record's database."""

from __future__ import annotations

import stat
from urllib.parse import urlparse

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA_SETTINGS, AREA_KEYS, AREA_RECORDS = "Settings", "Key ring", "Case record"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _host(url: str) -> str:
    return urlparse(url if "://" in url else f"https://{url}").hostname or ""


def check_settings(settings: Settings) -> list[Check]:
    """Live mode must point at the real providers over HTTPS; sandbox mode at the emulators."""
    if settings.mode == "sandbox":
        return [passed(AREA_SETTINGS, "mode", "sandbox: DocuSign, SendGrid and Stripe are the local emulators")]
    checks = [passed(AREA_SETTINGS, "mode", "live: every secret is set (settings refuse sandbox defaults)")]
    loopback = {name: url for name, url in (
        ("CASEFAC_DOCUSIGN__HOST", settings.docusign.host), ("CASEFAC_DOCUSIGN__OAUTH_HOST",
                                                            settings.docusign.oauth_host),
        ("CASEFAC_SENDGRID__HOST", settings.sendgrid.host), ("CASEFAC_STRIPE__API_BASE", settings.stripe.api_base),
    ) if _host(url) in _LOOPBACK}
    if loopback:
        checks.append(failed(AREA_SETTINGS, "provider hosts", "still the sandbox's: " + ", ".join(loopback),
                             "set them to the providers (https://api.sendgrid.com, https://api.stripe.com, "
                             "your DocuSign base path and account-d.docusign.com or account.docusign.com)"))
    else:
        checks.append(passed(AREA_SETTINGS, "provider hosts", "none on loopback"))
    demo_rest = "demo.docusign.net" in settings.docusign.host
    demo_oauth = settings.docusign.oauth_host.startswith("account-d.")
    if demo_rest != demo_oauth:
        checks.append(failed(AREA_SETTINGS, "DocuSign environment",
                             f"REST {_host(settings.docusign.host)} with OAuth {settings.docusign.oauth_host}",
                             "use account-d.docusign.com with demo.docusign.net, account.docusign.com with "
                             "production (CASEFAC_DOCUSIGN__OAUTH_HOST)"))
    public = settings.gateway.public_url
    if urlparse(public).scheme != "https" or _host(public) in _LOOPBACK:
        checks.append(failed(AREA_SETTINGS, "gateway public URL", public,
                             "set CASEFAC_GATEWAY__PUBLIC_URL to the https:// address providers and emails reach"))
    else:
        checks.append(passed(AREA_SETTINGS, "gateway public URL", public))
    return checks


def check_keyring(settings: Settings) -> list[Check]:
    from casefac.keyring import KeyRing, KeyRingError

    path = settings.keyring_path
    if not path.exists():
        return [failed(AREA_KEYS, "present", f"{path} does not exist",
                       "copy the production key ring there (CASEFAC_KEYRING_FILE), or `casefac keys new` for a "
                       "first install; never a ring from another installation")]
    checks = [passed(AREA_KEYS, "present", str(path))]
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        checks.append(failed(AREA_KEYS, "permissions", f"{mode:04o}", f"chmod 600 {path}"))
    else:
        checks.append(passed(AREA_KEYS, "permissions", f"{mode:04o}"))
    try:
        ring = KeyRing.load(path)
        ring.key_bytes(ring.current)
    except (OSError, KeyRingError, ValueError) as exc:
        checks.append(failed(AREA_KEYS, "current key readable", type(exc).__name__,
                             "the file must be readable by this process's user and hold the current key; "
                             "restore it from the backup"))
    else:
        checks.append(passed(AREA_KEYS, "current key readable", f"key {ring.current}, {len(ring.keys)} in the ring"))
        checks.append(_binding_check(ring, live=settings.mode == "live"))
    checks.append(_codec_check(settings))
    return checks


def _codec_check(settings: Settings) -> Check:
    """The codec service decrypts with this ring: in live mode only for people it can identify (review C1)."""
    from casefac.settings_checks import codec_problems

    codec = settings.codec
    if settings.mode == "live" and codec.auth == "loopback":  # a worker or gateway host: not its job
        return passed(AREA_KEYS, "codec service", "not configured here (`casefac codec` refuses to start "
                                                  "without CASEFAC_CODEC__AUTH=oidc)")
    if problems := codec_problems(settings):
        return failed(AREA_KEYS, "codec service", "; ".join(problems),
                      "set the CASEFAC_CODEC__* settings named (README \"Decrypting in the UI\")")
    if codec.auth == "loopback":
        return passed(AREA_KEYS, "codec service", f"loopback, no login, for {codec.ui_origin} only (local stack)")
    return passed(AREA_KEYS, "codec service", f"OIDC {codec.oidc_issuer}, roles {codec.coordinator_role} / "
                                               f"{codec.finance_role} from {codec.role_claim!r}")


def _binding_check(ring: object, *, live: bool) -> Check:
    """Payloads are bound to their workflow (review m6); the ring's older keys still read unbound ones, so in
    live mode the current key must be a newer one (new payloads are bound either way)."""
    legacy = sorted(getattr(ring, "legacy_aad_keys", None) or ())
    current = getattr(ring, "current", "")
    if live and current in legacy:
        return failed(AREA_KEYS, "workflow binding", f"the current key {current} predates workflow binding",
                      "run `casefac keys new` so new payloads use a key that accepts only bound payloads")
    detail = f"keys {', '.join(legacy)} also read pre-binding payloads" if legacy else "every key requires it"
    return passed(AREA_KEYS, "workflow binding", detail)


def check_records(settings: Settings) -> list[Check]:
    from sqlalchemy.exc import SQLAlchemyError

    from records.database import create_records_engine, schema_problem

    try:
        engine = create_records_engine(settings.records_url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        return [failed(AREA_RECORDS, "reachable", type(exc).__name__, "check CASEFAC_RECORDS__URL")]
    where = engine.url.render_as_string(hide_password=True)
    try:
        problem = schema_problem(engine)
    except SQLAlchemyError as exc:
        return [failed(AREA_RECORDS, "reachable", f"{where}: {type(exc).__name__}",
                       "start the database or fix CASEFAC_RECORDS__URL (host, credentials, database name)")]
    finally:
        engine.dispose()
    if problem is not None:
        return [passed(AREA_RECORDS, "reachable", where),
                failed(AREA_RECORDS, "migrated", problem.split(": run")[0], "run `casefac records migrate`")]
    return [passed(AREA_RECORDS, "reachable", where), passed(AREA_RECORDS, "migrated", "schema current")]
