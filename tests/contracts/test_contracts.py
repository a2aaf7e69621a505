"""The sandbox held to the providers' official specs: recorded traffic validated, known deltas allow-listed.

``test_representative_flows_conform`` drives every kind of exchange itself (so a fresh clone tests the
contract on its own); ``test_the_session_traffic_conforms`` validates what every other sandbox of this
pytest session recorded (the activity tests run before this module when the whole suite runs, so their
traffic is in it; the end-to-end tests' part is there when they ran first). Each writes its counts to
``test-artifacts/contract-report*.json``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox
from tests.activities.conftest import TlsMaterial
from tests.contracts import flows
from tests.contracts.checks import Finding, allowlist, check_record, not_allowed
from tests.contracts.recording import ENV, ROOT, records

REPORTS = ROOT.parent


def validate(directory: Path) -> tuple[Counter[str], list[Finding], set[str]]:
    counts: Counter[str] = Counter()
    findings: list[Finding] = []
    for record in records(directory):
        counts[f"{record['kind']} {record['provider']}"] += 1
        findings += check_record(record)
    new, used = not_allowed(findings, allowlist())
    return counts, new, used


def report(name: str, counts: Counter[str], new: list[Finding]) -> dict[str, Any]:
    summary = {"exchanges": sum(v for k, v in counts.items() if k.startswith("http")),
               "webhooks": sum(v for k, v in counts.items() if k.startswith("webhook")),
               "by_kind": dict(sorted(counts.items())), "new_findings": sorted({f.key for f in new})}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def explain(new: list[Finding]) -> str:
    seen: dict[str, str] = {}
    for finding in new:
        seen.setdefault(finding.key, finding.detail)
    lines = [f"  {key}{f'  ({detail})' if detail else ''}" for key, detail in sorted(seen.items())]
    return ("drift from the providers' specs (fix it, or allow-list it with a reason in "
            "tests/contracts/allowlist.yaml):\n" + "\n".join(lines))


async def test_representative_flows_conform(recording_sandbox: RunningSandbox, capture: CaptureServer,
                                            record_dir: Path, tls: TlsMaterial, tmp_path: Path) -> None:
    sb = recording_sandbox
    await flows.docusign_flow(sb, tmp_path, tls.jwt_private_key_file, tls.cert_file, f"{capture.url}/docusign")
    await flows.sendgrid_flow(sb, tmp_path)
    await flows.stripe_flow(sb)
    flows.wait_for_webhooks(sb, capture)

    counts, new, _used = validate(record_dir)
    summary = report("contract-report-flows", counts, new)
    assert not new, explain(new)
    for kind in ("http docusign", "http docusign-oauth", "http sendgrid", "http stripe", "webhook docusign",
                 "webhook sendgrid", "webhook stripe"):
        assert counts[kind] > 0, f"the flows recorded no {kind}: {summary}"


def test_the_session_traffic_conforms() -> None:
    directory = Path(os.environ.get(ENV, ""))
    if not os.environ.get(ENV) or not any(directory.glob("*.jsonl")):
        pytest.skip("no other sandbox recorded in this session (run with the activity or end-to-end tests)")
    counts, new, _used = validate(directory)
    report("contract-report-session", counts, new)
    assert not new, explain(new)


def test_every_allow_list_entry_has_a_reason_and_a_pattern() -> None:
    entries = allowlist()
    assert entries and all(e.reason and e.finding for e in entries)
    assert len({e.finding for e in entries}) == len(entries)
