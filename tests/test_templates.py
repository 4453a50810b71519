"""Template replies and replies that do not fit their message."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from builders import account, analysed_store, write_csv
from govwatch.analysis.templates import group_texts, normalise
from govwatch.ingest.base import ReadOptions


def test_greeting_names_numbers_and_links_are_masked():
    a = normalise("Hi Vijay,\nPlease call 1800224344 or see https://x.y/z")
    b = normalise("Hi Sunil,\nPlease call 1800111222 or see https://a.b/c")
    assert a == b == "hi <name> please call 0 or see <url>"
    assert group_texts(["Hi Vijay, thanks for writing to us today about it.",
                        "Hi Asha, thanks for writing to us today about it!",
                        "Your refund was sent on Monday."]) == [0, 0, 1]


def test_registered_without_follow_up_and_template_share(tmp_path):
    t0 = datetime(2024, 6, 18, 10, tzinfo=UTC)
    rows = []
    for i in range(5):
        t = t0 + timedelta(hours=i)
        rows.append(["x", f"m{i}", f"citizen{i}", t.isoformat(), "@RailwaySeva AC not working",
                     ""])
        rows.append(["x", f"r{i}", "RailwaySeva", (t + timedelta(minutes=5)).isoformat(),
                     f"@citizen{i} Your complaint has been registered on RailMadad and complaint "
                     f"no. {2406180000 + i} has been sent through SMS.", f"m{i}"])
    # message m0 is followed up later; the others are not
    rows.append(["x", "f0", "RailwaySeva", (t0 + timedelta(hours=9)).isoformat(),
                 "@citizen0 The AC was repaired at Kanpur.", "m0"])
    rows.append(["x", "m9", "citizen9", t0.isoformat(), "@RailwaySeva thanks", ""])
    rows.append(["x", "r9", "RailwaySeva", (t0 + timedelta(hours=1)).isoformat(),
                 "@citizen9 We are glad we could help.", "m9"])
    posts = write_csv(tmp_path / "posts.csv", ["platform", "post_id", "author", "created_at", "text",
                                             "in_reply_to_post_id"], rows)
    db, _ = analysed_store(tmp_path, [account("RailwaySeva", country="IN",
                                              timezone="Asia/Kolkata",
                                              institution="Ministry of Railways")],
                           [(posts, "csv")])
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT message_id, mismatch FROM reply_templates").fetchall())
    assert got == {"m0": None, "m1": "registered_without_follow_up",
                   "m2": "registered_without_follow_up", "m3": "registered_without_follow_up",
                   "m4": "registered_without_follow_up", "m9": None}
    use = con.execute("SELECT responses, template_responses, templates, template_share, "
                      "registered_without_follow_up FROM template_use").fetchone()
    assert use == (6, 5, 1, pytest.approx(5 / 6), 4)


@pytest.mark.shared
def test_satusehat_templates_and_the_positive_thanks_to_a_one_star_review(tmp_path,
                                                                        shared_data):
    path = (shared_data / "satusehat_mobilejkn_playstore"
            / "review_mobile_jkn_satusehat_clean__sample.csv")
    raw = list(csv.DictReader(open(path, encoding="utf-8")))
    db, _ = analysed_store(tmp_path, [
        account(a, platform="google-play", country="ID", timezone="Asia/Jakarta", institution=a)
        for a in sorted({r["app_id"] for r in raw})],
        [(path, "google-play", ReadOptions(assume_tz="Asia/Jakarta"))])
    con = duckdb.connect(str(db), read_only=True)
    share, templates, misfits = con.execute(
        "SELECT template_share, templates, positive_thanks_to_low_rating FROM template_use "
        "WHERE official_author = 'com.telkom.tracencare'").fetchone()
    assert share >= 0.8 and templates >= 2
    want = {r["reviewId"] for r in raw if r["app_id"] == "com.telkom.tracencare"
            and int(r["rating"]) <= 2 and "ulasan positif" in r["replyContent"].lower()}
    flagged = {m for (m,) in con.execute(
        "SELECT message_id FROM reply_templates WHERE mismatch = "
        "'positive_thanks_to_low_rating'").fetchall()}
    assert flagged == want and len(want) == 1 and misfits == 1
