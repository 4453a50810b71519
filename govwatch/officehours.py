"""Office hours: parsing "Mon-Fri 09:00-17:00; Sat 10:00-13:00" into a weekly schedule.

The schedule is read in the account's own time zone (accounts.timezone).
"""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^\s*(?P<d1>[A-Za-z]{3})(?:\s*-\s*(?P<d2>[A-Za-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$"
)


class OfficeHoursError(ValueError):
    pass


# weekday (0 = Monday) -> list of (start minute, end minute) in local time
Schedule = dict[int, list[tuple[int, int]]]


def office_hours_problem(value: object) -> str:
    """Why an accounts row's office_hours cannot be read ("office_hours: ..."), or ""
    when it can or when there is none (a missing value is not a string)."""
    if not isinstance(value, str):
        return ""
    try:
        parse_office_hours(value)
    except OfficeHoursError as exc:
        return f"office_hours: {exc}"
    return ""


def parse_office_hours(text: str) -> Schedule:
    """Parse ';'- or ','-separated parts such as "Mon-Fri 09:00-17:00"."""
    schedule: Schedule = {}
    parts = [p for p in re.split(r"[;,]", text) if p.strip()]
    if not parts:
        raise OfficeHoursError("empty; write e.g. 'Mon-Fri 09:00-17:00'")
    for part in parts:
        m = _PART.match(part)
        if not m:
            raise OfficeHoursError(f"cannot read {part.strip()!r}; write e.g. 'Mon-Fri 09:00-17:00'")
        d1 = m["d1"].lower()
        d2 = (m["d2"] or m["d1"]).lower()
        if d1 not in DAYS or d2 not in DAYS:
            raise OfficeHoursError(f"unknown day in {part.strip()!r}; use Mon, Tue, ... Sun")
        start = int(m["h1"]) * 60 + int(m["m1"])
        end = int(m["h2"]) * 60 + int(m["m2"])
        if not (0 <= start < end <= 24 * 60) or int(m["m1"]) > 59 or int(m["m2"]) > 59:
            raise OfficeHoursError(f"bad time range in {part.strip()!r}")
        i, j = DAYS.index(d1), DAYS.index(d2)
        days = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
        for d in days:
            schedule.setdefault(d, []).append((start, end))
    for d in schedule:
        schedule[d].sort()
    return schedule
