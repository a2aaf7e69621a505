"""Side effects, one module per concern; each provider SDK is imported by exactly one module.

``build_activities`` is the one place settings become activity objects, so ``workers/`` only registers
the callables it returns, one worker per task queue (each provider queue can then be rate-limited).
All activities are ``async def`` and run the blocking SDKs in threads: no ``activity_executor`` needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from casefac.activity_io import TaskQueue
from casefac.documents import document_store
from casefac.links import LinkSigner
from casefac.settings import Settings

#: Path of the DocuSign Connect webhook on the gateway (``gateway/`` serves it).
DOCUSIGN_WEBHOOK_PATH = "/webhooks/docusign"


def build_activities(settings: Settings, *,
                     main_extra: Sequence[Callable[..., Any]] = ()) -> dict[str, list[Callable[..., Any]]]:
    """Activity callables per task queue, wired to the providers ``settings`` name.

    ``main_extra``: activities that need more than settings, registered on ``TaskQueue.MAIN`` too;
    the worker passes ``AgreementActivities`` (``activities/agreement.py``, REQUEST_AGREEMENT), which
    needs the worker's Temporal client to signal the Advocate entity workflow.
    """
    from activities import staff as staff_activities
    from activities.billing import BillingActivities
    from activities.esign import EsignActivities
    from activities.mail import MailActivities
    from activities.records import RecordActivities
    from activities.roster import RosterActivities
    from activities.signing_view import SigningViewActivities
    from records.connect import Records

    gateway = settings.gateway
    links = LinkSigner.from_settings(gateway)
    esign = EsignActivities(settings.docusign, document_store(settings),  # M5: encrypted at rest
                            connect_url=gateway.public_url.rstrip("/") + DOCUSIGN_WEBHOOK_PATH)
    mail = MailActivities(settings.sendgrid, links, settings.data_dir / "mail-ledger.sqlite3")
    roster = RosterActivities(settings.roster_file, lambda: Records.from_settings(settings))

    billing = BillingActivities(settings.stripe, roster.current)  # W2: the roster as it is now
    records = RecordActivities(lambda: Records.from_settings(settings))
    return {
        TaskQueue.MAIN: [roster.load_roster, *main_extra,
                         staff_activities.from_records_url(settings.records_url).load_directory],  # S2
        TaskQueue.ESIGN: [esign.send_agreement_envelope, esign.send_contract_envelope, esign.void_envelope,
                          esign.store_signed_documents, esign.get_envelope_status,
                          SigningViewActivities(settings.docusign).create_signing_view],  # S3: M7
        TaskQueue.MAIL: [mail.send_mail, mail.send_mails],
        TaskQueue.BILLING: [billing.issue_invoice, billing.void_invoice, billing.pay_defender, billing.get_invoice],
        TaskQueue.RECORDS: [records.write_record],
    }
