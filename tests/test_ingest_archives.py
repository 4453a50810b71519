"""Archives as whole inputs: folders, deletion marking, stubs replaced by real posts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from govwatch.ingest.pipeline import expand_paths, import_paths

from govwatch.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "twitter" / "x_archive"
PREFIX = "window.YTD.tweets.part0 = "


def _entries(folder: Path) -> list[dict]:
    text = (folder / "data" / "tweets.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("["):])


def _write_entries(folder: Path, entries: list[dict]) -> None:
    (folder / "data" / "tweets.js").write_text(PREFIX + json.dumps(entries, indent=1),
                                                encoding="utf-8")


@pytest.fixture
def archive(tmp_path) -> Path:
    folder = tmp_path / "archive-2019"
    shutil.copytree(FIXTURE, folder)
    return folder


def test_archive_folder_is_one_input(archive):
    assert expand_paths([archive]) == [archive]
    assert expand_paths([archive], "x-archive") == [archive]
    # A format that reads no folder as a whole: the folder's files, each its own input.
    assert expand_paths([archive], "twitter-v2") == sorted(
        p for p in archive.rglob("*") if p.is_file())


def test_post_missing_from_newer_archive_is_marked_deleted_never_removed(tmp_path, archive):
    entries = _entries(archive)
    times = {e["tweet"]["id_str"]: e["tweet"]["created_at"] for e in entries}
    with Store(tmp_path / "s.duckdb") as store:
        first = import_paths(store, [archive]).files[0]
        assert first.format == "x-archive" and not first.failed
        total = store.count("posts")
        # a newer archive of the same account, without one of its older posts
        newer = tmp_path / "archive-2020"
        shutil.copytree(archive, newer)
        ids = sorted(times, key=int)
        gone = ids[0]
        _write_entries(newer, [e for e in entries if e["tweet"]["id_str"] != gone])
        second = import_paths(store, [newer]).files[0]
        assert second.marked_deleted == 1
        assert store.count("posts") == total
        deleted = store.conn.execute(
            "SELECT post_id FROM posts WHERE deleted_at IS NOT NULL").fetchall()
        assert deleted == [(gone,)]
        # stubs (parents known only from replies) are never marked deleted
        stubs_deleted = store.conn.execute(
            "SELECT count(*) FROM posts WHERE created_at_derived AND deleted_at IS NOT NULL"
        ).fetchone()[0]
        assert stubs_deleted == 0
        # the same newer archive again changes nothing
        assert import_paths(store, [newer]).files[0].skipped_as == second.import_id


def test_real_post_replaces_its_stub(tmp_path, archive):
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [archive])
        stub = store.conn.execute(
            "SELECT post_id, author, created_at, kind FROM posts "
            "WHERE created_at_derived AND author = 'citizen_a' LIMIT 1").fetchone()
        assert stub is not None and stub[3] == "post"
        post_id, author, derived_time, _ = stub
        line = {
            "id_str": post_id,
            "created_at": derived_time.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "full_text": "@MinWater no water in Ward 14 since Monday",
            "user": {"screen_name": author, "id_str": "2000000002", "name": "Citizen A"},
            "in_reply_to_status_id_str": "1000000000000000001",
            "in_reply_to_screen_name": "someone_else",
            "entities": {"user_mentions": [{"screen_name": "MinWater"}]},
            "lang": "en",
        }
        jsonl = tmp_path / "v1.jsonl"
        jsonl.write_text(json.dumps(line) + "\n", encoding="utf-8")
        f = import_paths(store, [jsonl], fmt="twitter-v1").files[0]
        assert f.posts_merged >= 1
        row = store.conn.execute(
            "SELECT created_at_derived, text, kind, in_reply_to_post_id, mentions FROM posts "
            "WHERE post_id = ?", [post_id]).fetchone()
        assert row == (False, "@MinWater no water in Ward 14 since Monday", "reply",
                       "1000000000000000001", ["MinWater"])


def test_a_truncated_or_partly_bad_archive_marks_nothing_deleted(tmp_path, archive):
    entries = _entries(archive)
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [archive])
        # cut at 60%: the reader keeps what parses and rejects the rest
        cut = tmp_path / "archive-cut"
        shutil.copytree(archive, cut)
        text = (cut / "data" / "tweets.js").read_text(encoding="utf-8")
        (cut / "data" / "tweets.js").write_text(text[: len(text) * 6 // 10], encoding="utf-8")
        f = import_paths(store, [cut]).files[0]
        assert f.rejects and f.marked_deleted == 0
        # one bad entry (its post is not missing: it could not be read)
        bad = tmp_path / "archive-bad"
        shutil.copytree(archive, bad)
        broken = json.loads(json.dumps(entries))
        broken[0]["tweet"]["created_at"] = "not a time"
        _write_entries(bad, broken)
        f = import_paths(store, [bad]).files[0]
        assert [r.reason for r in f.rejects] and f.marked_deleted == 0
        assert store.conn.execute(
            "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL").fetchone()[0] == 0


def test_an_older_archive_marks_nothing_and_a_later_sighting_clears_the_flag(tmp_path, archive):
    entries = _entries(archive)
    ids = sorted((e["tweet"]["id_str"] for e in entries), key=int)
    extra = json.loads(json.dumps(max(entries, key=lambda e: int(e["tweet"]["id_str"]))))
    extra["tweet"]["id_str"] = extra["tweet"]["id"] = str(int(ids[-1]) * 2)
    extra["tweet"]["created_at"] = "Wed Jan 01 10:00:00 +0000 2031"
    extra["tweet"].pop("in_reply_to_status_id_str", None)

    def copy(name: str, kept: list[dict], indent: int = 1) -> Path:
        folder = tmp_path / name
        shutil.copytree(archive, folder)
        (folder / "data" / "tweets.js").write_text(
            PREFIX + json.dumps(kept, indent=indent), encoding="utf-8")
        return folder

    without_first = [e for e in entries if e["tweet"]["id_str"] != ids[0]]
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [archive])
        assert import_paths(store, [copy("plus", entries + [extra])]).files[0].marked_deleted == 0
        # an older archive (its newest post older than the one imported before) proves nothing
        assert import_paths(store, [copy("older", without_first)]).files[0].marked_deleted == 0
        # a current one without ids[0] marks it; a later one holding it again clears it
        f = import_paths(store, [copy("newer", without_first + [extra])]).files[0]
        assert f.marked_deleted == 1
        assert store.conn.execute("SELECT post_id FROM posts WHERE deleted_at IS NOT NULL"
                                  ).fetchall() == [(ids[0],)]
        f = import_paths(store, [copy("latest", entries + [extra], indent=2)]).files[0]
        assert f.skipped_as is None and f.marked_deleted == 0
        assert store.conn.execute(
            "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL").fetchone()[0] == 0
