"""DocuSign: the JWT grant works (consent given), the account id is this user's, Connect's HMAC key is set."""

from __future__ import annotations

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA = "DocuSign"
SANDBOX_HMAC = "sandbox-connect-hmac-key"


def check_docusign(settings: Settings) -> list[Check]:
    import logging

    from temporalio.exceptions import ApplicationError

    for name in ("urllib3", "urllib3.connectionpool"):  # one line per check, not the pool's retry chatter
        logging.getLogger(name).setLevel(logging.ERROR)
    from activities.esign import DocuSignSession

    ds = settings.docusign
    session = DocuSignSession(ds)
    checks: list[Check] = []
    if session.uses_jwt:
        try:
            session.forget_token()
            token = session.token()
        except ApplicationError as err:
            fix = err.message.partition(" · fix: ")[2] or (
                "check CASEFAC_DOCUSIGN__INTEGRATION_KEY, __USER_ID (the impersonated user's id), __PRIVATE_KEY_FILE "
                "(the integration's RSA key) and __OAUTH_HOST")
            return [failed(AREA, "JWT grant", err.message.partition(" · fix: ")[0], fix), _hmac(settings)]
        checks.append(passed(AREA, "JWT grant", f"token for user {ds.user_id} from {ds.oauth_host} (consent given)"))
    else:
        token = session.token()
        checks.append(passed(AREA, "JWT grant", "sandbox static token (live mode always uses the JWT grant)"))
    if not checks[-1].ok:
        return checks
    checks.append(_account(session, token))
    checks.append(_hmac(settings))
    return checks


def _account(session: object, token: str) -> Check:
    from docusign_esign.client.api_exception import ApiException
    from urllib3.exceptions import HTTPError

    from activities.esign import DocuSignSession

    assert isinstance(session, DocuSignSession)
    ds = session.settings
    try:
        info = session.client.get_user_info(token)
    except (ApiException, HTTPError, OSError) as exc:
        return failed(AREA, "account", f"userinfo at {ds.oauth_host} failed: {type(exc).__name__}",
                      "check CASEFAC_DOCUSIGN__OAUTH_HOST (and __OAUTH_CA_CERT for a private CA) and that the "
                      "token's user may read its accounts")
    accounts = {str(a.account_id): str(a.base_uri or "") for a in info.accounts or []}
    if ds.account_id not in accounts:
        return failed(AREA, "account", f"{ds.account_id} is not an account of user {ds.user_id}",
                      "set CASEFAC_DOCUSIGN__ACCOUNT_ID to one of: " + ", ".join(sorted(accounts)))
    base = accounts[ds.account_id].rstrip("/")
    if base and not ds.host.startswith(base):
        return failed(AREA, "account", f"{ds.account_id} lives at {base}, casefac calls {ds.host}",
                      f"set CASEFAC_DOCUSIGN__HOST to {base}/restapi")
    return passed(AREA, "account", f"{ds.account_id} at {ds.host}")


def _hmac(settings: Settings) -> Check:
    keys = [k.get_secret_value() for k in settings.docusign.connect_hmac_keys if k.get_secret_value()]
    if not keys:
        return failed(AREA, "Connect HMAC key", "none set", "add the key from DocuSign Admin → Connect → "
                      "Connect Keys to CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS (a JSON list)")
    if settings.mode == "live" and SANDBOX_HMAC in keys:
        return failed(AREA, "Connect HMAC key", "the sandbox's key", "use the key DocuSign generated for you")
    return passed(AREA, "Connect HMAC key", f"{len(keys)} set")
