"""Hypothesis strategies for update payloads, signal models and webhook bodies: valid-looking AND hostile.

Three families per input, so the fuzzer spends time on the edges that matter:

- *valid-looking*: the right shape with plausible values (often fully valid), so the acceptance path and
  the state-dependent rules (actor, stage, revision, report number) get exercised, not just pydantic;
- *mutated*: a valid-looking value with one to three hostile edits at any depth (a field deleted, an extra
  field, a wrong type, a huge or weird string, a float where an int belongs, a value wrapped in a list);
- *junk*: anything JSON can carry, including deep nesting.

Strategies are static: values only the running case knows (its Advocate's id, the current revision, today)
are ``Ref`` placeholders filled in by ``resolve`` just before sending, and webhook bodies carry
``WORKFLOW_TOKEN`` / ``CASE_TOKEN`` replaced by the recording workflow's id. Static strategies let
Hypothesis replay and shrink a failure without knowing anything about the case.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from casefac.evaluation import OutcomeResult
from casefac.messages import Update
from casefac.money import CURRENCIES, MAX_MINOR
from casefac.parties import Service
from casefac.settings import GatewaySettings
from casefac.utbms import ACTIVITY_CODES, EXPENSE_CODES, TASK_CODES
from gateway.httputil import MAX_WEBHOOK_BODY
from tests.gateway.gateway_kit import recent_generated

Json = Any
Path = tuple[str | int, ...]


# --------------------------------------------------------------------------------------------- Refs
@dataclass(frozen=True)
class Ref:
    """A value only the running case knows, resolved by ``resolve`` (``offset`` shifts numbers and days)."""

    key: str
    offset: int = 0


def resolve(tree: Json, values: Mapping[str, Callable[[int], Json]]) -> Json:
    """``tree`` with every ``Ref`` replaced by ``values[ref.key](ref.offset)`` (unknown keys stay strings)."""
    if isinstance(tree, Ref):
        fill = values.get(tree.key)
        return fill(tree.offset) if fill is not None else f"<{tree.key}{tree.offset:+d}>"
    if isinstance(tree, dict):
        return {k: resolve(v, values) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve(v, values) for v in tree]
    return tree


# ------------------------------------------------------------------------------------ hostile atoms
#: Characters that break naive code: NUL, bidi overrides, zero-width joiners, combining marks, emoji,
#: RTL scripts, quotes and separators that matter in CSV, LEDES, HTML and JSON.
HOSTILE_CHARS = ["\x00", "\x7f", "\u202e", "\u200f", "\u200b", "\u2028", "\ufeff", "\u0301", "\u0336", "😀",
                 "👩\u200d👩\u200d👧", "ا", "ש", "中", "\r", "\n", "\t", "\\", '"', "'", "<", ">", "&", "|", "[",
                 "]", "%", "{", "}", ";", ":", ",", " "]
SPECIAL_STRINGS = ["", " ", "\t\n", "\x00", "null", "None", "undefined", "NaN", "-0", "1e400", "0x10", "١٢٣",
                   "\u202eevil\u202c", "שלום עולם", "مرحبا", "Z̷̡̢a̸l̶g̵o̶", "<script>alert(1)</script>",
                   "'; DROP TABLE cases;--", "{{7*7}}", "${jndi:ldap://x/a}", "%s%n%x", "../../etc/passwd",
                   "T1", "DEF-GT-001", "JIM-2026-0001", "case-JIM-2026-0001", "staff", "USD", "2026-01-01"]
#: Repeated to build long strings cheaply (Hypothesis draws one unit and one length, not every char).
UNITS = ["x", "é", "\u202e", "\x00", "😀", "a\u0301", "ש", " "]


def sized(*lengths: int) -> st.SearchStrategy[str]:
    """Strings of exactly the given lengths (in code points) built from one repeated hostile unit."""
    return st.builds(lambda unit, n: (unit * n)[:n], st.sampled_from(UNITS), st.sampled_from(lengths))


huge_text = sized(2_001, 4_001, 20_000, 100_000)
weird_text = st.one_of(
    st.text(max_size=24),
    st.lists(st.sampled_from(HOSTILE_CHARS), min_size=1, max_size=24).map("".join),
    st.sampled_from(SPECIAL_STRINGS),
)
hostile_text = st.one_of(weird_text, huge_text)
#: Valid in JSON text (``"\\ud800"``) and in a Python str, but not encodable as UTF-8: arrives only from the
#: outside (webhooks), never through the Temporal client, which refuses to encode it.
lone_surrogates = st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800"])


def text_field(max_len: int, min_len: int = 0) -> st.SearchStrategy[str]:
    """A free-text field: plausible, weird, empty, and exactly at / one past its limits (``huge_text`` comes
    in through mutation)."""
    plausible = st.sampled_from(["Located the client", "Llamada con la clienta", "Bus fare to Cobán",
                                 "Weekly updates by secure messaging.", "N/A"])
    edges = sized(*{max(min_len, 1), max_len, max_len + 1})
    return st.one_of(plausible, weird_text, edges)


hostile_int = st.one_of(
    st.integers(-3, 30),
    st.sampled_from([MAX_MINOR, MAX_MINOR + 1, -MAX_MINOR, -MAX_MINOR - 1, 2**31, 2**53 + 1, 2**63, 2**64,
                     -(2**63) - 1, 10**30]),
    st.integers(),
)
hostile_float = st.one_of(
    st.sampled_from([0.1, 1.5, -0.0, 100.0, 1e308, 5e-324, -1e16, 1e16]),
    st.floats(allow_nan=True, allow_infinity=True),
)
hostile_date = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "2026-1-1", "20260101", "-0001-01-01",
                     "+10000-01-01", "2026-01-01T00:00:00Z", "2026-01-01T25:00:00", "", "today", "1970-01-01"]),
    st.dates().map(date.isoformat),
    st.integers(-(2**40), 2**40),
    hostile_float,
)
hostile_key = st.one_of(st.sampled_from(["extra", "__class__", "__proto__", "", "actor", "$ref", "0"]),
                        weird_text, sized(3_000))
json_scalar = st.one_of(st.none(), st.booleans(), hostile_int, hostile_float, hostile_text)
roles_any = st.one_of(st.sampled_from(["staff", "finance", "advocate", "defender", "root", "STAFF", "Staff",
                                       "staff ", "", "admin", "defender\x00"]), weird_text)
actor_ids_any = st.one_of(st.sampled_from(["coord.ana", "", "a" * 40, "a" * 41, "coord ana", "../x", "-x", ".x",
                                           "\u202eadmin", "coord.ana\x00", "DEF-GT-001"]), hostile_text)
hostile_actor = st.fixed_dictionaries({"role": roles_any, "id": actor_ids_any})
currencies_any = st.one_of(st.sampled_from([*CURRENCIES, "usd", "EUR", "XYZ", "", "US D", "USD\x00", "USDD"]),
                           weird_text)
amounts_any = st.one_of(hostile_int, hostile_float, st.sampled_from(["100", "1e3", "١٠٠", True, False, None, "0x10"]))
hostile_money = st.fixed_dictionaries({"amount": amounts_any, "currency": currencies_any})
junk: st.SearchStrategy[Json] = st.recursive(
    json_scalar,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(hostile_key, kids, max_size=4)),
    max_leaves=12,
)


def nest(depth: int, kind: str) -> Json:
    """``[[[…0…]]]`` or ``{"a": {"a": …}}``, ``depth`` levels deep (built iteratively, never recursively)."""
    value: Json = 0
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def deep_nest(max_depth: int) -> st.SearchStrategy[Json]:
    return st.builds(nest, st.integers(10, max_depth), st.sampled_from(["list", "dict"]))


def hostile_value(max_depth: int = 100) -> st.SearchStrategy[Json]:
    return st.one_of(json_scalar, junk, deep_nest(max_depth))


# ---------------------------------------------------------------------------------------- mutation
def _paths(tree: Json, prefix: Path = ()) -> list[Path]:
    found = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            found += _paths(v, (*prefix, i))
    return found


def _get(tree: Json, path: Path) -> Json:
    for step in path:
        tree = tree[step]
    return tree


def _set(tree: Json, path: Path, value: Json, *, delete: bool = False) -> Json:
    """A copy of ``tree`` with the node at ``path`` replaced (or deleted from its dict or list)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        copy = dict(tree)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _set(tree[head], rest, value, delete=delete)  # type: ignore[index]
        return copy
    items = list(tree)
    if delete and not rest:
        del items[head]  # type: ignore[arg-type]
    else:
        items[head] = _set(items[head], rest, value, delete=delete)  # type: ignore[index]
    return items


