"""Every portal string, by key: English msgids marked for gettext; the catalogs hold the translations.

Pages and handlers name a string by a stable key (``refused.expired.title``); the value is the English
message that ``make i18n`` extracts into ``casefac/locale`` for translators (Spanish for Defenders across
Latin America, ``usted``; French for Canadian Advocates, formal). Placeholders are named (``%(day)s``).
Values that hold a placeholder filled with markup (an email link) are escaped first, then filled, so a
translation can never inject HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from casefac.i18n import LANGUAGES, N_, NP_, Lang, gettext, ngettext

LANGS: tuple[Lang, ...] = LANGUAGES
#: The error summary's heading (plural forms).
PROBLEMS = NP_("There is %(num)s problem on this page:", "There are %(num)s problems on this page:")

M: dict[str, str] = {
    "footer.help": N_("Questions or problems? Write to %(email)s."),
    "yes": N_("Yes"),
    "no": N_("No"),
    "form.choose": N_("— Choose —"),
    "refused.invalid.title": N_("This link is not valid"),
    "refused.invalid.body": N_(
        "The link may have been copied incompletely or altered. Open the button in the original email, or"
        " ask for a new link."),
    "refused.expired.title": N_("This link has expired"),
    "refused.expired.when": N_("It expired on %(day)s."),
    "refused.expired.body": N_(
        "For safety, portal links expire after a while. Ask Justice in Motion for a new link."),
    "refused.done.title": N_("This is already done"),
    "refused.done.body": N_(
        "There is nothing more to do with this link. If you think this is a mistake, write to us."),
    "refused.early.title": N_("It is not time for this yet"),
    "refused.early.body": N_(
        "This step of the case has not started yet. We will write when it is your turn; keep this email."),
    "refused.gone.title": N_("This link no longer applies to this case"),
    "refused.gone.body": N_(
        "The case has changed since you received the link (for example, it was reassigned or cancelled)."),
    "refused.replaced.title": N_("This link was replaced"),
    "refused.replaced.body": N_(
        "Justice in Motion sent you a newer link for this case. Please use the button in the most recent"
        " email, or ask for a new link."),
    "refused.contact": N_("Write to Justice in Motion: %(email)s."),
    "refused.case": N_("Mention case %(case_id)s."),
    "done.respond_assignment": N_("This case offer has already been answered."),
    "done.review_contract": N_(
        "The contract is no longer under review: it went out for signature or the case moved on."),
    "done.sign_contract": N_(
        "Your signature on the contract is recorded, or the contract no longer waits for signatures."),
    "done.sign_agreement": N_("The Advocate Agreement is already signed."),
    "done.update_task": N_("The tasks of this case can no longer be updated."),
    "done.submit_report": N_("Your report was received and is under review, or the case no longer accepts reports."),
    "done.evaluate": N_("Your evaluation has already been received. Thank you!"),
    "done.report_outcome": N_("The case outcome has already been reported."),
    "unavailable.title": N_("The service is not available right now"),
    "unavailable.body": N_("Nothing was saved. Please try again in a few minutes with the same link."),
    "receipt.title": N_("Received"),
    "receipt.again": N_("Back to the page"),
    "receipt.close": N_("You can close this page now."),
    "receipt.accepted": N_("You accepted the case. Thank you!"),
    "receipt.declined": N_("We recorded that you cannot take this case. Thank you for telling us."),
    "receipt.completed": N_("We saved the completed contract (revision %(number)s)."),
    "receipt.edited": N_("We saved your changes as contract revision %(number)s."),
    "receipt.approved": N_("You approved contract revision %(number)s."),
    "receipt.task": N_("Task %(task)s is now “%(status_label)s”."),
    "receipt.report": N_("We received your report no. %(number)s (%(kind_label)s)."),
    "receipt.evaluation": N_("We received your evaluation. Thank you!"),
    "receipt.outcome": N_("We recorded the case outcome: %(result_label)s."),
    "next.respond_assignment": N_("We will write when the contract is ready for review."),
    "next.declined": N_("Justice in Motion will offer the case to someone else in the network."),
    "next.review_contract": N_(
        "When every party has approved the same revision, you will receive an email to sign it."),
    "next.update_task": N_("The Advocate will see the update."),
    "next.submit_report": N_("Justice in Motion will review the report and tell you by email."),
    "next.evaluate": N_("Your answers help us improve the network."),
    "next.report_outcome": N_("Thank you for keeping us informed."),
    "respond.title": N_("A new case for you"),
    "respond.intro": N_("Justice in Motion offers you case %(case_id)s in %(country)s."),
    "respond.services": N_("Services requested:"),
    "respond.deadline": N_("Case deadline: %(day)s."),
    "respond.since": N_("Offer sent on %(day)s."),
    "respond.accept": N_("I accept the case"),
    "respond.decline_legend": N_("Cannot take it?"),
    "respond.reason": N_("Reason (required to decline)"),
    "respond.decline": N_("I cannot take the case"),
    "contract.title": N_("Facilitation contract, revision %(revision)s"),
    "contract.approved_by": N_("Approved by:"),
    "contract.no_approvals": N_("Nobody has approved this revision yet."),
    "contract.advocate_todo": N_("Please complete the contract (special terms, task details) and save it."),
    "contract.changes": N_("Changes since revision %(previous)s"),
    "contract.no_changes": N_("No change to the terms since revision %(previous)s."),
    "contract.field": N_("Field"),
    "contract.before": N_("Before"),
    "contract.now": N_("Now"),
    "contract.terms": N_("Terms"),
    "contract.scope": N_("Scope"),
    "contract.tasks": N_("Tasks"),
    "contract.task": N_("Task"),
    "contract.hourly_rate": N_("Hourly rate"),
    "contract.expense_cap": N_("Expense cap"),
    "contract.hours_cap": N_("Hours cap"),
    "contract.deadline": N_("Deadline"),
    "contract.special_terms": N_("Special terms"),
    "contract.approve": N_("I approve revision %(revision)s"),
    "contract.edit": N_("Propose changes"),
    "contract.edit_note": N_("Saving creates a new revision and clears approvals: every party reviews it again."),
    "contract.note": N_("Note about the change (optional)"),
    "contract.rate_fixed": N_("The hourly rate (%(rate)s) is set by Justice in Motion."),
    "contract.save": N_("Save changes"),
    "contract.save_advocate": N_("Save the completed contract"),
    "role.advocate": N_("the Advocate"),
    "role.defender": N_("the Defender"),
    "role.staff": N_("Justice in Motion"),
    "role.finance": N_("Justice in Motion finance"),
    "sign.title": N_("Sign the contract"),
    "sign.agreement_title": N_("Sign the Advocate Agreement"),
    "sign.intro": N_("Revision %(revision)s of the contract is ready for your signature."),
    "sign.agreement_intro": N_("The Justice in Motion Advocate Agreement is signed once, for all cases."),
    "sign.button": N_("Open the signing page"),
    "sign.note": N_("A secure DocuSign page opens, prepared the moment you click."),
    "sign.not_your_turn": N_("It is not your turn yet: signatures follow an order. We will write when it is."),
    "signed.signed.title": N_("Thank you for signing!"),
    "signed.signed.body": N_("Your signature is recorded. You will receive a copy once everyone has signed."),
    "signed.declined.title": N_("You declined to sign"),
    "signed.declined.body": N_("Justice in Motion will contact you to review the contract."),
    "signed.unfinished.title": N_("Signing did not finish"),
    "signed.unfinished.body": N_("No signature was recorded. You can try again."),
    "signed.retry_email": N_("To try again, open the signing button in your email."),
    "signed.retry": N_("Try again"),
    "tasks.title": N_("Case tasks"),
    "tasks.intro": N_("Update each task's status and leave a note for the Advocate."),
    "tasks.last_update": N_("Last updated on %(day)s. Earlier notes are kept by Justice in Motion."),
    "tasks.status": N_("Status"),
    "tasks.note": N_("Note (optional)"),
    "tasks.save": N_("Save"),
    "task_status.open": N_("Open"),
    "task_status.in_progress": N_("In progress"),
    "task_status.done": N_("Done"),
    "task_status.blocked": N_("Blocked"),
    "report.title": N_("Hours and expenses report"),
    "report.intro": N_("Enter the hours worked and the expenses. Use the buttons to add or remove lines."),
    "report.changes_requested": N_("Justice in Motion asked for these changes to the previous report:"),
    "report.hours": N_("Hours"),
    "report.hour_line": N_("Hours, line %(n)s"),
    "report.date": N_("Date"),
    "report.hours_field": N_("Hours (tenths: 1.5)"),
    "report.task": N_("Task"),
    "report.activity": N_("Activity"),
    "report.description": N_("What you did"),
    "report.remove_line": N_("Remove line %(n)s"),
    "report.add_hour": N_("Add an hours line"),
    "report.expenses": N_("Expenses"),
    "report.no_expenses": N_("No expenses."),
    "report.expense_line": N_("Expense %(n)s"),
    "report.amount": N_("Amount"),
    "report.currency": N_("Currency"),
    "report.category": N_("Expense type"),
    "report.expense_note": N_("Details"),
    "report.add_expense": N_("Add an expense"),
    "report.totals": N_("Totals"),
    "report.total_hours": N_("Hours"),
    "report.total_expenses": N_("Expenses in %(currency)s"),
    "report.totals_note": N_("Totals update when you add or remove lines."),
    # W3: receipts, a report being corrected, the budget left
    "report.receipts": N_("Receipts (photo or PDF, at most 5 MB each, 10 per report)"),
    "report.receipt_kept": N_("Attached: %(name)s"),
    "report.prefilled": N_("The form holds the report you are correcting: change what was asked, then send it again."),
    "report.budget_remaining": N_("Budget left on this case: %(amount)s"),
    "report.hours_left": N_("Hours used: %(used)s of %(cap)s"),
    "report.expenses_left": N_("Expenses used: %(used)s of %(cap)s"),
    "report.kind": N_("Report type"),
    "report.note": N_("Comment for Justice in Motion (optional)"),
    "report.submit": N_("Submit the report"),
    "report.recalc": N_("Recalculate"),
    "kind.interim": N_("Interim (work continues)"),
    "kind.final": N_("Final (work is finished)"),
    "evaluate.title": N_("Evaluation of the facilitation"),
    "evaluate.intro_defender": N_("How was working with the Advocate on this case?"),
    "evaluate.intro_advocate": N_("How was working with the Defender on this case?"),
    "evaluate.communication": N_("Communication"),
    "evaluate.quality": N_("Quality of the work"),
    "evaluate.timeliness": N_("Timeliness"),
    "evaluate.overall": N_("Overall"),
    "evaluate.scale": N_("1 = very poor, 5 = excellent"),
    "evaluate.again": N_("Would you work together again?"),
    "evaluate.comments": N_("Comments (optional)"),
    "evaluate.submit": N_("Submit the evaluation"),
    "outcome.title": N_("Case outcome"),
    "outcome.intro": N_("Tell us how the case ended, even if it was a while ago."),
    "outcome.result": N_("Result"),
    "outcome.decided_on": N_("Date of the decision (optional)"),
    "outcome.notes": N_("Notes (optional)"),
    "outcome.submit": N_("Submit the outcome"),
    "result.granted": N_("Granted"),
    "result.denied": N_("Denied"),
    "result.settled": N_("Settled"),
    "result.dismissed": N_("Dismissed"),
    "result.withdrawn": N_("Withdrawn"),
    "result.pending_appeal": N_("Appeal pending"),
    "result.other": N_("Other"),
    "service.locate_client": N_("Locate the client"),
    "service.facilitate_communication": N_("Facilitate communication"),
    "service.settlement_coordination": N_("Coordinate a settlement"),
    "service.witness_affidavit": N_("Witness affidavit"),
    "service.document_collection": N_("Collect documents"),
    "service.service_of_process": N_("Service of process"),
    "error.required": N_("This is required."),
    "error.number": N_("Enter a number, for example 1.5."),
    "error.hours_range": N_("Hours must be more than 0 and at most 24."),
    "error.hours_step": N_("Use tenths of an hour (0.1 = 6 minutes), for example 0.1 or 0.2."),
    "error.amount_places": N_("Use at most %(places)s decimals."),
    "error.amount_range": N_("The amount must be more than 0."),
    "error.date": N_("Enter the date as mm/dd/yyyy."),
    "error.future": N_("The date cannot be in the future."),
    "error.choose": N_("Please choose one."),
    "error.rating": N_("Choose from 1 to 5."),
    "error.report_empty": N_("Add at least one hours line or one expense."),
    "error.receipt_type": N_("%(name)s was not attached: only JPEG or PNG photos and PDF files are accepted."),
    "error.receipt_size": N_("%(name)s was not attached: a receipt may be at most 5 MB."),
    "error.receipt_count": N_("%(name)s was not attached: a report takes at most 10 receipts."),
    "error.task": N_("This task does not exist in the case."),
    "rule.decline_reason": N_("Please say briefly why you decline."),
    "rule.date_range": N_("The date must be between the case's opening (%(opened)s) and today (%(today)s)."),
    "rule.stale_revision": N_(
        "Someone saved revision %(current)s while you were reviewing revision %(sent)s. Review the "
        "current revision below and try again."),
    "rule.already_approved": N_("You already approved this revision."),
    "rule.report_waiting": N_("A report is already under review."),
    "rule.day_hours": N_("%(hours)s hours on %(day)s is more than a day holds."),
    "rule.out_for_signature": N_("The contract is out for signature; it changes only if a signer declines."),
    "rule.already_evaluated": N_("You already evaluated this case."),
    "rule.already_reported": N_("The outcome was already reported."),
    "rule.stage": N_("The case is no longer in the stage that allows this."),
    "rule.no_offer": N_("There is no open case offer."),
    "contract.author.advocate": N_("Revision by the Advocate, %(day)s."),
    "contract.author.defender": N_("Revision by the Defender, %(day)s."),
    "contract.author.staff": N_("Revision by Justice in Motion, %(day)s."),
    "contract.author.finance": N_("Revision by Justice in Motion finance, %(day)s."),
    "refused.cancelled.title": N_("This case was cancelled"),
    "refused.cancelled.body": N_(
        "Justice in Motion cancelled case %(case_id)s, so this link no longer leads to anything to do. "
        "Any open signature requests and unpaid invoices for it were withdrawn."),
    "refused.cancelled.body_nocase": N_(
        "Justice in Motion cancelled this case, so this link no longer leads to anything to do. Any open "
        "signature requests and unpaid invoices for it were withdrawn."),
    "refused.not_your_turn.title": N_("It is not your turn to sign yet"),
    "refused.not_your_turn.body": N_("The others sign first; you will get an email when it is your turn."),
    "refused.signed_already.title": N_("This document is already signed"),
    "refused.signed_already.body": N_("Nothing more needs to be signed with this link."),
    "signed_view.title": N_("Signed contract, revision %(revision)s"),
    "signed_view.intro": N_(
        "Every party has signed this contract. This page shows it read-only, for as long as your link is "
        "valid."),
    "form.error_link": N_("%(label)s — %(message)s"),
    "contract.task_line": N_("%(service)s: %(description)s"),
    "nav.languages": N_("Languages"),
}


def translate(lang: str, key: str, **values: Any) -> str:
    """The string for ``key`` in ``lang`` (plain text), with placeholders filled."""
    return gettext(lang, M[key], **values)


def translate_markup(lang: str, key: str, **values: Any) -> Markup:
    """The string for ``key`` as HTML: the message escaped, then filled (Markup values stay markup)."""
    return Markup(escape(gettext(lang, M[key]))) % values if values else Markup(escape(gettext(lang, M[key])))


def problems(lang: str, count: int) -> str:
    """The error summary's heading, with gettext's plural forms for ``count``."""
    return ngettext(lang, *PROBLEMS, count)


def translator(lang: str) -> Callable[..., Markup]:
    """``t("key", name=value)`` bound to one language, for templates (returns escaped markup)."""
    def t(key: str, **values: Any) -> Markup:
        return translate_markup(lang, key, **values)
    return t


def default_language(role: str, language: str | None) -> Lang:
    """A party's page language: Defenders Spanish unless they do not read it; Advocates English or French."""
    if role == "defender":
        return language if language in ("en", "fr") else "es"  # type: ignore[return-value]
    return language if language in ("es", "fr") else "en"  # type: ignore[return-value]
