"""What the Temporal server (and whoever operates it) stores about a case: nothing personal in the clear.

A full case runs through the demo path; then its raw history, its visibility record and every log line the
system wrote are read WITHOUT the codec and searched for the people's names, addresses, locations and words.
With the codec, the same history decodes, proving the search looked at real data.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from casefac.codec import ENCODING, KEY_ID_METADATA
from casefac.ids import advocate_workflow_id
from casefac.messages import ReviewCase, Update
from casefac.parties import Actor, Role
from tests.conftest import eventually
from tests.workflow.fakes import ROSTER

from .journey import Words, full_case
from .world import LogCapture, World

pytestmark = pytest.mark.integration
STAFF = Actor(role=Role.STAFF, id="coord.ana")

WORDS = Words(special_terms="Reunión en la parroquia San Cristóbal los martes",
              task_note="Encontramos a la clienta en la aldea Chicamán",
              hour_line="Entrevista con testigo Xochitl Ajú", expense_line="Bus a Cobán con la testigo",
              evaluation="La defensora arriesgó su seguridad", outcome="Asilo concedido a Rosa Ixchel Coc")


def sensitive(world: World) -> list[str]:
    """Every personal or free-text value the case carried, as the people typed it."""
    defender = ROSTER.get("DEF-GT-001")
    assert defender is not None
    request = world.harness.request()  # the same fixture data every case uses
    return [request.client.full_name, request.client.last_known_location, request.advocate.name,
            str(request.advocate.email), request.advocate.organization, request.description, defender.name,
            str(defender.email), *(getattr(WORDS, f) for f in WORDS.__dataclass_fields__)]


async def test_nothing_personal_reaches_the_server_or_the_logs_in_the_clear(world: World, logs: LogCapture) -> None:
    case = await full_case(world, WORDS)
    secrets = sensitive(world)
    raw = await world.client()  # no codec: what Temporal itself holds
    for workflow_id in (case.handle.id, advocate_workflow_id(case.req.advocate.id)):
        handle = raw.get_workflow_handle(workflow_id)
        history = await handle.fetch_history()
        blob = b"".join(e.SerializeToString() for e in history.events)
        for secret in secrets:
            assert secret.encode() not in blob, f"{secret!r} in the raw history of {workflow_id}"
        payloads = [p for e in history.events if not _is_patch_marker(e) for p in _payloads(e)]
        assert payloads, "the history carries payloads"
        clear = [p for p in payloads if p.metadata.get("encoding") != ENCODING]
        assert not clear, f"{len(clear)} payloads of {workflow_id} are not encrypted: {clear[0].metadata}"
        # ``workflow.patched`` markers are written by the SDK's core, past the codec: they must hold only
        # the patch id (ours are code names, nothing about the case).
        for event in filter(_is_patch_marker, history.events):
            [marker] = _payloads(event)
            assert set(json.loads(marker.data)) == {"id", "deprecated"}
            assert json.loads(marker.data)["id"] in KNOWN_PATCHES
        described = await handle.describe()
        visible = str(described.raw_description) + json.dumps(
            {k.name: str(v) for k, v in described.typed_search_attributes}, ensure_ascii=False)
        for secret in secrets:
            assert secret not in visible, f"{secret!r} visible in {workflow_id}'s description"
    listing = [w async for w in raw.list_workflows(f"WorkflowId = '{case.handle.id}'")]
    assert len(listing) == 1
    attributes = {k.name: v for k, v in listing[0].typed_search_attributes}
    assert attributes["CaseStage"] == "CLOSED" and attributes["CaseCountry"] == "GT"
    assert attributes["DefenderId"] == "DEF-GT-001" and attributes["InvoiceStatus"] == "paid"
    assert all(secret not in str(attributes) for secret in secrets)
    log_text = logs.text()
    assert log_text, "the system logged something"
    for secret in secrets:
        assert secret not in log_text, f"{secret!r} in the logs"

    # The case record (the worker wrote it through records.write): sealed values only, in every page of the
    # file, the write-ahead log included. The Advocate's organisation is a reportable fact (invoiced by
    # organisation), not personal data of a client, so it is the one value kept in the clear.
    await case.handle.result()
    database = world.settings.data_dir / "records.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(FULL)")
        assert connection.execute("SELECT stage FROM cases WHERE case_id = ?", (case.case_id,)).fetchone() == (
            "CLOSED",)
    pages = database.read_bytes() + (database.with_name(database.name + "-wal").read_bytes()
                                     if database.with_name(database.name + "-wal").exists() else b"")
    assert case.req.advocate.organization.encode() in pages  # the search reads real rows
    for secret in secrets:
        if secret != case.req.advocate.organization:
            assert secret.encode() not in pages, f"{secret!r} in the case record's database file"

    # with the codec, everything decodes: the search above looked at real data
    decoded = await (await world.client(world.converter)).get_workflow_handle(case.handle.id).fetch_history()
    started = decoded.events[0].workflow_execution_started_event_attributes.input.payloads
    [case_input] = await world.converter.decode(started)
    assert case_input["request"]["client"]["full_name"] == secrets[0]


async def _mail_kinds(world: World, case_id: str) -> set[str]:
    return {m.get("custom_args", {}).get("kind", "") for m in world.sandbox.runtime.state.table("mails").values()
            if m.get("custom_args", {}).get("case_id") == case_id}


def provider_text(world: World, table: str) -> str:
    """Everything the sandbox's provider holds in ``table``, with base64 documents and attachments decoded."""
    rows = list(world.sandbox.runtime.state.table(table).values())
    parts = [json.dumps(rows, ensure_ascii=False, default=str)]

    def decoded(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("documentBase64", "content") and isinstance(item, str):
                    with contextlib.suppress(ValueError):
                        parts.append(base64.b64decode(item, validate=True).decode("utf-8", "replace"))
                decoded(item)
        elif isinstance(value, list):
            for item in value:
                decoded(item)

    decoded(rows)
    return "\n".join(parts)


async def test_no_free_text_or_client_data_reaches_sendgrid_or_docusign(world: World) -> None:
    """Review M4: a provider sees what its job needs. Emails to parties carry no reasons or notes typed by
    others and no client data; DocuSign gets the contract terms (the special terms are one) and the
    parties' names, never the client, the notes, the report lines, the evaluation or the outcome."""
    await full_case(world, WORDS)
    # Reasons staff type that the parties are told of: a declined case, a cancelled one.
    declined = await world.harness.open()
    await declined.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    await declined.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="decline", reason=WORDS.task_note))
    cancelled = await world.harness.open()
    await cancelled.assign("DEF-GT-001")
    await cancelled.cancel(reason=WORDS.evaluation)
    for case, kind in ((declined, "case_declined"), (cancelled, "case_cancelled")):
        await eventually(lambda c=case, k=kind: _mail_kinds(world, c.case_id), lambda kinds, k=kind: k in kinds,
                         timeout=20, what=f"{kind} mail")
    request = world.harness.request()
    client = [request.client.full_name, request.client.last_known_location, request.description]
    typed = [getattr(WORDS, f) for f in WORDS.__dataclass_fields__]
    mail, envelopes = provider_text(world, "mails"), provider_text(world, "envelopes")
    assert "JIM-" in mail and "JIM-" in envelopes  # the search looks at real rows
    for secret in [*client, *typed]:
        assert secret not in mail, f"{secret!r} reached SendGrid"
    assert WORDS.special_terms in envelopes  # a contract term: the document must hold it
    for secret in [*client, *(t for t in typed if t != WORDS.special_terms)]:
        assert secret not in envelopes, f"{secret!r} reached DocuSign"


