"""The workflow's half of the single-use link promise (review M2): refuse spent or revoked portal links.

The gateway verifies a link's signature and puts ``link: {nonce, epoch}`` on the update it sends; the
workflow is the authority on whether that link may still act. Two rules, both deterministic and read-only
in the validator (``check_update``), with the bookkeeping done only after the handler ran
(``after_update``), so a refused or failed update spends nothing:

* a **one-shot** action (answer an offer, submit a report, an evaluation, the outcome) works once per link:
  its nonce is recorded when used and refused after;
* **every** link dies when staff bump the party's link epoch (``casefac resend`` / revoke): a link minted
  under an older epoch is refused. Repeatable actions (contract review edits, task updates) are only
  limited by this and by the case's stage, which the update validators check.

The state keeps ``link_epochs`` (``"role:party_id" -> epoch``) and ``used_links`` (a bounded list of spent
one-shot nonces, oldest dropped first: a link lives at most a week, far fewer than the bound are spent per
case in that time).
"""

from __future__ import annotations

from typing import Any

#: Updates a single link may carry out once.
ONE_SHOT: frozenset[str] = frozenset({
    "respond_to_assignment",
    "submit_report",
    "submit_evaluation",
    "report_outcome",
})
#: How many spent nonces the state keeps (oldest dropped first).
MAX_USED = 256


def party_key(role: object, party_id: str) -> str:
    """The key of a party's epoch: ``"advocate:A-1"``."""
    return f"{getattr(role, 'value', role)}:{party_id}"


def _state(instance: object) -> Any:
    return getattr(instance, "s", None)


def _link_and_actor(payload: object) -> tuple[Any, Any]:
    return getattr(payload, "link", None), getattr(payload, "actor", None)


def check_update(instance: object, update_name: str, payload: object) -> None:
    """Refuse (``ValueError``) an update whose portal link is spent or revoked. Never mutates anything."""
    link, actor = _link_and_actor(payload)
    state = _state(instance)
    if link is None or state is None:
        return  # staff updates (the CLI) carry no link; guard_staff checks their assertion
    epochs: dict[str, int] = getattr(state, "link_epochs", None) or {}
    if actor is not None:
        current = epochs.get(party_key(actor.role, actor.id), 0)
        if link.epoch < current:
            raise ValueError("link: this link was replaced by a newer one; use the latest email")
    if update_name in ONE_SHOT and link.nonce in (getattr(state, "used_links", None) or []):
        raise ValueError("link: this link has already been used")


def after_update(instance: object, update_name: str, payload: object) -> None:
    """Record a one-shot link's nonce once its update was accepted and handled."""
    link, _ = _link_and_actor(payload)
    state = _state(instance)
    if link is None or state is None or update_name not in ONE_SHOT or not hasattr(state, "used_links"):
        return
    if link.nonce in state.used_links:
        return
    state.used_links.append(link.nonce)
    if len(state.used_links) > MAX_USED:
        del state.used_links[: len(state.used_links) - MAX_USED]


def bump_epoch(state: object, role: str, party_id: str) -> int:
    """Revoke every link a party holds on this case (or entity); returns the new epoch for the new links."""
    epochs: dict[str, int] = state.link_epochs  # type: ignore[attr-defined]
    key = party_key(role, party_id)
    epochs[key] = epochs.get(key, 0) + 1
    return epochs[key]


def current_epoch(state: object, role: object, party_id: str) -> int:
    """The epoch new links for this party carry."""
    epochs: dict[str, int] = getattr(state, "link_epochs", None) or {}
    return epochs.get(party_key(role, party_id), 0)
