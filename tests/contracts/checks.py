"""Hold recorded sandbox traffic to the providers' official material (``tests/contracts/specs``).

Each check returns :class:`Finding` s with a stable ``key`` (no ids, no array indices), so known deltas can be
allow-listed by key (``allowlist.yaml``) and anything new fails:

* DocuSign REST: request and response bodies against the eSignature swagger definitions of the operation
  (types, enums, unknown fields; a field the v2 swagger lacks passes when the pinned ``docusign_esign``
  v2.1 model has it); Connect messages against DocuSign's sample message (key sets and JSON types).
* SendGrid: mail-send bodies against ``tsg_mail_v3.json`` (JSON Schema 2020-12), the status against its
  declared ones; event batches against the Event Webhook Reference (``sendgrid_event.schema.json``) with
  the event names of ``tsg_webhooks_v3.json``.
* Stripe: every object against the pinned stripe-python's typed resource class (unknown fields, ``Literal``
  values, JSON types, ``object``), its key set against ``fixtures3.json``, request parameters against the
  SDK's params TypedDicts, and each event's ``api_version`` against ``stripe.api_version``.
"""

from __future__ import annotations

import decimal
import fnmatch
import functools
import json
import re
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docusign_esign.models as ds_models
import jsonschema
import stripe
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parent / "specs"
ALLOWLIST = Path(__file__).resolve().parent / "allowlist.yaml"


@dataclass(frozen=True)
class Finding:
    key: str
    detail: str = ""


@functools.cache
def _spec(name: str) -> Any:
    return _nullable(json.loads((SPECS / name).read_text(encoding="utf-8")))


def _nullable(node: Any) -> Any:
    """OAS 3.0's ``nullable: true`` (left in SendGrid's 3.1 file) as JSON Schema's ``type: [T, "null"]``."""
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False) is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


# ------------------------------------------------------------------------------------ allow-list
@dataclass(frozen=True)
class Allowed:
    finding: str
    reason: str


def allowlist() -> list[Allowed]:
    """The entries of ``allowlist.yaml``; ``finding`` may hold ``{}``, filled with each of ``fields``."""
    allowed: list[Allowed] = []
    for entry in yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8")) or []:
        pattern, reason = str(entry["finding"]), str(entry["reason"]).strip()
        if not reason:
            raise ValueError(f"allow-list entry {pattern!r} has no reason")
        fields = entry.get("fields")
        allowed += [Allowed(pattern.replace("{}", f), reason) for f in fields] if fields else [Allowed(pattern, reason)]
    return allowed


def not_allowed(findings: Iterable[Finding], allowed: list[Allowed]) -> tuple[list[Finding], set[str]]:
    """Findings no entry covers, and the patterns that covered something."""
    new: list[Finding] = []
    used: set[str] = set()
    for finding in findings:
        match = next((a.finding for a in allowed if fnmatch.fnmatchcase(finding.key, a.finding)), None)
        if match is None:
            new.append(finding)
        else:
            used.add(match)
    return new, used


# ------------------------------------------------------------------------------------ dispatch
def check_record(record: dict[str, Any]) -> list[Finding]:
    provider = record.get("provider")
    if record.get("kind") == "http" and record.get("status") is None:
        return []  # the client hung up before an answer (a timeout test): nothing went over the wire
    if record.get("kind") == "webhook":
        body = record.get("body")
        if provider == "docusign":
            return check_connect(body)
        if provider == "sendgrid":
            return check_sendgrid_events(body)
        if provider == "stripe":
            return check_stripe_event(body)
        return [Finding(f"webhook from unknown provider {provider}")]
    if provider == "docusign":
        return check_docusign(record)
    if provider == "docusign-oauth":
        return check_oauth(record)
    if provider == "sendgrid":
        return check_mail_send(record)
    if provider == "stripe":
        return check_stripe_http(record)
    return [Finding(f"exchange with unknown provider {provider}")]


