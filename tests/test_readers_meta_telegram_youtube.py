"""Facebook DYI, CrowdTangle / Meta Content Library, Telegram and YouTube readers,
through the real import pipeline into a real DuckDB file.

Expected counts are computed here from the raw files, independently of the readers.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import govwatch.ingest.crowdtangle
import govwatch.ingest.facebook
import govwatch.ingest.telegram
import govwatch.ingest.youtube  # noqa: F401  (importing registers the readers)
import pandas as pd
import pytest
from builders import ACCOUNT_HEADER, account, write_csv
from govwatch.analysis.pipeline import run_analysis
from govwatch.ingest import registry
from govwatch.ingest.base import SNIFF_BYTES, ReadOptions
from govwatch.ingest.crowdtangle import parse_abbreviated_times
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures"
FB_POSTS = FIX / "facebook" / "your_posts_1.json"
FB_COMMENTS = FIX / "facebook" / "comments.json"
TG_CHANNEL = FIX / "telegram" / "channel_export" / "result.json"
TG_GROUP = FIX / "telegram" / "discussion_export" / "result.json"
YT_PAGE = FIX / "youtube" / "commentThreads_page1.json"
YT_LINES = FIX / "youtube" / "commentThreads.jsonl"
CT_CSV = FIX / "crowdtangle" / "historical_pages.csv"
MCL_CSV = FIX / "crowdtangle" / "content_library_posts.csv"

OWN_SAMPLES = {
    "facebook": [FB_POSTS, FB_COMMENTS],
    "telegram": [TG_CHANNEL, TG_GROUP],
    "youtube": [YT_PAGE, YT_LINES],
    "crowdtangle": [CT_CSV],
    "meta-content-library": [MCL_CSV],
}
ALL_SAMPLES = [p for paths in OWN_SAMPLES.values() for p in paths]
CHANNEL = "channel1006503122"
YT_OWNER = "UCMoHFW0fficialChannel01"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gw.duckdb") as s:
        yield s


def posts(store: Store, platform: str) -> pd.DataFrame:
    return store.conn.execute(
        "SELECT * FROM posts WHERE platform = ? ORDER BY post_id", [platform]
    ).df().set_index("post_id")


def snapshot(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT * EXCLUDE (import_id, source_file) FROM posts ORDER BY platform, post_id"
    ).fetchall()


def utc(epoch: int | str) -> pd.Timestamp:
    return pd.Timestamp(datetime.fromtimestamp(int(epoch), tz=UTC))


def only_file(summary):
    assert len(summary.files) == 1
    return summary.files[0]


def truncated_copy(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def assert_failed_clearly(store: Store, result, fragment: str) -> None:
    assert result.failed is not None and fragment in result.failed
    status, rejected = store.conn.execute(
        "SELECT status, rejected FROM imports WHERE import_id = ?", [result.import_id]
    ).fetchone()
    assert (status, rejected) == ("failed", 1)
    locator, reason = store.conn.execute(
        "SELECT locator, reason FROM rejects WHERE import_id = ?", [result.import_id]
    ).fetchone()
    assert locator.startswith("line ") and ", column " in locator
    assert fragment in reason
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("name", sorted(OWN_SAMPLES))
def test_sniff_is_true_on_own_samples_and_false_on_the_others(name):
    reader = registry.get(name)
    for path in ALL_SAMPLES:
        head = path.read_bytes()[:SNIFF_BYTES]
        assert reader.sniff(path, head) is (path in OWN_SAMPLES[name]), (name, path.name)


def test_auto_format_picks_exactly_one_reader_for_each_sample():
    for name, paths in OWN_SAMPLES.items():
        for path in paths:
            assert registry.sniff(path).name == name


@pytest.mark.shared
def test_sniff_on_the_real_samples(shared_data):
    fb = shared_data / "facebook_your_posts" / "your_posts_1.json"
    assert registry.sniff(fb).name == "facebook"
    # The real exports in a reader's own format are its samples, not "others".
    own_real = {"telegram": {"telegram_desktop_channel_export"}}
    others = [p for p in shared_data.rglob("*") if p.is_file() and p != fb
              and p.suffix in (".json", ".jsonl", ".js", ".csv")]
    assert others
    for name in OWN_SAMPLES:
        reader = registry.get(name)
        for path in others:
            head = path.read_bytes()[:SNIFF_BYTES]
            own = path.relative_to(shared_data).parts[0] in own_real.get(name, ())
            assert reader.sniff(path, head) is own, (name, path)
    for folder in own_real["telegram"]:
        for path in (shared_data / folder).glob("*.json"):
            assert registry.sniff(path).name == "telegram", path


# --------------------------------------------------------------------------- Facebook


@pytest.mark.shared
def test_facebook_real_export_counts_times_and_mojibake(shared_data, store):
    path = shared_data / "facebook_your_posts" / "your_posts_1.json"
    items = json.loads(path.read_text("utf-8"))
    with_text = [it for it in items if any(d.get("post") for d in it["data"])]
    result = only_file(import_paths(store, [path], fmt="facebook"))
    assert result.rejects == [] and result.failed is None
    assert (result.rows_read, result.posts_added) == (len(items), len(items))
    got = posts(store, "facebook")
    assert len(got) == len(items) == 124 and got["text"].notna().sum() == len(with_text) == 59
    assert set(got["author"]) == {"Hunter Hillis"}
    assert sorted(got["created_at"]) == sorted(utc(it["timestamp"]) for it in items)
    assert str(got["created_at"].dt.tz) == "UTC"
    # A real string written as escaped UTF-8 bytes, repaired to the emoji it encodes.
    raw = next(d["post"] for it in items for d in it["data"]
               if "Lmfao" in d.get("post", ""))
    assert "\u00f0\u009f\u0098\u0082" in raw
    fixed = raw.encode("latin-1").decode("utf-8")
    assert fixed.endswith("Lmfao😂😂")
    assert fixed in set(got["text"].dropna())
    assert not any("\u00f0" in t for t in got["text"].dropna())


def test_facebook_posts_fixture(store):
    items = json.loads(FB_POSTS.read_text("utf-8"))
    result = only_file(import_paths(store, [FB_POSTS], options=ReadOptions(keep_raw=True)))
    assert result.format == "facebook" and result.posts_added == len(items) == 3
    got = posts(store, "facebook").sort_values("created_at")
    assert list(got["author"]) == ["Riverton City Hall"] * 3
    assert list(got["text"][:2]) == ["Road closures on Main St this weekend 🚧",
                                     "Flood map for the São João district"]
    assert pd.isna(got["text"].iloc[2])  # a photo post without text
    assert list(got["created_at"]) == [utc(it["timestamp"]) for it in items]
    assert all(i.startswith("dyi_") for i in got.index)
    assert json.loads(got["raw"].iloc[0]) == items[0]
    assert store.conn.execute(
        "SELECT display_name, official FROM accounts WHERE platform = 'facebook'"
    ).fetchall() == [("Riverton City Hall", False)]


def test_facebook_ids_are_stable_across_reimports_and_overlapping_exports(store, tmp_path):
    import_paths(store, [FB_POSTS])
    before = snapshot(store)
    # The same export again (same bytes) is skipped; a re-download is merged.
    again = only_file(import_paths(store, [FB_POSTS]))
    assert again.skipped_as is not None
    items = json.loads(FB_POSTS.read_text("utf-8"))
    redownload = tmp_path / "your_posts_1_again.json"
    redownload.write_text(json.dumps(items), encoding="utf-8")  # other bytes, same posts
    merged = only_file(import_paths(store, [redownload]))
    assert (merged.posts_added, merged.posts_merged) == (0, 3)
    assert snapshot(store) == before
    # A later export overlapping the first one: only the new post is added.
    newer = items[1:] + [{"timestamp": 1690090000, "data": [{"post": "Roads reopened."}],
                          "title": "Riverton City Hall updated its status."}]
    later = tmp_path / "later_export.json"
    later.write_text(json.dumps(newer), encoding="utf-8")
    overlap = only_file(import_paths(store, [later]))
    assert (overlap.posts_added, overlap.posts_merged) == (1, 2)
    assert len(posts(store, "facebook")) == 4


def test_facebook_broken_record_is_rejected_with_its_json_path(store, tmp_path):
    items = json.loads(FB_POSTS.read_text("utf-8"))
    items[1]["timestamp"] = "yesterday"
    items[2]["data"][0] = {"post": 42}
    path = tmp_path / "your_posts_1.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = only_file(import_paths(store, [path], fmt="facebook"))
    assert result.posts_added == 1
    assert [(r.locator, r.reason) for r in result.rejects] == [
        ("$[1].timestamp", "missing or not a time in epoch seconds"),
        ("$[2].data[0].post", "post text is not a string"),
    ]
    assert store.conn.execute("SELECT locator FROM rejects ORDER BY locator").fetchall() == [
        ("$[1].timestamp",), ("$[2].data[0].post",)]


def test_facebook_comments_file(store):
    raw = json.loads(FB_COMMENTS.read_text("utf-8"))["comments_v2"]
    result = only_file(import_paths(store, [FB_COMMENTS]))
    assert result.format == "facebook" and result.posts_added == len(raw) == 2
    got = posts(store, "facebook").sort_values("created_at")
    assert list(got["kind"]) == ["reply", "comment"]
    assert list(got["text"]) == ["Thank you João, crews are on the way.", "The map is updated."]
    assert list(got["in_reply_to_author"]) == ["João Silva", "Riverton City Hall"]
    assert got["in_reply_to_post_id"].isna().all()
    assert list(got["created_at"]) == [utc(c["timestamp"]) for c in raw]


def test_facebook_truncated_file_fails_clearly(store, tmp_path):
    path = truncated_copy(FB_POSTS, tmp_path / "your_posts_1.json")
    result = only_file(import_paths(store, [path], fmt="facebook"))
    assert_failed_clearly(store, result, "truncated")


def test_facebook_wrong_shape_is_refused(store, tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"likes_v2": []}', encoding="utf-8")
    result = only_file(import_paths(store, [path], fmt="facebook"))
    assert result.failed.startswith("not a Facebook")
    assert result.rejects[0].locator == "$"


# --------------------------------------------------------------------------- CrowdTangle


def csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_crowdtangle_counts_ids_times_and_zone_rejects(store):
    rows = csv_rows(CT_CSV)
    zones = [r["Post Created"].rsplit(" ", 1)[-1] for r in rows]
    readable = [z in ("EST", "EDT", "UTC") for z in zones]
    result = only_file(import_paths(store, [CT_CSV], options=ReadOptions(keep_raw=True)))
    assert result.format == "crowdtangle"
    assert (result.rows_read, result.posts_added) == (len(rows), sum(readable)) == (7, 5)
    assert [(r.locator, r.reason.split(";")[0]) for r in result.rejects] == [
        ("line 7", "Post Created: time zone 'IST' is ambiguous (India +05:30, Israel +02:00 "
                   "or Ireland +01:00)"),
        ("line 8", "Post Created 'yesterday evening' is not an ISO 8601 time"),
    ]
    got = posts(store, "facebook")
    first = got.loc["100064000000001_1000000000000101"]
    assert first["created_at"] == pd.Timestamp("2015-12-01T14:15:00Z")  # 09:15 EST
    assert (first["author"], first["author_id"]) == ("chennaicorp", "100064000000001")
    assert (first["like_count"], first["reply_count"], first["share_count"]) == (120, 45, 30)
    video = got.loc["100064000000002_1000000000000201"]
    assert video["created_at"] == pd.Timestamp("2017-07-09T22:30:00Z")  # 18:30 EDT
    assert video["like_count"] == 1204  # "1,204"
    assert got.loc["100064000000002_1000000000000202", "created_at"] == pd.Timestamp(
        "2017-11-05T05:30:00Z")  # permalink.php?story_fbid=..., 01:30 EDT
    assert got.loc["100064000000001_1000000000000102", "text"] == (
        'Update:\n"Boats deployed in Velachery and Mudichur"')
    assert json.loads(first["raw"])["type"] == "Photo"
    names = dict(store.conn.execute(
        "SELECT author, display_name FROM accounts WHERE platform = 'facebook'").fetchall())
    assert names == {"chennaicorp": "Greater Chennai Corporation",
                     "RailMinIndia": "Ministry of Railways"}


def test_crowdtangle_ambiguous_zone_with_assume_tz(store):
    result = only_file(import_paths(store, [CT_CSV], options=ReadOptions(
        assume_tz="Asia/Kolkata")))
    assert result.posts_added == 6 and [r.locator for r in result.rejects] == ["line 8"]
    got = posts(store, "facebook")
    kosi = got.loc["100064000000003_pfbid02AbCdEfGh123jKlMnOpQ"]
    assert kosi["created_at"] == pd.Timestamp("2021-08-20T04:30:00Z")  # 10:00 IST
    assert kosi["author"] == "100064000000003"  # no User Name: the Facebook Id


def test_abbreviated_times_follow_the_named_zone():
    values = pd.Series(["2017-11-05 01:30:00 EDT", "2017-11-05 01:30:00 EST",
                        "2021-01-10 08:00:00 CST", "2021-01-10 08:00:00 XYZ",
                        "2021-01-10T08:00:00+05:30", None], dtype="string")
    times, reasons = parse_abbreviated_times(values, "America/New_York", "Post Created")
    assert list(times[:2]) == [pd.Timestamp("2017-11-05T05:30:00Z"),
                               pd.Timestamp("2017-11-05T06:30:00Z")]
    assert "'CST' is ambiguous" in reasons[2] and "America/New_York does not use it" in reasons[2]
    assert "unknown time zone abbreviation 'XYZ'" in reasons[3]
    assert times[4] == pd.Timestamp("2021-01-10T02:30:00Z") and reasons[4] == ""
    assert reasons[5] == "Post Created is empty"
    chicago, why = parse_abbreviated_times(values[2:3], "America/Chicago", "Post Created")
    assert chicago.iloc[0] == pd.Timestamp("2021-01-10T14:00:00Z") and why.iloc[0] == ""


def test_crowdtangle_reimport_changes_nothing(store, tmp_path):
    import_paths(store, [CT_CSV])
    before = snapshot(store)
    copy = tmp_path / "download_again.csv"  # other bytes (a trailing blank line), same rows
    copy.write_bytes(CT_CSV.read_bytes() + b"\n")
    again = only_file(import_paths(store, [copy], fmt="crowdtangle"))
    assert (again.posts_added, again.posts_merged) == (0, 5)
    assert snapshot(store) == before


def test_meta_content_library_csv(store):
    rows = csv_rows(MCL_CSV)
    result = only_file(import_paths(store, [MCL_CSV]))
    assert result.format == "meta-content-library"
    assert (result.rows_read, result.posts_added) == (len(rows), 3)
    assert [r.locator for r in result.rejects] == ["line 4"]
    assert "no UTC offset" in result.rejects[0].reason
    got = posts(store, "facebook")
    assert got.loc["901234567890124", "created_at"] == utc(rows[1]["creation_time"])
    assert got.loc["901234567890123", "created_at"] == pd.Timestamp("2024-05-10T08:00:00Z")
    assert got.loc["901234567890126", "kind"] == "repost"
    assert got.loc["901234567890126", "author"] == "1000640000000022"
    assert got.loc["901234567890123", "like_count"] == 250
    assert list(got.loc["901234567890124", "mentions"]) == []


# --------------------------------------------------------------------------- Telegram


def tg_messages(path: Path) -> list[dict]:
    return json.loads(path.read_text("utf-8"))["messages"]


def test_telegram_channel_and_discussion_group(store):
    channel, group = tg_messages(TG_CHANNEL), tg_messages(TG_GROUP)
    summary = import_paths(store, [TG_CHANNEL, TG_GROUP], fmt="telegram")
    assert summary.rejected == 0
    for f, msgs in zip(summary.files, (channel, group), strict=True):
        assert f.rows_read == len(msgs)
        assert f.posts_added == sum(m["type"] == "message" for m in msgs)
    got = posts(store, "telegram")
    assert len(got) == 3 + 11
    # Channel posts: by the channel, times from date_unixtime, entity text flattened.
    post3 = got.loc["1006503122/3"]
    assert (post3["author"], post3["kind"]) == (CHANNEL, "post")
    assert post3["created_at"] == utc(channel[2]["date_unixtime"])
    assert post3["text"] == ("Heavy rain warning for the Kosi basin. Follow #FloodAlert "
                             "updates and call 1070 in an emergency.")
    assert post3["like_count"] == 15
    # Discussion group: the channel's copies, comments on them, the channel's answers.
    assert got.loc["1850000001/102", ["author", "kind"]].tolist() == [CHANNEL, "repost"]
    comment = got.loc["1850000001/103"]
    assert comment[["kind", "author", "in_reply_to_post_id", "in_reply_to_author",
                    "conversation_id"]].tolist() == [
        "comment", "user5001", "1850000001/102", CHANNEL, "1850000001/102"]
    assert comment["created_at"] == pd.Timestamp("2024-07-01T09:00:00Z")
    answer = got.loc["1850000001/107"]
    assert answer[["kind", "author", "in_reply_to_post_id", "in_reply_to_author",
                   "conversation_id"]].tolist() == [
        "reply", CHANNEL, "1850000001/103", "user5001", "1850000001/102"]
    assert got.loc["1850000001/106", "mentions"] == ["waterministry"]
    dangling = got.loc["1850000001/111"]
    assert (dangling["in_reply_to_post_id"], dangling["kind"]) == ("1850000001/57", "reply")
    assert pd.isna(dangling["in_reply_to_author"])
    assert got.loc["1850000001/112", "kind"] == "repost"  # forwarded by a member
    names = dict(store.conn.execute(
        "SELECT author, display_name FROM accounts WHERE platform = 'telegram'").fetchall())
    assert names[CHANNEL] == "Ministry of Water Resources" and names["user5001"] == "Asha Devi"


def test_telegram_whole_account_export_links_comments_to_the_channel_post(store, tmp_path):
    channel = json.loads(TG_CHANNEL.read_text("utf-8"))
    group = json.loads(TG_GROUP.read_text("utf-8"))
    whole = {"about": "Here is the data you requested. Telegram Desktop export.",
             "personal_information": {"user_id": 9, "first_name": "Analyst"},
             "chats": {"about": "This page lists all chats from this export.",
                       "list": [channel, group]}}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(whole, ensure_ascii=False, indent=1), encoding="utf-8")
    result = only_file(import_paths(store, [path]))
    assert result.format == "telegram" and result.rejects == []
    got = posts(store, "telegram")
    # The two automatic forwards are the channel posts themselves: not stored twice.
    assert len(got) == 3 + 11 - 2
    assert "1850000001/102" not in got.index and "1850000001/105" not in got.index
    assert got.loc["1850000001/103", ["in_reply_to_post_id", "conversation_id"]].tolist() == [
        "1006503122/2", "1006503122/2"]
    assert got.loc["1850000001/106", "in_reply_to_post_id"] == "1006503122/3"
    assert got.loc["1850000001/113", "conversation_id"] == "1006503122/3"


def test_telegram_broken_message_is_rejected_and_the_rest_kept(store, tmp_path):
    doc = json.loads(TG_GROUP.read_text("utf-8"))
    doc["messages"][3]["date_unixtime"] = "soon"
    doc["messages"][5]["text"] = 7
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = only_file(import_paths(store, [path], fmt="telegram"))
    assert [(r.locator, r.reason) for r in result.rejects] == [
        ("$.messages[3].date_unixtime", "date_unixtime is not epoch seconds"),
        ("$.messages[5].text", "not a string or a list of text parts"),
    ]
    assert result.posts_added == 11 - 2


def test_telegram_truncated_export_fails_clearly(store, tmp_path):
    path = truncated_copy(TG_GROUP, tmp_path / "result.json")
    result = only_file(import_paths(store, [path], fmt="telegram"))
    assert_failed_clearly(store, result, "truncated")


def test_telegram_reimport_changes_nothing(store, tmp_path):
    import_paths(store, [TG_CHANNEL, TG_GROUP])
    before = snapshot(store)
    doc = json.loads(TG_GROUP.read_text("utf-8"))
    copy = tmp_path / "result.json"
    copy.write_text(json.dumps(doc), encoding="utf-8")
    again = only_file(import_paths(store, [copy]))
    assert (again.posts_added, again.posts_merged) == (0, 11)
    assert snapshot(store) == before


# --------------------------------------------------------------------------- YouTube


def yt_comments(path: Path) -> list[dict]:
    """Every comment (top-level and reply) of a saved response file."""
    text = path.read_text("utf-8")
    docs = [json.loads(line) for line in text.splitlines() if line.strip()] \
        if path.suffix == ".jsonl" else [json.loads(text)]
    out = []
    for doc in docs:
        for t in doc["items"]:
            out.append(t["snippet"]["topLevelComment"])
            out.extend(t.get("replies", {}).get("comments", []))
    return out


def test_youtube_threads_replies_and_addressing(store):
    comments = yt_comments(YT_PAGE)
    result = only_file(import_paths(store, [YT_PAGE]))
    assert result.format == "youtube" and result.rejects == []
    assert (result.rows_read, result.posts_added) == (len(comments), len(comments)) == (5, 5)
    got = posts(store, "youtube")
    assert sorted(got["created_at"]) == sorted(
        pd.Timestamp(c["snippet"]["publishedAt"]) for c in comments)
    t1 = "UgxT1aaaaaaaaaaaaaaa4AaABAg"
    top = got.loc[t1]
    assert top[["kind", "author", "in_reply_to_post_id", "in_reply_to_author",
                "conversation_id", "like_count", "reply_count"]].tolist() == [
        "comment", "UCasha00000000000000000a", "vid0000001a", YT_OWNER, t1, 14, 3]
    assert top["url"] == f"https://www.youtube.com/watch?v=vid0000001a&lc={t1}"
    official = got.loc[t1 + ".A0r1aaaaaaa"]  # "@asha-k ...": addressed to the parent
    assert official[["kind", "author", "in_reply_to_post_id", "in_reply_to_author"]].tolist() \
        == ["reply", YT_OWNER, t1, "UCasha00000000000000000a"]
    followup = got.loc[t1 + ".A0r2bbbbbbb"]  # "@MinistryOfHealthIN ...": to another replier
    assert pd.isna(followup["in_reply_to_post_id"])
    assert (followup["in_reply_to_author"], followup["conversation_id"]) == (YT_OWNER, t1)
    second = got.loc[t1 + ".A0r3ccccccc"]  # "@ben_r ...": the official answers the follow-up
    assert pd.isna(second["in_reply_to_post_id"])
    assert second["in_reply_to_author"] == "UCbenr00000000000000000b"
    names = dict(store.conn.execute(
        "SELECT author, display_name FROM accounts WHERE platform = 'youtube'").fetchall())
    assert names[YT_OWNER] == "@MinistryOfHealthIN" and len(names) == 4


def test_youtube_json_lines_are_streamed(store):
    comments = yt_comments(YT_LINES)
    result = only_file(import_paths(store, [YT_LINES]))
    assert result.format == "youtube" and result.posts_added == len(comments) == 3
    got = posts(store, "youtube")
    assert got.loc["UgzT3ccccccccccccccc4AaABAg", "text"] == (
        "Tap water in Sector 4 is brown & smells\nPlease test it")  # from textDisplay HTML
    assert got.loc["UgwT4dddddddddddddddd4AaABAg", "text"].endswith("😊")


def test_youtube_broken_records_are_rejected_with_their_paths(store, tmp_path):
    doc = json.loads(YT_PAGE.read_text("utf-8"))
    doc["items"][0]["replies"]["comments"][1]["snippet"]["publishedAt"] = "yesterday"
    path = tmp_path / "page.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = only_file(import_paths(store, [path], fmt="youtube"))
    assert [(r.locator, r.reason) for r in result.rejects] == [
        ("$.items[0].replies.comments[1].snippet.publishedAt",
         "missing, or not an ISO 8601 time with a zone")]
    assert result.posts_added == 4
    # JSON Lines: a cut-off last line is one rejected line, the first response is kept.
    lines = YT_LINES.read_text("utf-8").splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(lines[0] + "\n" + lines[1][:200] + "\n", encoding="utf-8")
    result = only_file(import_paths(store, [cut], fmt="youtube"))
    assert result.posts_added == 2
    assert [r.locator for r in result.rejects] == ["line 2"]
    assert result.rejects[0].reason.startswith("invalid JSON")


def test_youtube_truncated_response_fails_clearly(store, tmp_path):
    path = truncated_copy(YT_PAGE, tmp_path / "page.json")
    result = only_file(import_paths(store, [path], fmt="youtube"))
    assert_failed_clearly(store, result, "truncated")


def test_youtube_reimport_changes_nothing(store, tmp_path):
    import_paths(store, [YT_PAGE, YT_LINES])
    before = snapshot(store)
    copy = tmp_path / "page_again.json"
    copy.write_text(json.dumps(json.loads(YT_PAGE.read_text("utf-8"))), encoding="utf-8")
    again = only_file(import_paths(store, [copy]))
    assert (again.posts_added, again.posts_merged) == (0, 5)
    assert snapshot(store) == before


# --------------------------------------------------------------------------- analysis


def analysed(store: Store, tmp_path: Path, platform: str, author: str) -> dict:
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [
        account(author, platform=platform, country="IN", timezone="Asia/Kolkata")])
    summary = import_paths(store, [accounts], kind="accounts")
    assert summary.rejected == 0
    run_analysis(store)
    rows = store.conn.execute(
        "SELECT message_id, official_author, response_id, latency_hours, censored "
        "FROM responses WHERE platform = ? ORDER BY message_id", [platform]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_analysis_finds_the_telegram_channels_answers(store, tmp_path):
    import_paths(store, [TG_CHANNEL, TG_GROUP])
    got = analysed(store, tmp_path, "telegram", CHANNEL)
    assert got == {
        "1850000001/103": (CHANNEL, "1850000001/107", pytest.approx(2.5), False),
        "1850000001/104": (CHANNEL, None, None, True),
        "1850000001/106": (CHANNEL, "1850000001/113", pytest.approx(26.0), False),
        "1850000001/108": (CHANNEL, None, None, True),
    }


def test_analysis_finds_the_youtube_channels_answers(store, tmp_path):
    import_paths(store, [YT_PAGE])
    got = analysed(store, tmp_path, "youtube", YT_OWNER)
    t1 = "UgxT1aaaaaaaaaaaaaaa4AaABAg"
    assert got == {
        t1: (YT_OWNER, t1 + ".A0r1aaaaaaa", pytest.approx(3.5), False),
        t1 + ".A0r2bbbbbbb": (YT_OWNER, t1 + ".A0r3ccccccc", pytest.approx(24.0), False),
        "UgyT2bbbbbbbbbbbbbbb4AaABAg": (YT_OWNER, None, None, True),
    }
