"""Provider-shaped error bodies, so the SDKs raise the same exception types as in live mode."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response


class ProviderError(Exception):
    """Raised inside handlers; the app turns it into the right provider's error response.

    ``executed``: the provider had started executing the request when it failed (a Stripe balance or
    capability check, an invoice in the wrong state). Stripe stores such results under the idempotency key
    and replays them; a request refused while its parameters were validated is not stored.
    """

    def __init__(self, response: Response, *, executed: bool = False) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.executed = executed


def docusign_error(status: int, code: str, message: str) -> Response:
    """DocuSign answers ``{"errorCode", "message"}``; the SDK raises ``ApiException``."""
    return JSONResponse({"errorCode": code, "message": message}, status_code=status)


def stripe_error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Stripe wraps errors in ``{"error": {...}}``; ``type``/``code`` pick the SDK exception class."""
    error: dict[str, str] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def sendgrid_error(status: int, message: str, field: str | None = None) -> Response:
    """SendGrid v3 answers ``{"errors": [{"message", "field"}]}`` (``field`` null when no field is at fault;
    ``help``, an object, only when SendGrid has some)."""
    return JSONResponse({"errors": [{"message": message, "field": field}]}, status_code=status)


def provider_error_for_path(path: str, status: int, message: str) -> Response:
    """Pick the error shape by URL prefix; used by fault injection."""
    if path.startswith("/v1/"):
        type_ = "api_error" if status >= 500 else "invalid_request_error"
        code = "rate_limit" if status == 429 else None
        return stripe_error(status, message, type_=type_, code=code)
    if path.startswith("/v3/"):
        return sendgrid_error(status, message)
    if path.startswith("/oauth/"):
        return JSONResponse({"error": "temporarily_unavailable", "error_description": message}, status)
    code = "HOURLY_APIINVOCATION_LIMIT_EXCEEDED" if status == 429 else "UNSPECIFIED_ERROR"
    return docusign_error(status, code, message)
