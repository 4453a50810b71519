"""The rules every reader applies to a written time, defined once.

- A time is ISO 8601 with a time of day: ``YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]]``.
- It carries its UTC offset (``Z`` or ``±hh[[:]mm]``, :data:`OFFSET`) or the user names
  the zone it was written in (``--assume-tz``); the reader never guesses one.
- A date without a time of day is refused: a latency measured from midnight would be
  invented. ``--day-precision`` accepts it as midnight (in the ``--assume-tz`` zone,
  else UTC).
- A time outside [:data:`EARLIEST`, :data:`LATEST`) is implausible for a social media
  post (or an event's onset) and refused: such a date comes from a broken export or a
  typo, and a year 1 or 9999 would overflow the latency arithmetic.
"""

from __future__ import annotations

import re
from datetime import datetime

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
