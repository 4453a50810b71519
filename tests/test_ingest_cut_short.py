"""A file cut short inside its last row: that row is rejected with its line and the
reason, every row before it is kept exactly as from the same file ending cleanly before
that row. CSV readers (both paths of the posts CSV), JSON Lines readers, events CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.events import read_events
from govwatch.ingest.pipeline import import_paths
from govwatch.ingest.tabular import CUT_REASON

from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
POSTS_CSV = ("platform,post_id,author,created_at,text\n"
             + "".join(f"x,{i},a,2026-01-0{i}T00:00:00Z,hello number {i}\n" for i in range(1, 6)))
# an unclosed quote on line 3 takes in line 4: Arrow stops there and the csv module reads on
POSTS_CSV_QUOTE = POSTS_CSV.replace("hello number 2", '"hello number 2')
MAPPING = ("format: csv\nplatform: x\nfields: {post_id: id, author: who, created_at: t, "
           "text: body}\n")
MAPPED_CSV = "id,who,t,body\n" + "".join(
    f"{i},a,2026-01-0{i}T00:00:00Z,hello number {i}\n" for i in range(1, 6))

# name -> (format, sample text ending in a line break, kind, options)
CSV_SAMPLES = {
    "posts csv (Arrow)": ("csv", POSTS_CSV, None, {}),
    "posts csv (csv module)": ("csv", POSTS_CSV_QUOTE, None, {}),
    "accounts csv": ("accounts-csv", (REPO / "sample_data/small/accounts.csv").read_text(),
                     "accounts", {}),
    "crowdtangle": ("crowdtangle", (FIX / "crowdtangle/historical_pages.csv").read_text(),
                    None, {}),
    "meta content library": ("meta-content-library",
                             (FIX / "crowdtangle/content_library_posts.csv").read_text(), None, {}),
    "tickets": ("tickets-csv", (FIX / "channels/tickets.csv").read_text()
                + "L-5,Kemenkes,2024-02-04T09:00:00+07:00,,,Road flooded,health,open,,,lapor\n",
                None, {}),
    "open311 csv": ("open311-csv", (FIX / "channels/open311_requests.csv").read_text(), None, {}),
    "outages csv": ("outages-csv", (FIX / "channels/outages.csv").read_text(), None, {}),
    "mapped csv": ("mapped", MAPPED_CSV, None, {"mapping_file": "MAPPING"}),
}
JSONL_SAMPLES = {
    "twitter-v1": (FIX / "twitter" / "handwritten_v1.jsonl").read_text(),
    "mastodon-api": (FIX / "mastodon_api" / "statuses.jsonl").read_text(),
    "youtube": (FIX / "youtube" / "commentThreads.jsonl").read_text(),
    "bluesky": (FIX / "bluesky" / "pages.jsonl").read_text(),
}
TABLES = ("posts", "accounts", "outages")


def _stored(store: Store) -> tuple:
    out = []
    for table in TABLES:
        cols = [c for c, in store.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND column_name NOT IN ('import_id', 'source_file', 'file') "
            "ORDER BY ordinal_position", [table]).fetchall()]
        out.append(store.conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL"
                                      ).fetchall())
    return tuple(out)


def _import(tmp_path: Path, name: str, text: str, fmt: str, kind, options: dict):
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    if options.get("mapping_file") == "MAPPING":
        mapping = tmp_path / "m.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        options = {**options, "mapping_file": str(mapping)}
    db = tmp_path / f"{name}.duckdb"
    with Store(db) as store:
        result = import_paths(store, [path], fmt, ReadOptions(**options), kind=kind).files[0]
        return result, _stored(store)


def _cut(sample: str) -> tuple[str, str, int]:
    """(the sample cut inside its last row's last value, the sample without that row,
    the row's line number)."""
    assert sample.endswith("\n")
    lines = sample.splitlines(keepends=True)
    last = lines[-1].rstrip("\r\n")
    assert len(last) > 12 and not last.endswith('"'), last
    return "".join(lines[:-1]) + last[:-3], "".join(lines[:-1]), len(lines)


@pytest.mark.parametrize("name", sorted(CSV_SAMPLES))
def test_a_csv_cut_inside_its_last_value_rejects_that_row_and_keeps_the_others(tmp_path, name):
    fmt, sample, kind, options = CSV_SAMPLES[name]
    cut, before, line = _cut(sample)
    whole, _ = _import(tmp_path, "whole", sample, fmt, kind, options)
    clean, want = _import(tmp_path, "clean", before, fmt, kind, options)
    result, got = _import(tmp_path, "cut", cut, fmt, kind, options)
    assert not whole.failed and whole.rows_read == clean.rows_read + 1
    # the whole file's last row is valid; the cut file's is rejected, and only it
    assert [r.locator for r in whole.rejects] == [r.locator for r in clean.rejects]
    assert [r.locator for r in result.rejects[:-1]] == [r.locator for r in clean.rejects]
    assert (result.rejects[-1].locator, result.rejects[-1].reason) == (f"line {line}",
                                                                       CUT_REASON)
    assert got == want  # nothing of the cut row, every row before it
    assert result.rows_read == clean.rows_read + 1


@pytest.mark.parametrize("fmt", sorted(JSONL_SAMPLES))
def test_a_json_lines_file_cut_inside_its_last_line_rejects_that_line(tmp_path, fmt):
    sample = JSONL_SAMPLES[fmt]
    lines = sample.splitlines(keepends=True)
    last = lines[-1].rstrip("\n")
    cut = "".join(lines[:-1]) + last[: len(last) * 2 // 3]
    clean, want = _import(tmp_path, "clean", "".join(lines[:-1]), fmt, None, {})
    result, got = _import(tmp_path, "cut", cut, fmt, None, {})
    assert not clean.failed and clean.rejects == []
    assert [r.locator.split(":")[0] for r in result.rejects] == [f"line {len(lines)}"]
    assert "invalid JSON" in result.rejects[0].reason
    assert got == want


def test_an_events_csv_cut_inside_its_last_value_rejects_that_row(tmp_path):
    sample = ("event_id,name,onset,keywords,critical\n"
              "e1,Flood,2026-01-01T00:00:00Z,flood;banjir,true\n"
              "e2,Fire,2026-01-02T00:00:00Z,fire;kebakaran,false\n")
    path = tmp_path / "events.csv"
    path.write_text(sample[:-4], encoding="utf-8")  # "false" cut to "f"
    read = read_events(path)
    assert [e.event_id for e in read.events] == ["e1"]
    assert [(r.locator, r.reason) for r in read.rejects] == [("line 3", CUT_REASON)]


@pytest.mark.parametrize("ending", ['"whole text"', '"whole text"  ', "whole\n", "whole\r\n"])
def test_a_last_row_closed_by_a_quote_or_a_line_break_is_whole(tmp_path, ending):
    path = tmp_path / "posts.csv"
    path.write_text(POSTS_CSV + "x,9,a,2026-01-09T00:00:00Z," + ending, encoding="utf-8",
                    newline="")
    with Store(tmp_path / "s.duckdb") as store:
        result = import_paths(store, [path], "csv").files[0]
        assert result.rejects == [] and result.posts_added == 6
