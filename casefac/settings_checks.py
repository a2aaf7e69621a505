"""What live mode refuses (review M6), and the dev-secret guard of every other mode.

Each refusal is one sentence naming the variable and how to fix it, so an operator reading the one line
``casefac doctor`` or a failed start prints can act on it without the README.

Why each rule:
- provider hosts over ``https`` and never loopback or the sandbox: live API keys must not go in clear
  text to whatever listens on ``127.0.0.1:8300``;
- ``gateway.public_url`` over ``https``: portal links carry capability tokens;
- Temporal with TLS or an API key: plaintext only to an explicit loopback address (a sidecar proxy);
- secrets of at least 32 random bytes (estimated from the alphabet they use, and refusing repetitive
  strings), Stripe's webhook secret in Stripe's own shape;
- not the packaged sample roster (fictional payout accounts);
- bounded link lifetimes and webhook tolerances;
- the codec service with OIDC, never the loopback no-login mode (``codec_problems``, checked where the
  codec runs, so workers and the gateway need no codec settings).

Outside live mode the packaged dev secrets are public (they are in this repository): a gateway that
listens beyond loopback, or whose public URL is not loopback, must not use them (``casefac up`` gives
each data dir random ones, ``starters/stack/provision.py``).
"""

from __future__ import annotations

import ipaddress
import math
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from casefac.settings import Settings

MIN_SECRET_BYTES = 32
MAX_LINK_TTL_HOURS = 14 * 24
MAX_WEBHOOK_TOLERANCE_SECONDS = 600
MAX_SENDGRID_AGE_SECONDS = 3600
SANDBOX_PORTS = {8300, 8301}
#: The packaged constants: public, so never protection for anything reachable from elsewhere.
DEV_LINK_PREFIX = "dev-only"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_sandbox"
DEV_CONNECT_HMAC_KEY = "sandbox-connect-hmac-key"


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".localhost")


def _host_port(url: str) -> tuple[str, int | None]:
    parsed = urlparse(url if "://" in url else f"https://{url}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    return parsed.hostname or "", port


def secret_bytes(value: str) -> float:
    """A conservative estimate of the random bytes in ``value``: length × log2(alphabet) / 8.

    The alphabet is the smallest of hex, base64url, base64 and printable that holds every character, and a
    string with few distinct characters (``"a" * 64``) counts only what those few can carry.
    """
    if not value:
        return 0.0
    chars = set(value)
    hexdigits, b64url = set("0123456789abcdefABCDEF"), set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                           "0123456789-_=")
    alphabet = 16 if chars <= hexdigits else 64 if chars <= b64url | set("+/") else 94
    alphabet = min(alphabet, len(chars) * 2)  # repetitive strings: few symbols, little entropy
    return len(value) * math.log2(max(alphabet, 2)) / 8


def _weak(value: str) -> bool:
    return secret_bytes(value) < MIN_SECRET_BYTES


