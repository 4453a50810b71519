"""The business clock: time that counts only while an account's office is open.

Where an official account lists office hours (accounts.office_hours, e.g.
"Mon-Fri 09:00-17:00", read in accounts.timezone), latency is also measured
on its business clock: only the real time that passes while the office is
open counts. Days the schedule leaves out (weekends) count nothing, and so
do public holidays from an optional calendar the user supplies (CSV with the
columns country, date, name; the AnalysisSettings field ``holidays_file``),
matched to the account's country.

How it is computed: for each distinct (time zone, office hours, country) the
office intervals of every local day in the analysed range are listed once,
their local start and end converted to UTC with zoneinfo (so a day on which
clocks change is handled exactly: office hours that span the change are an
hour shorter or longer in real time). A running total of open time at each
interval edge then gives, for any instant, the open time elapsed since the
start of the range by one ``numpy.searchsorted``; a message's business
latency is the difference of two such totals. The Python loop is over days
and accounts, never over messages.

Local times that do not exist (the skipped hour when clocks go forward) move
forward to the first valid instant; local times that occur twice (when clocks
go back) take the first occurrence.

The metric registered here writes ``account_clocks``: each official account's
clock (zone, schedule, weekly open hours, its business window, holidays
applied), so every business figure elsewhere can be traced to its schedule.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from govwatch.errors import InputError
from govwatch.officehours import OfficeHoursError, Schedule, parse_office_hours

from .registry import Metric, MetricContext, register_metric

HOLIDAY_COLUMNS = ("country", "date", "name")
US_PER_HOUR = 3_600_000_000
WEEK_HOURS = 168.0

ACCOUNT_CLOCKS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "timezone": "VARCHAR",
    "office_hours": "VARCHAR",
    "clock_status": "VARCHAR",
    "weekly_office_hours": "DOUBLE",
    "business_window_hours": "DOUBLE",
    "holidays_country": "VARCHAR",
    "holidays_in_range": "BIGINT",
}


# -- holidays -----------------------------------------------------------------


def load_holidays(path: str | Path) -> dict[str, frozenset[date]]:
    """Read a holiday calendar (country, date, name); country -> dates.

    Raises :class:`InputError` naming the file and line of the first bad row:
    a calendar is a small hand-written file the user should fix, not guess at.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "holiday calendar not found")
    out: dict[str, set[date]] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in HOLIDAY_COLUMNS[:2] if c not in header]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}; the header must "
                             "be country,date,name", "line 1")
        ci, di = header.index("country"), header.index("date")
        for line_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(ci, di):
                raise InputError(path, "too few columns", f"line {line_no}")
            country = row[ci].strip().upper()
            if len(country) != 2 or not country.isalpha():
                raise InputError(path, f"country {row[ci]!r} is not an ISO 3166 alpha-2 code",
                                 f"line {line_no}")
            try:
                day = date.fromisoformat(row[di].strip())
            except ValueError:
                raise InputError(path, f"date {row[di]!r} is not YYYY-MM-DD",
                                 f"line {line_no}") from None
            out.setdefault(country, set()).add(day)
    return {c: frozenset(d) for c, d in out.items()}


# -- one clock ------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessTime:
    """Office intervals of one clock over the analysed range, in UTC microseconds."""

    starts: np.ndarray
    ends: np.ndarray
    cum: np.ndarray  # open time before each interval starts

    def elapsed(self, t_us: np.ndarray) -> np.ndarray:
        """Open time (microseconds) from the start of the range to each instant."""
        t = np.asarray(t_us, dtype=np.int64)
        if len(self.starts) == 0:
            return np.zeros(len(t), dtype=np.int64)
        k = np.searchsorted(self.starts, t, side="right") - 1
        inside = k >= 0
        kk = np.maximum(k, 0)
        into = np.minimum(t - self.starts[kk], self.ends[kk] - self.starts[kk])
        return np.where(inside, self.cum[kk] + into, 0)

    def hours_between(self, t0_us: np.ndarray, t1_us: np.ndarray) -> np.ndarray:
        """Business hours from t0 to t1 (t1 >= t0)."""
        return (self.elapsed(t1_us) - self.elapsed(t0_us)) / US_PER_HOUR


