"""Complaint tickets (Open311 requests, Lapor!/SP4N, CPGRAMS-style queues) as posts.

A ticket is an inbound message to the agency responsible for it; the agency's first
public status note or acknowledgement is its *response*; the closure is its
*resolution*. Each becomes a post, so that the analysis pairs them as it pairs a
public reply with its answer:

- the ticket: ``post_id`` = the ticket id, ``author`` = ``requester-<ticket id>``
  (ticket systems publish no requester; each ticket is its own requester),
  ``in_reply_to_author`` = the agency (an official account when the accounts file
  names it), ``created_at`` = the submission time;
- the acknowledgement: ``<ticket id>#ack``, by the agency, replying to the ticket;
- the closure: ``<ticket id>#closed``, by the agency, replying to the ticket. When no
  acknowledgement precedes it, the closure is also the first response.

``message_attributes`` marks all three with the channel ``complaint_ticket``, the
ticket's status and category, and the acknowledgement/closure as ``acknowledged`` /
``closed`` (what analysis/channels.py reads as the resolution). A time that is not
after the submission is never a response (no negative latency): the ticket is kept,
flagged ``acknowledged_before_request`` or ``closed_before_request``.

This module also reads the hand-writable tickets CSV (``--format tickets-csv``; see
docs/formats.md), whose headers a ``--mapping`` file renames from any ticket system's,
in bounded memory (ingest/ticket_columns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from govwatch.records import Batch, MessageAttributes, Post, Reject, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .jsonio import parse_utc
from .registry import register

CHANNEL = "complaint_ticket"
# Bulk-update trap: closure times of at least BULK_MIN_TICKETS tickets and BULK_MIN_SHARE of
# all tickets fall within BULK_WINDOW, while the same tickets were submitted over at least
# BULK_MIN_SPREAD (10th to 90th percentile): a system re-touching old tickets at once, not
# an agency answering them.
BULK_WINDOW = timedelta(hours=48)
BULK_MIN_TICKETS = 10
BULK_MIN_SHARE = 0.3
BULK_MIN_SPREAD = timedelta(days=30)
BATCH_TICKETS = 20_000


@dataclass
class Ticket:
    platform: str
    ticket_id: str
    agency: str
    submitted_at: datetime
    text: str = ""
    category: str | None = None
    status: str | None = None
    ack_at: datetime | None = None
    ack_text: str | None = None
    closed_at: datetime | None = None
    closed_text: str | None = None
    # The time a dump says the ticket was last updated, when it stands for the closure
    # (checked for the bulk-update trap before it is used).
    updated_at: datetime | None = None
    flag: str | None = None

    @property
    def requester(self) -> str:
        return f"requester-{self.ticket_id}"

    def records(self) -> tuple[list[Post], list[MessageAttributes]]:
        p, tid = self.platform, self.ticket_id
        flag = self.flag
        posts = [Post(p, tid, self.requester, self.submitted_at, self.text, kind="post",
                      in_reply_to_author=self.agency)]
        attrs: list[MessageAttributes] = []
        ack = self.ack_at
        if ack is not None and ack <= self.submitted_at:
            flag, ack = flag or "acknowledged_before_request", None
        closed = self.closed_at
        if closed is not None and closed <= self.submitted_at:
            flag, closed = flag or "closed_before_request", None
        if ack is not None and (closed is None or ack < closed):
            posts.append(Post(p, f"{tid}#ack", self.agency, ack, self.ack_text or "",
                              kind="reply", in_reply_to_post_id=tid,
                              in_reply_to_author=self.requester))
            attrs.append(MessageAttributes(p, f"{tid}#ack", CHANNEL, status="acknowledged",
                                           category=self.category))
        if closed is not None:
            posts.append(Post(p, f"{tid}#closed", self.agency, closed, self.closed_text or "",
                              kind="reply", in_reply_to_post_id=tid,
                              in_reply_to_author=self.requester))
            attrs.append(MessageAttributes(p, f"{tid}#closed", CHANNEL, status="closed",
                                           category=self.category))
        attrs.insert(0, MessageAttributes(p, tid, CHANNEL, status=self.status,
                                          category=self.category, flag=flag))
        return posts, attrs


def bulk_window(tickets: list[Ticket]) -> tuple[datetime, datetime] | None:
    """The 48-hour window holding the closure times of a bulk update, if any.

    Closure times are the recorded closures, or the last-update times that stand for
    them. The window is the densest 48 hours of those times; it is a bulk update when it
    holds at least BULK_MIN_TICKETS tickets and BULK_MIN_SHARE of all tickets, submitted
    over at least BULK_MIN_SPREAD (10th-90th percentile of their submission times).
    """
    timed: list[tuple[datetime, datetime]] = sorted(
        (closure, t.submitted_at) for t in tickets
        if (closure := t.closed_at or t.updated_at) is not None)
    if len(timed) < BULK_MIN_TICKETS:
        return None
    best, best_i, j = 0, 0, 0
    for i in range(len(timed)):
        while timed[i][0] - timed[j][0] > BULK_WINDOW:
            j += 1
        if i - j + 1 > best:
            best, best_i = i - j + 1, j
    if best < BULK_MIN_TICKETS or best < BULK_MIN_SHARE * len(tickets):
        return None
    inside = timed[best_i: best_i + best]
    submitted = sorted(s for _, s in inside)
    spread = submitted[int(0.9 * (len(submitted) - 1))] - submitted[int(0.1 * (len(submitted) - 1))]
    if spread < BULK_MIN_SPREAD:
        return None
    return inside[0][0], inside[-1][0]


def apply_bulk_window(tickets: list[Ticket]) -> tuple[datetime, datetime] | None:
    """Flag the tickets whose closure falls in a bulk update (``bulk_update``).

    A last-update time in the window is not used as the closure (nor as a response);
    a closure the system recorded as such (a "closed" note) is kept but flagged."""
    window = bulk_window(tickets)
    if window is None:
        for t in tickets:
            if t.closed_at is None and t.updated_at is not None:
                t.closed_at = t.updated_at
        return None
    lo, hi = window
    for t in tickets:
        if t.closed_at is not None:
            if lo <= t.closed_at <= hi:
                t.flag = t.flag or "bulk_update"
        elif t.updated_at is not None:
            if lo <= t.updated_at <= hi:
                t.flag = t.flag or "bulk_update"
            else:
                t.closed_at = t.updated_at
    return window


def ticket_batches(tickets: list[Ticket], rejects: list[Reject], rows_read: int
                   ) -> Iterator[Batch]:
    """Batches of the posts and attributes of ``tickets`` (bulk updates flagged first)."""
    apply_bulk_window(tickets)
    if not tickets:
        yield Batch(rejects=rejects, rows_read=rows_read)
        return
    for start in range(0, len(tickets), BATCH_TICKETS):
        posts: list[Post] = []
        attrs: list[MessageAttributes] = []
        for t in tickets[start: start + BATCH_TICKETS]:
            p, a = t.records()
            posts.extend(p)
            attrs.extend(a)
        first = start == 0
        yield Batch(posts=posts_frame(posts), attributes=attrs,
                    rejects=rejects if first else [], rows_read=rows_read if first else 0)


def clean_text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# The hand-writable tickets CSV ----------------------------------------------------------
TICKET_REQUIRED = sniffers.TICKET_REQUIRED
TICKET_OPTIONAL = ("text", "category", "status", "acknowledged_at", "acknowledgement_text",
                   "closed_at", "closure_text", "system")


class TicketRowError(ValueError):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column


def _time(row: dict, column: str, options: ReadOptions, required: bool = False):
    value = row.get(column)
    if value is None or not value.strip():
        if required:
            raise TicketRowError(column, f"{column} is empty")
        return None
    try:
        return parse_utc(value, options.assume_tz, options.ambiguous_time)
    except ValueError as exc:
        raise TicketRowError(column, f"{column}: {exc}") from None


def ticket_from_row(row: dict, options: ReadOptions, default_system: str) -> Ticket:
    """A Ticket from a row keyed by canonical names; TicketRowError says what is wrong."""
    tid = clean_text(row.get("ticket_id"))
    if tid is None:
        raise TicketRowError("ticket_id", "ticket_id is empty")
    agency = clean_text(row.get("agency"))
    if agency is None:
        raise TicketRowError("agency", "agency is empty (who is the ticket addressed to?)")
    text = row.get("text") or ""
    if len(text) > MAX_TEXT_CHARS:
        raise TicketRowError("text", f"text longer than {MAX_TEXT_CHARS:,} characters")
    return Ticket(
        platform=(clean_text(row.get("system")) or default_system).lower(),
        ticket_id=tid, agency=agency,
        submitted_at=_time(row, "submitted_at", options, required=True),
        text=text, category=clean_text(row.get("category")),
        status=(clean_text(row.get("status")) or "").lower() or None,
        ack_at=_time(row, "acknowledged_at", options),
        ack_text=clean_text(row.get("acknowledgement_text")),
        closed_at=_time(row, "closed_at", options),
        closed_text=clean_text(row.get("closure_text")),
    )


@register
class TicketsCSVReader(Reader):
    name = "tickets-csv"
    platform = None  # the 'system' column, else "tickets"
    description = ("complaint tickets CSV (ticket_id, agency, submitted_at[, acknowledged_at, "
                   "closed_at, text, category, status, ...]); --mapping renames other systems'")
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["tickets-csv"](path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        from .ticket_columns import read_ticket_columns

        return read_ticket_columns(path, options, {},
                                   lambda row, o: ticket_from_row(row, o, "tickets"), "tickets",
                                   False, progress)
