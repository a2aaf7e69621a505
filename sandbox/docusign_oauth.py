"""DocuSign OAuth (JWT bearer grant + userinfo) and the bearer check for the REST API.

The SDK always calls ``https://{oauth_host}/oauth/token``, so this is usually served by a
second, TLS listener of the same app (see :mod:`sandbox.server`).
"""

from __future__ import annotations

import secrets
import time

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.errors import ProviderError, docusign_error
from sandbox.runtime import runtime

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _check_assertion(request: Request, assertion: str) -> str | Response:
    """Return the user id (``sub``) or an OAuth error response.

    Without a configured public key the assertion is only decoded (dev convenience);
    with one, RS256, ``iss``, ``sub`` and ``aud`` (this listener's host) are enforced.
    """
    cfg = runtime(request).config
    try:
        if cfg.docusign_rsa_public_key_pem is None:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        else:
            claims = jwt.decode(
                assertion,
                cfg.docusign_rsa_public_key_pem,
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["iss", "sub", "aud", "exp"]},
            )
            if claims.get("iss") != cfg.docusign_integration_key:
                return _oauth_error("invalid_grant", "issuer_not_found")
            if claims.get("sub") != cfg.docusign_user_id:
                return _oauth_error("invalid_grant", "user_not_found")
            allowed = {request.headers.get("host", ""), request.url.netloc, request.url.hostname}
            if claims.get("aud") not in allowed:
                return _oauth_error("invalid_grant", "invalid audience")
    except jwt.PyJWTError as exc:
        return _oauth_error("invalid_grant", f"invalid assertion: {exc}")
    return str(claims.get("sub") or cfg.docusign_user_id)


async def token(request: Request) -> Response:
    """``POST /oauth/token`` - JWT bearer grant only."""
    form = await request.form()
    if form.get("grant_type") != JWT_GRANT:
        return _oauth_error("unsupported_grant_type", "only the JWT bearer grant is emulated")
    assertion = form.get("assertion")
    if not isinstance(assertion, str) or not assertion:
        return _oauth_error("invalid_request", "assertion missing")
    result = _check_assertion(request, assertion)
    if isinstance(result, Response):
        return result
    rt = runtime(request)
    if not rt.config.docusign_consent_given:
        # What DocuSign answers until the user (or an admin) grants the integration consent.
        return JSONResponse({"error": "consent_required"}, status_code=400)
    access_token = "dsat_" + secrets.token_urlsafe(24)
    ttl = rt.config.docusign_token_ttl_seconds
    rt.state.table("oauth_tokens")[access_token] = {"sub": result, "expires_at": time.time() + ttl}
    rt.state.commit()
    return JSONResponse({"access_token": access_token, "token_type": "Bearer", "expires_in": ttl})


async def userinfo(request: Request) -> Response:
    """``GET /oauth/userinfo`` - the account and its ``base_uri`` (the REST host)."""
    rt = runtime(request)
    if not _token_valid(request):
        return JSONResponse({"error": "invalid_request", "error_description": "invalid token"}, 401)
    cfg = rt.config
    return JSONResponse(
        {
            "sub": cfg.docusign_user_id,
            "name": "Sandbox User",
            "given_name": "Sandbox",
            "family_name": "User",
            "email": "sandbox-user@example.test",
            "created": "2024-01-01T00:00:00.000",
            "accounts": [
                {
                    "account_id": cfg.docusign_account_id,
                    "is_default": True,
                    "account_name": cfg.docusign_account_name,
                    "base_uri": cfg.base_url,
                }
            ],
        }
    )


def _token_valid(request: Request) -> bool:
    rt = runtime(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return False
    if value == rt.config.docusign_static_token:
        return True
    entry = rt.state.table("oauth_tokens").get(value)
    return entry is not None and entry["expires_at"] > time.time()


def require_docusign_token(request: Request) -> None:
    """Raise a DocuSign 401 unless the bearer is the static token or an unexpired issued one."""
    if not _token_valid(request):
        raise ProviderError(
            docusign_error(
                401,
                "AUTHORIZATION_INVALID_TOKEN",
                "The access token provided is expired, revoked or malformed.",
            )
        )


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/userinfo", userinfo, methods=["GET"]),
]
