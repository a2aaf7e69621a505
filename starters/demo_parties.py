"""The sandbox "parties": an HTTP client that acts exactly as a Defender or an Advocate would.

Used by ``casefac demo`` and the integration tests. Every step starts from the party's newest email in
the sandbox outbox (``GET /_sandbox/mail?to=…&custom_args=case_id=…``), follows the portal link in it,
reads the form on the page and posts it, pressing the same buttons a person presses (including "add
line" on the report). Nothing here calls Temporal: if a page or email is missing, the step fails with a
:class:`PartyError` that says which, as a person would notice.

Links are found by the action they grant: the token's payload (``casefac.links``) is readable without the
secret (only its MAC needs it), so the client picks ``respond_assignment`` from ``submit_report`` the
way a person picks a button by its label.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx

#: How long a step waits for the workflow's email to reach the outbox.
MAIL_WAIT_SECONDS = 20.0
_HREF = re.compile(r'href="([^"]+)"')


class PartyError(AssertionError):
    """A step a person could not take: no such email, link, form or button, or the page refused."""


@dataclass(frozen=True)
class Step:
    """What a step ended on: the final page's status code, URL and visible text."""

    status_code: int
    url: str
    text: str
    html: str = field(repr=False, default="")

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


# --- reading HTML forms ------------------------------------------------------------------------------
@dataclass
class Form:
    """One ``<form>`` as a browser sees it: fields with their current values and the submit buttons."""

    id: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, label)
    options: dict[str, list[str]] = field(default_factory=dict)  # select/radio name -> allowed values

    def values(self) -> dict[str, str]:
        return dict(self.fields)

    def fill(self, values: Mapping[str, str]) -> Form:
        """Set fields by name (a select or radio must be set to one of its options)."""
        current = self.values()
        for name, value in values.items():
            if name not in current and name not in self.options:
                raise PartyError(f"form {self.id!r} has no field {name!r} (fields: {sorted(current)})")
            if name in self.options and value not in self.options[name]:
                raise PartyError(f"form {self.id!r}: {value!r} is not an option of {name!r}")
            current[name] = value
        self.fields = list(current.items())
        return self

    def data(self, button: str | None) -> dict[str, str | list[str]]:
        """The body a browser posts when ``button`` (a value, or a label) is pressed."""
        pressed = [(n, v) for n, v, label in self.buttons if button in (v, label)] if button else []
        if button and not pressed:
            raise PartyError(f"form {self.id!r} has no button {button!r} "
                             f"(buttons: {[v for _, v, _ in self.buttons]})")
        body: dict[str, str | list[str]] = {}
        for name, value in [*self.fields, *pressed[:1]]:
            if name in body:  # a repeated name posts every value, as browsers do
                prior = body[name]
                body[name] = [*prior, value] if isinstance(prior, list) else [prior, value]
            else:
                body[name] = value
        return body


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._selected: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._button: tuple[str, str] | None = None
        self.body: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "form":
            self._form = Form(id=a.get("id", ""), action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input":
            kind, name = a.get("type", "text").lower(), a.get("name", "")
            if not name:
                return
            if kind in ("radio", "checkbox"):
                self._form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "on")))
            elif kind == "submit":
                self._form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            else:
                self._form.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select, self._selected, self._first_option = a.get("name", ""), None, None
            self._form.options[self._select] = []
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._form.options[self._select].append(value)
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._selected = value
        elif tag == "textarea":
            self._textarea, self._text = a.get("name", ""), []
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button, self._text = (a.get("name", ""), a.get("value", "")), []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip = max(0, self._skip - 1)
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            chosen = self._selected if self._selected is not None else self._first_option
            if self._select and chosen is not None:
                self._form.fields.append((self._select, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            name, value = self._button
            if name:
                self._form.buttons.append((name, value, " ".join("".join(self._text).split())))
            self._button = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None or self._button is not None:
            self._text.append(data)
        if not self._skip:
            self.body.append(data)


def read_page(html: str) -> tuple[list[Form], str]:
    """The forms of a page and its visible text (whitespace collapsed)."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms, " ".join(" ".join(parser.body).split())


def token_action(url: str) -> dict[str, Any] | None:
    """The action a portal link grants, read from its token's payload (no secret needed to read it)."""
    _, marker, rest = url.partition("/p/")
    if not marker:
        return None
    body = rest.split("/")[0].split("?")[0].partition(".")[0]
    try:
        # Version 2 appends the epoch and issue time (casefac.links): the first seven fields are shared.
        version, action, role, party_id, case_id, expires, _nonce = json.loads(
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))[:7]
    except (ValueError, TypeError):
        return None
    return {"version": version, "action": action, "role": role, "party_id": party_id, "case_id": case_id,
            "expires": expires}


# --- the parties -------------------------------------------------------------------------------------
class PortalParties:
    """Defender, Advocate and JiM signer acting through email links, portal pages and sandbox pages.

    ``http`` is a plain ``httpx.AsyncClient`` that can reach the gateway and the sandbox; redirects are
    followed explicitly so each hop is checked.
    """

    def __init__(self, http: httpx.AsyncClient, sandbox_url: str, *, mail_wait: float = MAIL_WAIT_SECONDS,
                 lang: str | None = None) -> None:
        self.http = http
        self.sandbox_url = sandbox_url.rstrip("/")
        self.mail_wait = mail_wait
        self.lang = lang

    # -- email ----------------------------------------------------------------------------------------
    async def mails(self, to: str, case_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """The outbox for ``to`` (newest first), optionally for one case and one kind."""
        params: list[tuple[str, str]] = [("to", to)]
        if case_id:
            params.append(("custom_args", f"case_id={case_id}"))
        if kind:
            params.append(("custom_args", f"kind={kind}"))
        response = await self.http.get(f"{self.sandbox_url}/_sandbox/mail", params=params)
        response.raise_for_status()
        return list(response.json())

    async def link(self, case_id: str, to: str, action: str) -> str:
        """The newest portal link for ``action`` mailed to ``to`` about ``case_id`` (waits for the mail)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.mail_wait
        while True:
            for mail in await self.mails(to, case_id):
                for url in links_in(mail):
                    granted = token_action(url)
                    if granted and granted["action"] == action and granted["case_id"] == case_id:
                        return url
            if loop.time() > deadline:
                kinds = [m.get("custom_args", {}).get("kind") for m in await self.mails(to, case_id)]
                raise PartyError(f"no email to {to} for case {case_id} with a {action!r} link "
                                 f"(emails there: {kinds})")
            await asyncio.sleep(0.2)

    async def mail_link(self, case_id: str, to: str, kind: str, contains: str) -> str:
        """The first link containing ``contains`` in the newest ``kind`` email (e.g. the hosted invoice)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.mail_wait
        while True:
            for mail in await self.mails(to, case_id, kind):
                found = [u for u in links_in(mail) if contains in u]
                if found:
                    return found[0]
            if loop.time() > deadline:
                raise PartyError(f"no {kind!r} email to {to} for case {case_id} with a link containing {contains!r}")
            await asyncio.sleep(0.2)

    # -- pages ----------------------------------------------------------------------------------------
    async def open(self, url: str) -> tuple[Step, list[Form]]:
        if self.lang and "lang=" not in url:
            url += ("&" if "?" in url else "?") + f"lang={self.lang}"
        response = await self.http.get(url)
        return self._step(response), read_page(response.text)[0]

    async def submit(self, page_url: str, form: Form, button: str | None, *, follow: bool = True) -> Step:
        """Post ``form`` with ``button`` pressed; follow 303s the way a browser does."""
        target = urljoin(page_url, form.action or page_url)
        response = await self.http.post(target, data=form.data(button))
        while follow and response.status_code in (301, 302, 303, 307) and "location" in response.headers:
            response = await self.http.get(urljoin(str(response.url), response.headers["location"]))
        return self._step(response)

    async def act(self, case_id: str, to: str, action: str, form_id: str, values: Mapping[str, str],
                  button: str | None, *, expect_ok: bool = True) -> Step:
        """The common step: email link → page → fill form ``form_id`` → press ``button``."""
        url = await self.link(case_id, to, action)
        page, forms = await self.open(url)
        form = _form(forms, form_id, page)
        step = await self.submit(url, form.fill(values), button)
        if expect_ok and not step.ok:
            raise PartyError(f"{action} for {case_id} answered {step.status_code}: {step.text[:400]}")
        return step

    # -- what people do -------------------------------------------------------------------------------
    async def defender_responds(self, case_id: str, email: str, accept: bool = True, reason: str = "") -> Step:
        return await self.act(case_id, email, "respond_assignment", "respond", {"reason": reason},
                              "accept" if accept else "decline")

    async def advocate_completes_contract(self, case_id: str, email: str, special_terms: str,
                                          tasks: Mapping[int, str] | None = None) -> Step:
        values = {"terms.special_terms": special_terms,
                  **{f"terms.tasks[{i}].description": d for i, d in (tasks or {}).items()}}
        return await self.act(case_id, email, "review_contract", "edit", values, "edit")

    async def defender_approves_contract(self, case_id: str, email: str) -> Step:
        return await self.act(case_id, email, "review_contract", "approve", {}, "approve")

    async def sign(self, case_id: str, email: str, *, agreement: bool = False, decline: str | None = None) -> Step:
        """Portal sign link → "open the signing page" → sandbox DocuSign page → Sign (or Decline)."""
        url = await self.link(case_id, email, "sign_agreement" if agreement else "sign_contract")
        page, forms = await self.open(url)
        form = _form(forms, "sign", page)
        response = await self.http.post(urljoin(url, form.action or url), data=form.data("sign"))
        if response.status_code != 303 or "location" not in response.headers:
            raise PartyError(f"signing link for {case_id} did not open DocuSign ({response.status_code}): "
                             f"{read_page(response.text)[1][:300]}")
        signing_url = response.headers["location"]
        view = await self.http.get(signing_url)
        if view.status_code != 200:
            raise PartyError(f"DocuSign signing page answered {view.status_code}: {read_page(view.text)[1][:300]}")
        forms = read_page(view.text)[0]
        wanted = "decline" if decline is not None else "sign"
        form = next((f for f in forms if f.action.endswith(f"/{wanted}")), None)
        if form is None:
            raise PartyError(f"no {wanted} form on the DocuSign page for {case_id}")
        if decline is not None:
            form.fill({"reason": decline})
        return await self.submit(signing_url, form, wanted)

    async def defender_updates_task(self, case_id: str, email: str, task_id: str, status: str,
                                    note: str = "") -> Step:
        return await self.act(case_id, email, "update_task", f"task-{task_id}", {"status": status, "note": note},
                              "update")

    async def defender_submits_report(self, case_id: str, email: str, hours: Sequence[Mapping[str, str]] = (),
                                      expenses: Sequence[Mapping[str, str]] = (), kind: str = "final",
                                      note: str = "", *, expect_ok: bool = True) -> Step:
        """Fill the report like a person: press "add line" until there are enough rows, then submit.

        ``hours`` rows: ``date, hours, task_code, activity_code, description``; ``expenses`` rows:
        ``date, amount, currency, expense_code, description``.
        """
        url = await self.link(case_id, email, "submit_report")
        page, forms = await self.open(url)
        form = _form(forms, "report", page)
        for button, rows, prefix, probe in (("add_hour", hours, "hours", "date"),
                                            ("add_expense", expenses, "expenses", "date")):
            while sum(1 for n, _ in form.fields if n.startswith(f"{prefix}[") and n.endswith(f"].{probe}")) \
                    < len(rows):
                step = await self.submit(url, form, button)
                form = _form(read_page(step.html)[0], "report", step)
        values: dict[str, str] = {"kind": kind, "note": note}
        for i, row in enumerate(hours):
            values.update({f"hours[{i}].{k}": v for k, v in row.items()})
        for i, row in enumerate(expenses):
            values.update({(f"expenses[{i}].amount.currency" if k == "currency" else f"expenses[{i}].{k}"): v
                           for k, v in row.items()})
        step = await self.submit(url, form.fill(values), "submit")
        if expect_ok and not step.ok:
            raise PartyError(f"report for {case_id} answered {step.status_code}: {step.text[:600]}")
        return step

    async def pay_invoice(self, case_id: str, email: str) -> Step:
        """The hosted invoice link in the invoice email → the sandbox Stripe page → Pay."""
        url = await self.mail_link(case_id, email, "invoice_sent", "/stripe/invoices/")
        page = await self.http.get(url)
        forms = read_page(page.text)[0]
        form = next((f for f in forms if f.action.endswith("/pay")), None)
        if form is None:
            raise PartyError(f"no Pay button on the invoice page for {case_id} ({page.status_code})")
        return await self.submit(url, form, None)

    async def evaluate(self, case_id: str, email: str, communication: int = 5, quality: int = 5,
                       timeliness: int = 5, overall: int = 5, would_work_again: bool = True,
                       comments: str = "") -> Step:
        values = {"communication": str(communication), "quality": str(quality), "timeliness": str(timeliness),
                  "overall": str(overall), "would_work_again": "yes" if would_work_again else "no",
                  "comments": comments}
        return await self.act(case_id, email, "evaluate", "evaluate", values, "submit")

    async def advocate_reports_outcome(self, case_id: str, email: str, result: str, decided_on: str = "",
                                       notes: str = "") -> Step:
        return await self.act(case_id, email, "report_outcome", "outcome",
                              {"result": result, "decided_on": decided_on, "notes": notes}, "submit")

    def _step(self, response: httpx.Response) -> Step:
        return Step(response.status_code, str(response.url), read_page(response.text)[1], response.text)


def links_in(mail: Mapping[str, Any]) -> list[str]:
    """Every ``href`` in a stored mail's HTML body."""
    content: Iterable[Mapping[str, str]] = mail.get("request", {}).get("content") or []
    html = next((c["value"] for c in content if c.get("type") == "text/html"), "")
    return [h.replace("&amp;", "&") for h in _HREF.findall(html)]


def _form(forms: list[Form], form_id: str, page: Step) -> Form:
    found = next((f for f in forms if f.id == form_id), None)
    if found is None:
        raise PartyError(f"no form {form_id!r} on {page.url} ({page.status_code}): {page.text[:300]}")
    return found