# ------------------------------------------------------------------------------------ DocuSign
def _docusign_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    swagger_path = re.sub(r"^/restapi/v2\.1/", "/v2/", path)
    for template, item in _spec("esignature.subset.json")["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, swagger_path) and method.lower() in item:
            return template, item[method.lower()]
    return None


def _sdk_fields(definition: str) -> set[str]:
    """JSON names of the pinned SDK's v2.1 model of a swagger definition (empty if it has none)."""
    for name in (definition[:1].upper() + definition[1:], definition):
        model = getattr(ds_models, name, None)
        if model is not None and hasattr(model, "attribute_map"):
            return set(model.attribute_map.values())
    return set()


def check_docusign(record: dict[str, Any]) -> list[Finding]:
    method, path, status = record["method"], record["path"], record["status"]
    found = _docusign_operation(method, path)
    if found is None:
        return [Finding(f"docusign {method} {path.split('/accounts/')[0]}…: no such operation in the spec")]
    template, op = found
    where = f"docusign {method} {template.removeprefix('/v2/accounts/{accountId}')}"
    findings: list[Finding] = []
    body_params = [p for p in op.get("parameters", []) if p.get("in") == "body"]
    request = record["request"]["body"]
    if body_params and isinstance(request, dict) and status < 400:  # a refused request was meant to be wrong
        findings += _ds_walk(request, body_params[0]["schema"], f"{where} request", "")
    response = op["responses"].get(str(status)) or op["responses"].get("default")
    if response is None:
        findings.append(Finding(f"{where}: undeclared status {status}"))
        response = op["responses"].get("400") if status >= 400 else None
    schema = (response or {}).get("schema")
    body = record["response"]["body"]
    if schema and schema.get("type") != "file" and isinstance(body, dict):
        findings += _ds_walk(body, schema, f"{where} response", "")
    return findings


_DS_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                          "boolean": (bool,), "array": (list,), "object": (dict,)}


def _ds_walk(value: Any, schema: dict[str, Any], where: str, field: str) -> list[Finding]:
    definitions = _spec("esignature.subset.json")["definitions"]
    name = ""
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        schema = definitions.get(name, {})
    if value is None:
        return []
    findings: list[Finding] = []
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    label = f"{name or field or 'body'}"
    if kind in _DS_TYPES and not isinstance(value, _DS_TYPES[kind]):
        return [Finding(f"{where}: {field or label} is {type(value).__name__}, spec says {kind}")]
    if "enum" in schema and value not in schema["enum"]:
        findings.append(Finding(f"{where}: {field} value {value!r} not in the spec's enum"))
    if kind == "array":
        for item in value:
            findings += _ds_walk(item, schema.get("items", {}), where, f"{field}[]")
    elif kind == "object":
        props = schema.get("properties", {})
        v21 = _sdk_fields(name) if name else set()
        for key, item in value.items():
            if key in props:
                findings += _ds_walk(item, props[key], where, f"{label}.{key}")
            elif key not in v21:
                findings.append(Finding(f"{where}: unknown field {label}.{key}"))
    return findings


def check_oauth(record: dict[str, Any]) -> list[Finding]:
    """The JWT grant (RFC 7523, as the SDK's ``request_jwt_user_token`` calls it) and userinfo."""
    body = record["response"]["body"]
    where = f"docusign-oauth {record['method']} {record['path']}"
    if record["path"] == "/oauth/token" and record["status"] == 200:
        missing = {"access_token", "token_type", "expires_in"} - set(body or {})
        return [Finding(f"{where}: missing {m}") for m in sorted(missing)]
    if record["status"] >= 400 and not (isinstance(body, dict) and "error" in body):
        return [Finding(f"{where}: error without an OAuth 'error' code")]
    return []


def check_connect(message: Any) -> list[Finding]:
    """A Connect JSON SIM message against DocuSign's sample message: keys and JSON types."""
    return list(_sample_walk(message, _spec("connect.schema-v2.json"), "connect message"))


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _sample_walk(value: Any, sample: Any, where: str) -> Iterator[Finding]:
    if value is None or sample is None:
        return
    if _json_kind(value) != _json_kind(sample):
        yield Finding(f"{where}: {_json_kind(value)} where DocuSign's sample has {_json_kind(sample)}")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in sample:
                yield Finding(f"{where}: unknown field {key}")
            else:
                yield from _sample_walk(item, sample[key], f"{where}.{key}")
    elif isinstance(value, list) and sample:
        for item in value:
            yield from _sample_walk(item, sample[0], f"{where}[]")