def _retyped(node: Json) -> list[Json]:
    """The same value in the wrong JSON type: floats for ints, strings for numbers, and so on."""
    if isinstance(node, bool):
        return [not node, int(node), str(node).lower()]
    if isinstance(node, int):
        out: list[Json] = [str(node), node + 0.5, -node]
        if abs(node) < 2**52:
            out.append(float(node))
        return out
    if isinstance(node, float):
        return [str(node), int(node) if node == node and abs(node) < 1e300 else 0]
    if isinstance(node, str):
        return [node * 2, node.upper(), f" {node} ", node + "\x00", [node], len(node)]
    if isinstance(node, list):
        return [node * 2, node[:0], {"0": node}]
    if isinstance(node, dict):
        return [list(node.values()), json.dumps(resolve(node, {}), default=str)]
    return [str(node)]


@st.composite
def _mutate_once(draw: st.DrawFn, tree: Json, max_depth: int) -> Json:
    path = draw(st.sampled_from(_paths(tree)))
    node = _get(tree, path)
    op = draw(st.sampled_from(["replace", "retype", "delete", "extra", "wrap", "null", "hostile_text", "date",
                               "actor", "money"]))
    if op == "delete" and path:
        return _set(tree, path, None, delete=True)
    if op == "extra" and isinstance(node, dict):
        return _set(tree, path, {**node, draw(hostile_key): draw(json_scalar)})
    if op == "retype":
        return _set(tree, path, draw(st.sampled_from(_retyped(node))))
    if op == "wrap":
        return _set(tree, path, [node])
    if op == "null":
        return _set(tree, path, None)
    if op == "hostile_text":
        return _set(tree, path, draw(hostile_text))
    if op == "date":
        return _set(tree, path, draw(hostile_date))
    if op == "actor":
        return _set(tree, path, draw(hostile_actor))
    if op == "money":
        return _set(tree, path, draw(hostile_money))
    return _set(tree, path, draw(hostile_value(max_depth)))


