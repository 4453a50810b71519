"""Readers for outage lists: when the internet, or some platforms, were unreachable where.

Rows become :class:`govwatch.records.Outage` records (table ``outages``): country (ISO
3166 alpha-2), region, start, end (empty: ongoing), scope (``internet``, or the platforms
blocked: ``x``, ``facebook``, ``instagram``, ``telegram``, ``whatsapp``, ``youtube``), kind
and source. Dates without a time are whole days in UTC: a list that says 4-11 January
covers 4 January 00:00 to 12 January 00:00 UTC. A record without an end that is not marked
ongoing is taken to last its start day, with ``end_known`` false.

- ``keepiton-xlsx``: Access Now's #KeepItOn STOP workbook (one sheet per year or years;
  column sets differ per sheet, headers with stray spaces; dates as Excel dates or serial
  numbers; ``Ongoing`` in ``shutdown_status``; an end such as "Unknown" keeps the start
  day only, with ``end_known`` false). Scope: ``internet`` when the extent is a full
  network (``shutdown_extent`` / ``full or service-based``; in 2016-2018 sheets the type:
  shutdown, throttling), followed by the platforms whose ``*_affected`` column says yes (or
  that ``services_affected`` names); a service-based block is those platforms only. Country
  names become ISO codes (pycountry, plus the list's own spellings: "SriLanka",
  "Somaliland" as SO, ...). A sheet without ``start_date`` and ``country`` columns is
  rejected whole, with the reason.
- ``outages-json``: SFLC.in's Internet Shutdowns Tracker (``shutdowns.json``: a list of
  ``{"state:name", "districts", "date", "description", "nature", ...}``), all in India;
  only the start day is given.
- ``outages-csv``: the simple CSV anyone can write: ``country, region, start, end, scope``
  (country a name or an ISO 3166 alpha-2 code, user-assigned ones such as ``XC`` included;
  scope ``;``-separated; ``internet`` when empty), optional ``kind, source``. Times are ISO
  8601 (a date, or a time with an offset; ``--assume-tz`` for times without one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Batch, Outage, Reject, excerpt

from . import sniffers
from .base import Reader, ReadOptions
from .csv_records import read_records
from .jsonio import jpath, load_json_text, parse_utc, read_text_strict
from .registry import register

PLATFORM_NAMES = {"facebook": "facebook", "twitter": "x", "x": "x", "whatsapp": "whatsapp",
                  "instagram": "instagram", "telegram": "telegram", "youtube": "youtube",
                  "tiktok": "tiktok", "signal": "signal", "bluesky": "bluesky",
                  "mastodon": "mastodon"}
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
# Names the lists use that ISO 3166 does not (pycountry knows the rest).
COUNTRY_ALIASES = {"turkey": "TR", "srilanka": "LK", "democraticrepubliccongo": "CD",
                   "democratic republic of the congo": "CD", "somaliland": "SO",
                   "russia": "RU", "iran": "IR", "venezuela": "VE", "syria": "SY",
                   "bolivia": "BO", "tanzania": "TZ", "laos": "LA", "vietnam": "VN",
                   "south korea": "KR", "north korea": "KP", "palestine": "PS",
                   "kashmir": "IN"}


class OutageError(ValueError):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column


def country_code(name: object) -> str:
    """ISO 3166 alpha-2 code of a country name or code; OutageError if unknown."""
    import pycountry

    text = str(name or "").strip()
    if not text:
        raise OutageError("country", "country is empty")
    base = text.split("(")[0].strip()
    if _user_assigned(base):  # AA, QM-QZ, XA-XZ, ZZ: codes ISO leaves to its users
        return base.upper()
    if base.lower() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[base.lower()]
    if base != text:
        text = base
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        pass
    try:
        found = pycountry.countries.search_fuzzy(text)
    except LookupError:
        found = []
    if len(found) >= 1 and found[0].name.lower().startswith(text.lower()[:4]):
        return found[0].alpha_2
    raise OutageError("country", f"country {text!r} is not a country name or ISO code")


def _user_assigned(code: str) -> bool:
    c = code.upper()
    return len(c) == 2 and c.isascii() and c.isalpha() and (
        c in ("AA", "ZZ") or c[0] == "X" or (c[0] == "Q" and c[1] >= "M"))


def day_start(value: object, column: str, assume_tz: str | None = None) -> tuple[datetime, bool]:
    """(UTC time, whole_day) of a date or time cell: datetimes, Excel serial numbers,
    ISO dates or ISO times."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            whole = value.time() == time(0)
            return value.replace(tzinfo=UTC), whole
        return value.astimezone(UTC), False
    if isinstance(value, date):
        return datetime.combine(value, time(0), UTC), True
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value <= 2_958_465:
            raise OutageError(column, f"{column} {value!r} is not a date")
        t = _EXCEL_EPOCH + timedelta(days=float(value))
        return t, t.time() == time(0)
    text = str(value or "").strip()
    if not text:
        raise OutageError(column, f"{column} is empty")
    if len(text) == 10:
        try:
            return datetime.combine(date.fromisoformat(text), time(0), UTC), True
        except ValueError:
            pass
    try:
        return parse_utc(text, assume_tz), False
    except ValueError as exc:
        raise OutageError(column, f"{column}: {exc}") from None


