"""X/Twitter readers through the real pipeline into real DuckDB files.

Expected numbers are computed here from the raw files with ``json`` (never by
calling the readers); hand-written fixtures live in tests/fixtures/twitter/.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import govwatch.ingest.twitter_json  # noqa: F401  (registers twitter-v1/-v2 until listed in the registry)
import govwatch.ingest.x_archive  # noqa: F401  (registers x-archive)
import pytest
from govwatch.ingest import archive, registry
from govwatch.ingest.base import SNIFF_BYTES, ReadOptions
from govwatch.ingest.pipeline import import_paths
from govwatch.ingest.twitter_rules import unescape_text

from govwatch.errors import InputError
from govwatch.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "twitter"
TWITTER_EPOCH_MS = 1288834974657


# -- independent expectations (plain json and datetime, no reader code) ------------------------
def tweets_js(path: Path) -> list[dict]:
    text = path.read_text("utf-8")
    return [e["tweet"] for e in json.loads(text[text.index("["):])]


def twitter_time(value: str) -> datetime:
    return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)


def iso_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def id_time(post_id: str) -> datetime:
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def missing_parents(tweets: list[dict]) -> set[str]:
    ids = {t["id_str"] for t in tweets}
    return {
        t["in_reply_to_status_id_str"] for t in tweets
        if t.get("in_reply_to_status_id_str") and t["in_reply_to_status_id_str"] not in ids
        and (t.get("in_reply_to_screen_name") or t.get("in_reply_to_user_id_str"))
    }


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def v2_tweets(lines: list[dict]) -> dict[str, dict]:
    """Every tweet object in twarc2 output (pages or flattened), by id; data before includes."""
    out: dict[str, dict] = {}
    for obj in lines:
        if "data" in obj:
            found = obj["data"] + obj.get("includes", {}).get("tweets", [])
        else:
            found = [obj] + [r for r in obj.get("referenced_tweets", []) if "created_at" in r]
        for t in found:
            out.setdefault(t["id"], t)
    return out


# -- store access ------------------------------------------------------------------------------
@pytest.fixture
def stores(tmp_path):
    opened: list[Store] = []

    def make(name: str = "gw.duckdb") -> Store:
        store = Store(tmp_path / name)
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()


def ingest(store: Store, path: Path, fmt: str = "auto", **opts):
    summary = import_paths(store, [path], fmt=fmt, options=ReadOptions(**opts))
    assert len(summary.files) == 1
    return summary.files[0]


def row(store: Store, post_id: str) -> dict:
    cur = store.conn.execute("SELECT * FROM posts WHERE post_id = ?", [post_id])
    names = [d[0] for d in cur.description]
    values = cur.fetchone()
    assert values is not None, f"post {post_id} not stored"
    return dict(zip(names, values, strict=True))


def scalar(store: Store, sql: str, params=None):
    return store.conn.execute(sql, params or []).fetchone()[0]


def snapshot(store: Store, exclude: str = "") -> list[tuple]:
    cols = "* EXCLUDE (" + exclude + ")" if exclude else "*"
    return store.conn.execute(f"SELECT {cols} FROM posts ORDER BY platform, post_id").fetchall()


def rejects(store: Store) -> list[tuple[str, str]]:
    return store.conn.execute("SELECT locator, reason FROM rejects ORDER BY locator").fetchall()


# -- X archive: the real tweets.js ------------------------------------------------------------
@pytest.mark.shared
def test_x_archive_real_tweets_js(shared_data, stores):
    path = shared_data / "x_archive_tweets_js" / "tweets.js"
    tweets = tweets_js(path)
    stubs = missing_parents(tweets)
    store = stores()
    result = ingest(store, path, keep_raw=True)
    assert (result.format, result.failed, result.rejected) == ("x-archive", None, 0)
    assert result.rows_read == len(tweets) == 2045
    assert scalar(store, "SELECT count(*) FROM posts") == len(tweets) + len(stubs)
    assert scalar(store, "SELECT count(*) FROM posts WHERE created_at_derived") == len(stubs)
    assert scalar(store, "SELECT count(*) FROM posts WHERE kind = 'reply'") == sum(
        1 for t in tweets if t.get("in_reply_to_status_id_str"))
    assert scalar(store, "SELECT count(*) FROM posts WHERE kind = 'repost'") == sum(
        1 for t in tweets if t["full_text"].startswith("RT @"))

    # the owner comes from manifest.js beside tweets.js
    assert store.conn.execute(
        "SELECT author, display_name, official FROM accounts").fetchall() == [
        ("milahu104", "Milan Hauth", False)]

    # a few posts picked from the file: times in UTC, reply links, counts, url
    by_id = {t["id_str"]: t for t in tweets}
    for t in (tweets[0], tweets[1000], tweets[-1]):
        r = row(store, t["id_str"])
        assert r["created_at"] == twitter_time(t["created_at"])
        assert r["in_reply_to_post_id"] == t.get("in_reply_to_status_id_str")
        assert r["like_count"] == int(t["favorite_count"])
        assert r["share_count"] == int(t["retweet_count"])
        assert r["author"] == "milahu104" and r["created_at_derived"] is False
        assert r["url"] == f"https://x.com/milahu104/status/{t['id_str']}"
        assert json.loads(r["raw"]) == t
    first = row(store, "2029905358261502168")
    assert first["created_at"] == datetime(2026, 3, 6, 13, 2, 5, tzinfo=UTC)
    assert first["in_reply_to_post_id"] == "2029903943413772741"
    assert first["kind"] == "reply" and first["mentions"] == ["SamaHoole"]

    # HTML escapes undone
    escaped = next(t for t in tweets if "&amp;" in t["full_text"] or "&gt;" in t["full_text"])
    text = row(store, escaped["id_str"])["text"]
    assert "&amp;" not in text and "&gt;" not in text
    assert text == escaped["full_text"].replace("&gt;", ">").replace("&lt;", "<").replace(
        "&amp;", "&")

    # a stub for a parent that is not in the archive: time from the id, author from the reply
    child = next(t for t in tweets if t.get("in_reply_to_status_id_str") in stubs
                 and t.get("in_reply_to_screen_name") != "milahu104")
    stub = row(store, child["in_reply_to_status_id_str"])
    assert stub["author"] == child["in_reply_to_screen_name"]
    assert stub["text"] is None and stub["kind"] == "post" and stub["created_at_derived"] is True
    assert stub["created_at"] == id_time(child["in_reply_to_status_id_str"])
    assert stub["created_at"] < twitter_time(child["created_at"])

    # a self-thread: the parent is in the archive, so it keeps its real time
    thread = next(t for t in tweets if t.get("in_reply_to_status_id_str") in by_id)
    parent = row(store, thread["in_reply_to_status_id_str"])
    assert parent["created_at_derived"] is False and parent["text"] is not None


@pytest.mark.shared
def test_x_archive_zip_and_folder_give_the_same_rows(shared_data, stores, tmp_path):
    folder = shared_data / "x_archive_tweets_js"
    zpath = tmp_path / "twitter-2026-03-06.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("tweets.js", "manifest.js", "README.txt"):
            zf.write(folder / name, f"twitter-2026-03-06/data/{name}")
        zf.writestr("twitter-2026-03-06/Your archive.html", "<html></html>")
    assert registry.sniff(zpath).name == "x-archive"

    from_file, from_zip = stores("file.duckdb"), stores("zip.duckdb")
    assert ingest(from_file, folder / "tweets.js").rejected == 0
    result = ingest(from_zip, zpath)
    assert (result.format, result.failed, result.rejected) == ("x-archive", None, 0)
    assert snapshot(from_zip, "source_file") == snapshot(from_file, "source_file")

    # the extracted folder (read directly: the pipeline expands folders into files)
    reader = registry.get("x-archive")
    assert reader.sniff(folder, b"")
    ids = set()
    for batch in reader.read(folder, ReadOptions()):
        ids |= set(batch.posts["post_id"].to_pylist())
    assert ids == {r[1] for r in snapshot(from_file)}


@pytest.mark.shared
def test_reimport_changes_nothing(shared_data, stores, tmp_path):
    path = shared_data / "x_archive_tweets_js" / "tweets.js"
    store = stores()
    ingest(store, path)
    before = snapshot(store)
    again = ingest(store, path)
    assert again.skipped_as is not None
    # the same archive as a zip: every post merges, none is added or changed
    zpath = tmp_path / "archive.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, "data/tweets.js")
        zf.write(path.parent / "manifest.js", "data/manifest.js")
    result = ingest(store, zpath)
    assert result.posts_added == 0 and result.posts_merged == len(before)
    assert snapshot(store) == before
    assert scalar(store, "SELECT count(*) FROM accounts") == 1


@pytest.mark.shared
def test_lone_tweets_js_learns_the_owner_from_a_thread(shared_data, stores, tmp_path):
    lone = tmp_path / "tweets.js"
    shutil.copy(shared_data / "x_archive_tweets_js" / "tweets.js", lone)
    tweets = tweets_js(lone)
    self_reply = next(t for t in tweets if t.get("in_reply_to_status_id_str") in
                      {x["id_str"] for x in tweets})
    store = stores()
    assert ingest(store, lone).rejected == 0
    assert scalar(store, "SELECT DISTINCT author FROM posts WHERE NOT created_at_derived") == (
        self_reply["in_reply_to_screen_name"])
    assert scalar(store, "SELECT DISTINCT author_id FROM posts WHERE NOT created_at_derived") == (
        self_reply["in_reply_to_user_id_str"])


def test_lone_part_without_owner_is_refused(stores, tmp_path):
    lone = tmp_path / "tweets-part1.js"
    shutil.copy(FIXTURES / "x_archive" / "data" / "tweets-part1.js", lone)
    store = stores()
    result = ingest(store, lone)
    assert "cannot tell whose archive this is" in result.failed
    assert scalar(store, "SELECT count(*) FROM posts") == 0


@pytest.mark.shared
def test_truncated_tweets_js_keeps_complete_entries(shared_data, stores, tmp_path):
    text = (shared_data / "x_archive_tweets_js" / "tweets.js").read_text("utf-8")
    starts = [m.start() + 1 for m in re.finditer(r'\n  \{\n    "tweet" :', text)]
    k = 1000
    cut = starts[k] + 400
    assert cut < starts[k + 1]
    bad = tmp_path / "tweets.js"
    bad.write_text(text[:cut], "utf-8")
    store = stores()
    result = ingest(store, bad)
    assert result.failed is None
    assert scalar(store, "SELECT count(*) FROM posts WHERE NOT created_at_derived") == k
    line = text.count("\n", 0, starts[k]) + 1
    [(locator, reason)] = rejects(store)
    assert locator == f"line {line}, column 3"
    assert "cut off" in reason and "$[1000]" in reason


@pytest.mark.shared
def test_invalid_entries_are_rejected_and_reading_resumes(shared_data, stores, tmp_path):
    text = (shared_data / "x_archive_tweets_js" / "tweets.js").read_text("utf-8")
    tweets = tweets_js(shared_data / "x_archive_tweets_js" / "tweets.js")
    starts = [m.start() + 1 for m in re.finditer(r'\n  \{\n    "tweet" :', text)]
    # entry 10: an invalid literal; entry 20: the tweet object's closing brace is missing
    at = text.index('"favorited" : false', starts[10]) + len('"favorited" : ')
    brace = text.rindex("\n    }\n", starts[20], starts[21])
    broken = (text[:at] + "fals" + text[at + len("false"):brace]
              + text[brace + len("\n    }"):])
    bad = tmp_path / "tweets.js"
    bad.write_text(broken, "utf-8")
    store = stores()
    result = ingest(store, bad)
    assert result.failed is None
    kept = {r[0] for r in store.conn.execute(
        "SELECT post_id FROM posts WHERE NOT created_at_derived").fetchall()}
    assert kept == {t["id_str"] for i, t in enumerate(tweets) if i not in (10, 20)}
    first, second = sorted(rejects(store), key=lambda r: int(r[0].split()[1].rstrip(",")))
    at = broken.index("fals,")
    line, col = broken.count("\n", 0, at) + 1, at - broken.rfind("\n", 0, at)
    assert first[0] == f"line {line}, column {col}"
    assert "$[10] is not valid JSON" in first[1] and "skipped to the next entry" in first[1]
    assert "$[20] is not valid JSON" in second[1] and "skipped to the next entry" in second[1]


def test_not_an_archive_file_is_an_input_error(tmp_path):
    path = tmp_path / "tweets.js"
    path.write_text('var tweets = [{"tweet": {}}]', "utf-8")
    with pytest.raises(InputError, match="not an X archive data file") as exc:
        list(registry.get("x-archive").read(path, ReadOptions()))
    assert exc.value.locator == "line 1, column 1"


# -- X archive: the hand-written archive (account.js, two parts) -----------------------------
def test_handwritten_archive_zip(stores, tmp_path):
    zpath = tmp_path / "minwater.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((FIXTURES / "x_archive").rglob("*.js")):
            zf.write(f, f.relative_to(FIXTURES / "x_archive").as_posix())
    store = stores()
    result = ingest(store, zpath)
    assert (result.format, result.rows_read, result.rejected) == ("x-archive", 6, 0)
    # 6 tweets in two parts + 2 stubs (a citizen's question; an own post under an old handle)
    assert scalar(store, "SELECT count(*) FROM posts") == 8
    assert store.conn.execute("SELECT author, display_name FROM accounts").fetchall() == [
        ("MinWater", "Ministry of Water")]
    # account.js's e-mail address is never stored
    for table in ("posts", "accounts", "rejects", "imports"):
        assert "example.org" not in str(store.conn.execute(f"SELECT * FROM {table}").fetchall())
    answer = row(store, "1134756478972854289")
    assert answer["text"] == (
        "@citizen_a Tankers reach Ward 14 by 4 pm & the pipeline repair ends <48 h>.")
    assert (answer["kind"], answer["in_reply_to_author"], answer["author_id"]) == (
        "reply", "citizen_a", "1500000001")
    question = row(store, "1134735205462966289")
    assert (question["author"], question["author_id"], question["created_at_derived"]) == (
        "citizen_a", "2000000002", True)
    assert question["created_at"] == id_time("1134735205462966289")
    # the reply names the account's old handle; the id says it is the owner's own post
    old = row(store, "1134100000000000000")
    assert (old["author"], old["created_at_derived"]) == ("MinWater", True)
    assert row(store, "1134800000000000000")["in_reply_to_author"] == "MinWater"
    # a thread whose first post is in the archive: no stub, real time
    assert row(store, "1134519911838646289")["created_at_derived"] is False
    assert row(store, "1134781636408246289")["kind"] == "repost"
    quote = row(store, "1134900000000000000")
    assert (quote["kind"], quote["lang"]) == ("quote", None)  # 'qme' names no language


def test_archive_part_reject_names_the_member(stores, tmp_path):
    folder = tmp_path / "archive"
    shutil.copytree(FIXTURES / "x_archive", folder)
    part = folder / "data" / "tweets-part1.js"
    part.write_text(part.read_text("utf-8").replace(
        "Sat Jun 01 19:10:20 +0000 2019", "2019-06-01 19:10"), "utf-8")
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(folder.rglob("*.js")):
            zf.write(f, f.relative_to(folder).as_posix())
    store = stores()
    result = ingest(store, zpath)
    assert result.posts_added == 7
    [(locator, reason)] = rejects(store)
    assert locator == "data/tweets-part1.js: $[1].tweet.created_at"
    assert "'2019-06-01 19:10' is not a Twitter time" in reason


# -- zip safety --------------------------------------------------------------------------------
def _tiny_archive(zf: zipfile.ZipFile) -> None:
    zf.writestr("data/tweets.js", (FIXTURES / "x_archive" / "data" / "tweets.js").read_text())
    zf.writestr("data/account.js", (FIXTURES / "x_archive" / "data" / "account.js").read_text())


def test_zip_with_escaping_member_is_refused(stores, tmp_path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        _tiny_archive(zf)
        zf.writestr("../evil.sh", "rm -rf ~")
    with pytest.raises(InputError) as exc:
        list(registry.get("x-archive").read(zpath, ReadOptions()))
    assert str(zpath) in str(exc.value) and "'../evil.sh'" in str(exc.value)
    assert "climbs out of the archive" in exc.value.reason
    store = stores()
    result = ingest(store, zpath)
    assert "climbs out of the archive" in result.failed
    assert scalar(store, "SELECT count(*) FROM posts") == 0
    assert not (tmp_path.parent / "evil.sh").exists()


def test_zip_bomb_is_refused(stores, tmp_path):
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/tweets.js", b"window.YTD.tweets.part0 = [" + b" " * (8 << 20) + b"]")
        zf.writestr("data/account.js", (FIXTURES / "x_archive" / "data" / "account.js").read_text())
    info = zipfile.ZipFile(zpath).getinfo("data/tweets.js")
    assert info.file_size / info.compress_size > 200
    with pytest.raises(InputError, match="zip bomb") as exc:
        list(registry.get("x-archive").read(zpath, ReadOptions()))
    assert exc.value.locator == "data/tweets.js" and exc.value.file == str(zpath)
    result = ingest(stores(), zpath)
    assert "zip bomb" in result.failed


def test_zip_symlink_member_is_refused(tmp_path):
    zpath = tmp_path / "link.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        _tiny_archive(zf)
        link = zipfile.ZipInfo("data/README.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        archive.safe_members(zpath)


@pytest.mark.parametrize("name, reason", [
    ("/etc/passwd", "absolute"),
    ("\\windows\\system.ini", "absolute"),
    ("C:/Windows/win.ini", "drive"),
    ("data/../../etc/passwd", "climbs out"),
    ("data\\..\\..\\boot.ini", "climbs out"),
])
def test_unsafe_member_names(name, reason):
    assert reason in archive.unsafe_reason(zipfile.ZipInfo(name))


def test_member_limits(tmp_path):
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/tweets.js", b"x" * 5000)
        zf.writestr("data/tweets-part1.js", b"y" * 5000)
    assert archive.find_member(zpath, "tweets.js") == "data/tweets.js"
    assert archive.find_member(zpath, "account.js") is None
    small = archive.ZipLimits(member_bytes=4000)
    with pytest.raises(InputError, match="over the 4,000-byte limit"):
        archive.open_member(zpath, "data/tweets.js", small)
    pair = archive.ZipLimits(total_bytes=9000)
    with pytest.raises(InputError, match="together"):
        archive.check_members(zpath, ["data/tweets.js", "data/tweets-part1.js"], pair)
    with archive.open_member(zpath, "data/tweets-part1.js") as f:
        assert f.read() == b"y" * 5000


# -- twarc2 / API v2 -------------------------------------------------------------------------
@pytest.mark.shared
@pytest.mark.parametrize("name", ["brexit", "noflat", "media_policy_violation_off", "two_tweets"])
def test_twarc2_pages(shared_data, stores, name):
    path = shared_data / "twarc2_api_v2_jsonl" / f"{name}.jsonl"
    lines = jsonl(path)
    tweets = v2_tweets(lines)
    users = {u["id"]: u for obj in lines for u in obj.get("includes", {}).get("users", [])}
    store = stores()
    result = ingest(store, path)
    assert (result.format, result.failed, result.rejected) == ("twitter-v2", None, 0)
    assert scalar(store, "SELECT count(*) FROM posts") == len(tweets)
    assert scalar(store, "SELECT count(*) FROM accounts") == len(
        {u["username"] for u in users.values()})
    stored = {r[0]: r[1:] for r in store.conn.execute(
        "SELECT post_id, created_at, in_reply_to_post_id, author, author_id, kind, "
        "in_reply_to_author FROM posts").fetchall()}
    for tid, t in tweets.items():
        created, reply_to, author, author_id, kind, reply_author = stored[tid]
        refs = {r["type"]: r["id"] for r in t.get("referenced_tweets", [])}
        assert created == iso_time(t["created_at"])
        assert reply_to == refs.get("replied_to")
        assert author_id == t["author_id"]
        assert author == users.get(t["author_id"], {}).get("username", t["author_id"])
        if "retweeted" in refs:
            assert kind == "repost"
        uid = t.get("in_reply_to_user_id")
        assert reply_author == (users[uid]["username"] if uid in users else uid)


@pytest.mark.shared
def test_twarc2_specific_posts(shared_data, stores):
    store = stores()
    ingest(store, shared_data / "twarc2_api_v2_jsonl" / "two_tweets.jsonl")
    rt = row(store, "1394735776701816833")
    assert rt["created_at"] == datetime(2021, 5, 18, 19, 24, 56, tzinfo=UTC)
    assert (rt["kind"], rt["mentions"], rt["lang"]) == ("repost", ["bibaigna96"], None)
    assert rt["text"] == "RT @bibaigna96: #POIUYTREWQ"
    # the retweeted original comes from includes.tweets
    assert row(store, "1391677057810288641")["author"] == "bibaigna96"


@pytest.mark.shared
def test_flat_and_page_layouts_give_identical_rows(shared_data, stores):
    page, flat = stores("page.duckdb"), stores("flat.duckdb")
    ingest(page, shared_data / "twarc2_api_v2_jsonl" / "noflat.jsonl")
    result = ingest(flat, shared_data / "twarc2_api_v2_jsonl" / "flat.jsonl")
    assert result.format == "twitter-v2" and result.rejected == 0
    assert snapshot(flat, "source_file, raw") == snapshot(page, "source_file, raw")
    accounts = "SELECT author, display_name FROM accounts ORDER BY author"
    assert flat.conn.execute(accounts).fetchall() == page.conn.execute(accounts).fetchall()
    assert len(snapshot(flat)) == len(v2_tweets(jsonl(
        shared_data / "twarc2_api_v2_jsonl" / "flat.jsonl"))) == 164


@pytest.mark.shared
def test_jsonl_broken_line_is_rejected_alone(shared_data, stores, tmp_path):
    lines = (shared_data / "twarc2_api_v2_jsonl" / "flat.jsonl").read_text("utf-8").splitlines()
    broken = lines[:36] + [lines[36][: len(lines[36]) // 2]] + lines[37:]
    path = tmp_path / "flat_broken.jsonl"
    path.write_text("\n".join(broken) + "\n", "utf-8")
    expected = v2_tweets([json.loads(x) for i, x in enumerate(lines) if i != 36])
    store = stores()
    result = ingest(store, path, fmt="twitter-v2", chunk_rows=30)
    assert result.failed is None
    assert scalar(store, "SELECT count(*) FROM posts") == len(expected)
    [(locator, reason)] = rejects(store)
    assert locator == "line 37" and reason.startswith("invalid JSON")


def test_v2_long_posts_and_bad_fields(stores, tmp_path):
    # hand-written API v2 tweets (flattened layout)
    note = {"id": "1700000000000000001", "author_id": "42", "created_at": "2023-09-08T10:00:00.000Z",
            "text": "Short version…", "note_tweet": {"text": "The long version &amp; all of it."},
            "author": {"id": "42", "username": "CityHall", "name": "City Hall"},
            "public_metrics": {"like_count": 3, "retweet_count": 1, "reply_count": 2,
                               "quote_count": 0}}
    bad_time = dict(note, id="1700000000000000002", created_at="2023-09-08 10:00")
    bad_count = dict(note, id="1700000000000000003",
                     public_metrics={"like_count": -1})
    path = tmp_path / "v2.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (note, bad_time, bad_count, [1, 2])) + "\n")
    store = stores()
    result = ingest(store, path, fmt="twitter-v2")
    r = row(store, "1700000000000000001")
    assert (r["text"], r["author"], r["like_count"], r["share_count"], r["reply_count"]) == (
        "The long version & all of it.", "CityHall", 3, 1, 2)
    assert result.posts_added == 1
    assert rejects(store) == [
        ("line 2: $.created_at",
         "created_at '2023-09-08 10:00' is not an ISO 8601 time with an offset"),
        ("line 3: $.public_metrics.like_count", "like_count is not a whole number >= 0"),
        ("line 4", "not a Twitter API v2 page or tweet"),
    ]


# -- legacy v1.1 ------------------------------------------------------------------------------
def test_v1_handwritten(stores):
    path = FIXTURES / "handwritten_v1.jsonl"
    lines = jsonl(path)
    tops = [x for x in lines if "user" in x]
    expected_ids = {t["id_str"] for t in tops} | {
        t[k]["id_str"] for t in tops for k in ("retweeted_status", "quoted_status") if k in t}
    store = stores()
    result = ingest(store, path)
    # 5 tweets on their own line, 2 embedded in others, 1 delete notice
    assert (result.format, result.rows_read, result.rejected) == ("twitter-v1", 8, 0)
    assert {r[1] for r in snapshot(store)} == expected_ids
    assert len(expected_ids) == 5
    q = row(store, "1134735205462966289")  # the citizen's long question (extended_tweet)
    assert q["text"] == lines[1]["extended_tweet"]["full_text"].replace("&amp;", "&")
    assert (q["author"], q["author_id"], q["kind"]) == ("asha_k", "2000000002", "reply")
    assert (q["in_reply_to_post_id"], q["in_reply_to_author"]) == (
        "1134519911838646289", "MinRailways")
    assert q["created_at"] == twitter_time(lines[1]["created_at"])
    a = row(store, "1134756478972854289")
    assert a["text"].endswith("official <DRM Mumbai>.")
    assert (a["in_reply_to_post_id"], a["mentions"]) == ("1134735205462966289", ["asha_k"])
    assert row(store, "1134762950783926289")["kind"] == "repost"
    assert row(store, "1134781636408246289")["kind"] == "quote"
    assert row(store, "1134519911838646289")["like_count"] == 12
    assert store.conn.execute("SELECT author, display_name FROM accounts ORDER BY 1").fetchall() == [
        ("MinRailways", "Ministry of Railways"), ("asha_k", "Asha K"), ("ravi_t", "Ravi T")]


# -- sniffing --------------------------------------------------------------------------------
def _all_inputs(shared: Path) -> list[Path]:
    files = [p for p in shared.rglob("*") if p.is_file()] if shared.is_dir() else []
    return files + [p for p in FIXTURES.rglob("*") if p.is_file()]


@pytest.mark.shared
def test_each_sniff_is_true_on_its_own_samples_only(shared_data, tmp_path):
    own = {
        "x-archive": lambda p: TWEETS_RE.match(p.name) is not None,
        "twitter-v2": lambda p: p.parent.name == "twarc2_api_v2_jsonl" and p.suffix == ".jsonl",
        "twitter-v1": lambda p: p.name == "handwritten_v1.jsonl",
    }
    for path in _all_inputs(shared_data):
        head = path.read_bytes()[:SNIFF_BYTES]
        for name, is_own in own.items():
            assert registry.get(name).sniff(path, head) is is_own(path), (name, path)
    # registry-wide: each sample is claimed by exactly its reader
    assert registry.sniff(shared_data / "x_archive_tweets_js" / "tweets.js").name == "x-archive"
    assert registry.sniff(shared_data / "twarc2_api_v2_jsonl" / "flat.jsonl").name == "twitter-v2"
    assert registry.sniff(FIXTURES / "handwritten_v1.jsonl").name == "twitter-v1"
    # a zip of something else is not an archive
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("posts.csv", "platform,post_id\n")
    assert not registry.get("x-archive").sniff(other, other.read_bytes()[:SNIFF_BYTES])


TWEETS_RE = re.compile(r"^tweets?(-part\d+)?\.js$")


def test_sniff_reads_only_a_cut_first_line():
    # a page line longer than the sniff window is still recognised from its opening
    page = b'{"data": [{"id": "1", "text": "' + b"x" * (SNIFF_BYTES + 10) + b'"}]}\n'
    assert registry.get("twitter-v2").sniff(Path("big.jsonl"), page[:SNIFF_BYTES])
    assert not registry.get("twitter-v1").sniff(Path("big.jsonl"), page[:SNIFF_BYTES])


def test_unescape_is_one_pass():
    assert unescape_text("a &amp;lt; b &lt;3 &amp;amp;") == "a &lt; b <3 &amp;"


def test_oldest_archive_layout_unwrapped_entries(stores, tmp_path):
    # hand-written: a 2019-style data/tweet.js without the {"tweet": ...} wrapper
    def entry(i, when, text):
        return json.dumps({"retweeted": False, "id_str": str(i), "id": str(i),
                           "created_at": when, "full_text": text, "favorite_count": "1",
                           "retweet_count": "0", "lang": "en",
                           "entities": {"user_mentions": [], "urls": []}}, indent=2)
    entries = [entry(1134519911838646289, "Fri May 31 18:00:00 +0000 2019", "one"),
               entry(1134735205462966289, "Sat Jun 01 08:15:30 +0000 2019", "two"),
               entry(1134756478972854289, "Sat Jun 01 09:40:02 +0000 2019", "three")]
    entries[1] = entries[1].replace('"two"', 'two"')  # an unquoted string: invalid JSON
    data = tmp_path / "data"
    data.mkdir()
    (data / "tweet.js").write_text("window.YTD.tweet.part0 = [ " + ", ".join(entries) + " ]",
                                   "utf-8")
    shutil.copy(FIXTURES / "x_archive" / "data" / "account.js", data / "account.js")
    store = stores()
    result = ingest(store, data / "tweet.js")
    assert result.format == "x-archive" and result.failed is None
    assert {r[1] for r in snapshot(store)} == {"1134519911838646289", "1134756478972854289"}
    assert row(store, "1134756478972854289")["author"] == "MinWater"
    [(locator, reason)] = rejects(store)
    assert locator.startswith("line ") and "$[1] is not valid JSON" in reason
    assert "skipped to the next entry" in reason


def test_v1_sniff_passes_over_leading_stream_messages(tmp_path):
    lines = (FIXTURES / "handwritten_v1.jsonl").read_text("utf-8").splitlines()
    head = ('{"limit": {"track": 12, "timestamp_ms": "1559376930000"}}\n'
            + "\n".join(lines)).encode()
    assert registry.get("twitter-v1").sniff(Path("stream.jsonl"), head)
    assert not registry.get("twitter-v2").sniff(Path("stream.jsonl"), head)


def test_progress_reaches_the_file_size(tmp_path):
    zpath = tmp_path / "minwater.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((FIXTURES / "x_archive").rglob("*.js")):
            zf.write(f, f.relative_to(FIXTURES / "x_archive").as_posix())
    for path, fmt in ((zpath, "x-archive"), (FIXTURES / "handwritten_v1.jsonl", "twitter-v1")):
        seen: list[int] = []
        list(registry.get(fmt).read(path, ReadOptions(), seen.append))
        assert seen == sorted(seen) and abs(seen[-1] - path.stat().st_size) <= 1, (fmt, seen)


def test_owner_from_readme_when_account_js_is_broken(tmp_path):
    folder = tmp_path / "archive"
    shutil.copytree(FIXTURES / "x_archive", folder)
    (folder / "data" / "account.js").write_text('window.YTD.account.part0 = [ { "account" : ',
                                                "utf-8")
    (folder / "data" / "README.txt").write_text(
        "INTRODUCTION\n============\nThis archive was generated at the request of the following"
        " user:\n- @username at the time the archive was generated: MinWater\n"
        "- Account ID: 1500000001\n", "utf-8")
    reader = registry.get("x-archive")
    assert reader.sniff(folder, b"")
    assert [p.name for p in reader.input_files(folder)] == [
        "tweets.js", "tweets-part1.js", "account.js", "README.txt"]
    batches = list(reader.read(folder, ReadOptions()))
    posts = [p for b in batches if b.posts is not None
             for p in b.posts.to_pandas().itertuples()]
    assert {p.author for p in posts if not p.created_at_derived} == {"MinWater"}
    assert {p.author_id for p in posts if not p.created_at_derived} == {"1500000001"}
    [reject] = [r for b in batches for r in b.rejects]
    assert reject.locator.startswith("account.js: line 1, column ")
    assert "the owner is taken from another file" in reject.reason


@pytest.mark.shared
def test_raw_records_are_kept_only_when_asked(shared_data, stores):
    """By default no post keeps its original record; --keep-raw keeps each tweet's JSON
    (the fast page path: the file's own text) and a re-import with it fills them in."""
    path = shared_data / "twarc2_api_v2_jsonl" / "noflat.jsonl"
    page = json.loads(path.read_text("utf-8"))
    tweets = {t["id"]: t for t in page["data"] + page["includes"].get("tweets", [])}
    store = stores()
    first = ingest(store, path, fmt="twitter-v2")
    assert first.posts_added == len(tweets)
    assert scalar(store, "SELECT count(raw) FROM posts") == 0
    again = ingest(store, path, fmt="twitter-v2", keep_raw=True)
    assert again.skipped_as is None and again.posts_merged == len(tweets)
    stored = dict(store.conn.execute("SELECT post_id, raw FROM posts").fetchall())
    assert {k: json.loads(v) for k, v in stored.items()} == tweets
    assert ingest(store, path, fmt="twitter-v2", keep_raw=True).skipped_as == again.import_id
