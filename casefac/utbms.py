"""UTBMS codes (litigation task, activity, expense) with plain-language labels in English and Spanish.

Report lines carry these codes so a LEDES 1998B file can be produced for law-firm e-billing; the portal
shows the labels so a Defender never has to know the codes.
"""

from __future__ import annotations

from types import MappingProxyType

TASK_CODES: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "L110": ("Fact investigation / development", "Investigación de hechos"),
    "L120": ("Analysis / strategy", "Análisis y estrategia"),
    "L140": ("Document / file management", "Gestión de documentos"),
    "L160": ("Settlement / non-binding ADR", "Acuerdos y conciliación"),
    "L190": ("Other case assessment and administration", "Otra evaluación y administración del caso"),
    "L310": ("Written discovery", "Obtención de pruebas escritas"),
    "L320": ("Document production", "Producción de documentos"),
    "L330": ("Depositions / affidavits", "Declaraciones juradas"),
    "L390": ("Other discovery", "Otras diligencias de prueba"),
    "L440": ("Other trial preparation and support", "Otro apoyo al proceso"),
})

ACTIVITY_CODES: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "A101": ("Plan and prepare for", "Planificar y preparar"),
    "A102": ("Research", "Investigar"),
    "A103": ("Draft / revise", "Redactar o revisar"),
    "A104": ("Review / analyze", "Revisar o analizar"),
    "A105": ("Communicate (in firm)", "Comunicación interna"),
    "A106": ("Communicate (with client)", "Comunicación con el cliente"),
    "A107": ("Communicate (other outside counsel)", "Comunicación con otros abogados"),
    "A108": ("Communicate (other external)", "Comunicación con terceros"),
    "A109": ("Appear for / attend", "Comparecer o asistir"),
    "A110": ("Manage data / files", "Gestionar datos o archivos"),
    "A111": ("Other", "Otro"),
})

EXPENSE_CODES: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "E101": ("Copying", "Copias"),
    "E105": ("Telephone", "Teléfono"),
    "E107": ("Delivery services / messengers", "Mensajería"),
    "E108": ("Postage", "Correo postal"),
    "E109": ("Local travel", "Transporte local"),
    "E110": ("Out-of-town travel", "Viaje fuera de la ciudad"),
    "E111": ("Meals", "Comidas"),
    "E112": ("Court fees", "Aranceles judiciales"),
    "E113": ("Subpoena fees", "Costos de citación"),
    "E118": ("Litigation support vendors", "Proveedores de apoyo"),
    "E120": ("Private investigators", "Investigadores privados"),
    "E123": ("Other professionals (notary, translator)", "Otros profesionales (notario, traductor)"),
    "E124": ("Other", "Otro"),
})


def label(code: str, language: str = "en") -> str:
    """The plain-language label of any UTBMS code, in English or Spanish."""
    for table in (TASK_CODES, ACTIVITY_CODES, EXPENSE_CODES):
        if code in table:
            en, es = table[code]
            return es if language == "es" else en
    raise KeyError(code)