def mutated(base: st.SearchStrategy[Json], *, max_edits: int = 3, max_depth: int = 100) -> st.SearchStrategy[Json]:
    """``base`` with one to ``max_edits`` hostile edits at random places."""
    @st.composite
    def build(draw: st.DrawFn) -> Json:
        tree = draw(base)
        for _ in range(draw(st.integers(1, max_edits))):
            tree = draw(_mutate_once(tree, max_depth))
        return tree

    return build()


def mostly(usual: st.SearchStrategy[Json], rare: st.SearchStrategy[Json], *, odds: int = 4) -> st.SearchStrategy[Json]:
    """``usual`` except one time in ``odds`` (``one_of`` would weigh by flattened branches, not by intent)."""
    return st.integers(0, odds - 1).flatmap(lambda i: rare if i == odds - 1 else usual)


#: How examples split between the families (valid-looking : mutated : junk).
FAMILIES = ["valid"] * 9 + ["mutated"] * 7 + ["junk"] * 4


def hostile_variants(base: st.SearchStrategy[Json], *, max_depth: int = 100) -> st.SearchStrategy[Json]:
    """The three families in fixed proportions: valid-looking, mutated, junk (including deep nesting)."""
    families = {"valid": base, "mutated": mutated(base, max_depth=max_depth), "junk": hostile_value(max_depth)}
    return st.sampled_from(FAMILIES).flatmap(lambda family: families[family])


# ------------------------------------------------------------------------------ case-shaped values
# The valid-looking family draws from mostly valid choices (with a few wrong ones that only the case's
# state can refuse: someone else's id, a stale revision, tomorrow's date). Type and shape hostility comes
# from ``mutated`` and ``junk``, so a good share of payloads is fully valid and reaches the acceptance path.
STAFF = {"role": "staff", "id": "coord.ana"}
FINANCE = {"role": "finance", "id": "fin.luis"}
ADVOCATE = {"role": "advocate", "id": Ref("advocate_id")}
DEFENDER = {"role": "defender", "id": Ref("defender_id")}
KNOWN_ACTORS: list[Json] = [
    STAFF, ADVOCATE, DEFENDER, FINANCE, STAFF, ADVOCATE, DEFENDER,
    {"role": "staff", "id": "x" * 40},  # any staff id is staff (the CLI sets it)
    {"role": "staff", "id": Ref("advocate_id")},  # a party's id claiming the staff role
    {"role": "advocate", "id": "ADV-SOMEONE-ELSE"},
    {"role": "defender", "id": "DEF-GT-003"},  # in the roster, same country, not assigned
    {"role": "defender", "id": "DEF-MX-001"},  # another country
    {"role": "advocate", "id": Ref("defender_id")},
    {"role": "finance", "id": Ref("defender_id")},
]
#: Who DESIGN §3 lets do each update: half of the valid-looking payloads name one of them.
RIGHT_ACTORS: dict[str, list[Json]] = {
    Update.REVIEW_CASE: [STAFF], Update.RESPOND_TO_ASSIGNMENT: [DEFENDER],
    Update.EDIT_CONTRACT: [ADVOCATE, DEFENDER, STAFF], Update.APPROVE_CONTRACT: [DEFENDER, STAFF],
    Update.UPDATE_TASK: [DEFENDER], Update.SUBMIT_REPORT: [DEFENDER], Update.REVIEW_REPORT: [STAFF],
    Update.RECORD_PAYOUT: [FINANCE, STAFF], Update.SUBMIT_EVALUATION: [ADVOCATE, DEFENDER],
    Update.REPORT_OUTCOME: [ADVOCATE], Update.CANCEL_CASE: [STAFF], Update.RETRY_STEP: [STAFF],
}