async def test_a_payload_from_an_unknown_key_fails_loudly(world: World) -> None:
    raw = await world.client()
    handle = raw.get_workflow_handle(world.harness.cases[0].handle.id)
    history = await handle.fetch_history()
    payload = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    key_id = payload.metadata[KEY_ID_METADATA].decode()
    from casefac.codec import EncryptionCodec, PayloadDecryptionError
    from casefac.keyring import KeyRing

    stranger = EncryptionCodec(KeyRing.generate("another-key"))
    with pytest.raises(PayloadDecryptionError, match=key_id):
        await stranger.decode([payload])


SEARCH_ATTRIBUTES = "temporal.api.common.v1.SearchAttributes"
def _declared_patches() -> set[str]:
    """Every ``*_PATCH`` id the workflow modules declare: code names, nothing about a case."""
    import importlib
    import pkgutil

    import workflows

    found: set[str] = set()
    for module in pkgutil.iter_modules(workflows.__path__):
        names = vars(importlib.import_module(f"workflows.{module.name}"))
        found |= {v for k, v in names.items() if k.endswith("_PATCH") and isinstance(v, str)}
    return found


KNOWN_PATCHES = _declared_patches()


def _is_patch_marker(event: HistoryEvent) -> bool:
    return (event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_patch")


def _payloads(message: Message) -> list[Payload]:
    """Every Payload inside a history event (inputs, results, failures, summaries, headers…), except search
    attributes: those are the visibility index, in the clear by design, and checked on their own above."""
    found: list[Payload] = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is not None and descriptor.message_type.full_name == SEARCH_ATTRIBUTES:
            continue
        repeated = getattr(descriptor, "is_repeated", None)
        if repeated is None:  # older protobuf runtimes
            repeated = descriptor.label == descriptor.LABEL_REPEATED
        items: list[Any] = list(value) if repeated else [value]
        if descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        for item in items:
            if isinstance(item, Payload):
                found.append(item)
            elif isinstance(item, Message):
                found += _payloads(item)
    return found


