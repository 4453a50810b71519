"""The ticket CSVs' columnar path (ingest/ticket_columns.py) gives the same posts and
attributes as the ticket-by-ticket definition (tickets.Ticket.records after
apply_bulk_window), bulk-update trap included, and reads in chunks."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import assert_same_columns
from govwatch.ingest import ticket_columns as tc
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.csv_records import read_records
from govwatch.ingest.open311 import CSV_ALIASES, PLATFORM, _csv_ticket
from govwatch.ingest.tickets import (
    TICKET_REQUIRED,
    Ticket,
    apply_bulk_window,
    bulk_window,
    ticket_from_row,
)

from govwatch.records import attributes_table, posts_frame

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small" / "tickets.csv"


def _reference(path: Path, aliases: dict, row_ticket) -> tuple[pd.DataFrame, pd.DataFrame]:
    tickets = [row_ticket(row, ReadOptions())
               for _, row, _ in read_records(path, ReadOptions(), aliases, TICKET_REQUIRED)]
    apply_bulk_window(tickets)
    posts, attrs = [], []
    for t in tickets:
        p, a = t.records()
        posts += p
        attrs += a
    return posts_frame(posts), attributes_table(attrs).to_pandas()


def _columnar(path: Path, aliases: dict, row_ticket, system: str, open311: bool):
    batches = list(tc.read_ticket_columns(path, ReadOptions(), aliases, row_ticket, system,
                                          open311, None))
    posts = pd.concat([b.posts for b in batches], ignore_index=True)
    attrs = pd.concat([b.attributes.to_pandas() for b in batches], ignore_index=True)
    return posts, attrs, batches


def _open311_csv(path: Path, n: int, bulk: bool) -> None:
    """Requests over a year; with ``bulk``, half of them 'closed' by one update in March."""
    rng = random.Random(3)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["service_request_id", "requested_datetime", "updated_datetime", "status",
                    "status_notes", "service_name", "agency_responsible", "description"])
        for i in range(n):
            t = t0 + timedelta(hours=rng.uniform(0, 24 * 365))
            closed = i % 2 == 0
            upd = (datetime(2025, 3, 1, 3, tzinfo=UTC) + timedelta(minutes=i) if bulk and closed
                   else t + timedelta(hours=rng.uniform(-2, 300)))
            w.writerow([f"R{i}", t.isoformat(), upd.isoformat(), "closed" if closed else "open",
                        "Case resolved" if closed else "", rng.choice(["Pothole", "Graffiti"]),
                        "" if i % 3 == 0 else "Public Works", f"request {i}"])


@pytest.mark.parametrize("bulk", [True, False])
def test_open311_csv_columns_equal_the_ticket_records(tmp_path, bulk, monkeypatch):
    monkeypatch.setattr(tc, "BATCH_TICKETS", 97)  # several chunks
    path = tmp_path / "requests.csv"
    _open311_csv(path, 600, bulk)
    rows = [row for _, row, _ in read_records(path, ReadOptions(), CSV_ALIASES, TICKET_REQUIRED)]
    assert tc.fast_frame(rows, PLATFORM, True) is not None  # the columnar path is the one tested
    posts, attrs, batches = _columnar(path, CSV_ALIASES, _csv_ticket, PLATFORM, True)
    ref_posts, ref_attrs = _reference(path, CSV_ALIASES, _csv_ticket)
    assert_same_columns(posts, ref_posts)
    assert_same_columns(attrs, ref_attrs)
    assert len(batches) == 7 and sum(b.rows_read for b in batches) == 600
    flagged = (attrs["flag"] == "bulk_update").sum()
    assert (flagged == 300) if bulk else (flagged == 0)
    # updates earlier than the request are never answers
    assert ((attrs["flag"] == "closed_before_request").sum() > 0) == (not bulk)


def test_the_sample_queue_columns_equal_the_ticket_records(monkeypatch):
    monkeypatch.setattr(tc, "BATCH_TICKETS", 50)
    posts, attrs, _ = _columnar(SAMPLE, {}, lambda r, o: ticket_from_row(r, o, "tickets"),
                                "tickets", False)
    ref_posts, ref_attrs = _reference(SAMPLE, {}, lambda r, o: ticket_from_row(r, o, "tickets"))
    assert_same_columns(posts, ref_posts)
    assert_same_columns(attrs, ref_attrs)


def test_a_chunk_with_a_bad_row_goes_row_by_row_and_keeps_the_rest(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,agency,submitted_at,closed_at,text\n"
                    "A1,desk,2026-01-01T10:00:00Z,2026-01-02T10:00:00Z,  spaced text \n"
                    "A2,desk,yesterday,,broken time\n"
                    "A3,,2026-01-01T11:00:00Z,,no agency\n"
                    "A4,desk,2026-01-01T12:00:00+05:30,,ok\n", encoding="utf-8")
    rows = [row for _, row, _ in read_records(path, ReadOptions(), {}, TICKET_REQUIRED)]
    assert tc.fast_frame(rows, "tickets", False) is None
    assert tc.fast_frame([rows[0], rows[3]], "tickets", False) is not None
    (batch,) = tc.read_ticket_columns(path, ReadOptions(), {},
                                      lambda r, o: ticket_from_row(r, o, "tickets"), "tickets",
                                      False, None)
    assert [(r.locator, r.reason.split(":")[0]) for r in batch.rejects] == [
        ("line 3, column submitted_at", "submitted_at"),
        ("line 4, column agency", "agency is empty (who is the ticket addressed to?)")]
    assert list(batch.posts["post_id"]) == ["A1", "A1#closed", "A4"]
    assert batch.posts["text"].iloc[0] == "  spaced text "  # the text as written


def test_bulk_window_of_arrays_equals_bulk_window():
    rng = random.Random(11)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for trial in range(60):
        n = rng.randint(5, 80)
        tickets = []
        for i in range(n):
            sub = t0 + timedelta(days=rng.uniform(0, 200))
            if rng.random() < 0.5:
                closure = t0 + timedelta(days=150, hours=rng.uniform(0, 60))
            else:
                closure = sub + timedelta(days=rng.uniform(0.1, 40))
            tickets.append(Ticket("s", f"T{i}", "a", sub,
                                  closed_at=closure if rng.random() < 0.8 else None))
        expected = bulk_window(tickets)
        timed = [t for t in tickets if t.closed_at is not None]
        us = [np.array([int(x.timestamp() * 1e6) for x in v], dtype="int64")
              for v in ([t.closed_at for t in timed], [t.submitted_at for t in timed])]
        got = tc.bulk_window_of(us[0], us[1], len(tickets))
        if expected is None:
            assert got is None, trial
        else:
            assert got == tuple(int(x.timestamp() * 1e6) for x in expected), trial
