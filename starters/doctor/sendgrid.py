"""SendGrid: the API key may send mail, and the from-address is a verified sender (or on an authenticated
domain); SendGrid refuses every mail with 403 otherwise."""

from __future__ import annotations

from typing import Any

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA = "SendGrid"
TIMEOUT = 10.0


def check_sendgrid(settings: Settings) -> list[Check]:
    import httpx

    sg = settings.sendgrid
    headers = {"Authorization": f"Bearer {sg.api_key.get_secret_value()}"}
    try:
        with httpx.Client(base_url=sg.host.rstrip("/"), headers=headers, timeout=TIMEOUT) as http:
            scopes = http.get("/v3/scopes")
            if scopes.status_code in (401, 403):
                return [failed(AREA, "API key", f"refused (HTTP {scopes.status_code})",
                               "create an API key with Mail Send access and set CASEFAC_SENDGRID__API_KEY")]
            scopes.raise_for_status()
            checks = [_scopes(scopes.json())]
            senders = http.get("/v3/verified_senders")
            domains = http.get("/v3/whitelabel/domains")
    except httpx.HTTPError as exc:
        return [failed(AREA, "API key", f"{sg.host} unreachable: {type(exc).__name__}", "check CASEFAC_SENDGRID__HOST")]
    checks.append(_sender(sg.from_email, senders, domains))
    return checks


def _scopes(body: Any) -> Check:
    if "mail.send" in (body.get("scopes") or []):
        return passed(AREA, "API key", "valid, may send mail")
    return failed(AREA, "API key", "valid but without the mail.send scope",
                  "give the key Mail Send (Full Access) in SendGrid → Settings → API Keys")


def _sender(from_email: str, senders: Any, domains: Any) -> Check:
    address = from_email.lower()
    verified = {str(s.get("from_email", "")).lower() for s in (senders.json().get("results") or [])
                if s.get("verified")} if senders.status_code == 200 else set()
    valid = {str(d.get("domain", "")).lower() for d in domains.json() if d.get("valid")} \
        if domains.status_code == 200 else set()
    if address in verified:
        return passed(AREA, "from-address", "a verified sender (CASEFAC_SENDGRID__FROM_EMAIL)")
    if address.rpartition("@")[2] in valid:
        return passed(AREA, "from-address", f"on the authenticated domain {address.rpartition('@')[2]}")
    return failed(AREA, "from-address", "CASEFAC_SENDGRID__FROM_EMAIL is neither a verified sender nor on an "
                  "authenticated domain", "verify it in SendGrid → Settings → Sender Authentication (single "
                  "sender or the domain), or set CASEFAC_SENDGRID__FROM_EMAIL to one that is")
