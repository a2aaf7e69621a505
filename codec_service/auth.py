"""Who is asking: people, not a shared string (review C1).

``oidc``: the Temporal UI's "pass access token" forwards the user's access token as
``Authorization: Bearer``. It is verified here: signature against the JWKS from settings (a file, or an
https URL fetched and cached by PyJWT), issuer, audience, expiry, asymmetric algorithms only; then the
role claim decides the tier: coordinators decode everything, finance gets the redacted view, anyone
else is refused.

``loopback``: the local stack, no login. The listener is on loopback and the app answers only the UI's
origin, so the person at this machine is the one using it; they get the coordinator tier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import jwt

from casefac.settings import CodecSettings

Tier = Literal["coordinator", "finance"]
#: Never HS* (a shared secret) and never ``none``.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY_SECONDS = 30


class AuthError(Exception):
    """The request is not from someone allowed to decode; ``status`` is 401 (who?) or 403 (not you)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    subject: str
    tier: Tier
    roles: frozenset[str]
    #: The role that granted the tier (what the audit log records).
    role: str = ""


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> Principal: ...


class LoopbackAuthenticator:
    """The local stack's codec: the person at this machine (origin and Host are checked by the app)."""

    def authenticate(self, authorization: str | None) -> Principal:
        return Principal(subject="local-dev", tier="coordinator", roles=frozenset({"local-dev"}), role="local-dev")


class _Keys(Protocol):
    def key_for(self, token: str) -> jwt.PyJWK: ...


class FileKeys:
    """A JWKS file (tests, air-gapped deployments, or a file a sidecar refreshes)."""

    def __init__(self, path: Path) -> None:
        self._set = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))

    def key_for(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [k for k in self._set.keys if kid is None or k.key_id == kid]
        if not keys:
            raise AuthError(401, "unknown signing key")
        return keys[0]


class UrlKeys:
    """The IdP's JWKS endpoint, fetched and cached by PyJWT (``https`` only)."""

    def __init__(self, url: str) -> None:
        if not url.startswith("https://"):
            raise ValueError(f"codec JWKS URL must be https: {url}")
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)

    def key_for(self, token: str) -> jwt.PyJWK:
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as exc:
            raise AuthError(401, "unknown signing key") from exc


def _claim(claims: dict[str, object], path: str) -> object:
    value: object = claims
    for part in path.split("."):  # "realm_access.roles" for IdPs that nest them
        value = value.get(part) if isinstance(value, dict) else None
    return value


class OidcAuthenticator:
    def __init__(self, settings: CodecSettings, keys: _Keys | None = None) -> None:
        if not (settings.oidc_issuer and settings.oidc_audience and settings.jwks):
            raise ValueError("codec auth=oidc needs CASEFAC_CODEC__OIDC_ISSUER, __OIDC_AUDIENCE and __JWKS")
        self._settings = settings
        jwks = settings.jwks
        self._keys = keys or (UrlKeys(jwks) if jwks.startswith(("https://", "http://")) else FileKeys(Path(jwks)))

    def authenticate(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "a bearer access token is required (turn on the UI's 'pass access token')")
        s = self._settings
        try:
            key = self._keys.key_for(token)
            if key.algorithm_name not in ALGORITHMS:
                raise AuthError(401, "the signing key is not an asymmetric key")
            claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=s.oidc_audience,
                                issuer=s.oidc_issuer, leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except AuthError:
            raise
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthError(401, f"access token refused: {type(exc).__name__}") from exc
        raw = _claim(claims, s.role_claim)
        roles = frozenset(raw.split() if isinstance(raw, str) else
                          (str(r) for r in raw) if isinstance(raw, list) else ())
        subject = str(claims["sub"])
        if s.coordinator_role in roles:
            return Principal(subject=subject, tier="coordinator", roles=roles, role=s.coordinator_role)
        if s.finance_role in roles:
            return Principal(subject=subject, tier="finance", roles=roles, role=s.finance_role)
        raise AuthError(403, f"no {s.coordinator_role} or {s.finance_role} role in claim {s.role_claim!r}")


def authenticator(settings: CodecSettings) -> Authenticator:
    return OidcAuthenticator(settings) if settings.auth == "oidc" else LoopbackAuthenticator()


def jwks_document(*public_jwks: dict[str, object]) -> str:
    """A JWKS file's text from public JWKs (``casefac codec`` docs and tests)."""
    return json.dumps({"keys": list(public_jwks)})


__all__ = ["AuthError", "Authenticator", "LoopbackAuthenticator", "OidcAuthenticator", "Principal",
           "authenticator", "jwks_document"]