def actors_for(name: str) -> st.SearchStrategy[Json]:
    return mostly(st.sampled_from(RIGHT_ACTORS[name]), st.sampled_from(KNOWN_ACTORS), odds=2)


day = st.sampled_from([Ref("today"), Ref("today"), Ref("opened"), Ref("today", -1), Ref("today", 1),
                       Ref("opened", -1), Ref("today", -3650), Ref("today", 3650)])
money_plausible = st.fixed_dictionaries({
    "amount": mostly(st.integers(1, 500_000), st.sampled_from([MAX_MINOR, MAX_MINOR + 1, 0, -1, -500])),
    "currency": st.sampled_from(CURRENCIES)})
invoice_money = st.fixed_dictionaries({"amount": st.integers(1, 100_000), "currency": st.sampled_from(["USD", "CAD"])})

task_ids = st.sampled_from([Ref("task_id", 0), Ref("task_id", 1), Ref("task_id", 0), "T1", "T2", "T0", "T999", "T1000",
                            "t1", "T01"])
task_spec = st.fixed_dictionaries(
    {"id": st.sampled_from(["T1", "T2", "T3", "T42", "T999"]), "service": st.sampled_from([s.value for s in Service]),
     "description": text_field(1000, 1)},
    optional={"due": day})
contract_terms = st.fixed_dictionaries(
    {"scope": text_field(4000, 1),
     "tasks": mostly(st.lists(task_spec, min_size=1, max_size=3, unique_by=lambda t: t["id"]),
                     st.builds(lambda n: [{"id": f"T{i}", "service": "locate_client", "description": "d"}
                                          for i in range(1, n + 1)], st.sampled_from([0, 30, 31]))),
     "hourly_rate": st.one_of(invoice_money, invoice_money, money_plausible)},
    optional={"expense_cap": money_plausible, "hours_cap": st.integers(0, 2001), "deadline": day,
              "special_terms": text_field(4000)})

hours_plausible = st.sampled_from(["0.5", "1", "3.5", "24", "0.1", 2, 7.5, "0.15", "24.1", "0", "1e1", "-1"])
hour_line = st.fixed_dictionaries({
    "date": day, "hours": hours_plausible,
    "task_code": st.sampled_from([*sorted(TASK_CODES)[:3], "L999"]),
    "activity_code": st.sampled_from([*sorted(ACTIVITY_CODES)[:3], "A999"]),
    "description": text_field(500, 1)})
expense_line = st.fixed_dictionaries({
    "date": day, "amount": money_plausible, "expense_code": st.sampled_from([*sorted(EXPENSE_CODES)[:3], "E999"]),
    "description": text_field(500, 1)})
report = st.fixed_dictionaries(
    {"kind": st.sampled_from(["interim", "final", "final", "FINAL"])},
    optional={"hours": st.lists(hour_line, max_size=3), "expenses": st.lists(expense_line, max_size=3),
              "note": text_field(2000)})

rates_plausible = st.one_of(
    st.sampled_from(["0.13", "1", "7.8", "0", "-0.13", "0.000000001", "9999999999.99999999", "99999999999", "1e-8",
                     "NaN", "40000", "1234567.12345678", 0.13, 1]),
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(100_000), places=8).map(str))
exchange_rate = st.fixed_dictionaries({"source": st.sampled_from(["GTQ", "USD", "MXN", "CAD"]),
                                       "target": st.sampled_from(["USD", "USD", "CAD", "GTQ"]),
                                       "rate": rates_plausible})
adjustment = st.fixed_dictionaries({"description": text_field(500, 1),
                                    "amount": st.one_of(invoice_money, money_plausible)})
report_numbers = mostly(st.just(Ref("report_number")),
                        st.sampled_from([Ref("report_number", 1), Ref("report_number", -1), 0, 2**63]))
revisions = mostly(st.just(Ref("revision")), st.sampled_from([Ref("revision", 1), Ref("revision", -1), 0]))
scores = mostly(st.integers(1, 5), st.sampled_from([0, 6]), odds=10)
evaluation = st.fixed_dictionaries(
    {"communication": scores, "quality": scores, "timeliness": scores, "overall": scores,
     "would_work_again": st.booleans()},
    optional={"comments": text_field(4000)})