def weekly_hours(schedule: Schedule) -> float:
    """Open hours in a week without holidays (overlapping parts counted once)."""
    total = 0
    for parts in schedule.values():
        end = -1
        for s, e in sorted(parts):
            s = max(s, end)
            if e > s:
                total += e - s
            end = max(end, e)
    return total / 60.0


def office_intervals(schedule: Schedule, tz: str, holidays: frozenset[date],
                     first_day: date, last_day: date) -> BusinessTime:
    """The office intervals of every local day from first_day to last_day."""
    days = np.arange(np.datetime64(first_day, "D"), np.datetime64(last_day, "D") + 1)
    if holidays:
        days = days[~np.isin(days, np.array(sorted(holidays), dtype="datetime64[D]"))]
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    local_s, local_e = [], []
    for wd, parts in schedule.items():
        on = days[weekday == wd]
        for s, e in parts:
            local_s.append(on + np.timedelta64(s, "m"))
            local_e.append(on + np.timedelta64(e, "m"))
    if not local_s:
        empty = np.empty(0, dtype=np.int64)
        return BusinessTime(empty, empty, empty)
    starts = _to_utc_us(np.concatenate(local_s), tz)
    ends = _to_utc_us(np.concatenate(local_e), tz)
    order = np.argsort(starts, kind="stable")
    starts, ends = _merge(starts[order], ends[order])
    cum = np.concatenate([[0], np.cumsum(ends - starts)[:-1]]).astype(np.int64)
    return BusinessTime(starts, ends, cum)


def _to_utc_us(local: np.ndarray, tz: str) -> np.ndarray:
    idx = pd.DatetimeIndex(local.astype("datetime64[s]"))
    aware = idx.tz_localize(ZoneInfo(tz), ambiguous=np.ones(len(idx), dtype=bool),
                            nonexistent="shift_forward")
    return aware.tz_convert("UTC").as_unit("us").asi8.astype(np.int64)


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping intervals (sorted by start) so no open time counts twice."""
    reach = np.maximum.accumulate(ends)
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(new)
    tails = np.concatenate([heads[1:] - 1, [len(starts) - 1]])
    return starts[heads], reach[tails]


# -- every account's clock --------------------------------------------------------


@dataclass(frozen=True)
class AccountClock:
    status: str  # "ok", "no office hours", "unreadable office hours: ...", "unknown time zone"
    weekly_hours: float | None
    window_hours: float | None  # the window W scaled to office time
    holidays_country: str | None
    holidays_in_range: int | None
    time: BusinessTime | None


@cache
def _zone_ok(tz: str) -> bool:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _holidays(settings) -> dict[str, frozenset[date]]:
    path = settings.business_clock.holidays_file
    return load_holidays(path) if path else {}


def _range(ctx: MetricContext) -> tuple[date, date] | None:
    first = ctx.con.execute("SELECT min(message_created_at) FROM responses").fetchall()[0][0]
    if first is None or ctx.obs_end is None:
        return None
    # One day of margin each side covers every zone's local date.
    return (first - timedelta(days=1)).date(), (_as_utc(ctx.obs_end) + timedelta(days=1)).date()


def _as_utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=ZoneInfo("UTC"))


def build_clocks(ctx: MetricContext, accounts: pd.DataFrame) -> list[AccountClock]:
    """One clock per row of ``accounts`` (timezone, office_hours, country);
    identical schedules share their interval list. Cached for the run."""
    window = float(ctx.settings.window_hours)
    holidays = ctx.cache.get("holidays")
    if holidays is None:
        holidays = ctx.cache["holidays"] = _holidays(ctx.settings)
    span = ctx.cache.get("clock_range", False)
    if span is False:
        span = ctx.cache["clock_range"] = _range(ctx)
    built: dict = ctx.cache.setdefault("business_times", {})
    out = []
    for tz, hours, country in zip(accounts["timezone"], accounts["office_hours"],
                                  accounts["country"], strict=True):
        out.append(_clock(tz, hours, country, holidays, span, window, built))
    return out


def _clock(tz, hours, country, holidays, span, window, built) -> AccountClock:
    if not isinstance(hours, str) or not hours.strip():
        return AccountClock("no office hours", None, None, None, None, None)
    if not isinstance(tz, str) or not _zone_ok(tz):
        return AccountClock("unknown time zone", None, None, None, None, None)
    try:
        schedule = parse_office_hours(hours)
    except OfficeHoursError as exc:
        return AccountClock(f"unreadable office hours: {exc}", None, None, None, None, None)
    week = weekly_hours(schedule)
    country = country.upper() if isinstance(country, str) else None
    days = holidays.get(country, frozenset()) if country else frozenset()
    in_range = None
    time = None
    if span is not None:
        days = frozenset(d for d in days if span[0] <= d <= span[1])
        in_range = len(days)
        key = (tz, hours, days)
        if key not in built:
            built[key] = office_intervals(schedule, tz, days, span[0], span[1])
        time = built[key]
    return AccountClock("ok", week, window * week / WEEK_HOURS,
                        country if holidays else None, in_range if holidays else None, time)


def business_durations(
    clocks: list[AccountClock | None],
    acct_bounds: np.ndarray,
    t_msg: np.ndarray,
    t_resp: np.ndarray,
    answered: np.ndarray,
    obs_end_us: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Business hours to response (NaN if unanswered), observed business hours,
    and the business window of each row; NaN rows have no business clock.

    Rows are sorted by account; ``acct_bounds`` cuts them into accounts and
    ``clocks[i]`` is the clock of the i-th account.
    """
    n = len(t_msg)
    latency = np.full(n, np.nan)
    observed = np.full(n, np.nan)
    window = np.full(n, np.nan)
    for i, clock in enumerate(clocks):
        if clock is None or clock.time is None:
            continue
        lo, hi = acct_bounds[i], acct_bounds[i + 1]
        bt = clock.time
        start = bt.elapsed(t_msg[lo:hi])
        end = bt.elapsed(np.array([obs_end_us]))[0]
        observed[lo:hi] = (end - start) / US_PER_HOUR
        a = answered[lo:hi]
        lat = np.full(hi - lo, np.nan)
        lat[a] = (bt.elapsed(t_resp[lo:hi][a]) - start[a]) / US_PER_HOUR
        latency[lo:hi] = lat
        window[lo:hi] = clock.window_hours
    return latency, observed, window