def _end(value: object, column: str, assume_tz: str | None = None) -> datetime:
    t, whole = day_start(value, column, assume_tz)
    return t + timedelta(days=1) if whole else t


def _yes(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("yes", "y", "true", "1", "x")


def _platforms_in(text: object) -> list[str]:
    words = str(text or "").lower().replace("/", ",").replace(";", ",")
    return [p for name, p in PLATFORM_NAMES.items() if name in words and name != "x"]


def _id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{prefix}:{digest}"


# -- #KeepItOn workbook ----------------------------------------------------------------------
_AFFECTED = ("facebook", "twitter", "whatsapp", "instagram", "telegram")


def keepiton_outage(row: dict, sheet: str, line: int) -> Outage | None:
    """One sheet row as an Outage (None for a blank row); OutageError if unusable."""
    if all(v in (None, "") for v in row.values()):
        return None
    start, _ = day_start(row.get("start_date"), "start_date")
    status = str(row.get("shutdown_status") or "").strip().lower()
    end_cell = row.get("end_date")
    end_known = True
    if isinstance(end_cell, str) and end_cell.strip().lower() == "ongoing" or (
            end_cell in (None, "") and status == "ongoing"):
        end = None
    elif end_cell in (None, ""):
        end, end_known = start + timedelta(days=1), False
    else:
        try:
            end = _end(end_cell, "end_date")
        except OutageError:  # "Unknown", "4/1/2018 upon CAF visit": the start day only
            end, end_known = start + timedelta(days=1), False
        if end <= start:
            raise OutageError("end_date", "end_date is before start_date")
    kind = next((str(row[k]).strip() for k in ("shutdown_type", "shutdown_type_new",
                                                "shutdown_type_group")
                 if row.get(k) not in (None, "")), None)
    platforms = [PLATFORM_NAMES[p] for p in _AFFECTED if _yes(row.get(f"{p}_affected"))]
    platforms += [p for p in _platforms_in(row.get("services_affected")) if p not in platforms]
    extent = str(row.get("shutdown_extent") or row.get("full or service-based") or "").lower()
    k = (kind or "").lower()
    if extent:
        full = "full" in extent
        partial = "service" in extent
    else:  # 2016-2018: the type says it ("Full network", "Throttling", "Service-based")
        full = "full" in k or "shutdown" in k or "throttl" in k
        partial = "service" in k
    if full:
        scope = ("internet", *platforms)
    elif partial or platforms:
        scope = tuple(platforms) or ("unknown services",)
    else:
        scope = ("internet",)
    area = row.get("area_name")
    return Outage(
        outage_id=f"keepiton:{sheet}:{line}", country=country_code(row.get("country")),
        start_at=start, end_at=end, end_known=end_known, scope=scope,
        region=str(area).strip() if area not in (None, "") else None, kind=kind,
        source=str(row.get("an_link") or row.get("news_link") or row.get("info_source_link")
                   or "").strip() or None)


@register
class KeepItOnReader(Reader):
    name = "keepiton-xlsx"
    platform = None
    description = "Access Now #KeepItOn STOP workbook (xlsx): shutdowns and blocked platforms"
    kind = "outages"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.keepiton_xlsx(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            raise InputError(path, f"not a readable xlsx workbook ({exc})") from None
        outages: list[Outage] = []
        rejects: list[Reject] = []
        rows_read = 0
        try:
            for ws in book.worksheets:
                sheet = ws.title.strip()
                rows = ws.iter_rows(values_only=True)
                header = next(rows, None)
                if header is None:
                    continue
                names = [str(h).strip().lower() if h is not None else "" for h in header]
                body = [r for r in rows if any(v not in (None, "") for v in r)]
                if "start_date" not in names or "country" not in names:
                    rows_read += len(body) + 1
                    rejects.append(Reject(
                        f"sheet '{sheet}'", f"no start_date and country columns: its "
                        f"{len(body) + 1} rows are not read", excerpt(header)))
                    continue
                for n, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
                    row = dict(zip(names, values, strict=False))
                    if all(v in (None, "") for v in values):
                        continue
                    rows_read += 1
                    try:
                        o = keepiton_outage(row, sheet, n)
                    except OutageError as exc:
                        rejects.append(Reject(f"sheet '{sheet}', row {n}, column {exc.column}",
                                              str(exc), excerpt(values[:12])))
                        continue
                    if o is not None:
                        outages.append(o)
        finally:
            book.close()
        if progress:
            progress(path.stat().st_size)
        yield Batch(outages=outages, rejects=rejects, rows_read=rows_read)


# -- SFLC.in tracker JSON --------------------------------------------------------------------
@register
class SFLCOutagesReader(Reader):
    name = "outages-json"
    platform = None
    description = "SFLC.in Internet Shutdowns Tracker JSON (India): shutdown start days"
    kind = "outages"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.outages_json(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        data = load_json_text(path, read_text_strict(path))
        if not isinstance(data, list):
            raise InputError(path, "expected a JSON list of shutdowns", "$")
        outages: list[Outage] = []
        rejects: list[Reject] = []
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                rejects.append(Reject(jpath(i), "not a JSON object", excerpt(json.dumps(item))))
                continue
            try:
                start, _ = day_start(item.get("date"), "date")
            except OutageError as exc:
                rejects.append(Reject(jpath(i, exc.column), str(exc),
                                      excerpt(json.dumps(item, ensure_ascii=False))))
                continue
            listed = item.get("districts")
            districts = listed if isinstance(listed, list) else []
            state = str(item.get("state:name") or "").strip()
            region = ", ".join([state] + [str(d) for d in districts if d]) or None
            nets = item.get("networksAffected")
            platforms = _platforms_in(nets)
            outages.append(Outage(
                outage_id=f"sflc:{i}:{item.get('date')}", country="IN", start_at=start,
                end_at=start + timedelta(days=1), end_known=False,
                scope=tuple(platforms) or ("internet",), region=region,
                kind=str(item.get("nature") or "").strip() or None,
                source=str(item.get("source") or "").strip() or None))
        if progress:
            progress(path.stat().st_size)
        yield Batch(outages=outages, rejects=rejects, rows_read=len(data))


# -- the simple CSV --------------------------------------------------------------------------
@register
class OutagesCSVReader(Reader):
    name = "outages-csv"
    platform = None
    description = "outages CSV (country, region, start, end, scope[, kind, source])"
    kind = "outages"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["outages-csv"](path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        outages: list[Outage] = []
        rejects: list[Reject] = []
        rows = 0
        for line, row, fields in read_records(path, options, {}, ("country", "start"), progress):
            rows += 1
            if isinstance(row, Reject):
                rejects.append(row)
                continue
            try:
                start, _ = day_start(row.get("start"), "start", options.assume_tz)
                end = (_end(row["end"], "end", options.assume_tz)
                       if (row.get("end") or "").strip() else None)
                if end is not None and end <= start:
                    raise OutageError("end", "end is not after start")
                scope = tuple(PLATFORM_NAMES.get(s.strip().lower(), s.strip().lower())
                              for s in (row.get("scope") or "").split(";") if s.strip())
                country = country_code(row.get("country"))
            except OutageError as exc:
                rejects.append(Reject(f"line {line}, column {exc.column}", str(exc),
                                      excerpt(",".join(fields))))
                continue
            region = (row.get("region") or "").strip() or None
            outages.append(Outage(
                outage_id=_id("csv", country, region, start, end, scope), country=country,
                start_at=start, end_at=end, scope=scope or ("internet",), region=region,
                kind=(row.get("kind") or "").strip() or None,
                source=(row.get("source") or "").strip() or None))
        yield Batch(outages=outages, rejects=rejects, rows_read=rows)
