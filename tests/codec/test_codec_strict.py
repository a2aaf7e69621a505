"""C2 §1 and m6: the codec refuses plaintext and ciphertext bound to another workflow.

Attacks: someone with namespace access but no key ring sends a plain ``json/plain`` update (C2 §1);
someone replays a genuine encrypted update captured from case A into case B (m6, cut and paste).
Contexts are built the way the SDK builds them (``DataConverter.with_context``), so what is tested is
what a worker and a client do.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from casefac.codec import (
    KEY_ID_METADATA,
    WORKFLOW_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
    PlaintextRefused,
    WorkflowBindingError,
)
from casefac.converter import data_converter
from casefac.keyring import KeyRing


class CancelCase(BaseModel):
    reason: str


def _wf(workflow_id: str) -> WorkflowSerializationContext:
    return WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)


def _act(workflow_id: str | None) -> ActivitySerializationContext:
    return ActivitySerializationContext(namespace="default", activity_id="1", activity_type="mail.send",
                                        activity_task_queue="casefac-mail", workflow_id=workflow_id,
                                        workflow_type="CaseFacilitationWorkflow", is_local=False)


def _plain(obj: object) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(obj).encode())


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate("k1")


async def test_plain_update_is_refused(ring: KeyRing) -> None:
    """Attack: `temporal workflow update --input '{...}'` without the codec, i.e. without the key ring."""
    converter = data_converter(EncryptionCodec(ring)).with_context(_wf("case-JIM-2026-0002"))
    with pytest.raises(PlaintextRefused, match="not encrypted"):
        await converter.decode([_plain({"reason": "forged"})], [CancelCase])


async def test_plain_null_is_refused_too(ring: KeyRing) -> None:
    with pytest.raises(PlaintextRefused):
        await EncryptionCodec(ring).decode([Payload(metadata={"encoding": b"binary/null"})])


async def test_update_from_case_a_replayed_into_case_b_is_refused(ring: KeyRing) -> None:
    """Attack: copy the encrypted `cancel_case` argument from case A's history into an update on case B."""
    converter = data_converter(EncryptionCodec(ring))
    [captured] = await converter.with_context(_wf("case-JIM-2026-0001")).encode([CancelCase(reason="dup")])
    assert captured.metadata[WORKFLOW_ID_METADATA] == b"case-JIM-2026-0001"
    with pytest.raises(WorkflowBindingError, match="bound to workflow 'case-JIM-2026-0001'"):
        await converter.with_context(_wf("case-JIM-2026-0002")).decode([captured], [CancelCase])
    # In its own case it reads, as workflow and as activity context.
    assert await converter.with_context(_wf("case-JIM-2026-0001")).decode([captured], [CancelCase]) == [
        CancelCase(reason="dup")]
    assert await converter.with_context(_act("case-JIM-2026-0001")).decode([captured], [CancelCase]) == [
        CancelCase(reason="dup")]


async def test_relabelling_the_clear_workflow_id_fails_authentication(ring: KeyRing) -> None:
    """The workflow id in the metadata is associated data: rewriting it to B's id breaks the tag."""
    codec = EncryptionCodec(ring)
    [captured] = await codec.with_context(_wf("case-JIM-2026-0001")).encode([_plain("x")])
    forged = Payload(metadata={**captured.metadata, WORKFLOW_ID_METADATA: b"case-JIM-2026-0002"}, data=captured.data)
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.with_context(_wf("case-JIM-2026-0002")).decode([forged])


async def test_stripping_the_binding_does_not_make_it_legacy(ring: KeyRing) -> None:
    ring.legacy_aad_keys = list(ring.keys)  # even under a pre-binding key
    codec = EncryptionCodec(ring)
    [captured] = await codec.with_context(_wf("case-JIM-2026-0001")).encode([_plain("x")])
    stripped = Payload(metadata={k: v for k, v in captured.metadata.items() if k != WORKFLOW_ID_METADATA},
                       data=captured.data)
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.with_context(_wf("case-JIM-2026-0002")).decode([stripped])


async def test_unbound_payload_is_refused_inside_a_workflow(ring: KeyRing) -> None:
    """Something encoded without a workflow (the codec service's /encode) cannot become a case's input."""
    codec = EncryptionCodec(ring)
    [unbound] = await codec.encode([_plain("x")])
    assert unbound.metadata[WORKFLOW_ID_METADATA] == b""
    with pytest.raises(WorkflowBindingError, match="not bound to a workflow"):
        await codec.with_context(_wf("case-JIM-2026-0002")).decode([unbound])
    assert await codec.decode([unbound]) == [_plain("x")]  # readers without context (the codec service)


async def test_decoding_without_context_reads_any_binding(ring: KeyRing) -> None:
    """The codec service has no context: it decrypts for display and reports the binding to the audit log."""
    codec = EncryptionCodec(ring)
    [captured] = await codec.with_context(_wf("case-JIM-2026-0001")).encode([_plain("x")])
    assert await codec.decode([captured]) == [_plain("x")]
    assert codec.bound_workflow(captured) == "case-JIM-2026-0001"


