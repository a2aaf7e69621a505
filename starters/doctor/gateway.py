"""The gateway's public URL: what DocuSign, SendGrid and Stripe post to and the portal links open."""

from __future__ import annotations

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA = "Gateway"
TIMEOUT = 10.0


def check_gateway(settings: Settings) -> list[Check]:
    import httpx

    url = f"{settings.gateway.public_url.rstrip('/')}/healthz"
    try:
        response = httpx.get(url, timeout=TIMEOUT)
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError) as exc:
        return [failed(AREA, "public URL", f"{url}: {type(exc).__name__}",
                       "start the gateway (`casefac gateway`) and make CASEFAC_GATEWAY__PUBLIC_URL reach it "
                       "(DNS, TLS certificate, proxy)")]
    if body.get("status") != "ok":
        return [failed(AREA, "public URL", f"{url} answers HTTP {response.status_code}, not the gateway",
                       "point CASEFAC_GATEWAY__PUBLIC_URL (and the proxy in front) at the gateway")]
    checks = [passed(AREA, "public URL", url)]
    if not (body.get("temporal") or {}).get("reachable"):
        checks.append(failed(AREA, "reaches Temporal", "the gateway cannot reach Temporal",
                             "give the gateway the same CASEFAC_TEMPORAL__* settings as the worker"))
    else:
        checks.append(passed(AREA, "reaches Temporal", "yes"))
    return checks
