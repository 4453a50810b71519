"""The Google Play CSV's columnar path (ingest/review_columns.py) gives the same posts and
attributes as the row-by-row definition (app_reviews.play_review), and a chunk it cannot
take goes row by row with each bad row explained."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from builders import assert_same_columns
from govwatch.ingest.app_reviews import (
    PLAY_ALIASES,
    GooglePlayCSVReader,
    _Reviews,
    play_review,
)
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.csv_records import read_records
from govwatch.ingest.review_columns import play_columns

from govwatch.records import attributes_table

HEADER = ["reviewId", "userName", "content", "score", "thumbsUpCount", "reviewCreatedVersion",
          "at", "replyContent", "repliedAt", "appVersion"]


def _play_csv(path: Path, n: int, zone_hours: float = 0.0) -> None:
    """Reviews in 2025 (local times, no offset), 80% replied, some replies older than the
    edited review, empty versions and likes here and there."""
    rng = random.Random(5)
    t0 = datetime(2025, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(n):
            t = t0 + timedelta(minutes=37 * i)
            replied = i % 5 != 0
            back = -2 if i % 17 == 0 else rng.uniform(0.1, 72)
            w.writerow([f"gp:{i}", "A Google user", f"  review {i} text ", str(1 + i % 5),
                        "" if i % 7 == 0 else str(i % 11), "" if i % 4 == 0 else "2.1",
                        t.strftime("%Y-%m-%d %H:%M:%S"),
                        "Thank you" if replied else "",
                        (t + timedelta(hours=back)).strftime("%Y-%m-%d %H:%M:%S")
                        if replied else "", "2.2"])


def _rows(path: Path) -> list[tuple]:
    return list(read_records(path, ReadOptions(), PLAY_ALIASES, ("reviewid", "at", "text")))


def _reference(path: Path, options: ReadOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = _Reviews("google-play")
    for _, row, _ in _rows(path):
        play_review(out, row, options)
    batch = out.batch([], 0)
    return batch.posts, attributes_table(batch.attributes).to_pandas()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "Europe/Berlin"])
def test_play_columns_equal_the_row_definition(tmp_path, zone):
    path = tmp_path / "play.csv"
    _play_csv(path, 500)
    options = ReadOptions(app_id="gov.example.app", assume_tz=zone)
    fast = play_columns([row for _, row, _ in _rows(path)], "google-play", options)
    assert fast is not None
    ref_posts, ref_attrs = _reference(path, options)
    assert_same_columns(fast[0], ref_posts)
    assert_same_columns(fast[1].to_pandas(), ref_attrs)
    assert (fast[1].to_pandas()["flag"] == "reply_predates_message").sum() > 0


def test_a_chunk_with_a_bad_row_goes_row_by_row(tmp_path):
    path = tmp_path / "play.csv"
    _play_csv(path, 20)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[3] = "6"  # no such star rating
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = ReadOptions(app_id="gov.example.app", assume_tz="UTC")
    assert play_columns([row for _, row, _ in _rows(path)], "google-play", options) is None
    (batch,) = GooglePlayCSVReader().read(path, options)
    assert [(r.locator, r.reason) for r in batch.rejects] == [
        ("line 4, column score", "rating '6' is not a whole number of stars 1-5")]
    assert batch.rows_read == 20 and "gp:2" not in set(batch.posts["post_id"])
