"""Re-vendor the providers' official specs the contract tests need (run from the repository root).

    python -m tests.contracts.specs.vendor ../shared/provider-specs

Copies the small files whole and cuts the 2 MB DocuSign swagger down to the paths casefac calls and every
definition they reach, so the repository carries a few hundred KB and a fresh clone tests offline. The
source commits are in ``SOURCES.md`` beside this file; update them when re-vendoring from a newer mirror.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: DocuSign eSignature paths (swagger v2 spelling; casefac calls them under /restapi/v2.1).
DOCUSIGN_PATHS = (
    "/v2/accounts/{accountId}/envelopes",
    "/v2/accounts/{accountId}/envelopes/{envelopeId}",
    "/v2/accounts/{accountId}/envelopes/{envelopeId}/recipients",
    "/v2/accounts/{accountId}/envelopes/{envelopeId}/custom_fields",
    "/v2/accounts/{accountId}/envelopes/{envelopeId}/documents/{documentId}",
    "/v2/accounts/{accountId}/envelopes/{envelopeId}/views/recipient",
)
#: Stripe resources whose official example objects the checks compare key sets with.
STRIPE_RESOURCES = ("account", "balance", "customer", "event", "invoice", "invoiceitem", "line_item", "transfer",
                    "webhook_endpoint")
COPIED = ("connect.schema-v2.json", "tsg_mail_v3.json", "tsg_webhooks_v3.json",
          "LICENSE.docusign", "LICENSE.sendgrid", "LICENSE.stripe")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.removeprefix("#/definitions/"))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def docusign_subset(swagger: dict[str, Any]) -> dict[str, Any]:
    paths = {p: swagger["paths"][p] for p in DOCUSIGN_PATHS}
    wanted: set[str] = set()
    _refs(paths, wanted)
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        if name in swagger["definitions"]:  # the mirror refers to a few definitions it lacks
            _refs(swagger["definitions"][name], wanted)
    done &= set(swagger["definitions"])
    return {"swagger": swagger["swagger"], "info": swagger["info"], "basePath": swagger.get("basePath"),
            "x-vendored": "paths casefac calls and the definitions they reach; see vendor.py",
            "paths": paths, "definitions": {n: swagger["definitions"][n] for n in sorted(done)}}


def main(source: Path) -> None:
    swagger = json.loads((source / "esignature.rest.swagger-v2.json").read_text(encoding="utf-8"))
    (HERE / "esignature.subset.json").write_text(json.dumps(docusign_subset(swagger), indent=1, sort_keys=True))
    fixtures = json.loads((source / "fixtures3.json").read_text(encoding="utf-8"))
    subset = {"resources": {name: fixtures["resources"][name] for name in STRIPE_RESOURCES}}
    (HERE / "fixtures3.subset.json").write_text(json.dumps(subset, indent=1, sort_keys=True))
    for name in COPIED:
        shutil.copyfile(source / name, HERE / name)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/provider-specs"))
