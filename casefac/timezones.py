"""Each party's local time: deadlines, "answer by" dates and report dates are the party's, not UTC's.

Pure functions over aware datetimes (the workflow passes ``workflow.now()``), so they are deterministic and
safe in workflow code. The zone database is the standard library's ``zoneinfo`` (the system's tzdata).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: A Defender works in the case's country; Central America keeps no daylight saving time.
COUNTRY_ZONES: MappingProxyType[str, str] = MappingProxyType({
    "MX": "America/Mexico_City",
    "GT": "America/Guatemala",
    "SV": "America/El_Salvador",
    "HN": "America/Tegucigalpa",
    "NI": "America/Managua",
})

#: Advocates: a U.S. state or Canadian province (two-letter code) → zone; the country's default otherwise.
REGION_ZONES: MappingProxyType[str, str] = MappingProxyType({
    **dict.fromkeys(("CA", "OR", "WA", "NV"), "America/Los_Angeles"),
    **dict.fromkeys(("AZ",), "America/Phoenix"),
    **dict.fromkeys(("CO", "NM", "UT", "MT", "WY", "ID"), "America/Denver"),
    **dict.fromkeys(("TX", "IL", "MN", "WI", "IA", "MO", "KS", "NE", "OK", "LA", "AR", "AL", "MS", "TN", "SD",
                     "ND"), "America/Chicago"),
    **dict.fromkeys(("NY", "NJ", "PA", "MA", "CT", "RI", "VT", "NH", "ME", "MD", "DE", "DC", "VA", "WV", "NC",
                     "SC", "GA", "FL", "OH", "MI", "IN", "KY"), "America/New_York"),
    "AK": "America/Anchorage", "HI": "Pacific/Honolulu", "PR": "America/Puerto_Rico",
})
PROVINCE_ZONES: MappingProxyType[str, str] = MappingProxyType({
    "BC": "America/Vancouver", "AB": "America/Edmonton", "SK": "America/Regina", "MB": "America/Winnipeg",
    "ON": "America/Toronto", "QC": "America/Toronto", "NB": "America/Halifax", "NS": "America/Halifax",
    "PE": "America/Halifax", "NL": "America/St_Johns", "YT": "America/Whitehorse", "NT": "America/Yellowknife",
    "NU": "America/Iqaluit",
})
ADVOCATE_DEFAULT = MappingProxyType({"US": "America/New_York", "CA": "America/Toronto"})
FALLBACK = "UTC"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def defender_zone(country: str) -> str:
    """The IANA zone a Defender in ``country`` lives by (UTC for a country we do not know)."""
    return COUNTRY_ZONES.get(country, FALLBACK)


def advocate_zone(country: str, region: str | None = None) -> str:
    """The Advocate's zone from their state or province when known, else the country's usual one."""
    table = PROVINCE_ZONES if country == "CA" else REGION_ZONES
    if region and region.upper() in table:
        return table[region.upper()]
    return ADVOCATE_DEFAULT.get(country, FALLBACK)


def local(at: datetime, zone_name: str) -> datetime:
    return at.astimezone(zone(zone_name))


def local_date(at: datetime, zone_name: str) -> date:
    """The calendar day ``at`` falls on where the party lives (an evening in Guatemala is not tomorrow)."""
    return local(at, zone_name).date()


def add_business_days(day: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``day``: the weekend never eats a short window."""
    current = day
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def end_of_local_day(day: date, zone_name: str) -> datetime:
    """The last second of ``day`` in the zone, as an aware datetime (compare it with ``workflow.now()``)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone(zone_name))


def answer_by(sent_at: datetime, business_days: int, zone_name: str) -> datetime:
    """The local end of the day ``business_days`` working days after the local day ``sent_at`` falls on."""
    return end_of_local_day(add_business_days(local_date(sent_at, zone_name), business_days), zone_name)


def describe(at: datetime, zone_name: str) -> str:
    """``2026-12-09 23:59 America/Guatemala``: a local date and time, with the zone said."""
    return f"{local(at, zone_name):%Y-%m-%d %H:%M} {zone_name}"


#: When a party is written to: working hours on working days, in their own zone.
WORKDAY_START = time(9, 0)
WORKDAY_END = time(18, 0)


def working_time(at: datetime, zone_name: str) -> datetime:
    """``at`` if it falls in the party's working hours (Mon–Fri 09:00–18:00 local), else the next local 09:00.

    A reminder never reaches a Defender at 03:00 or on a Sunday (review M8).
    """
    here = local(at, zone_name)
    if here.weekday() < 5 and WORKDAY_START <= here.time() < WORKDAY_END:
        return at
    day = here.date() if here.time() < WORKDAY_START else here.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, WORKDAY_START, tzinfo=zone(zone_name))