outcome = st.fixed_dictionaries(
    {"result": st.sampled_from([*(r.value for r in OutcomeResult), "GRANTED", "won"])},
    optional={"decided_on": day, "notes": text_field(4000)})
defender_ids = st.sampled_from(["DEF-GT-001", "DEF-GT-002", "DEF-GT-003", "DEF-GT-001", "DEF-MX-001", "DEF-SV-003",
                                "DEF-XX-999", "", Ref("defender_id")])


def _valid_looking(name: str) -> st.SearchStrategy[Json]:
    fd = st.fixed_dictionaries
    actors = actors_for(name)
    shapes: dict[str, st.SearchStrategy[Json]] = {
        Update.REVIEW_CASE: fd({"actor": actors, "decision": st.sampled_from(["accept", "accept", "decline"]),
                                "defender_id": defender_ids, "reason": text_field(2000)}),
        Update.RESPOND_TO_ASSIGNMENT: fd({"actor": actors, "accept": st.booleans(), "reason": text_field(2000)}),
        Update.EDIT_CONTRACT: fd({"actor": actors, "base_revision": revisions, "terms": contract_terms},
                                 optional={"note": text_field(2000)}),
        Update.APPROVE_CONTRACT: fd({"actor": actors, "revision": revisions}),
        Update.UPDATE_TASK: fd({"actor": actors, "task_id": task_ids,
                                "status": st.sampled_from(["open", "in_progress", "done", "blocked"])},
                               optional={"note": text_field(2000)}),
        Update.SUBMIT_REPORT: fd({"actor": actors, "report": report}),
        Update.REVIEW_REPORT: fd(
            {"actor": actors, "report_number": report_numbers,
             "decision": st.sampled_from(["approve", "approve", "request_changes"])},
            optional={"exchange_rates": st.lists(exchange_rate, max_size=3),
                      "adjustments": st.lists(adjustment, max_size=3),
                      "reasons": st.lists(text_field(2000, 1), max_size=3)}),
        Update.RECORD_PAYOUT: fd({"actor": actors, "report_number": report_numbers,
                                  "amount": st.one_of(st.just(Ref("payout_amount")), money_plausible),
                                  "reference": text_field(120, 1), "paid_on": day}),
        Update.SUBMIT_EVALUATION: fd({"actor": actors, "evaluation": evaluation}),
        Update.REPORT_OUTCOME: fd({"actor": actors, "outcome": outcome}),
        Update.CANCEL_CASE: fd({"actor": actors, "reason": text_field(2000, 1)}),
        Update.RETRY_STEP: fd({"actor": actors}, optional={"note": text_field(500)}),
    }
    return shapes[name]


#: The updates the fuzzer has shapes and actors for (a new update joins once it has an entry in both tables
#: above and in ``case_kit``; until then it is left out rather than failing every draw with a KeyError).
UPDATE_NAMES: list[str] = sorted(v for k, v in vars(Update).items() if k.isupper() and v in RIGHT_ACTORS)

#: Nesting the client's pydantic JSON encoder still accepts (it refuses ~250 levels, before anything is sent).
UPDATE_MAX_DEPTH = 120


def update_payloads(name: str) -> st.SearchStrategy[Json]:
    """Any payload for update ``name``: valid-looking, mutated or junk (with ``Ref`` placeholders)."""
    return hostile_variants(_valid_looking(name), max_depth=UPDATE_MAX_DEPTH)


def named_update_payloads(focus: list[str] | None = None) -> st.SearchStrategy[tuple[str, Json]]:
    """``(update name, payload)``; half of the names drawn from ``focus`` (the updates a stage is about)."""
    names = st.sampled_from(UPDATE_NAMES)
    if focus:
        names = st.one_of(st.sampled_from(focus), names)
    return names.flatmap(lambda name: st.tuples(st.just(name), update_payloads(name)))


# --------------------------------------------------------------------------------------- signals
def free_text(limit: int) -> st.SearchStrategy[str]:
    """A free-text signal field: usually plausible, sometimes hostile or a lone surrogate."""
    return mostly(text_field(limit), mostly(hostile_text, lone_surrogates, odds=2), odds=3)


event_ids = mostly(st.sampled_from(["evt_1", "docusign-abc", "sg-1"]),
                   st.one_of(st.just(""), sized(200, 201), hostile_text, lone_surrogates))
