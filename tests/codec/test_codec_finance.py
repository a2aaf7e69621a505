"""m11: finance's decode shows the money trail and hides client data and free text, on real case payloads.

The payloads are every payload of the recorded ``happy_path`` and ``report_changes`` histories
(``tests/histories``: the workflow input with the client block, contract terms, task notes, reports,
invoices, payouts), encrypted as the worker would encrypt them, then decoded through the codec service
by a coordinator and by finance.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import WorkflowSerializationContext

from casefac.codec import EncryptionCodec
from casefac.keyring import KeyRing
from casefac.settings import CodecSettings, Settings
from codec_service.app import create_app
from tests.codec.codec_kit import AUDIENCE, ISSUER, UI_ORIGIN, LocalIdP, from_json, to_json

HISTORIES = Path(__file__).parents[1] / "histories"
#: Fields whose values are client data or what people typed; none may reach finance.
PRIVATE_KEYS = {"full_name", "date_of_birth", "last_known_location", "contact_notes", "description", "note",
                "notes", "reason", "scope", "special_terms", "comments", "email"}

#: ``reason`` labels the code itself writes on its read-only reconciliation activities (log only, shown in the
#: activity's summary): nobody typed them, so they are not private.
CODE_LABELS = {"paid signal", "before reminder", "confirm completed", "reminder", "silence", "reconcile"}


def _payloads(node: Any) -> list[Payload]:
    found: list[Payload] = []
    if isinstance(node, dict):
        if "data" in node and "metadata" in node and isinstance(node["metadata"], dict):
            meta = {k: base64.b64decode(v) for k, v in node["metadata"].items()}
            if meta.get("encoding") == b"json/plain":
                found.append(Payload(metadata=meta, data=base64.b64decode(node.get("data", ""))))
        for value in node.values():
            found += _payloads(value)
    elif isinstance(node, list):
        for value in node:
            found += _payloads(value)
    return found


def _private_values(node: Any, key: str | None = None) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            out |= _private_values(v, k)
    elif isinstance(node, list):
        for v in node:
            out |= _private_values(v, key)
    elif isinstance(node, str) and key in PRIVATE_KEYS and len(node) >= 4 and node not in CODE_LABELS:
        out.add(node)
    return out


def _strings(payloads: list[Payload]) -> str:
    return "\n".join(p.data.decode("utf-8") for p in payloads)


@pytest.mark.parametrize("history", ["happy_path.json", "report_changes.json"])
async def test_finance_sees_the_money_trail_and_no_client_data(tmp_path: Path, history: str) -> None:
    corpus = _payloads(json.loads((HISTORIES / history).read_text()))
    corpus = [p for p in corpus if b'"deprecated"' not in p.data]  # patch markers
    private = set().union(*(_private_values(json.loads(p.data)) for p in corpus))
    assert "Rosa Ixchel Coc" in private and any("Cob" in v for v in private)
    ring = KeyRing.generate("fin")
    ring.save(tmp_path / "keyring.json")
    workflow_id = "case-JIM-2026-0001"
    codec = EncryptionCodec(ring)
    sealed = await codec.with_context(WorkflowSerializationContext("default", workflow_id)).encode(corpus)
    idp = LocalIdP.create(tmp_path)
    settings = Settings(_env_file=None, data_dir=tmp_path, keyring_file=tmp_path / "keyring.json",  # type: ignore[call-arg]
                        codec=CodecSettings(auth="oidc", oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                                            jwks=str(idp.jwks_file), ui_origin=UI_ORIGIN))
    app = create_app(settings, codec=codec)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        async def decode(groups: list[str]) -> list[Payload]:
            response = await http.post("/decode", json=to_json(sealed), headers={
                "Authorization": f"Bearer {idp.token(groups=groups)}", "X-Namespace": "default"})
            assert response.status_code == 200, response.text
            return from_json(response.json())

        coordinator = _strings(await decode(["casefac-coordinator"]))
        finance_payloads = await decode(["casefac-finance"])
    finance = _strings(finance_payloads)
    assert "Rosa Ixchel Coc" in coordinator  # coordinators see everything
    leaked = sorted(v for v in private if v in finance)
    assert leaked == [], leaked
    # The money trail stays: case id, invoice ids and numbers, amounts, currencies, statuses, dates.
    assert "JIM-2026-0001" in finance and "in_JIM-2026-0001_1" in finance
    due_dates = set(re.findall(r'"due_date":"(\d{4}-\d{2}-\d{2})"', _strings(corpus)))
    assert due_dates and all(day in finance for day in due_dates)  # the invoice's due date, from the history
    assert "15500" in finance and '"USD"' in finance and '"open"' in finance
    # The timeline's sentences can quote what people typed: finance gets codes, never the sentences.
    sentences = set(re.findall(r'"event":"([^"]* [^"]*)"', coordinator))
    assert sentences or history != "happy_path.json"  # the finished case's result carries its timeline
    assert not [t for t in sentences if f'"event":"{t}"' in finance]
    assert all(json.loads(p.data) is not None or p.data == b"null" for p in finance_payloads)  # still JSON