def live_problems(s: Settings) -> list[str]:
    """Every reason ``s`` may not run live, each with its fix (empty: fine)."""
    problems: list[str] = []
    hosts = {"CASEFAC_DOCUSIGN__HOST": s.docusign.host, "CASEFAC_SENDGRID__HOST": s.sendgrid.host,
             "CASEFAC_STRIPE__API_BASE": s.stripe.api_base}
    for name, url in hosts.items():
        host, port = _host_port(url)
        if not url.startswith("https://"):
            problems.append(f"{name}={url} is not https: set the provider's https:// address")
        elif is_loopback_host(host) or port in SANDBOX_PORTS:
            problems.append(f"{name}={url} is loopback or the sandbox: set the provider's real address "
                            "(https://api.sendgrid.com, https://api.stripe.com, your DocuSign base path)")
    oauth_host, oauth_port = _host_port(s.docusign.oauth_host)
    if is_loopback_host(oauth_host) or oauth_port in SANDBOX_PORTS:
        problems.append(f"CASEFAC_DOCUSIGN__OAUTH_HOST={s.docusign.oauth_host} is the sandbox: set "
                        "account-d.docusign.com (demo) or account.docusign.com (production)")
    public = s.gateway.public_url
    if not public.startswith("https://") or is_loopback_host(_host_port(public)[0]):
        problems.append(f"CASEFAC_GATEWAY__PUBLIC_URL={public} must be the https:// address emails and "
                        "providers reach (links carry capability tokens)")
    t = s.temporal
    secured = t.tls or t.api_key is not None or t.tls_client_cert is not None or t.tls_server_root_ca_cert
    temporal_host = t.address.rpartition(":")[0]
    if not secured and not _explicit_loopback_ip(temporal_host):
        problems.append(f"CASEFAC_TEMPORAL__ADDRESS={t.address} without TLS or an API key: set "
                        "CASEFAC_TEMPORAL__API_KEY (Temporal Cloud) or CASEFAC_TEMPORAL__TLS=true / the "
                        "__TLS_CLIENT_CERT and __TLS_CLIENT_KEY files (plaintext only to 127.0.0.1, e.g. a sidecar)")
    if _weak(s.gateway.link_secret.get_secret_value()):
        problems.append(f"CASEFAC_GATEWAY__LINK_SECRET is weaker than {MIN_SECRET_BYTES} random bytes: set e.g. "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    weak_connect = [i for i, k in enumerate(s.docusign.connect_hmac_keys) if _weak(k.get_secret_value())]
    if weak_connect:
        problems.append(f"CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS item(s) {weak_connect} are weaker than "
                        f"{MIN_SECRET_BYTES} random bytes: use the keys DocuSign Connect generates")
    stripe_secret = s.stripe.webhook_secret.get_secret_value()
    body = stripe_secret.removeprefix("whsec_")
    if not stripe_secret.startswith("whsec_") or len(body) < 32 or len(set(body)) < 16:
        problems.append("CASEFAC_STRIPE__WEBHOOK_SECRET is not a Stripe signing secret (whsec_ and at least 32 "
                        "characters): copy it from the Stripe Dashboard → Webhooks → your endpoint")
    if _is_packaged_roster(s.roster_file):
        problems.append("CASEFAC_ROSTER_FILE is the packaged sample roster (fictional payout accounts): point it "
                        "at JiM's roster, or import the Defenders into the case record")
    problems += _bounds(s)
    return problems


def _bounds(s: Settings) -> list[str]:
    problems = []
    gw = s.gateway
    ttls = {"CASEFAC_GATEWAY__LINK_TTL_HOURS": gw.link_ttl_hours,
            "CASEFAC_GATEWAY__LINK_MAX_TTL_HOURS": getattr(gw, "link_max_ttl_hours", gw.link_ttl_hours)}
    ttls |= {f"CASEFAC_GATEWAY__LINK_TTL_HOURS_BY_ACTION[{k}]": v
             for k, v in getattr(gw, "link_ttl_hours_by_action", {}).items()}
    for name, hours in ttls.items():
        if not 0 < hours <= MAX_LINK_TTL_HOURS:
            problems.append(f"{name}={hours} exceeds {MAX_LINK_TTL_HOURS} h: portal links are bearer "
                            "capabilities, keep them short (resend instead)")
    if not 0 < s.stripe.webhook_tolerance_seconds <= MAX_WEBHOOK_TOLERANCE_SECONDS:
        problems.append(f"CASEFAC_STRIPE__WEBHOOK_TOLERANCE_SECONDS={s.stripe.webhook_tolerance_seconds} exceeds "
                        f"{MAX_WEBHOOK_TOLERANCE_SECONDS}: Stripe's default is 300")
    sendgrid_age = getattr(gw, "sendgrid_max_age_seconds", None)
    if sendgrid_age is not None and not 0 < sendgrid_age <= MAX_SENDGRID_AGE_SECONDS:
        problems.append(f"CASEFAC_GATEWAY__SENDGRID_MAX_AGE_SECONDS={sendgrid_age} exceeds "
                        f"{MAX_SENDGRID_AGE_SECONDS}: a captured SendGrid batch would replay that long")
    return problems


def codec_problems(s: Settings) -> list[str]:
    """What the codec service refuses to run with in live mode (checked by ``casefac codec``, not by
    every process: a worker or the gateway needs no codec settings)."""
    if s.mode != "live":
        return []
    c = s.codec
    if c.auth != "oidc":
        return ["CASEFAC_CODEC__AUTH=loopback has no login: set CASEFAC_CODEC__AUTH=oidc with __OIDC_ISSUER, "
                "__OIDC_AUDIENCE and __JWKS (README \"Decrypting in the UI\")"]
    problems = []
    if not (c.oidc_issuer or "").startswith("https://"):
        problems.append("CASEFAC_CODEC__OIDC_ISSUER must be your IdP's https:// issuer")
    if not c.oidc_audience:
        problems.append("CASEFAC_CODEC__OIDC_AUDIENCE must name the audience of the UI's access tokens")
    if not c.jwks or c.jwks.startswith("http://"):
        problems.append("CASEFAC_CODEC__JWKS must be the IdP's https:// JWKS URL or a JWKS file path")
    if not c.ui_origin.startswith("https://"):
        problems.append(f"CASEFAC_CODEC__UI_ORIGIN={c.ui_origin} must be the https:// origin of the Temporal UI")
    return problems


def dev_secret_problems(s: Settings) -> list[str]:
    """Outside live mode: the packaged (public) secrets on a gateway others can reach."""
    gw = s.gateway
    reachable = not is_loopback_host(gw.host) or not is_loopback_host(_host_port(gw.public_url)[0])
    if s.mode == "live" or not reachable:
        return []
    public = [name for name, used in (
        ("CASEFAC_GATEWAY__LINK_SECRET", gw.link_secret.get_secret_value().startswith(DEV_LINK_PREFIX)),
        ("CASEFAC_STRIPE__WEBHOOK_SECRET", s.stripe.webhook_secret.get_secret_value() == DEV_STRIPE_WEBHOOK_SECRET),
        ("CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS", any(k.get_secret_value() == DEV_CONNECT_HMAC_KEY
                                                   for k in s.docusign.connect_hmac_keys)),
    ) if used]
    if not public:
        return []
    return [f"the gateway is reachable beyond loopback (CASEFAC_GATEWAY__HOST={gw.host}, __PUBLIC_URL="
            f"{gw.public_url}) but uses the public development secrets {', '.join(public)}: set random values "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or bind 127.0.0.1"]


def _explicit_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_packaged_roster(path: Path) -> bool:
    """The sample file itself, or a byte-for-byte copy of it."""
    from casefac.settings import PACKAGE_DIR

    sample = (PACKAGE_DIR / "data" / "roster.yaml").resolve()
    if path.resolve() == sample:
        return True
    try:
        return path.stat().st_size == sample.stat().st_size and path.read_bytes() == sample.read_bytes()
    except OSError:
        return False


__all__ = ["MIN_SECRET_BYTES", "codec_problems", "dev_secret_problems", "is_loopback_host", "live_problems",
           "secret_bytes"]
