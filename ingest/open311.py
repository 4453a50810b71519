"""Readers for Open311 GeoReport v2 service requests (JSON and CSV), as complaint tickets.

Accepted JSON: an array of requests (``GET /requests.json``), several such arrays in a
list, or an object holding one under ``service_requests`` or ``requests``. Accepted CSV:
a header row with the GeoReport field names (``service_request_id``,
``requested_datetime``, ...). Each request is a ticket (ingest/tickets.py):

- the agency it is addressed to is ``agency_responsible``, else its ``service_name``
  (Boston publishes no agency: each service queue is then an account); name those in the
  accounts file (platform ``open311``) to make them official;
- the response is the first official note after the request in Chicago-style
  ``notes`` (any type but ``opened`` and ``submitted``), the resolution the ``closed``
  note; without notes, a closed request's ``updated_datetime`` is its closure (and first
  response) and ``status_notes`` its text;
- the bulk-update trap (ingest/tickets.py, ``bulk_window``): a last-update time in a
  bulk update is never taken as the city's answer; such requests are flagged
  ``bulk_update`` and stay unanswered unless their notes say otherwise;
- a request without ``service_request_id`` (status ``submitted``: not yet accepted by the
  city) or without a readable ``requested_datetime`` is rejected with its JSON path.

Request ids are unique within one city's system: keep two cities' dumps apart with
``--format tickets-csv`` and a ``system`` column, or in separate stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.records import Batch, Reject, excerpt

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .jsonio import jpath, load_json_text, parse_utc, read_text_strict
from .registry import register
from .tickets import (
    Ticket,
    TicketRowError,
    clean_text,
    ticket_batches,
    ticket_from_row,
)

PLATFORM = "open311"
_NOT_OFFICIAL_NOTES = ("opened", "submitted")
# Open311 CSV header -> the tickets CSV's canonical names.
CSV_ALIASES = {
    "service_request_id": "ticket_id",
    "requested_datetime": "submitted_at",
    "updated_datetime": "updated_at",
    "status_notes": "closure_text",
    "description": "text",
    "service_name": "category",
    "agency_responsible": "agency",
}


def _id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return clean_text(value)


def request_ticket(req: dict, i: int, options: ReadOptions, rejects: list[Reject]
                   ) -> Ticket | None:
    """One request as a Ticket, or None with a reject (notes that cannot be read are
    rejected one by one, the request kept)."""
    raw = json.dumps(req, ensure_ascii=False)
    tid = _id(req.get("service_request_id"))
    if tid is None:
        status = req.get("status")
        why = (f" (status {status!r}: not yet accepted by the city)" if status else "")
        rejects.append(Reject(jpath(i, "service_request_id"), "no service_request_id" + why,
                              excerpt(raw)))
        return None
    try:
        submitted = parse_utc(req.get("requested_datetime"), options.assume_tz, options.ambiguous_time)
    except ValueError as exc:
        rejects.append(Reject(jpath(i, "requested_datetime"), f"requested_datetime: {exc}",
                              excerpt(raw)))
        return None
    agency = clean_text(req.get("agency_responsible")) or clean_text(req.get("service_name"))
    if agency is None:
        rejects.append(Reject(jpath(i, "agency_responsible"),
                              "neither agency_responsible nor service_name names the agency",
                              excerpt(raw)))
        return None
    description = req.get("description")
    text = description if isinstance(description, str) else ""
    if len(text) > MAX_TEXT_CHARS:
        rejects.append(Reject(jpath(i, "description"),
                              f"text longer than {MAX_TEXT_CHARS:,} characters", excerpt(raw)))
        return None
    status = (clean_text(req.get("status")) or "").lower() or None
    t = Ticket(PLATFORM, tid, agency, submitted, text, clean_text(req.get("service_name")),
               status)
    notes = req.get("notes")
    if isinstance(notes, list) and notes:
        _from_notes(t, notes, i, options, rejects)
    elif status == "closed":
        t.closed_text = clean_text(req.get("status_notes"))
        try:
            t.updated_at = parse_utc(req.get("updated_datetime"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            rejects.append(Reject(jpath(i, "updated_datetime"),
                                  f"updated_datetime: {exc} (request kept, closure unknown)",
                                  excerpt(raw)))
    return t


def _from_notes(t: Ticket, notes: list, i: int, options: ReadOptions,
                rejects: list[Reject]) -> None:
    for j, note in enumerate(notes):
        if not isinstance(note, dict):
            rejects.append(Reject(jpath(i, "notes", j), "note is not a JSON object",
                                  excerpt(json.dumps(note))))
            continue
        kind = note.get("type")
        if kind in _NOT_OFFICIAL_NOTES:
            continue
        try:
            at = parse_utc(note.get("datetime"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            rejects.append(Reject(jpath(i, "notes", j, "datetime"), f"note time: {exc}",
                                  excerpt(json.dumps(note, ensure_ascii=False))))
            continue
        text = clean_text(note.get("description")) or clean_text(note.get("summary"))
        if kind == "closed" and t.closed_at is None:
            t.closed_at, t.closed_text = at, text
        if at > t.submitted_at and (t.ack_at is None or at < t.ack_at):
            t.ack_at, t.ack_text = at, text


def _requests(data: object) -> Iterator[tuple[int, object]]:
    if isinstance(data, dict):
        for key in ("service_requests", "requests"):
            if isinstance(data.get(key), list):
                yield from enumerate(data[key])
                return
        yield 0, data
        return
    if isinstance(data, list):
        if data and all(isinstance(x, list) for x in data):  # several pages
            n = 0
            for page in data:
                for req in page:
                    yield n, req
                    n += 1
            return
        yield from enumerate(data)


@register
class Open311Reader(Reader):
    name = "open311"
    platform = PLATFORM
    description = "Open311 GeoReport v2 service requests (JSON), as complaint tickets"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.open311(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        data = load_json_text(path, read_text_strict(path))
        if progress:
            progress(path.stat().st_size)
        tickets: list[Ticket] = []
        rejects: list[Reject] = []
        rows = 0
        for i, req in _requests(data):
            rows += 1
            if not isinstance(req, dict):
                rejects.append(Reject(jpath(i), "request is not a JSON object",
                                      excerpt(json.dumps(req))))
                continue
            t = request_ticket(req, i, options, rejects)
            if t is not None:
                tickets.append(t)
        yield from ticket_batches(tickets, rejects, rows)


def _csv_ticket(row: dict, options: ReadOptions) -> Ticket:
    if not clean_text(row.get("agency")):
        row["agency"] = row.get("category")
    t = ticket_from_row(row, options, PLATFORM)
    if t.status == "closed" and t.closed_at is None and clean_text(row.get("updated_at")):
        try:
            t.updated_at = parse_utc(row["updated_at"], options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise TicketRowError("updated_datetime", f"updated_datetime: {exc}") from None
    return t


@register
class Open311CSVReader(Reader):
    name = "open311-csv"
    platform = PLATFORM
    description = "Open311 GeoReport v2 service requests (CSV with the GeoReport field names)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["open311-csv"](path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        from .ticket_columns import read_ticket_columns

        return read_ticket_columns(path, options, CSV_ALIASES, _csv_ticket, PLATFORM, True,
                                   progress)
