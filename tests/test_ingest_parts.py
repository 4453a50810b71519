"""A large JSON Lines file read in parts by several processes (ingest/parts.py).

The store must receive exactly what one process gives: the same posts, accounts,
rejects (with the whole file's line numbers) and counts. Parts are read by real
``python -m govwatch.ingest.parts`` processes; the tests lower the minimum part size so that
small files are cut.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
from govwatch.ingest import parts
from govwatch.ingest.base import Part, ReadOptions
from govwatch.ingest.jsonio import iter_byte_lines
from govwatch.ingest.pipeline import import_paths
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
ID0 = 1_700_000_000_000_000_000
QUOTED = 999_999


# -- cutting and numbering ------------------------------------------------------------------
_PIECES = [b'{"a": 1}', b"x" * 40, b"\n", b"\r\n", b"\r", b"", b" ", b"\xef\xbb\xbf", b"\xc3\xa9"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60), st.integers(1, 6), st.integers(1, 64))
@example([b"\xef\xbb\xbf", b'{"a": 1}', b"\n", b"x" * 40, b"\n", b"\n", b'{"a": 1}'], 3, 8)
@example([b'{"a": 1}', b"\r\n", b"x" * 40, b"\r\n", b'{"a": 1}'], 3, 8)
def test_parts_hold_every_line_once_numbered_as_in_the_whole_file(pieces, jobs, min_part):
    data = b"".join(pieces)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.jsonl"
        path.write_bytes(data)
        cuts = parts.plan(path, jobs, min_part)
        digest, firsts = parts.hash_and_number(path, [a for a, _ in cuts])
        whole = list(iter_byte_lines(path))
        assert digest == hashlib.sha256(data).hexdigest()
        # the parts cover the file, each from a line start
        assert 1 <= len(cuts) <= jobs and cuts[0][0] == 0 and cuts[-1][1] == len(data)
        assert all(a < b for a, b in cuts) or cuts == [(0, 0)]
        assert all(b == c for (_, b), (c, _) in zip(cuts, cuts[1:], strict=False))
        assert all(data[a - 1:a] == b"\n" for a, _ in cuts[1:])
        if b"\r" in data.replace(b"\r\n", b""):
            assert firsts is None  # a bare carriage return: the file is read whole
            return
        assert firsts is not None and firsts[0] == 1
        read = [line for (a, b), first in zip(cuts, firsts, strict=True)
                for line in iter_byte_lines(path, part=Part(a, b, first))]
    assert read == whole


def test_a_small_file_is_not_cut(tmp_path):
    path = tmp_path / "small.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 1000)
    assert parts.plan(path, 8) == [(0, path.stat().st_size)]
    assert parts.plan(path, 1, 10) == [(0, path.stat().st_size)]
    cuts = parts.plan(path, 3, 1000)
    assert len(cuts) == 3
    # the first part, read by the importing process, is longer by 3/8 of a minimum part
    assert cuts[0][1] - cuts[0][0] > cuts[1][1] - cuts[1][0] + 300


# -- whole imports ---------------------------------------------------------------------------
def _tweet(i: int, author_id: int, **extra) -> dict:
    t = {"id": str(ID0 + i), "text": f"message {i} &amp; more", "author_id": str(author_id),
         "created_at": f"2024-03-0{1 + i % 9}T10:{i % 60:02d}:00.000Z",
         "conversation_id": str(ID0 + i), "lang": "en",
         "public_metrics": {"retweet_count": i % 3, "reply_count": 0, "like_count": i % 7}}
    t.update(extra)
    return t


def _page(first: int, n: int) -> dict:
    data = []
    for i in range(first, first + n):
        if i % 4 == 1:  # a reply to the tweet before it, by the ministry
            data.append(_tweet(i, 11, in_reply_to_user_id="22",
                               referenced_tweets=[{"type": "replied_to", "id": str(ID0 + i - 1)}],
                               conversation_id=str(ID0 + i - 1)))
        else:
            data.append(_tweet(i, 22 + i % 5,
                               entities={"mentions": [{"username": "ministry", "id": "11"}]}))
    # From the sixth page on, every page quotes one tweet (so every part stages it), with
    # another text each time: the first in the file must win, though in the first part it
    # comes later than in the others.
    quoted = ([_tweet(QUOTED, 22, text=f"version of page {first // n}")]
              if first // n >= 5 else [])
    return {"data": data,
            "includes": {"users": [{"id": "11", "username": "ministry", "name": "Ministry"}]
                         + [{"id": str(22 + k), "username": f"citizen{k}"} for k in range(5)],
                         "tweets": quoted},
            "meta": {"result_count": n}}


_BAD_LINES = [b"not json\n", b"\xff\xfe not UTF-8\n", b"\n",
              b'{"data": [{"id": "x", "text": "t", "author_id": "1"}]}\n',
              b'{"meta": {"result_count": 0}}\n']


def _pages_file(path: Path, pages: int = 60, per_page: int = 20, crlf: bool = False) -> Path:
    """Pages of tweets with replies, mentions, a quoted tweet repeated on every page (the
    first page's version wins), flattened tweets, and bad lines among them."""
    end = b"\r\n" if crlf else b"\n"
    with open(path, "wb") as f:
        for p in range(pages):
            f.write(json.dumps(_page(p * per_page, per_page)).encode() + end)
            if p % 7 == 3:
                flat = _tweet(100_000 + p, 11, author={"id": "11", "username": "ministry",
                                                       "name": "Ministry"})
                f.write(json.dumps(flat).encode() + end)
            if p % 9 == 4:
                f.write(_BAD_LINES[p % len(_BAD_LINES)].rstrip(b"\n") + end)
    return path


def _tables(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "posts": con.execute("SELECT * EXCLUDE (import_id) FROM posts ORDER BY ALL").fetchall(),
            "accounts": con.execute(
                "SELECT * EXCLUDE (import_id) FROM accounts ORDER BY ALL").fetchall(),
            "rejects": con.execute("SELECT locator, reason, excerpt FROM rejects").fetchall(),
            "imports": con.execute(
                "SELECT rows_read, posts_added, posts_merged, accounts_added, rejected, status "
                "FROM imports ORDER BY import_id").fetchall(),
        }
    finally:
        con.close()


def _import(tmp_path: Path, name: str, files: list[Path], jobs: int, min_part: int,
            fmt: str = "twitter-v2", options: ReadOptions | None = None,
            before: list[Path] = ()) -> tuple[dict, list]:
    db = tmp_path / f"{name}.duckdb"
    with Store(db) as store:
        for f in before:
            import_paths(store, [f], fmt)
        results = import_paths(store, files, fmt, options, jobs=jobs,
                               min_part_bytes=min_part).files
    return _tables(db), results


def _part_processes(folder: Path) -> list[int]:
    """Pids of running ``python -m govwatch.ingest.parts`` processes reading a file in ``folder``
    (named in their command line), not those of another test run."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"govwatch.ingest.parts" in cmd and any(str(folder).encode() in arg for arg in cmd):
                found.append(int(proc.name))
    return found


def test_a_file_read_in_parts_gives_the_store_what_one_process_gives(tmp_path):
    path = _pages_file(tmp_path / "pages.jsonl")
    size = path.stat().st_size
    one, [r1] = _import(tmp_path, "one", [path], jobs=1, min_part=size)
    many, [r4] = _import(tmp_path, "many", [path], jobs=4, min_part=size // 6)
    assert len(parts.plan(path, 4, size // 6)) == 4
    assert many == one
    assert r4.rejected == r1.rejected >= 3 and r4.rows_read == r1.rows_read
    assert [r.locator for r in r4.rejects] == [r.locator for r in r1.rejects]
    # the rejects name the file's own bad lines
    bad = [n for n, line in enumerate(path.read_bytes().split(b"\n"), start=1)
           if line + b"\n" in _BAD_LINES[:2] or line.startswith(b'{"data": [{"id": "x"')]
    assert [r.locator.split(":")[0] for r in r4.rejects] == [f"line {n}" for n in bad]
    # the quoted tweet, staged in every part, keeps the first version in the file
    quoted = [p for p in many["posts"] if p[1] == str(ID0 + QUOTED)]
    assert len(quoted) == 1 and quoted[0][6] == "version of page 5"
    assert not _part_processes(tmp_path)


def test_parts_merge_into_a_store_that_holds_some_posts(tmp_path):
    path = _pages_file(tmp_path / "pages.jsonl")
    earlier = _pages_file(tmp_path / "earlier.jsonl", pages=8)  # the same first pages
    size = path.stat().st_size
    one, [r1] = _import(tmp_path, "one", [path], 1, size, before=[earlier])
    many, [r3] = _import(tmp_path, "many", [path], 3, size // 5, before=[earlier])
    assert many == one
    assert r3.posts_merged == r1.posts_merged > 0 and r3.posts_added == r1.posts_added


def test_windows_line_ends_are_cut_and_bare_carriage_returns_are_read_whole(tmp_path):
    crlf = _pages_file(tmp_path / "crlf.jsonl", crlf=True)
    size = crlf.stat().st_size
    assert _import(tmp_path, "c3", [crlf], 3, size // 4)[0] == \
        _import(tmp_path, "c1", [crlf], 1, size)[0]
    bare = tmp_path / "bare.jsonl"
    bare.write_bytes(crlf.read_bytes().replace(b"\r\n", b"\n", 30).replace(b"\r\n", b"\r", 1))
    many, [r3] = _import(tmp_path, "b3", [bare], 3, size // 4)
    one, [r1] = _import(tmp_path, "b1", [bare], 1, size)
    assert many == one and r3.rejected == r1.rejected
    assert not _part_processes(tmp_path)


def test_strict_stops_at_a_reject_in_any_part_and_stores_nothing(tmp_path):
    path = _pages_file(tmp_path / "clean.jsonl", pages=60)
    clean = [line for line in path.read_bytes().splitlines(keepends=True)
             if line.startswith(b'{"data"') and b'"id": "x"' not in line]
    size = sum(map(len, clean))
    for at, name in ((2, "first"), (len(clean) - 2, "last")):
        bad = tmp_path / f"bad-{name}.jsonl"
        bad.write_bytes(b"".join(clean[:at]) + b"not json\n" + b"".join(clean[at:]))
        tables, [result] = _import(tmp_path, name, [bad], 4, size // 6,
                                   options=ReadOptions(strict=True))
        assert result.failed and "--strict" in result.failed
        assert tables["posts"] == [] and tables["imports"][-1][-1] == "failed"
        assert tables["rejects"][0][0] == f"line {at + 1}"
        assert not _part_processes(tmp_path)


def test_a_file_imported_before_is_skipped_without_reading_its_parts(tmp_path):
    path = _pages_file(tmp_path / "pages.jsonl")
    size = path.stat().st_size
    with Store(tmp_path / "s.duckdb") as store:
        first = import_paths(store, [path], "twitter-v2", jobs=3, min_part_bytes=size // 4)
        again = import_paths(store, [path], "twitter-v2", jobs=3, min_part_bytes=size // 4)
    assert first.files[0].posts_added > 0
    assert again.files[0].skipped_as == first.files[0].import_id
    assert not _part_processes(tmp_path)
    assert not list(tmp_path.glob("s.duckdb.staging-*"))


def test_twitter_v1_lines_are_read_in_parts(tmp_path):
    lines = (REPO / "tests" / "fixtures" / "twitter" / "handwritten_v1.jsonl").read_bytes()
    path = tmp_path / "v1.jsonl"
    path.write_bytes(lines * 40)
    size = path.stat().st_size
    one, _ = _import(tmp_path, "one", [path], 1, size, fmt="twitter-v1")
    many, _ = _import(tmp_path, "many", [path], 3, size // 4, fmt="twitter-v1")
    assert many == one and one["posts"]


@pytest.mark.shared
def test_real_pages_read_in_parts_are_stored_as_read_whole(tmp_path, shared_data):
    pages = sorted((shared_data / "twarc2_api_v2_jsonl").glob("*.jsonl"))
    path = tmp_path / "real.jsonl"
    path.write_bytes(b"".join(p.read_bytes() for p in pages))
    size = path.stat().st_size
    one, [r1] = _import(tmp_path, "one", [path], 1, size)
    many, [r3] = _import(tmp_path, "many", [path], 3, size // 4)
    assert len(parts.plan(path, 3, size // 4)) == 3
    assert many == one and len(one["posts"]) > 400
    assert (r3.rows_read, r3.posts_added) == (r1.rows_read, r1.posts_added)


_KILLED_IMPORT = """
import sys
from pathlib import Path
from govwatch.store import Store
from govwatch.ingest.pipeline import import_paths
with Store(Path(sys.argv[1])) as store:
    import_paths(store, [Path(sys.argv[2])], "twitter-v2", jobs=3,
                 min_part_bytes=int(sys.argv[3]))
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_kill_9_while_parts_are_read_leaves_the_store_and_no_process(tmp_path):
    db = tmp_path / "s.duckdb"
    small = _pages_file(tmp_path / "small.jsonl", pages=3)
    with Store(db) as store:
        import_paths(store, [small], "twitter-v2")
    before = _tables(db)
    big = tmp_path / "big.jsonl"
    pages = 12_000
    with open(big, "wb") as f:
        for p in range(pages):
            f.write(json.dumps(_page(100 + p * 20, 20)).encode() + b"\n")
    size = big.stat().st_size
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, str(db), str(big),
                             str(size // 4)])
    started = time.monotonic()
    while len(_part_processes(tmp_path)) < 2 and time.monotonic() - started < 60:
        assert proc.poll() is None, "the import ended before its parts were being read"
        time.sleep(0.02)
    readers = _part_processes(tmp_path)
    assert len(readers) == 2
    time.sleep(0.5)  # while they read
    assert proc.poll() is None, "the import ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _part_processes(tmp_path), "a part process outlived the killed import"
    assert _tables(db) == before
    with Store(db) as store:
        rerun = import_paths(store, [big], "twitter-v2", jobs=3, min_part_bytes=size // 4)
    # every page's tweets and the tweet they quote
    assert (rerun.files[0].posts_added, rerun.files[0].posts_merged) == (pages * 20 + 1, 0)
    assert not list(tmp_path.glob("s.duckdb.staging-*"))


def test_a_part_process_that_fails_is_an_error_not_a_silent_loss(tmp_path, monkeypatch):
    path = _pages_file(tmp_path / "pages.jsonl")
    size = path.stat().st_size
    # a reader the part processes cannot import: each fails at start
    from govwatch.ingest.twitter_json import TwitterV2Reader

    class Unimportable(TwitterV2Reader):
        pass

    Unimportable.__module__ = "no_such_module_anywhere"
    monkeypatch.setattr("govwatch.ingest.registry.get", lambda name: Unimportable())
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(RuntimeError, match="part 2"):
        import_paths(store, [path], "twitter-v2", jobs=3, min_part_bytes=size // 4)
    assert not _part_processes(tmp_path)
    assert not list(tmp_path.glob("s.duckdb.staging-*"))
