"""The LSC Case Service Report (CSR) vocabulary the record uses, so JiM's figures read like any legal-aid
funder's: two-digit problem codes grouped by area, and the closing codes for how a case ended.

After the LSC CSR Handbook (2017 edition, as amended): problem codes 01–99, closing codes A, B, F, G, H,
Ia, Ib, Ic, K, L. JiM's cases are immigration matters (81) unless staff say otherwise when they open one.
"""

from __future__ import annotations

from casefac.evaluation import OutcomeResult

DEFAULT_PROBLEM_CODE = "81"

PROBLEM_GROUPS: dict[str, str] = {
    "0": "Consumer/Finance", "1": "Education", "2": "Employment", "3": "Family", "4": "Juvenile",
    "5": "Health", "6": "Housing", "7": "Income Maintenance", "8": "Individual Rights", "9": "Miscellaneous",
}

PROBLEM_CODES: dict[str, str] = {
    "01": "Bankruptcy/Debtor Relief", "02": "Collection (incl. Repossession/Deficiency/Garnishment)",
    "03": "Contracts/Warranties", "04": "Collection Practices/Creditor Harassment",
    "05": "Predatory Lending Practices (not Mortgages)", "06": "Loans/Installment Purchases (not Collections)",
    "07": "Public Utilities", "08": "Unfair and Deceptive Sales and Practices (not Real Property)",
    "09": "Other Consumer/Finance",
    "12": "Discipline (incl. Expulsion and Suspension)", "13": "Special Education/Learning Disabilities",
    "14": "Access (incl. Bilingual, Residency, Testing)", "15": "Vocational Education",
    "16": "Student Financial Aid", "19": "Other Education",
    "21": "Employment Discrimination", "22": "Wage Claims and other FLSA Issues", "23": "EITC",
    "24": "Taxes (not EITC)", "25": "Employee Rights", "26": "Agricultural Worker Issues (not Wage Claims)",
    "29": "Other Employment",
    "30": "Adoption", "31": "Custody/Visitation", "32": "Divorce/Separation/Annulment",
    "33": "Adult Guardianship/Conservatorship", "34": "Name Change", "35": "Parental Rights Termination",
    "36": "Paternity", "37": "Domestic Abuse", "38": "Support", "39": "Other Family",
    "41": "Delinquent", "42": "Neglected/Abused/Dependent", "43": "Emancipation",
    "44": "Minor Guardianship/Conservatorship", "49": "Other Juvenile",
    "51": "Medicaid", "52": "Medicare", "53": "Government Children's Health Insurance Programs",
    "54": "Home and Community Based Care", "55": "Private Health Insurance",
    "56": "Long Term Health Care Facilities", "57": "State and Local Health", "59": "Other Health",
    "61": "Federally Subsidized Housing", "62": "Homeownership/Real Property (not Foreclosure)",
    "63": "Private Landlord/Tenant", "64": "Public Housing", "65": "Mobile Homes",
    "66": "Housing Discrimination", "67": "Mortgage Foreclosures (not Predatory Lending)",
    "68": "Mortgage Predatory Lending/Practices", "69": "Other Housing",
    "71": "TANF", "72": "Social Security (not SSDI)", "73": "Food Stamps", "74": "SSDI", "75": "SSI",
    "76": "Unemployment Compensation", "77": "Veterans Benefits", "78": "State and Local Income Maintenance",
    "79": "Other Income Maintenance",
    "81": "Immigration/Naturalization", "82": "Mental Health", "84": "Disability Rights", "85": "Civil Rights",
    "86": "Human Trafficking", "87": "Police Misconduct", "89": "Other Individual Rights",
    "93": "Licenses (Drivers, Occupational, and Others)", "94": "Torts", "95": "Wills/Estates",
    "96": "Advance Directives/Powers of Attorney", "97": "Municipal Legal Needs", "99": "Other Miscellaneous",
}

CLOSING_CODES: dict[str, str] = {
    "A": "Counsel and Advice",
    "B": "Limited Action",
    "F": "Negotiated Settlement without Litigation",
    "G": "Negotiated Settlement with Litigation",
    "H": "Administrative Agency Decision",
    "Ia": "Uncontested Court Decision",
    "Ib": "Contested Court Decision",
    "Ic": "Appeals",
    "K": "Other",
    "L": "Extensive Service",
}

#: What an outcome suggests; staff confirm or change it at close (``casefac records close-code``).
#: Immigration relief is decided by USCIS or the immigration courts (EOIR), administrative bodies: H.
OUTCOME_CLOSING_CODES: dict[OutcomeResult, str] = {
    OutcomeResult.GRANTED: "H",
    OutcomeResult.DENIED: "H",
    OutcomeResult.SETTLED: "G",
    OutcomeResult.DISMISSED: "Ia",
    OutcomeResult.PENDING_APPEAL: "Ic",
    OutcomeResult.WITHDRAWN: "B",
    OutcomeResult.OTHER: "K",
    OutcomeResult.UNKNOWN: "L",
}


def problem_code_error(code: str) -> str | None:
    """Why ``code`` is not an LSC problem code, or None."""
    if code in PROBLEM_CODES:
        return None
    return f"{code!r} is not an LSC CSR problem code (two digits, e.g. 81 Immigration/Naturalization)"


def closing_code_error(code: str) -> str | None:
    if code in CLOSING_CODES:
        return None
    return f"{code!r} is not an LSC CSR closing code ({', '.join(CLOSING_CODES)})"


def suggested_closing_code(stage: str, outcome: OutcomeResult | None, work_done: bool) -> str | None:
    """The closing code a case's end suggests: from its outcome when closed, B or A when cancelled.

    A declined request was never taken on, so it has no closing code; an open case has none yet.
    """
    if stage == "CLOSED":
        return OUTCOME_CLOSING_CODES[outcome or OutcomeResult.UNKNOWN]
    if stage == "CANCELLED":
        return "B" if work_done else "A"
    return None