envelope_event = st.fixed_dictionaries(
    {"event_id": event_ids,
     "envelope_id": mostly(st.just("env-1"), st.one_of(sized(100, 101), hostile_text, lone_surrogates)),
     "kind": mostly(st.sampled_from(["sent", "delivered", "recipient_completed", "recipient_declined", "completed",
                                     "declined", "voided"]), st.sampled_from(["signed", "", "SENT"]))},
    optional={"recipient_id": mostly(st.sampled_from(["1", "2", "3", None]), st.one_of(free_text(100), json_scalar)),
              "reason": free_text(2000),
              "at": mostly(st.datetimes().map(lambda d: d.isoformat()), hostile_date)})
invoice_event = st.fixed_dictionaries(
    {"event_id": event_ids,
     "invoice_id": mostly(st.just("in_1"), st.one_of(sized(100, 101), hostile_text, lone_surrogates)),
     "kind": mostly(st.sampled_from(["paid", "payment_failed", "voided"]), st.sampled_from(["void", ""]))},
    optional={"amount_paid": mostly(st.integers(0, 10**9), st.one_of(st.none(), hostile_int, hostile_float))})
mail_event = st.fixed_dictionaries(
    {"event_id": event_ids,
     "kind": mostly(st.sampled_from(["bounce", "dropped", "blocked", "spamreport"]), st.sampled_from(["open", ""]))},
    optional={"message_kind": free_text(60), "role": free_text(20)})
advocate = st.fixed_dictionaries(
    {"id": mostly(st.just("ADV-1"), weird_text), "name": text_field(200, 1), "organization": text_field(200, 1),
     "email": st.sampled_from(["dana@whitfield-law.example.com", "x@y", "not-an-email", ""]),
     "country": st.sampled_from(["US", "CA", "MX", ""])},
    optional={"language": st.sampled_from(["en", "fr", "es"]), "billing_currency": currencies_any})
agreement_request = st.fixed_dictionaries({"case_workflow_id": free_text(200), "case_id": free_text(200),
                                           "advocate": advocate})
agreement_signed = st.fixed_dictionaries({"envelope_id": free_text(100),
                                          "signed_at": mostly(st.datetimes().map(lambda d: d.isoformat()),
                                                              hostile_date)})


# -------------------------------------------------------------------------------------- webhooks
#: Replaced by the recording workflow's id (``case-…``) and its case id (without ``case-``) before signing.
WORKFLOW_TOKEN = "@@WORKFLOW_ID@@"
CASE_TOKEN = "@@CASE_ID@@"

webhook_text = st.one_of(hostile_text, lone_surrogates)