async def test_a_scheduled_run_reads_what_its_schedule_encoded(ring: KeyRing) -> None:
    """Schedules encode with the action's workflow id; the run's id is that id plus '-<time>'."""
    codec = EncryptionCodec(ring)
    [arg] = await codec.with_context(_wf("digest-staff")).encode([_plain("readers")])
    run = codec.with_context(_wf("digest-staff-2026-12-01T13:00:00Z"))
    assert await run.decode([arg]) == [_plain("readers")]
    with pytest.raises(WorkflowBindingError):  # a case id is never a schedule's prefix
        await codec.with_context(_wf("digest-staff-extra")).decode([arg])
    [case_arg] = await codec.with_context(_wf("case-JIM-2026-0001")).encode([_plain("x")])
    with pytest.raises(WorkflowBindingError):
        await codec.with_context(_wf("case-JIM-2026-0001-2026-12-01T13:00:00Z")).decode([case_arg])


async def test_legacy_payloads_read_only_under_legacy_keys(ring: KeyRing) -> None:
    """Payloads written before the binding (AAD = key id) read only under keys the ring marks as older."""
    ring.add_new_key(key_id="old", make_current=False)
    ring.legacy_aad_keys = ["old"]
    legacy = EncryptionCodec(ring)._legacy_encrypt_for_tests(_plain("history"), "old")
    codec = EncryptionCodec(ring).with_context(_wf("case-JIM-2026-0001"))
    assert await codec.decode([legacy]) == [_plain("history")]
    not_legacy = EncryptionCodec(ring)._legacy_encrypt_for_tests(_plain("forged"), "k1")
    with pytest.raises(WorkflowBindingError, match="does not predate workflow binding"):
        await codec.decode([not_legacy])


def _marker(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


async def test_patch_markers_are_the_one_plain_payload_read(ring: KeyRing) -> None:
    """The SDK writes `workflow.patched` marker details past the codec (see tests/histories): exactly these
    bytes, in the ``patch-data`` details of a ``core_patch`` marker."""
    marker = _marker(b'{"id":"mail-outbox","deprecated":false}')
    assert await EncryptionCodec(ring).with_context(_wf("case-JIM-2026-0001")).decode([marker]) == [marker]
    with pytest.raises(PlaintextRefused):
        await EncryptionCodec(ring).decode([_plain({"id": "x", "deprecated": False, "reason": "forged"})])


@pytest.mark.parametrize("data", [
    b'{"id":"attacker-chosen","deprecated":false}',  # marker-shaped, but no patch of this codebase
    b'{"id": "mail-outbox", "deprecated": false}',  # not the SDK's compact bytes
    b'{"deprecated":false,"id":"mail-outbox"}',
    b'{"id":"mail-outbox","deprecated":0}',
])
async def test_only_what_the_sdk_writes_for_a_known_patch_passes(ring: KeyRing, data: bytes) -> None:
    """Review gap: any plaintext shaped like a patch marker passed the codec (a namespace user's forged input)."""
    with pytest.raises(PlaintextRefused):
        await EncryptionCodec(ring).with_context(_wf("case-JIM-2026-0001")).decode([_marker(data)])
    with pytest.raises(PlaintextRefused):
        await EncryptionCodec(ring).decode([_marker(data)])


def test_the_known_patch_ids_are_every_patch_of_the_workflows() -> None:
    import re
    from pathlib import Path

    from casefac.codec import KNOWN_PATCH_IDS

    root = Path(__file__).resolve().parents[2] / "workflows"
    found = {m.group(1) for f in root.glob("*.py")
             for m in re.finditer(r'^[A-Z0-9_]+_PATCH(?::\s*str)?\s*=\s*"([^"]+)"', f.read_text(), re.M)}
    assert found == set(KNOWN_PATCH_IDS), "add a new patch id to casefac.codec.KNOWN_PATCH_IDS"


async def test_fixtures_may_opt_out(ring: KeyRing) -> None:
    codec = EncryptionCodec(ring, allow_plaintext=True)
    assert await codec.with_context(_wf("w")).decode([_plain({"a": 1})]) == [_plain({"a": 1})]
    assert codec.with_context(_wf("w")).allow_plaintext


async def test_key_id_still_bound(ring: KeyRing) -> None:
    ring.add_new_key(key_id="k2", make_current=False)
    codec = EncryptionCodec(ring)
    [payload] = await codec.encode([_plain("x")])
    relabelled = Payload(metadata={**payload.metadata, KEY_ID_METADATA: b"k2"}, data=payload.data)
    with pytest.raises(PayloadDecryptionError, match="'k2' failed authentication"):
        await codec.decode([relabelled])
