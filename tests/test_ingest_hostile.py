"""Hostile input, reader by reader: no traceback, every valid row kept, a failed file
changes nothing stored, and the files after it are still imported.

Each line reader gets its own sample with one hostile line put in after the first; each
reader of whole documents (and the CSV readers) gets hostile whole files. Inputs are
small so that the suite stays quick.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures"
DEEP = '{"a":' * 1000 + "1" + "}" * 1000
V2_PAGE = ('{"data":[{"id":"%s","text":"hello","author_id":"11","created_at":'
           '"2026-01-01T10:00:00.000Z"}],"includes":{"users":[{"id":"11","username":"min"}]}}')

# format -> a sample of that reader, one record (or page) per line
LINE_SAMPLES = {
    "twitter-v1": (FIX / "twitter" / "handwritten_v1.jsonl").read_bytes(),
    "twitter-v2": "\n".join(V2_PAGE % i for i in (1, 2, 3)).encode() + b"\n",
    "mastodon-api": (FIX / "mastodon_api" / "statuses.jsonl").read_bytes(),
    "youtube": (FIX / "youtube" / "commentThreads.jsonl").read_bytes(),
    "bluesky": (FIX / "bluesky" / "pages.jsonl").read_bytes(),
}
# a hostile line and the reason its reject gives (a part of it)
HOSTILE_LINES = {
    "deep nesting": (DEEP.encode(), "nested too deeply"),
    "garbage": (b"\x8f\x00garbage }{ ][", "invalid"),
    "NUL": (b"\x00" * 40, "invalid"),
    "truncated": (b'{"data": [{"id": "9", "text": "cut', "invalid JSON"),
    "huge field": (b'{"x": "' + b"y" * 2_000_000 + b'"}', None),  # each reader's own reason
    "bad UTF-8": (b'{"text": "caf\xe9"}', "invalid UTF-8"),
}

# format -> a sample whole document
DOC_SAMPLES = {
    "facebook": FIX / "facebook" / "your_posts_1.json",
    "telegram": FIX / "telegram" / "channel_export" / "result.json",
    "bluesky": FIX / "bluesky" / "author_feed.json",
    "youtube": FIX / "youtube" / "commentThreads_page1.json",
    "mastodon-api": FIX / "mastodon_api" / "status.json",
    "csv": None,  # built below
}
POSTS_CSV = ("platform,post_id,author,created_at,text\n"
             + "".join(f"x,{i},a,2026-01-0{i}T00:00:00Z,hello {i}\n" for i in range(1, 6)))


def _hostile_documents(sample: bytes) -> dict[str, bytes]:
    return {
        "zero-byte": b"",
        "truncated": sample[: len(sample) * 6 // 10],
        "garbage": b"\x8f\x00garbage }{ ][ \xff" * 10,
        "UTF-16": sample.decode("utf-8-sig").encode("utf-16"),
        "gzip": gzip.compress(sample),
        "NUL": b"\x00" * 200,
        "deep nesting": DEEP.encode(),
    }


def _snapshot(store: Store) -> tuple:
    return tuple(store.conn.execute(f"SELECT * EXCLUDE (import_id, source_file) FROM {t} "
                                    "ORDER BY ALL")
                 .fetchall() for t in ("posts", "accounts"))


def _posts(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM posts").fetchone()[0]


@pytest.mark.parametrize("hostile", sorted(HOSTILE_LINES))
@pytest.mark.parametrize("fmt", sorted(LINE_SAMPLES))
def test_a_hostile_line_is_rejected_and_every_other_line_kept(tmp_path, fmt, hostile):
    sample = LINE_SAMPLES[fmt]
    clean = tmp_path / "clean.jsonl"
    clean.write_bytes(sample)
    first, rest = sample.split(b"\n", 1)
    bad_line, reason = HOSTILE_LINES[hostile]
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(first + b"\n" + bad_line + b"\n" + rest)
    with Store(tmp_path / "a.duckdb") as store:
        f = import_paths(store, [clean], fmt).files[0]
        assert not f.failed and f.rejects == [] and f.posts_added > 0
        want = _snapshot(store)
    with Store(tmp_path / "b.duckdb") as store:
        f = import_paths(store, [bad], fmt).files[0]
        assert not f.failed, f.failed
        assert _snapshot(store) == want  # every valid row, nothing else
        assert len(f.rejects) == 1 and f.rejects[0].locator.split(":")[0].split()[:2] == [
            "line", "2"]
        assert f.rejects[0].reason.strip() and (reason is None or reason in f.rejects[0].reason)


@pytest.mark.parametrize("hostile", sorted(_hostile_documents(b"x")))
@pytest.mark.parametrize("fmt", sorted(DOC_SAMPLES))
def test_a_hostile_file_fails_alone_and_changes_nothing(tmp_path, fmt, hostile):
    sample = (POSTS_CSV.encode() if DOC_SAMPLES[fmt] is None
              else DOC_SAMPLES[fmt].read_bytes())
    good = tmp_path / ("good.csv" if fmt == "csv" else "good.json")
    good.write_bytes(sample)
    bad = tmp_path / ("bad.csv" if fmt == "csv" else "bad.json")
    bad.write_bytes(_hostile_documents(sample)[hostile])
    after = tmp_path / "after.csv"
    after.write_text(POSTS_CSV.replace("x,", "mastodon,"), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        assert not import_paths(store, [good], fmt).files[0].failed
        before = _snapshot(store)
        f = import_paths(store, [bad], fmt).files[0]
        if f.failed:
            assert "\n" not in f.failed
            assert _snapshot(store) == before  # the store is as it was
        else:  # what a truncated file still holds, each loss reported; nothing stored lost
            assert hostile == "truncated" and f.rejects, (f.failed, f.rejects)
            stored = {(p, i) for p, i, *_ in _snapshot(store)[0]}
            assert {(p, i) for p, i, *_ in before[0]} <= stored
        files = [f, *import_paths(store, [after]).files]
        assert files[1].posts_added == 5  # the next file is imported


def test_hostile_files_on_one_command_line_end_without_a_traceback(tmp_path):
    """The CLI over all of them at once: a message per file, exit status 3, and the valid
    file after them imported."""
    paths = []
    for name, data in _hostile_documents(POSTS_CSV.encode()).items():
        p = tmp_path / f"{name.replace(' ', '_')}.csv"
        p.write_bytes(data)
        paths.append(str(p))
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(LINE_SAMPLES["twitter-v1"] + DEEP.encode() + b"\n")
    good = tmp_path / "good.csv"
    good.write_text(POSTS_CSV.replace("x,", "telegram,"), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    out = subprocess.run([sys.executable, "-m", "govwatch", "ingest", *paths, str(deep),
                          str(good), "--db", str(db), "-q"], capture_output=True, text=True)
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    assert out.returncode == 3, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "gzip-compressed" in text and "UTF-16" in text and "nested too deeply" in text
    with Store(db) as store:
        assert store.conn.execute(
            "SELECT count(*) FROM posts WHERE source_file = ?", [str(good)]).fetchone()[0] == 5


@pytest.mark.parametrize("fmt", ["csv", "accounts-csv"])
def test_a_huge_header_is_refused_at_once(tmp_path, fmt):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\nx\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], fmt, kind="accounts" if fmt == "accounts-csv" else None
                         ).files[0]
    assert f.failed == ("the header has 100,000 columns; a hand-writable CSV has at most "
                        "1,000")


def test_a_json_document_that_parses_only_in_part_is_named(tmp_path):
    """A single JSON document cut short fails with its line and column; the store keeps
    what it had."""
    sample = DOC_SAMPLES["telegram"].read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(sample[: len(sample) // 2])
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], "telegram", ReadOptions()).files[0]
        assert f.failed and "truncated" in f.failed
        assert _posts(store) == 0
        assert json.loads(sample)  # the sample itself is whole


@pytest.mark.parametrize("fmt", sorted({*LINE_SAMPLES, *DOC_SAMPLES, "accounts-csv"}))
def test_an_empty_file_fails_and_failing_again_adds_no_second_record(tmp_path, fmt):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\xef\xbb\xbf \n\n")
    kind = "accounts" if fmt == "accounts-csv" else None
    with Store(tmp_path / "s.duckdb") as store:
        first = import_paths(store, [path], fmt, kind=kind).files[0]
        again = import_paths(store, [path], fmt, kind=kind).files[0]
        assert first.failed == again.failed == "the file is empty"
        assert again.import_id == first.import_id
        assert store.count("rejects") == 1 and store.count("imports") == 1


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_short_row_with_invalid_utf8_is_rejected_without_an_ignored_exception(tmp_path):
    """Arrow decodes a row of the wrong width as UTF-8 for its invalid-row handler; such a
    row holding invalid bytes used to raise inside Arrow ("Exception ignored in
    on_invalid", printed on stderr). It is now a reject like any other, the rows after it
    kept."""
    path = tmp_path / "posts.csv"
    rows = POSTS_CSV.splitlines(keepends=True)
    path.write_bytes("".join(rows[:3]).encode() + b"x,99,caf\xe9\n" + "".join(rows[3:]).encode())
    out = subprocess.run([sys.executable, "-m", "govwatch", "ingest", str(path), "--db",
                          str(tmp_path / "s.duckdb"), "-q"], capture_output=True, text=True)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Exception ignored" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert "line 4: expected 5 fields" in out.stdout + out.stderr
    with Store(tmp_path / "s.duckdb") as store:
        assert _posts(store) == 5
    with Store(tmp_path / "t.duckdb") as store:  # in process too: no unraisable exception
        f = import_paths(store, [path], "csv").files[0]
        assert [r.locator for r in f.rejects] == ["line 4"] and f.posts_added == 5


@pytest.mark.parametrize("fmt", ["telegram", "facebook"])
def test_one_bad_byte_in_a_json_document_is_named_by_byte_and_json_path(tmp_path, fmt):
    """A single JSON document is parsed whole, so a byte that is not UTF-8 refuses the
    file; the message names the byte's offset and the JSON path of the string holding it,
    and what the store held is kept."""
    sample = DOC_SAMPLES[fmt].read_bytes()
    doc = json.loads(sample)
    if fmt == "telegram":
        word, want = b"supply", "$.messages[1].text"
    else:
        word = doc[0]["data"][0]["post"].split()[0].encode()
        want = "$[0].data[0].post"
    at = sample.index(word)
    bad = tmp_path / "bad.json"
    bad.write_bytes(sample[:at] + b"\xff" + sample[at + 1:])
    good = tmp_path / "after.csv"
    good.write_text(POSTS_CSV, encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [good], "csv")
        before = _snapshot(store)
        f = import_paths(store, [bad], fmt).files[0]
        assert f.failed.startswith(f"invalid UTF-8 at byte {at} (in the string at {want})")
        assert _snapshot(store) == before


def _rows_around(big_row: str) -> str:
    rows = POSTS_CSV.splitlines(keepends=True)
    return "".join(rows[:3]) + big_row + "".join(rows[3:])


@pytest.mark.parametrize("shape", ["one line", "quoted over many lines"])
def test_a_huge_field_rejects_its_row_and_keeps_the_others(tmp_path, shape):
    """A field far longer than any post (3 million characters): its row is rejected as
    too long, on one line or spread over many in quotes, and reading resumes after it."""
    from govwatch.ingest.tabular import MAX_RECORD_CHARS

    big = ("y" * 3_000_000 if shape == "one line"
           else '"' + "y z\n" * 750_000 + 'end"')
    path = tmp_path / "posts.csv"
    path.write_text(_rows_around(f"x,99,a,2026-01-09T00:00:00Z,{big}\n"), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], "csv").files[0]
        assert _posts(store) == 5 and f.rows_read == 6
    lines = "line 4" if shape == "one line" else "lines 4 to 750,004"
    assert [(r.locator, r.reason) for r in f.rejects] == [
        ("line 4", f"the row is longer than {MAX_RECORD_CHARS:,} characters ({lines}): no "
                   "post is that long, so it is skipped without being read whole")]


def test_a_huge_json_lines_line_is_rejected_and_the_others_kept(tmp_path):
    from govwatch.ingest.jsonio import MAX_LINE_BYTES, OVERLONG_REASON

    sample = LINE_SAMPLES["twitter-v2"]
    first, rest = sample.split(b"\n", 1)
    path = tmp_path / "pages.jsonl"
    path.write_bytes(first + b'\n{"data": [{"text": "' + b"y" * (MAX_LINE_BYTES + 10)
                     + b'"}]}\n' + rest)
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], "twitter-v2").files[0]
        assert _posts(store) == 3
    assert [(r.locator.split(":")[0], r.reason) for r in f.rejects] == [
        ("line 2", OVERLONG_REASON)]