def usually(value: Json, hostile: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    """``value`` three times in four, else something hostile (so most deliveries still route and signal)."""
    return mostly(st.just(value), hostile)


workflow_ids = mostly(st.just(WORKFLOW_TOKEN), st.one_of(st.sampled_from(
    ["case-", "case-JIM-2026-9999", "advocate-ADV-1", "case-jim", "Case-X", "case-X\n", "other-X",
     f"{WORKFLOW_TOKEN}\x00", "case-" + "A" * 300]), webhook_text), odds=6)
#: ``generatedDateTime`` placeholders, resolved by ``with_ids`` to *now* minus ``ago`` seconds just before signing
#: (a fixed date would fall past the gateway's retry horizon, review m2, and every delivery would be dropped).
GENERATED_STYLES = ("connect", "seconds", "offset", "naive")
#: The gateway's default DocuSign horizon (``GatewaySettings.docusign_max_age_hours``), in seconds.
_HOUR = 3600
DOCUSIGN_HORIZON_SECONDS = GatewaySettings().docusign_max_age_hours * _HOUR
#: Fresh: up to five minutes ahead (clock skew) to an hour inside the horizon; stale: an hour past it or older.
fresh_ages = st.integers(-300, DOCUSIGN_HORIZON_SECONDS - _HOUR)
stale_ages = st.integers(DOCUSIGN_HORIZON_SECONDS + _HOUR, 20 * 365 * 24 * _HOUR)
_GENERATED = re.compile(rb"@@GENERATED:(-?\d+):([a-z]+)@@")


def generated_token(ago: int, style: str = "connect") -> str:
    return f"@@GENERATED:{ago}:{style}@@"


def connect_time(ago: int, style: str = "connect") -> str:
    """``generatedDateTime`` ``ago`` seconds back: as Connect writes it (7 digits, Z), or another ISO form."""
    if style == "connect":
        return recent_generated(ago)
    at = datetime.now(UTC) - timedelta(seconds=ago)
    if style == "seconds":
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "offset":
        return at.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(timespec="seconds")
    return at.replace(tzinfo=None).isoformat()  # naive: the gateway reads it as UTC


generated_styles = st.sampled_from(GENERATED_STYLES)
generated = mostly(st.builds(generated_token, fresh_ages, generated_styles),
                   st.one_of(st.builds(generated_token, stale_ages, generated_styles),
                             st.datetimes().map(lambda d: d.isoformat()), hostile_date))
docusign_template = st.fixed_dictionaries({
    "event": mostly(st.sampled_from(["envelope-sent", "recipient-completed", "recipient-declined",
                                     "envelope-completed", "envelope-declined", "envelope-voided"]),
                    st.one_of(st.sampled_from(["envelope-delivered", "recipient-sent"]), json_scalar)),
    "apiVersion": st.just("v2.1"),
    "retryCount": mostly(st.integers(0, 5), json_scalar),
    "generatedDateTime": generated,
    "data": st.fixed_dictionaries({
        "accountId": st.just("acct-1"),
        "envelopeId": mostly(st.sampled_from(["env-1", "env-2"]), st.one_of(sized(100, 101), webhook_text,
                                                                             json_scalar)),
        "recipientId": mostly(st.sampled_from(["1", "2", "3", 1]), st.one_of(st.sampled_from([None, ""]),
                                                                              json_scalar)),
        "envelopeSummary": st.fixed_dictionaries({
            "envelopeId": usually("env-1", webhook_text),
            "status": st.sampled_from(["sent", "completed", "declined", "voided"]),
            "customFields": st.fixed_dictionaries({"textCustomFields": st.lists(st.fixed_dictionaries({
                "name": st.sampled_from(["workflow_id", "workflow_id", "case_id", "workflow_id "]),
                "value": workflow_ids}), min_size=1, max_size=3)}),
            "recipients": st.fixed_dictionaries({"signers": st.lists(st.fixed_dictionaries(
                {"recipientId": mostly(st.sampled_from(["1", "2", 1]), json_scalar),
                 "status": st.just("declined")},
                optional={"declinedReason": st.one_of(webhook_text, json_scalar)}), max_size=3)}),
        }, optional={"voidedReason": st.one_of(webhook_text, json_scalar)}),
    }),
})
stripe_template = st.fixed_dictionaries({
    "id": mostly(st.sampled_from(["evt_1", "evt_2", "evt_3"]), st.one_of(sized(200, 201), webhook_text, json_scalar)),
    "object": usually("event", json_scalar),
    "api_version": st.just("2025-01-27"),
    "created": mostly(st.integers(0, 2**32), json_scalar),
    "livemode": st.booleans(),
    "type": mostly(st.sampled_from(["invoice.paid", "invoice.payment_failed", "invoice.voided"]),
                   st.one_of(st.sampled_from(["invoice.created", "charge.succeeded"]), json_scalar)),
    "data": st.fixed_dictionaries({"object": st.fixed_dictionaries({
        "id": mostly(st.sampled_from(["in_1", "in_2"]), st.one_of(sized(100, 101), webhook_text, json_scalar)),
        "object": usually("invoice", json_scalar),
        "amount_paid": mostly(st.integers(0, 10**9), json_scalar),
        "currency": st.sampled_from(["usd", "cad"]),
        "metadata": st.fixed_dictionaries({"workflow_id": workflow_ids, "case_id": st.just("JIM-2026-0001")}),
    })}),
})
sendgrid_event = st.fixed_dictionaries(
    {"email": st.just("defensora@example.org"),
     "timestamp": mostly(st.integers(0, 2**32), json_scalar),
     "event": mostly(st.sampled_from(["bounce", "dropped", "blocked", "spamreport"]),
                     st.one_of(st.sampled_from(["delivered", "processed", "open"]), json_scalar)),
     "sg_event_id": mostly(st.sampled_from(["sg-1", "sg-2", "sg-3"]), st.one_of(sized(200, 201), webhook_text,
                                                                              json_scalar)),
     "case_id": mostly(st.just(CASE_TOKEN), st.one_of(webhook_text, json_scalar), odds=6)},
    optional={"type": st.sampled_from(["blocked", "bounce"]),
              "kind": usually("contract_to_sign", st.one_of(webhook_text, json_scalar)),
              "role": usually("defender", st.one_of(webhook_text, json_scalar))})
sendgrid_template = st.lists(sendgrid_event, min_size=0, max_size=4)


def encode(value: Json, *, ascii_only: bool = True) -> bytes:
    """JSON bytes; non-ASCII output keeps lone surrogates as CESU-8 bytes (which are not valid UTF-8)."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


def _truncated(body: bytes, cut: int) -> bytes:
    return body[: cut % max(len(body), 1)]


def _invalid_utf8(body: bytes, at: int, junk_bytes: bytes) -> bytes:
    at %= max(len(body), 1)
    return body[:at] + junk_bytes + body[at:]


def _duplicate_keys(value: Json, key: str, other: Json) -> bytes:
    """A JSON object with ``key`` twice (``json.loads`` keeps the last; other parsers keep the first)."""
    if not isinstance(value, dict) or not value:
        return encode(value)
    body = encode(value)
    return b"{" + json.dumps(key).encode() + b":" + encode(other) + b"," + body[1:]


def giant(value: Json, size: int) -> bytes:
    """Valid JSON of exactly ``size`` bytes where possible: ``value`` with a ``pad`` field added to it (or to
    its first element when it is a list of objects), else ``value`` followed by whitespace."""
    base = encode(value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        rest = base[1 + len(encode(value[0])):]
        return b"[" + giant(value[0], size - 1 - len(rest)) + rest
    filler = size - len(base) - len(b'"pad":"",')
    if not isinstance(value, dict) or not value or filler < 0:
        return base + b" " * max(size - len(base), 0)
    return b'{"pad":"' + b"x" * filler + b'",' + base[1:]


def _deep_text(depth: int, kind: str) -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"0" + b"}" * depth)


#: How bodies split between the kinds of damage (most stay parseable so the routing code is exercised).
BODY_KINDS = (["template"] * 7 + ["mutated"] * 6 + ["junk"] * 2 + ["truncated", "invalid_utf8", "duplicate_keys"]
              + ["deep", "giant", "special"])


def webhook_bodies(template: st.SearchStrategy[Json]) -> st.SearchStrategy[bytes]:
    """Raw request bodies: template-shaped, mutated, wrong JSON types, and byte-level damage."""
    kinds: dict[str, st.SearchStrategy[bytes]] = {
        "template": st.builds(encode, template, ascii_only=st.booleans()),
        "mutated": st.builds(encode, mutated(template, max_depth=400), ascii_only=st.booleans()),
        "junk": st.builds(encode, hostile_value(400), ascii_only=st.booleans()),
        "truncated": st.builds(_truncated, template.map(encode), st.integers(0, 10_000)),
        "invalid_utf8": st.builds(_invalid_utf8, template.map(encode), st.integers(0, 10_000), st.sampled_from(
            [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\xef\xbb\xbf"])),
        "duplicate_keys": st.builds(_duplicate_keys, template, st.sampled_from(["data", "event", "id", "type"]),
                                    json_scalar),
        "deep": st.builds(_deep_text, st.sampled_from([50, 1_000, 100_000]), st.sampled_from(["list", "dict"])),
        "giant": st.builds(giant, template, st.sampled_from([MAX_WEBHOOK_BODY, MAX_WEBHOOK_BODY + 1])),
        "special": st.sampled_from([b"", b" ", b"\xef\xbb\xbf{}", b"NaN", b"[NaN, Infinity, -Infinity]", b"1" * 5_000,
                                    b'{"id": ' + b"9" * 5_000 + b"}", b'"\\ud800"', b"null", b"{}", b"[]", b"[{}]",
                                    b"[[]]", b"\x00", b'{"a":1}{"a":2}']),
    }
    return st.sampled_from(BODY_KINDS).flatmap(lambda kind: kinds[kind])


#: Header values httpx will send (printable ASCII), random or shaped like signature headers.
_header_chars = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_sig_items = st.tuples(st.sampled_from(["t", "v1", "v0", " t", "T", "", "v1 ", "t=t"]),
                       st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(_header_chars, max_size=70),
                                 st.binary(min_size=32, max_size=32).map(bytes.hex))).map("=".join)
header_values = st.one_of(st.text(_header_chars, max_size=300), st.lists(_sig_items, max_size=12).map(",".join),
                          st.binary(max_size=96).map(lambda b: base64.b64encode(b).decode()))


def with_ids(body: bytes, workflow_id: str) -> bytes:
    """``body`` with the placeholders replaced by the recording workflow's id and case id, and each
    ``generated_token`` by its time as of now."""
    case_id = workflow_id.removeprefix("case-")
    body = body.replace(WORKFLOW_TOKEN.encode(), workflow_id.encode()).replace(CASE_TOKEN.encode(), case_id.encode())
    return _GENERATED.sub(lambda m: connect_time(int(m[1]), m[2].decode()).encode(), body)


# ------------------------------------------------------------------------------------ date helpers
def day_resolver(today: date, opened: date) -> dict[str, Callable[[int], Json]]:
    """Resolvers for the ``today`` and ``opened`` refs, as ISO dates."""
    return {"today": lambda k: (today + timedelta(days=k)).isoformat(),
            "opened": lambda k: (opened + timedelta(days=k)).isoformat()}