# ------------------------------------------------------------------------------------ SendGrid
@functools.cache
def _mail_validator(pointer: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource("urn:tsg-mail", DRAFT202012.create_resource(
        _spec("tsg_mail_v3.json")))
    return jsonschema.Draft202012Validator({"$ref": f"urn:tsg-mail#{pointer}"}, registry=registry)


def _schema_findings(validator: jsonschema.protocols.Validator, value: Any, where: str) -> list[Finding]:
    findings = []
    for error in validator.iter_errors(value):
        path = "/".join("*" if isinstance(p, int) else str(p) for p in error.absolute_path) or "body"
        findings.append(Finding(f"{where}: {path} fails '{error.validator}'", error.message[:200]))
    return findings


def check_mail_send(record: dict[str, Any]) -> list[Finding]:
    where = f"sendgrid {record['method']} {record['path']}"
    op = _spec("tsg_mail_v3.json")["paths"].get(record["path"], {}).get(record["method"].lower())
    if op is None:
        return [Finding(f"{where}: no such operation in the spec")]
    findings: list[Finding] = []
    if str(record["status"]) not in op["responses"]:
        findings.append(Finding(f"{where}: undeclared status {record['status']}"))
    body = record["request"]["body"]
    if isinstance(body, dict) and record["status"] < 400:  # a refused request was meant to be wrong
        pointer = "/components/requestBodies/PostMailSend/content/application~1json/schema"
        findings += _schema_findings(_mail_validator(pointer), body, f"{where} request")
    if record["status"] >= 400 and isinstance(record["response"]["body"], dict):
        findings += _schema_findings(_mail_validator("/components/schemas/ErrorResponse"),
                                     record["response"]["body"], f"{where} error")
    return findings


def _event_names() -> set[str]:
    settings = _spec("tsg_webhooks_v3.json")["components"]["schemas"]["EventWebhookRequest"]["properties"]
    names = {k.replace("_", "") for k, v in settings.items() if v.get("type") == "boolean" and k != "enabled"}
    return names | {"group_unsubscribe", "group_resubscribe", "blocked"}  # blocked arrives as a bounce type too


def check_sendgrid_events(batch: Any) -> list[Finding]:
    schema = _spec("sendgrid_event.schema.json")
    findings = _schema_findings(jsonschema.Draft202012Validator(schema), batch, "sendgrid event batch")
    for event in batch if isinstance(batch, list) else []:
        if isinstance(event, dict) and event.get("event") not in _event_names():
            findings.append(Finding(f"sendgrid event batch: event {event.get('event')!r} is no webhook event"))
    return findings


# ------------------------------------------------------------------------------------ Stripe
_OBJECTS: dict[str, type] = {
    "account": stripe.Account, "balance": stripe.Balance, "customer": stripe.Customer, "event": stripe.Event,
    "invoice": stripe.Invoice, "invoiceitem": stripe.InvoiceItem, "line_item": stripe.InvoiceLineItem,
    "transfer": stripe.Transfer, "list": stripe.ListObject, "search_result": stripe.SearchResultObject,
    "webhook_endpoint": stripe.WebhookEndpoint,
}
#: Fields of list envelopes the SDK handles outside its annotations (stripe-python ``ListObject`` et al.).
_ENVELOPE_FIELDS: dict[type, dict[str, Any]] = {
    stripe.ListObject: {"object": typing.Literal["list"]},
    stripe.SearchResultObject: {"object": typing.Literal["search_result"], "url": str, "next_page": str | None},
}
_ERROR_TYPES = {"api_error", "card_error", "idempotency_error", "invalid_request_error"}
#: (method, route regex) → the SDK's params TypedDict of that call.
_PARAMS: list[tuple[str, str, str]] = [
    ("GET", r"/v1/customers/search$", "CustomerSearchParams"), ("POST", r"/v1/customers$", "CustomerCreateParams"),
    ("POST", r"/v1/customers/[^/]+$", "CustomerUpdateParams"), ("GET", r"/v1/customers$", "CustomerListParams"),
    ("GET", r"/v1/invoices$", "InvoiceListParams"), ("POST", r"/v1/invoices$", "InvoiceCreateParams"),
    ("POST", r"/v1/invoiceitems$", "InvoiceItemCreateParams"), ("GET", r"/v1/invoiceitems$", "InvoiceItemListParams"),
    ("GET", r"/v1/invoices/[^/]+/lines$", "InvoiceLineItemListParams"),
    ("POST", r"/v1/invoices/[^/]+/finalize$", "InvoiceFinalizeInvoiceParams"),
    ("POST", r"/v1/invoices/[^/]+/send$", "InvoiceSendInvoiceParams"),
    ("POST", r"/v1/invoices/[^/]+/void$", "InvoiceVoidInvoiceParams"),
    ("POST", r"/v1/invoices/[^/]+/pay$", "InvoicePayParams"),
    ("POST", r"/v1/invoices/[^/]+/mark_uncollectible$", "InvoiceMarkUncollectibleParams"),
    ("GET", r"/v1/transfers$", "TransferListParams"), ("POST", r"/v1/transfers$", "TransferCreateParams"),
    ("GET", r"/v1/balance$", "BalanceRetrieveParams"),
    ("GET", r"/v1/customers/[^/]+$", "CustomerRetrieveParams"),
    ("GET", r"/v1/invoices/[^/]+$", "InvoiceRetrieveParams"),
    ("POST", r"/v1/invoices/[^/]+$", "InvoiceUpdateParams"), ("GET", r"/v1/transfers/[^/]+$", "TransferRetrieveParams"),
    ("GET", r"/v1/accounts/[^/]+$", "AccountRetrieveParams"), ("POST", r"/v1/accounts$", "AccountCreateParams"),
    ("GET", r"/v1/invoiceitems/[^/]+$", "InvoiceItemRetrieveParams"), ("GET", r"/v1/events$", "EventListParams"),
    ("GET", r"/v1/events/[^/]+$", "EventRetrieveParams"),
    ("GET", r"/v1/accounts$", "AccountListParams"), ("GET", r"/v1/webhook_endpoints$", "WebhookEndpointListParams"),
]


class _Namespace(dict[str, Any]):
    """Resolves the SDK's string annotations (``from __future__ import annotations``) lazily."""

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def __missing__(self, key: str) -> Any:
        for source in (self.cls, sys.modules[self.cls.__module__], stripe, typing):
            if hasattr(source, key):
                return getattr(source, key)
        raise KeyError(key)


@functools.cache
def stripe_hints(cls: type) -> dict[str, Any]:
    """Field → type of an SDK class; an annotation that names a type-checking-only import counts as Any."""
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name.isupper():
                continue
            if isinstance(annotation, str):
                try:
                    annotation = eval(annotation, dict(vars(sys.modules[klass.__module__])), _Namespace(klass))
                except Exception:
                    annotation = Any
            hints[name] = annotation
    return hints


def _options(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [o for o in typing.get_args(hint) if o is not type(None)]
    return [hint]


def _stripe_walk(value: Any, hint: Any, where: str) -> Iterator[Finding]:
    if value is None or hint is Any:
        return
    options = _options(hint)
    literals = [a for o in options if typing.get_origin(o) is typing.Literal for a in typing.get_args(o)]
    if literals and isinstance(value, str):
        if value not in literals:
            yield Finding(f"{where}: value {value!r} not in the SDK's {sorted(map(str, literals))}")
        return
    for option in options:
        origin = typing.get_origin(option) or option
        if origin in (list, typing.List):  # noqa: UP006 - the SDK spells it typing.List
            if not isinstance(value, list):
                continue
            (item,) = typing.get_args(option) or (Any,)
            for element in value:
                yield from _stripe_walk(element, item, f"{where}[]")
            return
        if isinstance(origin, type) and issubclass(origin, stripe.StripeObject):
            if not isinstance(value, dict):
                continue
            yield from stripe_object(value, origin, where)
            return
        if origin in (dict, typing.Dict) and isinstance(value, dict):  # noqa: UP006
            return
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if origin is float and isinstance(value, int | float) and not isinstance(value, bool):
            return
        if origin in (str, bool) and isinstance(value, origin):
            return
        if origin is decimal.Decimal and isinstance(value, str):  # Stripe's decimal_string travels as a string
            return
        if origin is typing.Literal:
            continue
        if not isinstance(origin, type):
            return  # a construct this walker does not model: accept
    yield Finding(f"{where}: {type(value).__name__} where the SDK declares {hint}")


def stripe_object(value: dict[str, Any], cls: type | None, where: str) -> Iterator[Finding]:
    """One object (with ``object`` → its resource class) or a nested structure of class ``cls``."""
    name = value.get("object")
    if isinstance(name, str) and name in _OBJECTS:
        cls = _OBJECTS[name]
        where = f"stripe {name}"
    if cls is None or cls is stripe.StripeObject or cls.__name__ == "UntypedStripeObject":
        return  # free-form (metadata): any keys
    hints = {**stripe_hints(cls), **_ENVELOPE_FIELDS.get(cls, {})}
    for key, item in value.items():
        if key not in hints:
            yield Finding(f"{where}: unknown field {key}")
        elif not (cls in (stripe.ListObject, stripe.SearchResultObject) and key == "data"):
            yield from _stripe_walk(item, hints[key], f"{where}.{key}")
    if cls in (stripe.ListObject, stripe.SearchResultObject):
        for item in value.get("data") or []:
            if isinstance(item, dict):
                yield from stripe_object(item, None, f"{where}.data[]")
    fixture = _spec("fixtures3.subset.json")["resources"].get(str(name)) if isinstance(name, str) else None
    if fixture is not None:
        for key in sorted(set(fixture) - set(value)):
            yield Finding(f"stripe {name}: missing field {key}")


def check_stripe_http(record: dict[str, Any]) -> list[Finding]:
    method, path, status = record["method"], record["path"], record["status"]
    route = re.sub(r"/(cus|in|ii|tr|acct|evt|il)_[A-Za-z0-9]+", r"/{\1}", path)
    where = f"stripe {method} {route}"
    findings: list[Finding] = []
    params_name = next((n for m, rx, n in _PARAMS if m == method and re.search(rx, path)), None)
    if params_name is None:
        findings.append(Finding(f"{where}: no params class mapped for this call"))
    else:
        allowed = set(stripe_hints_typed_dict(params_name))
        pairs = record["query"] if method == "GET" else (record["request"]["body"] or [])
        for name in sorted({re.split(r"\[", k, maxsplit=1)[0] for k, _ in pairs}):
            if name not in allowed:
                findings.append(Finding(f"{where}: parameter {name} not in stripe.params.{params_name}"))
    body = record["response"]["body"]
    if status >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or error.get("type") not in _ERROR_TYPES or not error.get("message"):
            findings.append(Finding(f"{where}: error body is not Stripe's {{error: {{type, message}}}}"))
        return findings
    if isinstance(body, dict):
        findings += list(stripe_object(body, None, where))
    return findings


@functools.cache
def stripe_hints_typed_dict(name: str) -> tuple[str, ...]:
    params = getattr(stripe.params, name)
    keys: set[str] = set()
    for klass in params.__mro__:
        keys |= set(vars(klass).get("__annotations__", {}))
    return tuple(sorted(keys))


def check_stripe_event(event: Any) -> list[Finding]:
    if not isinstance(event, dict):
        return [Finding("stripe event: not an object")]
    findings = list(stripe_object(event, None, "stripe event"))
    if event.get("api_version") != stripe.api_version:
        findings.append(Finding("stripe event: api_version differs from the pinned SDK's",
                                f"{event.get('api_version')} != {stripe.api_version}"))
    obj = (event.get("data") or {}).get("object")
    if isinstance(obj, dict):
        findings += list(stripe_object(obj, None, "stripe event.data.object"))
    return findings
