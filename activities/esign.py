"""DocuSign activities: the only module that imports ``docusign_esign``.

Envelopes use embedded signing (``clientUserId`` = party id), so DocuSign sends no emails of its own: our
mails carry portal links, and the portal calls :func:`create_signing_url` when the person clicks, because
recipient views expire within minutes. Signatures come back as Connect webhooks (``connect_url``) and the
envelope's text custom fields ``workflow_id`` / ``step`` tell the gateway which workflow to signal.

Idempotency: DocuSign has no idempotency key, so before creating an envelope we search for one carrying
the same ``workflow_id`` + ``step`` custom fields and return it. The residual window: DocuSign's envelope
search can lag a create by a few seconds, so an attempt that times out *after* DocuSign created the
envelope and is retried within that lag could create a second one (Temporal's retry backoff normally
outlasts it). The SDK is synchronous, so each activity runs it in a worker thread.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import urllib3
from docusign_esign import (
    ApiClient,
    ConnectEventData,
    CustomFields,
    DateSigned,
    Document,
    Envelope,
    EnvelopeDefinition,
    EnvelopesApi,
    EventNotification,
    Recipients,
    RecipientViewRequest,
    Signer,
    SignHere,
    Tabs,
    TextCustomField,
)
from docusign_esign.client.api_exception import ApiException, ArgumentException
from docusign_esign.client.configuration import Configuration
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.documents_html import date_anchor, render_agreement, render_contract, sign_anchor
from activities.heartbeat import in_thread
from activities.token_cache import TokenCache
from casefac.activity_io import (
    CONTRACT_SIGNERS,
    ActivityName,
    EnvelopeRef,
    EnvelopeTruth,
    GetEnvelopeStatus,
    SendAgreementEnvelope,
    SendContractEnvelope,
    StoredDocuments,
    StoreSignedDocuments,
    VoidEnvelope,
)
from casefac.documents import DocumentStore, check_key
from casefac.errors import ErrorType, for_status, rate_limit_delay, rejected, unavailable
from casefac.parties import Role
from casefac.settings import DocuSignSettings

#: (connect, read) seconds per REST call: a hung call fails the attempt (retryable) well inside the
#: activity's start-to-close timeout (workflows/options.py), instead of being cut off by it.
REQUEST_TIMEOUT = (5, 25)
#: How far back the idempotency search looks: a step can sit in NeedsAttention for months before staff retry
#: it (review m12), so the window spans more than a year rather than the retries' hours.
LOOKUP_WINDOW = timedelta(days=400)
#: Statuses in which a stray duplicate envelope can still be signed, and so is voided when found (m12).
LIVE_STATUSES = frozenset({"created", "sent", "delivered"})
JWT_SCOPES = ("signature", "impersonation")
JWT_LIFETIME_SECONDS = 3600
#: ``clientUserId`` of JiM's countersignature (the parties use their party ids).
JIM_CLIENT_USER_ID = "JIM"
#: Connect events the workflows act on (envelope-sent/delivered are noise for them).
CONNECT_EVENTS = ["recipient-completed", "recipient-declined", "envelope-completed", "envelope-declined",
                  "envelope-voided"]
#: Statuses in which an envelope can no longer be voided; voiding it again is a no-op.
FINAL_STATUSES = frozenset({"voided", "completed", "declined"})

_tokens = TokenCache()
_config_lock = threading.Lock()

#: Where DocuSign sends the user after granting consent (DocuSign's own page: no redirect of ours needed).
CONSENT_REDIRECT = "https://developers.docusign.com/platform/auth/consent"
#: Recipient-view refusals the portal answers in the party's language instead of "unavailable".
VIEW_REFUSALS: dict[str, str] = {
    "RECIPIENT_NOT_IN_SEQUENCE": ErrorType.RECIPIENT_NOT_IN_SEQUENCE,
    "ENVELOPE_INVALID_STATUS": ErrorType.ENVELOPE_NOT_SIGNABLE,
    "ENVELOPE_IS_NOT_ACTIVE": ErrorType.ENVELOPE_NOT_SIGNABLE,
}


def consent_url(settings: DocuSignSettings) -> str:
    """The page the impersonated user (or an account admin) opens once to let the integration act for them."""
    return (f"https://{settings.oauth_host}/oauth/auth?response_type=code&scope={'%20'.join(JWT_SCOPES)}"
            f"&client_id={settings.integration_key}&redirect_uri={CONSENT_REDIRECT}")


def contract_step(revision: int, attempt: int) -> str:
    return f"contract-r{revision}-a{attempt}"


def agreement_step(attempt: int) -> str:
    return f"agreement-a{attempt}"


def new_api_client(settings: DocuSignSettings) -> ApiClient:
    """An ``ApiClient`` for ``settings``; the CA bundle must be set first (the SDK reads a singleton)."""
    with _config_lock:
        Configuration().ssl_ca_cert = str(settings.oauth_ca_cert) if settings.oauth_ca_cert else None
        return ApiClient(host=settings.host, oauth_host_name=settings.oauth_host)


class DocuSignSession:
    """One ``ApiClient`` and its bearer token: the static one (sandbox) or a cached JWT-grant token."""

    def __init__(self, settings: DocuSignSettings) -> None:
        self.settings = settings
        self.client = new_api_client(settings)
        self.token_key = (settings.oauth_host, settings.integration_key, settings.user_id)

    @property
    def static_token(self) -> str | None:
        """The configured static token; empty counts as unset (``CASEFAC_DOCUSIGN__STATIC_TOKEN=``)."""
        token = self.settings.static_token
        return token.get_secret_value() if token is not None and token.get_secret_value() else None

    @property
    def uses_jwt(self) -> bool:
        return self.static_token is None

    def envelopes(self) -> EnvelopesApi:
        self.client.set_default_header("Authorization", f"Bearer {self.token()}")
        return EnvelopesApi(self.client)

    def token(self) -> str:
        return self.static_token or _tokens.get(self.token_key, self._grant)

    def forget_token(self) -> None:
        _tokens.invalidate(self.token_key)

    def _grant(self) -> tuple[str, float]:
        key_file = self.settings.private_key_file
        if key_file is None:
            raise rejected(ErrorType.DOCUSIGN_REJECTED, "DocuSign JWT grant: no private_key_file configured")
        try:
            private_key = key_file.read_bytes()
        except OSError:
            raise rejected(ErrorType.DOCUSIGN_REJECTED,
                           f"DocuSign JWT grant: cannot read private key file {key_file.name}") from None
        # A client of its own: the grant sets a default Authorization header we do not want shared, and
        # its pool is closed afterwards (one grant an hour needs no idle TLS connection kept open).
        client = new_api_client(self.settings)
        try:
            with docusign_errors("DocuSign JWT grant", consent=consent_url(self.settings)):
                token = client.request_jwt_user_token(
                    client_id=self.settings.integration_key, user_id=self.settings.user_id,
                    oauth_host_name=self.settings.oauth_host, private_key_bytes=private_key,
                    expires_in=JWT_LIFETIME_SECONDS, scopes=list(JWT_SCOPES))
        finally:
            _close_connections(client)
        return str(token.access_token), float(token.expires_in or JWT_LIFETIME_SECONDS)


def _close_connections(client: ApiClient) -> None:
    """Close pooled sockets now (urllib3 2's ``PoolManager.clear`` leaves them to the garbage collector)."""
    pools = client.rest_client.pool_manager.pools
    for key in pools.keys():  # noqa: SIM118 - RecentlyUsedContainer refuses plain iteration
        pools[key].close()
    pools.clear()


def token_fetches(settings: DocuSignSettings) -> int:
    """JWT grants made in this process for ``settings``' user (observability and tests)."""
    return _tokens.fetches.get((settings.oauth_host, settings.integration_key, settings.user_id), 0)


@contextmanager
def docusign_errors(what: str, session: DocuSignSession | None = None, *,
                    consent: str | None = None) -> Iterator[None]:
    """Translate SDK and transport errors into the project's ``ApplicationError`` types.

    ``from None``: the SDK's exception text includes response bodies, which may echo names or emails.
    A 401 under JWT drops the cached token and retries, since a revoked or early-expired token is
    fixed by the next grant; a 401 with a static token is configuration and is not retried.
    ``consent_required`` (the grant of a user who never consented) names the ``consent`` URL to open.
    A 429 waits for ``Retry-After`` or ``X-RateLimit-Reset`` (DocuSign's hourly budget), whichever is later.
    """
    try:
        yield
    except ApiException as exc:
        status = exc.status or None
        code, provider_message = _error_body(exc)
        if status == 401 and session is not None and session.uses_jwt:
            session.forget_token()
            raise unavailable(ErrorType.DOCUSIGN_UNAVAILABLE, f"{what}: token refused, renewing",
                              status=status, code=code, provider_message=provider_message) from None
        if code == "consent_required":
            raise rejected(ErrorType.DOCUSIGN_REJECTED, what, status=status, code=code,
                           provider_message=provider_message,
                           fix=f"the DocuSign user has not granted consent: open {consent} signed in as that "
                               "user (or an admin), accept, then retry" if consent else None) from None
        if code in VIEW_REFUSALS:
            raise rejected(VIEW_REFUSALS[code], what, status=status, code=code,
                           provider_message=provider_message) from None
        headers = dict(exc.headers) if exc.headers else None
        raise for_status(ErrorType.DOCUSIGN_UNAVAILABLE, ErrorType.DOCUSIGN_REJECTED, what, status=status,
                         code=code, retry_after=rate_limit_delay(headers), provider_message=provider_message) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise unavailable(ErrorType.DOCUSIGN_UNAVAILABLE, f"{what}: {type(exc).__name__}") from None
    except ArgumentException as exc:
        raise rejected(ErrorType.DOCUSIGN_REJECTED, f"{what}: {exc}") from None


def _error_body(exc: ApiException) -> tuple[str | None, str | None]:
    """(code, message) of a DocuSign REST error (``errorCode``/``message``) or OAuth error."""
    try:
        body = json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    code = body.get("errorCode") or body.get("error")
    message = body.get("message") or body.get("error_description")
    return (str(code) if code else None), (str(message) if message else None)


_sessions: dict[tuple[str, ...], DocuSignSession] = {}
_sessions_lock = threading.Lock()


def _session_for(settings: DocuSignSettings) -> DocuSignSession:
    token = settings.static_token.get_secret_value() if settings.static_token else ""
    key = (settings.host, settings.oauth_host, settings.account_id, settings.integration_key,
           settings.user_id, str(settings.oauth_ca_cert), hashlib.sha256(token.encode()).hexdigest())
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = DocuSignSession(settings)
        return _sessions[key]


def create_signing_url(settings: DocuSignSettings, envelope_id: str, recipient_id: str, client_user_id: str,
                       name: str, email: str, return_url: str) -> str:
    """A fresh recipient-view URL (valid minutes), made when the signer clicks the portal link.

    Blocking; call it from a thread in async code. Raises ``ApplicationError`` (see :mod:`casefac.errors`):
    type ``RecipientNotInSequence`` when an earlier signer has not signed yet, ``EnvelopeNotSignable`` when
    the envelope is completed, voided or declined (DocuSign refuses the view in both cases).
    """
    session = _session_for(settings)
    view = RecipientViewRequest(authentication_method="none", client_user_id=client_user_id, email=email,
                                recipient_id=recipient_id, return_url=return_url, user_name=name)
    with docusign_errors(f"DocuSign signing view for envelope {envelope_id}", session):
        result = session.envelopes().create_recipient_view(
            settings.account_id, envelope_id, recipient_view_request=view, _request_timeout=REQUEST_TIMEOUT)
    return str(result.url)


class EsignActivities:
    """Envelope activities on ``TaskQueue.ESIGN`` (rate-limit that queue to DocuSign's hourly budget)."""

    def __init__(self, settings: DocuSignSettings, documents: DocumentStore, connect_url: str) -> None:
        self._settings = settings
        self._documents = documents
        self._connect_url = connect_url
        self._session = DocuSignSession(settings)

    # -- activities -------------------------------------------------------------------------------
    @activity.defn(name=ActivityName.SEND_AGREEMENT_ENVELOPE)
    async def send_agreement_envelope(self, request: SendAgreementEnvelope) -> EnvelopeRef:
        return await in_thread(self._send_agreement, request)

    @activity.defn(name=ActivityName.SEND_CONTRACT_ENVELOPE)
    async def send_contract_envelope(self, request: SendContractEnvelope) -> EnvelopeRef:
        return await in_thread(self._send_contract, request)

    @activity.defn(name=ActivityName.VOID_ENVELOPE)
    async def void_envelope(self, request: VoidEnvelope) -> EnvelopeRef:
        """Idempotent: an envelope already voided, completed or declined is left as it is."""
        return await in_thread(self._void, request)

    @activity.defn(name=ActivityName.GET_ENVELOPE_STATUS)
    async def get_envelope_status(self, request: GetEnvelopeStatus) -> EnvelopeTruth:
        """Read-only (idempotent): DocuSign's status of an envelope and the recipients who completed it.

        The workflows ask before they believe a "completed" webhook (security C2 §4) and on reminder ticks
        (review M7), so a lost or forged Connect message can neither stall nor move a case.
        """
        return await in_thread(self._truth, request)

    @activity.defn(name=ActivityName.STORE_SIGNED_DOCUMENTS)
    async def store_signed_documents(self, request: StoreSignedDocuments) -> StoredDocuments:
        return await in_thread(self._store, request)

    # -- implementations (worker thread) ----------------------------------------------------------
    def _send_agreement(self, request: SendAgreementEnvelope) -> EnvelopeRef:
        advocate = request.advocate
        step = agreement_step(request.attempt)
        html = render_agreement(request, self._settings.jim_signer_name, _today())
        definition = EnvelopeDefinition(
            email_subject="Justice in Motion Advocate Agreement",
            documents=[_html_document(html, "Advocate Agreement")],
            recipients=Recipients(signers=[_signer("1", 1, advocate.id, advocate.name, str(advocate.email))]),
            custom_fields=_custom_fields(workflow_id=request.workflow_id, step=step, advocate_id=advocate.id),
            event_notification=self._event_notification(),
            status="sent",
        )
        return self._create_once(definition, request.workflow_id, step)

    def _send_contract(self, request: SendContractEnvelope) -> EnvelopeRef:
        step = contract_step(request.revision.number, request.attempt)
        html = render_contract(request, self._settings.jim_signer_name, _today())
        parties = {
            Role.ADVOCATE: (request.advocate.id, request.advocate.name, str(request.advocate.email)),
            Role.DEFENDER: (request.defender.id, request.defender.name, str(request.defender.email)),
            Role.STAFF: (JIM_CLIENT_USER_ID, self._settings.jim_signer_name, self._settings.jim_signer_email),
        }
        signers = [_signer(rid, int(rid), *parties[role])
                   for role, rid in sorted(CONTRACT_SIGNERS.items(), key=lambda kv: int(kv[1]))]
        definition = EnvelopeDefinition(
            email_subject=f"Case Facilitation Contract {request.case_id} (revision {request.revision.number})",
            documents=[_html_document(html, f"Case Facilitation Contract {request.case_id} "
                                            f"r{request.revision.number}")],
            recipients=Recipients(signers=signers),
            custom_fields=_custom_fields(case_id=request.case_id, workflow_id=request.workflow_id, step=step),
            event_notification=self._event_notification(),
            status="sent",
        )
        return self._create_once(definition, request.workflow_id, step)

    def _create_once(self, definition: EnvelopeDefinition, workflow_id: str, step: str) -> EnvelopeRef:
        existing = self._find(workflow_id, step)
        if existing is not None:
            activity.logger.info("envelope %s already exists for %s %s", existing.envelope_id, workflow_id, step)
            return existing
        with docusign_errors(f"DocuSign create envelope {workflow_id} {step}", self._session):
            summary = self._session.envelopes().create_envelope(
                self._settings.account_id, envelope_definition=definition, _request_timeout=REQUEST_TIMEOUT)
        activity.logger.info("envelope %s created for %s %s", summary.envelope_id, workflow_id, step)
        return EnvelopeRef(envelope_id=str(summary.envelope_id), status=str(summary.status or "sent"))

    def _find(self, workflow_id: str, step: str) -> EnvelopeRef | None:
        since = (datetime.now(UTC) - LOOKUP_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        with docusign_errors(f"DocuSign envelope search {workflow_id} {step}", self._session):
            found = self._session.envelopes().list_status_changes(
                self._settings.account_id, custom_field=f"workflow_id={workflow_id}", from_date=since,
                include="custom_fields", _request_timeout=REQUEST_TIMEOUT)
        matches = []
        for envelope in found.envelopes or []:
            fields = envelope.custom_fields.text_custom_fields if envelope.custom_fields else None
            values = {f.name: f.value for f in fields or []}
            if values.get("step") == step and values.get("workflow_id") == workflow_id:
                matches.append(EnvelopeRef(envelope_id=str(envelope.envelope_id), status=str(envelope.status)))
        if not matches:
            return None
        # Search lag can leave two envelopes for one step: keep the most advanced (a signed one wins, else the
        # first), void the other live ones so nobody signs a stray copy (m12). The caller honours the status.
        keep = next((m for m in matches if m.status == "completed"), matches[0])
        for stray in matches:
            if stray.envelope_id != keep.envelope_id and stray.status in LIVE_STATUSES:
                activity.logger.warning("voiding duplicate envelope %s of %s %s", stray.envelope_id, workflow_id,
                                        step)
                self._void(VoidEnvelope(envelope_id=stray.envelope_id, reason="Duplicate envelope"))
        return keep

    def _void(self, request: VoidEnvelope) -> EnvelopeRef:
        what = f"DocuSign void envelope {request.envelope_id}"
        status = self._status(request.envelope_id)
        if status in FINAL_STATUSES:
            return EnvelopeRef(envelope_id=request.envelope_id, status=status)
        try:
            with docusign_errors(what, self._session):
                self._session.envelopes().update(
                    self._settings.account_id, request.envelope_id,
                    envelope=Envelope(status="voided", voided_reason=request.reason),
                    _request_timeout=REQUEST_TIMEOUT)
        except ApplicationError as err:
            # Lost a race with the last signer or a concurrent void: the envelope is final either way.
            status = self._status(request.envelope_id)
            if status in FINAL_STATUSES:
                return EnvelopeRef(envelope_id=request.envelope_id, status=status)
            raise err
        activity.logger.info("envelope %s voided", request.envelope_id)
        return EnvelopeRef(envelope_id=request.envelope_id, status="voided")

    def _truth(self, request: GetEnvelopeStatus) -> EnvelopeTruth:
        with docusign_errors(f"DocuSign get envelope {request.envelope_id}", self._session):
            envelope = self._session.envelopes().get_envelope(
                self._settings.account_id, request.envelope_id, include="recipients",
                _request_timeout=REQUEST_TIMEOUT)
        signers = envelope.recipients.signers if envelope.recipients and envelope.recipients.signers else []
        signed = [str(r.recipient_id) for r in signers if str(r.status) in ("completed", "signed")]
        reason = str(envelope.voided_reason or "") or next(
            (str(r.declined_reason) for r in signers if r.declined_reason), "")
        activity.logger.info("envelope %s is %s (%s)", request.envelope_id, envelope.status, request.reason)
        return EnvelopeTruth(envelope_id=request.envelope_id, status=str(envelope.status), signed=signed,
                             reason=reason[:200])

    def _status(self, envelope_id: str) -> str:
        with docusign_errors(f"DocuSign get envelope {envelope_id}", self._session):
            envelope = self._session.envelopes().get_envelope(
                self._settings.account_id, envelope_id, _request_timeout=REQUEST_TIMEOUT)
        return str(envelope.status)

    def _store(self, request: StoreSignedDocuments) -> StoredDocuments:
        api = self._session.envelopes()
        downloaded: dict[str, bytes] = {}
        for document_id in ("combined", "certificate"):
            with docusign_errors(f"DocuSign download {document_id} of {request.envelope_id}", self._session):
                downloaded[document_id] = bytes(api.get_document(
                    self._settings.account_id, document_id, request.envelope_id, _request_timeout=REQUEST_TIMEOUT))
        uris: dict[str, str] = {}
        for document_id, data in downloaded.items():
            key = f"{request.case_id}/{request.label}/{request.envelope_id}-{document_id}.{_extension(data)}"
            try:
                check_key(key)
            except ValueError:
                raise rejected(ErrorType.DOCUMENT_KEY_INVALID,
                               f"cannot store documents of {request.envelope_id} under that case id") from None
            uris[document_id] = self._documents.put(key, data)
        activity.logger.info("stored documents of envelope %s for %s", request.envelope_id, request.case_id)
        return StoredDocuments(combined_uri=uris["combined"], certificate_uri=uris["certificate"],
                               sha256=hashlib.sha256(downloaded["combined"]).hexdigest())

    def _event_notification(self) -> EventNotification:
        return EventNotification(
            url=self._connect_url, require_acknowledgment="true", include_hmac="true", delivery_mode="SIM",
            events=list(CONNECT_EVENTS), logging_enabled="true",
            event_data=ConnectEventData(version="restv2.1", format="json",
                                        include_data=["recipients", "custom_fields"]),
        )


def _signer(recipient_id: str, routing_order: int, client_user_id: str, name: str, email: str) -> Signer:
    anchor = {"anchor_units": "pixels", "anchor_x_offset": "0", "anchor_y_offset": "0",
              "anchor_ignore_if_not_present": "false"}
    return Signer(
        recipient_id=recipient_id, routing_order=str(routing_order), client_user_id=client_user_id, name=name,
        email=email,
        tabs=Tabs(sign_here_tabs=[SignHere(anchor_string=sign_anchor(recipient_id), **anchor)],
                  date_signed_tabs=[DateSigned(anchor_string=date_anchor(recipient_id), **anchor)]),
    )


def _custom_fields(**values: str) -> CustomFields:
    return CustomFields(text_custom_fields=[TextCustomField(name=k, value=v, show="false", required="false")
                                            for k, v in values.items()])


def _html_document(html: str, name: str) -> Document:
    return Document(document_base64=base64.b64encode(html.encode("utf-8")).decode("ascii"), document_id="1",
                    file_extension="html", name=name)


def _extension(data: bytes) -> str:
    """Live DocuSign returns PDF; the sandbox returns HTML. Name the file for what it is."""
    return "pdf" if data.startswith(b"%PDF") else "html"


def _today() -> date:
    return datetime.now(UTC).date()

