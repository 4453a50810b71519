"""A record whose nested part has the wrong JSON type (a string where an object belongs, a
list where an id belongs) is rejected or read as absent, naming where; the import goes on
and keeps every other record (it used to stop with a Python traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_file

from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures" / "channels"


def _post_view(n: int, reply: object = None) -> dict:
    record: dict = {"$type": "app.bsky.feed.post", "text": f"post {n}",
                    "createdAt": "2024-01-01T00:00:00Z"}
    if reply is not None:
        record["reply"] = reply
    return {"uri": f"at://did:plc:abc/app.bsky.feed.post/{n}", "cid": str(n),
            "author": {"did": "did:plc:abc", "handle": "a.bsky.social"}, "record": record,
            "indexedAt": "2024-01-01T00:00:00Z"}


def test_a_bluesky_reply_whose_parent_is_not_an_object_is_rejected(tmp_path):
    feed = {"feed": [{"post": _post_view(1, {"parent": "oops", "root": 5})},
                     {"post": _post_view(2, {"parent": ["x"], "root": {}})},
                     {"post": _post_view(3)}]}
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    with Store(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, "bluesky")
        posts = store.conn.execute("SELECT post_id FROM posts").fetchall()
    assert [(r.locator, r.reason) for r in result.rejects] == [
        ("$.feed[0].post.record.reply.parent.uri", "reply names no parent uri"),
        ("$.feed[1].post.record.reply.parent.uri", "reply names no parent uri")]
    assert posts == [("at://did:plc:abc/app.bsky.feed.post/3",)]


def test_app_store_reviews_with_malformed_links_and_relationships_keep_the_rest(tmp_path):
    page = json.loads((FIX / "appstore_customer_reviews.json").read_text())
    page["links"] = "not an object"
    page["data"][1]["relationships"] = "not an object"
    page["data"][0]["relationships"]["response"] = ["not", "an", "object"]
    page["included"].append({"type": "customerReviewResponses", "id": ["unhashable"],
                             "attributes": {"responseBody": "x"}})
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(page))
    with Store(tmp_path / "s.duckdb") as store:
        result = import_file(store, path, "app-store",
                             ReadOptions(assume_tz="UTC", app_id="1234567890"))
    assert [x.locator for x in result.rejects] == ["$.data[2].attributes.createdDate"]
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        posts = con.execute("SELECT post_id, kind FROM posts ORDER BY post_id").fetchall()
    # as-1's response link is malformed: the review is kept without its reply
    assert [p for p, _ in posts] == ["as-1", "as-2"]
    assert {k for _, k in posts} == {"post"}


def test_a_youtube_thread_with_malformed_parts_reads_as_unpublished():
    from govwatch.ingest.collect.youtube import _published

    assert _published({"snippet": "not an object"}) == ""
    assert _published({"snippet": {"topLevelComment": ["x"]}}) == ""
    assert _published({"snippet": {"topLevelComment": {"snippet": {
        "publishedAt": "2024-01-01T00:00:00Z"}}}}) == "2024-01-01T00:00:00Z"
