"""Instagram Graph API comments: a city account's posts, the public's comments and the
account's replies, read from the documented responses and timed like any reply."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from builders import ACCOUNT_HEADER, account, write_csv
from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
from govwatch.ingest import registry
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.instagram import InstagramReader
from govwatch.ingest.pipeline import import_file

from govwatch.errors import InputError
from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures" / "instagram"
CITY = "almaty_city_invented"


def _read(path: Path, options: ReadOptions | None = None):
    batches = list(InstagramReader().read(path, options or ReadOptions()))
    posts = [p for b in batches for p in b.posts.to_dict("records")]
    return posts, [r for b in batches for r in b.rejects], batches


def test_media_comments_and_replies():
    assert registry.sniff(FIX / "media_comments.json").name == "instagram"
    posts, rejects, batches = _read(FIX / "media_comments.json")
    by_id = {p["post_id"]: p for p in posts}
    assert len(posts) == 5 and sum(b.rows_read for b in batches) == 7
    assert by_id["17900000000000001"]["author"] == CITY
    assert by_id["17900000000000001"]["url"] == "https://www.instagram.com/p/Cinvented1/"
    comment = by_id["17910000000000001"]
    assert (comment["kind"], comment["in_reply_to_post_id"], comment["in_reply_to_author"]) == (
        "comment", "17900000000000001", CITY)
    answer = by_id["17910000000000002"]
    assert (answer["kind"], answer["in_reply_to_post_id"], answer["author"]) == (
        "reply", "17910000000000001", CITY)
    assert {r.locator: r.reason for r in rejects} == {
        "$.data[0].comments.data[2].timestamp": "timestamp: time is missing",
        "$.data[0].comments.data[3].id": "id is missing",
    }


def test_comments_of_one_post_need_the_account(tmp_path):
    with pytest.raises(InputError, match="--owner HANDLE"):
        _read(FIX / "post_comments.json")
    posts, rejects, _ = _read(FIX / "post_comments.json", ReadOptions(owner=CITY))
    assert not rejects
    assert [(p["kind"], p["in_reply_to_author"]) for p in posts] == [
        ("comment", CITY), ("reply", "dana_invented")]
    bad = tmp_path / "bad.json"
    bad.write_text('{"paging": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="no data list"):
        _read(bad)


def test_latencies_equal_the_raw_times(tmp_path):
    db = tmp_path / "s.duckdb"
    accounts = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER,
                         [account(CITY, platform="instagram", country="KZ")])
    with Store(db) as store:
        import_file(store, accounts, "accounts-csv")
        import_file(store, FIX / "media_comments.json", "instagram")
        import_file(store, FIX / "post_comments.json", "instagram", ReadOptions(owner=CITY))
        run_analysis(store, AnalysisSettings())
    con = duckdb.connect(str(db), read_only=True)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, response_id, latency_hours, censored, channel FROM responses"
    ).fetchall()}
    # 07:00 -> 09:30 and 10:00 -> 10:45; the pothole comment is unanswered (censored)
    assert got["17910000000000001"] == ("17910000000000002", 2.5, False, "comment")
    assert got["17920000000000001"] == ("17920000000000002", 0.75, False, "comment")
    assert got["17910000000000004"][2] is True
    assert "17910000000000003" not in got  # "Thanks!" replies to a citizen, not the city