def official_accounts(con) -> pd.DataFrame:
    return con.execute(
        "SELECT platform, author AS official_author, timezone, office_hours, country "
        "FROM accounts WHERE official ORDER BY platform, author"
    ).df()


@register_metric
class BusinessClocks(Metric):
    name = "business_clock"
    account_tables = ("account_clocks",)
    description = (
        "Each official account's business clock: time zone, office hours, weekly open "
        "hours, the response window scaled to office time, holidays applied."
    )
    tables = {"account_clocks": ACCOUNT_CLOCKS_COLUMNS}
    table_descriptions = {
        "account_clocks": "each account's business clock (office hours and time zone)",
    }
    column_meanings = {"account_clocks": {
        "timezone": "IANA time zone the office hours are read in",
        "office_hours": "Office hours as given in the accounts file",
        "clock_status": "ok; or why there is no business clock (no office hours, unreadable "
                        "office hours, unknown time zone)",
        "weekly_office_hours": "Open hours in a week without holidays",
        "business_window_hours": "The window W in office hours: W x weekly office hours / 168",
        "holidays_country": "Country whose holidays were applied (holidays_file)",
        "holidays_in_range": "Holidays of that country within the analysed range",
    }}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        acc = official_accounts(ctx.con)
        clocks = build_clocks(ctx, acc)
        frame = pd.DataFrame({
            "platform": acc["platform"],
            "official_author": acc["official_author"],
            "timezone": acc["timezone"],
            "office_hours": acc["office_hours"],
            "clock_status": [c.status for c in clocks],
            "weekly_office_hours": [c.weekly_hours for c in clocks],
            "business_window_hours": [c.window_hours for c in clocks],
            "holidays_country": [c.holidays_country for c in clocks],
            "holidays_in_range": pd.array([c.holidays_in_range for c in clocks], dtype="Int64"),
        }, columns=list(ACCOUNT_CLOCKS_COLUMNS))
        return {"account_clocks": frame}
