"""Every portal string in Spanish and English, in one place (a test checks both exist for every key).

Spanish is written for Defenders across Latin America (``usted``, no regionalisms); English for U.S. and
Canadian lawyers. French-speaking Advocates read English for now, with a note saying so. Values are
``str.format`` templates; placeholders are named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")

M: dict[str, dict[Lang, str]] = {
    # layout -------------------------------------------------------------------------------------------
    "lang.es": {"es": "Español", "en": "Español"},
    "lang.en": {"es": "English", "en": "English"},
    "footer.help": {"es": "¿Preguntas o problemas? Escriba a {email}.",
                    "en": "Questions or problems? Write to {email}."},
    "notice.french": {"es": "Cette page n'existe pas encore en français ; elle s'affiche en anglais.",
                      "en": "Cette page n'existe pas encore en français ; elle s'affiche en anglais."},
    "yes": {"es": "Sí", "en": "Yes"},
    "no": {"es": "No", "en": "No"},
    "form.fix": {"es": "Revise los campos marcados en rojo.", "en": "Please check the fields marked in red."},
    "form.choose": {"es": "— Elija —", "en": "— Choose —"},
    # refusals -----------------------------------------------------------------------------------------
    "refused.invalid.title": {"es": "Este enlace no es válido", "en": "This link is not valid"},
    "refused.invalid.body": {
        "es": "Es posible que el enlace se haya copiado incompleto o que se haya modificado. Abra el botón "
              "del correo original o pida un enlace nuevo.",
        "en": "The link may have been copied incompletely or altered. Open the button in the original "
              "email, or ask for a new link."},
    "refused.expired.title": {"es": "Este enlace venció", "en": "This link has expired"},
    "refused.expired.when": {"es": "Venció el {day}.", "en": "It expired on {day}."},
    "refused.expired.body": {
        "es": "Por seguridad, los enlaces del portal vencen después de un tiempo. Pida a Justice in Motion un "
              "enlace nuevo.",
        "en": "For safety, portal links expire after a while. Ask Justice in Motion for a new link."},
    "refused.done.title": {"es": "Esto ya está hecho", "en": "This is already done"},
    "refused.done.body": {
        "es": "No hace falta hacer nada más con este enlace. Si cree que es un error, escríbanos.",
        "en": "There is nothing more to do with this link. If you think this is a mistake, write to us."},
    "refused.early.title": {"es": "Todavía no es el momento", "en": "It is not time for this yet"},
    "refused.early.body": {
        "es": "Este paso del caso aún no empieza. Le escribiremos cuando sea su turno; guarde este correo.",
        "en": "This step of the case has not started yet. We will write when it is your turn; keep this email."},
    "refused.gone.title": {"es": "Este enlace ya no corresponde a este caso",
                           "en": "This link no longer applies to this case"},
    "refused.gone.body": {
        "es": "El caso cambió desde que recibió el enlace (por ejemplo, fue asignado a otra persona o "
              "cancelado).",
        "en": "The case has changed since you received the link (for example, it was reassigned or "
              "cancelled)."},
    "refused.contact": {"es": "Escriba a Justice in Motion: {email}.", "en": "Write to Justice in Motion: {email}."},
    "refused.case": {"es": "Indique el caso {case_id}.", "en": "Mention case {case_id}."},
    "done.respond_assignment": {"es": "Ya respondimos a esta oferta de caso.",
                                "en": "This case offer has already been answered."},
    "done.review_contract": {"es": "El contrato ya no está en revisión: salió a firma o el caso avanzó.",
                             "en": "The contract is no longer under review: it went out for signature or "
                                   "the case moved on."},
    "done.sign_contract": {"es": "Su firma del contrato ya está registrada, o el contrato ya no espera firmas.",
                           "en": "Your signature on the contract is recorded, or the contract no longer "
                                 "waits for signatures."},
    "done.sign_agreement": {"es": "El Acuerdo de Abogado ya está firmado.",
                            "en": "The Advocate Agreement is already signed."},
    "done.update_task": {"es": "Las tareas de este caso ya no se pueden actualizar.",
                         "en": "The tasks of this case can no longer be updated."},
    "done.submit_report": {"es": "Su informe ya fue recibido y está en revisión, o el caso ya no recibe "
                                 "informes.",
                           "en": "Your report was received and is under review, or the case no longer "
                                 "accepts reports."},
    "done.evaluate": {"es": "Su evaluación ya fue recibida. ¡Gracias!",
                      "en": "Your evaluation has already been received. Thank you!"},
    "done.report_outcome": {"es": "El resultado del caso ya fue informado.",
                            "en": "The case outcome has already been reported."},
    "unavailable.title": {"es": "El servicio no está disponible en este momento",
                          "en": "The service is not available right now"},
    "unavailable.body": {
        "es": "No se guardó nada. Intente de nuevo en unos minutos con el mismo enlace.",
        "en": "Nothing was saved. Please try again in a few minutes with the same link."},
    # receipts -----------------------------------------------------------------------------------------
    "receipt.title": {"es": "Recibido", "en": "Received"},
    "receipt.again": {"es": "Volver a la página", "en": "Back to the page"},
    "receipt.close": {"es": "Ya puede cerrar esta página.", "en": "You can close this page now."},
    "receipt.accepted": {"es": "Usted aceptó el caso. ¡Gracias!", "en": "You accepted the case. Thank you!"},
    "receipt.declined": {"es": "Registramos que no puede tomar este caso. Gracias por avisarnos.",
                         "en": "We recorded that you cannot take this case. Thank you for telling us."},
    "receipt.completed": {"es": "Guardamos el contrato completado (versión {number}).",
                          "en": "We saved the completed contract (revision {number})."},
    "receipt.edited": {"es": "Guardamos sus cambios como versión {number} del contrato.",
                       "en": "We saved your changes as contract revision {number}."},
    "receipt.approved": {"es": "Usted aprobó la versión {number} del contrato.",
                         "en": "You approved contract revision {number}."},
    "receipt.task": {"es": "La tarea {task} quedó como «{status_label}».",
                     "en": "Task {task} is now “{status_label}”."},
    "receipt.report": {"es": "Recibimos su informe n.º {number} ({kind_label}).",
                       "en": "We received your report no. {number} ({kind_label})."},
    "receipt.evaluation": {"es": "Recibimos su evaluación. ¡Gracias!",
                           "en": "We received your evaluation. Thank you!"},
    "receipt.outcome": {"es": "Registramos el resultado del caso: {result_label}.",
                        "en": "We recorded the case outcome: {result_label}."},
    "next.respond_assignment": {
        "es": "Le escribiremos cuando el contrato esté listo para revisar.",
        "en": "We will write when the contract is ready for review."},
    "next.declined": {"es": "Justice in Motion ofrecerá el caso a otra persona de la red.",
                      "en": "Justice in Motion will offer the case to someone else in the network."},
    "next.review_contract": {
        "es": "Cuando todas las partes aprueben la misma versión, recibirá un correo para firmarla.",
        "en": "When every party has approved the same revision, you will receive an email to sign it."},
    "next.update_task": {"es": "El abogado o la abogada verá la actualización.",
                         "en": "The Advocate will see the update."},
    "next.submit_report": {"es": "Justice in Motion revisará el informe y le avisará por correo.",
                           "en": "Justice in Motion will review the report and tell you by email."},
    "next.evaluate": {"es": "Sus respuestas ayudan a mejorar la red.",
                      "en": "Your answers help us improve the network."},
    "next.report_outcome": {"es": "Gracias por mantenernos al tanto.", "en": "Thank you for keeping us informed."},
    # respond ------------------------------------------------------------------------------------------
    "respond.title": {"es": "Un caso nuevo para usted", "en": "A new case for you"},
    "respond.intro": {"es": "Justice in Motion le ofrece el caso {case_id} en {country}.",
                      "en": "Justice in Motion offers you case {case_id} in {country}."},
    "respond.services": {"es": "Servicios solicitados:", "en": "Services requested:"},
    "respond.deadline": {"es": "Fecha límite del caso: {day}.", "en": "Case deadline: {day}."},
    "respond.since": {"es": "Oferta enviada el {day}.", "en": "Offer sent on {day}."},
    "respond.accept": {"es": "Acepto el caso", "en": "I accept the case"},
    "respond.decline_legend": {"es": "¿No puede tomarlo?", "en": "Cannot take it?"},
    "respond.reason": {"es": "Motivo (obligatorio para no aceptar)", "en": "Reason (required to decline)"},
    "respond.decline": {"es": "No puedo tomar el caso", "en": "I cannot take the case"},
    # contract -----------------------------------------------------------------------------------------
    "contract.title": {"es": "Contrato de facilitación, versión {revision}",
                       "en": "Facilitation contract, revision {revision}"},
    "contract.author": {"es": "Versión de {role}, {day}.", "en": "Revision by {role}, {day}."},
    "contract.approved_by": {"es": "Aprobada por:", "en": "Approved by:"},
    "contract.no_approvals": {"es": "Nadie aprobó esta versión todavía.",
                              "en": "Nobody has approved this revision yet."},
    "contract.advocate_todo": {
        "es": "Complete el contrato (condiciones especiales, detalle de tareas) y guárdelo.",
        "en": "Please complete the contract (special terms, task details) and save it."},
    "contract.changes": {"es": "Cambios desde la versión {previous}", "en": "Changes since revision {previous}"},
    "contract.no_changes": {"es": "Sin cambios en los términos desde la versión {previous}.",
                            "en": "No change to the terms since revision {previous}."},
    "contract.field": {"es": "Campo", "en": "Field"},
    "contract.before": {"es": "Antes", "en": "Before"},
    "contract.now": {"es": "Ahora", "en": "Now"},
    "contract.terms": {"es": "Términos", "en": "Terms"},
    "contract.scope": {"es": "Alcance", "en": "Scope"},
    "contract.tasks": {"es": "Tareas", "en": "Tasks"},
    "contract.task": {"es": "Tarea", "en": "Task"},
    "contract.hourly_rate": {"es": "Tarifa por hora", "en": "Hourly rate"},
    "contract.expense_cap": {"es": "Tope de gastos", "en": "Expense cap"},
    "contract.hours_cap": {"es": "Tope de horas", "en": "Hours cap"},
    "contract.deadline": {"es": "Fecha límite", "en": "Deadline"},
    "contract.special_terms": {"es": "Condiciones especiales", "en": "Special terms"},
    "contract.approve": {"es": "Apruebo la versión {revision}", "en": "I approve revision {revision}"},
    "contract.edit": {"es": "Proponer cambios", "en": "Propose changes"},
    "contract.edit_note": {
        "es": "Guardar crea una versión nueva y borra las aprobaciones: todas las partes la revisan otra vez.",
        "en": "Saving creates a new revision and clears approvals: every party reviews it again."},
    "contract.note": {"es": "Nota sobre el cambio (opcional)", "en": "Note about the change (optional)"},
    "contract.rate_fixed": {"es": "La tarifa por hora ({rate}) la fija Justice in Motion.",
                            "en": "The hourly rate ({rate}) is set by Justice in Motion."},
    "contract.save": {"es": "Guardar cambios", "en": "Save changes"},
    "contract.save_advocate": {"es": "Guardar el contrato completado", "en": "Save the completed contract"},
    "role.advocate": {"es": "el abogado o la abogada", "en": "the Advocate"},
    "role.defender": {"es": "la persona defensora", "en": "the Defender"},
    "role.staff": {"es": "Justice in Motion", "en": "Justice in Motion"},
    "role.finance": {"es": "Finanzas de Justice in Motion", "en": "Justice in Motion finance"},
    # signing ------------------------------------------------------------------------------------------
    "sign.title": {"es": "Firmar el contrato", "en": "Sign the contract"},
    "sign.agreement_title": {"es": "Firmar el Acuerdo de Abogado", "en": "Sign the Advocate Agreement"},
    "sign.intro": {"es": "La versión {revision} del contrato está lista para su firma.",
                   "en": "Revision {revision} of the contract is ready for your signature."},
    "sign.agreement_intro": {"es": "El Acuerdo de Abogado de Justice in Motion se firma una sola vez.",
                             "en": "The Justice in Motion Advocate Agreement is signed once, for all cases."},
    "sign.button": {"es": "Abrir la página de firma", "en": "Open the signing page"},
    "sign.note": {"es": "Se abre una página segura de DocuSign, preparada en el momento.",
                  "en": "A secure DocuSign page opens, prepared the moment you click."},
    "sign.not_your_turn": {
        "es": "Todavía no es su turno: las firmas siguen un orden. Le escribiremos cuando le toque.",
        "en": "It is not your turn yet: signatures follow an order. We will write when it is."},
    "signed.signed.title": {"es": "¡Gracias por firmar!", "en": "Thank you for signing!"},
    "signed.signed.body": {"es": "Su firma quedó registrada. Recibirá una copia cuando todos hayan firmado.",
                           "en": "Your signature is recorded. You will receive a copy once everyone has signed."},
    "signed.declined.title": {"es": "Usted no firmó", "en": "You declined to sign"},
    "signed.declined.body": {"es": "Justice in Motion se pondrá en contacto para revisar el contrato.",
                             "en": "Justice in Motion will contact you to review the contract."},
    "signed.unfinished.title": {"es": "La firma no terminó", "en": "Signing did not finish"},
    "signed.unfinished.body": {"es": "No se registró ninguna firma. Puede intentarlo de nuevo.",
                               "en": "No signature was recorded. You can try again."},
    "signed.retry": {"es": "Intentar de nuevo", "en": "Try again"},
    # tasks --------------------------------------------------------------------------------------------
    "tasks.title": {"es": "Tareas del caso", "en": "Case tasks"},
    "tasks.intro": {"es": "Actualice el estado de cada tarea y deje una nota para el abogado o la abogada.",
                    "en": "Update each task's status and leave a note for the Advocate."},
    "tasks.last_note": {"es": "Última nota:", "en": "Last note:"},
    "tasks.status": {"es": "Estado", "en": "Status"},
    "tasks.note": {"es": "Nota (opcional)", "en": "Note (optional)"},
    "tasks.save": {"es": "Guardar", "en": "Save"},
    "task_status.open": {"es": "Pendiente", "en": "Open"},
    "task_status.in_progress": {"es": "En curso", "en": "In progress"},
    "task_status.done": {"es": "Terminada", "en": "Done"},
    "task_status.blocked": {"es": "Bloqueada", "en": "Blocked"},
    # report -------------------------------------------------------------------------------------------
    "report.title": {"es": "Informe de horas y gastos", "en": "Hours and expenses report"},
    "report.intro": {
        "es": "Anote las horas trabajadas y los gastos. Use los botones para agregar o quitar líneas.",
        "en": "Enter the hours worked and the expenses. Use the buttons to add or remove lines."},
    "report.changes_requested": {"es": "Justice in Motion pidió estos cambios al informe anterior:",
                                 "en": "Justice in Motion asked for these changes to the previous report:"},
    "report.hours": {"es": "Horas", "en": "Hours"},
    "report.hour_line": {"es": "Horas, línea {n}", "en": "Hours, line {n}"},
    "report.date": {"es": "Fecha", "en": "Date"},
    "report.hours_field": {"es": "Horas (en décimas: 1,5)", "en": "Hours (tenths: 1.5)"},
    "report.task": {"es": "Tarea", "en": "Task"},
    "report.activity": {"es": "Actividad", "en": "Activity"},
    "report.description": {"es": "Qué hizo", "en": "What you did"},
    "report.remove_line": {"es": "Quitar línea {n}", "en": "Remove line {n}"},
    "report.add_hour": {"es": "Agregar línea de horas", "en": "Add an hours line"},
    "report.expenses": {"es": "Gastos", "en": "Expenses"},
    "report.no_expenses": {"es": "Sin gastos.", "en": "No expenses."},
    "report.expense_line": {"es": "Gasto {n}", "en": "Expense {n}"},
    "report.amount": {"es": "Monto", "en": "Amount"},
    "report.currency": {"es": "Moneda", "en": "Currency"},
    "report.category": {"es": "Tipo de gasto", "en": "Expense type"},
    "report.expense_note": {"es": "Detalle", "en": "Details"},
    "report.add_expense": {"es": "Agregar gasto", "en": "Add an expense"},
    "report.totals": {"es": "Totales", "en": "Totals"},
    "report.total_hours": {"es": "Horas", "en": "Hours"},
    "report.total_expenses": {"es": "Gastos en {currency}", "en": "Expenses in {currency}"},
    "report.totals_note": {"es": "Los totales se actualizan al agregar o quitar líneas.",
                           "en": "Totals update when you add or remove lines."},
    "report.kind": {"es": "Tipo de informe", "en": "Report type"},
    "report.note": {"es": "Comentario para Justice in Motion (opcional)",
                    "en": "Comment for Justice in Motion (optional)"},
    "report.submit": {"es": "Enviar el informe", "en": "Submit the report"},
    "report.recalc": {"es": "Recalcular", "en": "Recalculate"},
    "kind.interim": {"es": "Parcial (el trabajo continúa)", "en": "Interim (work continues)"},
    "kind.final": {"es": "Final (el trabajo terminó)", "en": "Final (work is finished)"},
    # evaluation and outcome ---------------------------------------------------------------------------
    "evaluate.title": {"es": "Evaluación de la facilitación", "en": "Evaluation of the facilitation"},
    "evaluate.intro_defender": {"es": "¿Cómo fue trabajar con el abogado o la abogada en este caso?",
                                "en": "How was working with the Advocate on this case?"},
    "evaluate.intro_advocate": {"es": "¿Cómo fue trabajar con la persona defensora en este caso?",
                                "en": "How was working with the Defender on this case?"},
    "evaluate.communication": {"es": "Comunicación", "en": "Communication"},
    "evaluate.quality": {"es": "Calidad del trabajo", "en": "Quality of the work"},
    "evaluate.timeliness": {"es": "Puntualidad", "en": "Timeliness"},
    "evaluate.overall": {"es": "Valoración general", "en": "Overall"},
    "evaluate.scale": {"es": "1 = muy mal, 5 = excelente", "en": "1 = very poor, 5 = excellent"},
    "evaluate.again": {"es": "¿Volvería a trabajar con esta persona?", "en": "Would you work together again?"},
    "evaluate.comments": {"es": "Comentarios (opcional)", "en": "Comments (optional)"},
    "evaluate.submit": {"es": "Enviar la evaluación", "en": "Submit the evaluation"},
    "outcome.title": {"es": "Resultado del caso", "en": "Case outcome"},
    "outcome.intro": {"es": "Cuéntenos cómo terminó el caso, aunque haya pasado tiempo.",
                      "en": "Tell us how the case ended, even if it was a while ago."},
    "outcome.result": {"es": "Resultado", "en": "Result"},
    "outcome.decided_on": {"es": "Fecha de la decisión (opcional)", "en": "Date of the decision (optional)"},
    "outcome.notes": {"es": "Notas (opcional)", "en": "Notes (optional)"},
    "outcome.submit": {"es": "Enviar el resultado", "en": "Submit the outcome"},
    "result.granted": {"es": "Concedido", "en": "Granted"},
    "result.denied": {"es": "Denegado", "en": "Denied"},
    "result.settled": {"es": "Acuerdo", "en": "Settled"},
    "result.dismissed": {"es": "Desestimado", "en": "Dismissed"},
    "result.withdrawn": {"es": "Retirado", "en": "Withdrawn"},
    "result.pending_appeal": {"es": "Apelación pendiente", "en": "Appeal pending"},
    "result.other": {"es": "Otro", "en": "Other"},
    # services (casefac.parties.Service) ---------------------------------------------------------------
    "service.locate_client": {"es": "Localizar al cliente", "en": "Locate the client"},
    "service.facilitate_communication": {"es": "Facilitar la comunicación", "en": "Facilitate communication"},
    "service.settlement_coordination": {"es": "Coordinar un acuerdo", "en": "Coordinate a settlement"},
    "service.witness_affidavit": {"es": "Declaración de testigos", "en": "Witness affidavit"},
    "service.document_collection": {"es": "Obtener documentos", "en": "Collect documents"},
    "service.service_of_process": {"es": "Notificación judicial", "en": "Service of process"},
    # field errors -------------------------------------------------------------------------------------
    "error.required": {"es": "Este dato es obligatorio.", "en": "This is required."},
    "error.number": {"es": "Escriba un número, por ejemplo 1,5.", "en": "Enter a number, for example 1.5."},
    "error.hours_range": {"es": "Las horas deben ser más de 0 y hasta 24.",
                          "en": "Hours must be more than 0 and at most 24."},
    "error.hours_step": {"es": "Use décimas de hora (0,1 = 6 minutos), por ejemplo 0,1 o 0,2.",
                         "en": "Use tenths of an hour (0.1 = 6 minutes), for example 0.1 or 0.2."},
    "error.amount_places": {"es": "Use como máximo {places} decimales.", "en": "Use at most {places} decimals."},
    "error.amount_range": {"es": "El monto debe ser mayor que 0.", "en": "The amount must be more than 0."},
    "error.date": {"es": "Escriba la fecha como dd/mm/aaaa.", "en": "Enter the date as mm/dd/yyyy."},
    "error.future": {"es": "La fecha no puede ser futura.", "en": "The date cannot be in the future."},
    "error.choose": {"es": "Elija una opción.", "en": "Please choose one."},
    "error.rating": {"es": "Elija de 1 a 5.", "en": "Choose from 1 to 5."},
    "error.report_empty": {"es": "Agregue al menos una línea de horas o un gasto.",
                           "en": "Add at least one hours line or one expense."},
    "error.task": {"es": "Esta tarea no existe en el caso.", "en": "This task does not exist in the case."},
    # the workflow's rules (gateway/portal/rules_text.py) ----------------------------------------------
    "rule.decline_reason": {"es": "Indique brevemente por qué no puede tomar el caso.",
                            "en": "Please say briefly why you decline."},
    "rule.date_range": {"es": "La fecha debe estar entre la apertura del caso ({opened}) y hoy ({today}).",
                        "en": "The date must be between the case's opening ({opened}) and today ({today})."},
    "rule.stale_revision": {
        "es": "Alguien guardó la versión {current} mientras usted revisaba la {sent}. Revise la versión "
              "actual abajo y vuelva a intentarlo.",
        "en": "Someone saved revision {current} while you were reviewing revision {sent}. Review the "
              "current revision below and try again."},
    "rule.already_approved": {"es": "Usted ya aprobó esta versión.", "en": "You already approved this revision."},
    "rule.report_waiting": {"es": "Ya hay un informe en revisión.", "en": "A report is already under review."},
    "rule.day_hours": {"es": "{hours} horas el {day} es más de lo que tiene un día.",
                       "en": "{hours} hours on {day} is more than a day holds."},
    "rule.out_for_signature": {"es": "El contrato está en firma; solo cambia si alguien rechaza firmarlo.",
                               "en": "The contract is out for signature; it changes only if a signer declines."},
    "rule.already_evaluated": {"es": "Usted ya evaluó este caso.", "en": "You already evaluated this case."},
    "rule.already_reported": {"es": "El resultado ya fue informado.", "en": "The outcome was already reported."},
    "rule.stage": {"es": "El caso ya no está en la etapa que permite esto.",
                   "en": "The case is no longer in the stage that allows this."},
    "rule.no_offer": {"es": "No hay una oferta de caso abierta.", "en": "There is no open case offer."},
}


def translate(lang: str, key: str, **values: Any) -> str:
    """The string for ``key`` in ``lang`` (English for anything but Spanish), with placeholders filled."""
    return M[key]["es" if lang == "es" else "en"].format(**values)


def translator(lang: str) -> Callable[..., str]:
    """``t("key", name=value)`` bound to one language, for templates."""
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)
    return t


def default_language(role: str, language: str | None) -> Lang:
    """A party's page language: Defenders Spanish unless they do not read it; Advocates English."""
    if role == "defender":
        return "en" if language in ("en", "fr") else "es"
    return "es" if language == "es" else "en"
