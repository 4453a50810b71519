"""Real Telegram, Bluesky and railway samples: every record is kept or rejected with a reason."""

from __future__ import annotations

import ast
import csv
import json
import re
from datetime import UTC, datetime

import duckdb
import pytest
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_file
from govwatch.ingest.tweet_repr import repair_newlines

from govwatch.store import Store

pytestmark = pytest.mark.shared


def _import(tmp_path, path, fmt="auto", options=None):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        result = import_file(store, path, fmt, options)
    return duckdb.connect(str(db), read_only=True), result


def test_railway_csv_ids_come_from_the_urls(tmp_path, shared_data):
    path = shared_data / "india_railways_twitter" / "raw data.csv"
    con, result = _import(tmp_path, path, "mapped", ReadOptions(mapping_file="apify_twitter"))
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert result.rows_read == len(rows) == 110 and not result.rejects
    assert {r["id"] for r in rows} <= {"1.80E+18"}  # what the spreadsheet left of the ids
    want = {re.search(r"/status/(\d+)", r["twitterUrl"]).group(1): r for r in rows}
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT post_id, author, created_at, in_reply_to_author FROM posts").fetchall()}
    assert set(got) == set(want) and len(got) == 102  # 8 repeated rows stored once
    for pid, r in want.items():
        author, created, to = got[pid]
        assert author == r["twitterUrl"].split("/")[3]
        assert created == datetime.strptime(r["createdAt"], "%a %b %d %H:%M:%S %z %Y")
        lead = re.match(r"\s*@(\w+)", r["text"])
        assert to == (lead.group(1) if lead else None)
    assert sum(1 for a, *_ in got.values() if a == "RailwaySeva") >= 40


def test_damaged_python_dump_imports_what_parses(tmp_path, shared_data):
    path = shared_data / "india_railways_twitter" / "dt.txt"
    con, result = _import(tmp_path, path)
    assert result.format == "tweet-repr" and result.rows_read == 20 and not result.rejects
    pair = dict(con.execute("SELECT author, created_at FROM posts WHERE author IN "
                            "('VAIBHAVGUPTA73', 'drmncrald')").fetchall())
    assert (pair["drmncrald"] - pair["VAIBHAVGUPTA73"]).total_seconds() == 7 * 60 + 42
    (link,) = con.execute("SELECT in_reply_to_post_id FROM posts WHERE author = 'drmncrald'"
                          ).fetchone()
    assert link == "1778924340219920529"
    # Independently: split, repair line breaks inside strings, literal_eval.
    text = path.read_text("utf-8")
    ids = {ast.literal_eval(repair_newlines(p))["id_str"]
           for p in re.split(r"\n(?=\{'bookmark_count')", text)}
    assert {r[0] for r in con.execute("SELECT post_id FROM posts").fetchall()} == ids

    # Cut the dump short and garble one record: the rest still imports, each loss has a reason.
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("{'bookmark_count'")]
    lines[starts[3]] = lines[starts[3]].replace("'created_at':", "'created_at'", 1)
    damaged = tmp_path / "damaged.txt"
    damaged.write_text("\n".join(lines)[: len(text) - 300], encoding="utf-8")
    (tmp_path / "damaged").mkdir()
    con2, r2 = _import(tmp_path / "damaged", damaged)
    assert r2.rows_read == 20
    assert [x.locator for x in r2.rejects] == [f"line {starts[3] + 1}", f"line {starts[-1] + 1}"]
    assert all(x.reason.startswith("not a Python dict literal") for x in r2.rejects)
    assert con2.execute("SELECT count(*) FROM posts").fetchone()[0] == 18


@pytest.mark.parametrize("name", ["bluesky-posts.json", "bluesky-firehose-posts.json",
                                  "bluesky-tap-posts.json"])
def test_bluesky_lists_every_item_kept_or_rejected(tmp_path, shared_data, name):
    path = shared_data / "bluesky_twitwi_fixtures" / name
    items = json.loads(path.read_text("utf-8"))
    con, result = _import(tmp_path, path)
    assert result.format == "bluesky-records" and result.rows_read == len(items)
    stored = {r[0] for r in con.execute("SELECT post_id FROM posts").fetchall()}
    rejected = {int(re.match(r"\$\[(\d+)\]", x.locator).group(1)) for x in result.rejects}
    for i, item in enumerate(items):
        if "commit" in item:
            uri = f"at://{item['did']}/app.bsky.feed.post/{item['commit']['rkey']}"
        elif item.get("type") == "record":
            uri = f"at://{item['record']['did']}/app.bsky.feed.post/{item['record']['rkey']}"
        else:
            uri = (item.get("post") or item)["uri"]
        assert (uri in stored) != (i in rejected), (i, uri)
    if name == "bluesky-posts.json":
        assert [(x.locator, x.reason) for x in result.rejects] == [
            ("$[122].record.createdAt",
             "createdAt: '0000-10-14T15:06:10.730Z' is not an ISO 8601 time")]
    # nanosecond precision in the firehose is read to the microsecond
    if name == "bluesky-firehose-posts.json":
        first = items[0]
        (t,) = con.execute("SELECT created_at FROM posts WHERE post_id LIKE ?",
                           [f"%{first['commit']['rkey']}"]).fetchone()
        assert t == datetime(2025, 12, 5, 10, 16, 59, 783492, tzinfo=UTC)


@pytest.mark.parametrize("name", ["pachum_result.json", "result__messages_500-619.json"])
def test_telegram_exports_keep_every_message(tmp_path, shared_data, name):
    path = shared_data / "telegram_desktop_channel_export" / name
    doc = json.loads(path.read_text("utf-8"))
    con, result = _import(tmp_path, path)
    assert result.format == "telegram" and not result.rejects
    assert result.rows_read == len(doc["messages"])
    messages = {str(m["id"]) for m in doc["messages"] if m["type"] == "message"}
    stored = {r[0] for r in con.execute("SELECT post_id FROM posts").fetchall()}
    assert stored == {f"{doc['id']}/{m}" for m in messages}
    # service messages (a pinned message, a created channel) are not posts: left out
    assert len(doc["messages"]) - len(messages) == (1 if name.startswith("result") else 0)
