"""The rules every reader applies to a written time, defined once.

- A time is ISO 8601 with a time of day: ``YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]]``.
- It carries its UTC offset (``Z`` or ``±hh[[:]mm]``, :data:`OFFSET`) or the user names
  the zone it was written in (``--assume-tz``); the reader never guesses one.
- A date without a time of day is refused: a latency measured from midnight would be
  invented. ``--day-precision`` accepts it as midnight (in the ``--assume-tz`` zone,
  else UTC).
- A local time (``--assume-tz``) that the zone's clock skips when daylight saving starts
  does not exist and is refused. One it passes twice when daylight saving ends is
  ambiguous: refused by default, or taken as its earlier or later occurrence with
  ``--ambiguous-time earlier|later`` (:data:`AMBIGUOUS_RULES`).
- A time outside [:data:`EARLIEST`, :data:`LATEST`) is implausible for a social media
  post (or an event's onset) and refused: such a date comes from a broken export or a
  typo, and a year 1 or 9999 would overflow the latency arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from govwatch.schema import PLAUSIBLE_FROM, PLAUSIBLE_UNTIL

# A UTC offset at the end of a time.
OFFSET = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
OFFSET_RE = re.compile(OFFSET + "$")
DATE = r"\d{4}-\d{2}-\d{2}"
# A date with nothing after it but perhaps an offset.
DATE_ONLY = rf"^{DATE}{OFFSET}?$"
DATE_ONLY_RE = re.compile(DATE_ONLY)
# The plainest form: what a clean export writes, read in one vectorised step.
PLAIN_TIME = rf"^{DATE}[T ]\d{{2}}:\d{{2}}:\d{{2}}(\.\d{{1,6}})?{OFFSET}$"

EARLIEST = PLAUSIBLE_FROM
LATEST = PLAUSIBLE_UNTIL
BOUNDS = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
# The same as microseconds since 1970 (Arrow's and DuckDB's representation).
EARLIEST_US = int(EARLIEST.timestamp()) * 1_000_000
LATEST_US = int(LATEST.timestamp()) * 1_000_000


def implausible(column: str, value: object) -> str:
    """The reason a time outside the bounds is refused."""
    return f"{column} {value} is outside the plausible range {BOUNDS}"


def plausible(t: datetime) -> bool:
    return EARLIEST <= t < LATEST


# How a local time the clock passes twice is taken; "reject" is the default.
AMBIGUOUS_RULES = ("reject", "earlier", "later")


def ambiguous_reason(column: str, value: object, zone: str) -> str:
    where = f"{column} {value}".lstrip()
    return (f"{where} is ambiguous in {zone} (the clock passes it twice when daylight "
            "saving ends); write it with its UTC offset, or pass --ambiguous-time "
            "earlier|later")


def nonexistent_reason(column: str, value: object, zone: str) -> str:
    where = f"{column} {value}".lstrip()
    return f"{where} does not exist in {zone} (the clock skips it when daylight saving starts)"


def localize(local: datetime, zone: str, ambiguous: str = "reject",
             column: str = "") -> datetime:
    """A naive local time written in ``zone`` as UTC, by the rules above; ValueError
    (with the reason) for a time the clock skipped, or passed twice unless ``ambiguous``
    says which occurrence to take."""
    tz = ZoneInfo(zone)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise ValueError(nonexistent_reason(column, local.isoformat(sep=" "), zone))
    if ambiguous == "reject":
        raise ValueError(ambiguous_reason(column, local.isoformat(sep=" "), zone))
    return (first if ambiguous == "earlier" else second).astimezone(UTC)
