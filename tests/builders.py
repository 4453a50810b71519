"""Build small stores from hand-written rows in the DESIGN.md CSV formats."""

from __future__ import annotations

import csv
from pathlib import Path

POST_HEADER = [
    "platform", "post_id", "author", "created_at", "text",
    "in_reply_to_post_id", "in_reply_to_author", "conversation_id",
]
ACCOUNT_HEADER = [
    "platform", "author", "institution", "country", "level", "timezone", "office_hours",
    "display_name",
]


def write_csv(path: Path, header: list[str], rows: list[dict | list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    return path


def post(post_id, author, created_at, text="", reply_to="", reply_author="", conv="",
         platform="x"):
    return {
        "platform": platform, "post_id": post_id, "author": author, "created_at": created_at,
        "text": text, "in_reply_to_post_id": reply_to, "in_reply_to_author": reply_author,
        "conversation_id": conv,
    }


def account(author, platform="x", country="XA", level="national", timezone="UTC",
            office_hours="", institution=None):
    return {
        "platform": platform, "author": author, "institution": institution or f"Ministry {author}",
        "country": country, "level": level, "timezone": timezone, "office_hours": office_hours,
        "display_name": author,
    }


def analysed_store(folder: Path, accounts: list[dict], files: list[tuple]
                   ) -> tuple[Path, list]:
    """``folder``/s.duckdb with ``accounts`` (rows made by :func:`account`, written as an
    accounts CSV) and each of ``files`` ((path, format) or (path, format, ReadOptions))
    imported, then analysed, through the real pipeline and closed: the store's path and
    each file's import result, in order (open it read-only to look)."""
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.ingest.pipeline import import_file

    from govwatch.store import Store

    db = folder / "s.duckdb"
    acsv = write_csv(folder / "accounts.csv", ACCOUNT_HEADER, accounts)
    with Store(db) as store:
        assert import_file(store, acsv, "accounts-csv").rejected == 0
        results = [import_file(store, *f) for f in files]
        run_analysis(store)
    return db, results


def build_store(tmp_path: Path, posts: list[dict], accounts: list[dict], observed_until=None,
                name="store.duckdb"):
    """Ingest and analyse through the real pipeline; returns the open Store."""
    from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
    from govwatch.ingest.pipeline import import_paths

    from govwatch.store import Store

    pcsv = write_csv(tmp_path / "posts.csv", POST_HEADER, posts)
    acsv = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, accounts)
    store = Store(tmp_path / name)
    summary = import_paths(store, [acsv], kind="accounts")
    assert summary.rejected == 0, [r.rejects for r in summary.files]
    summary = import_paths(store, [pcsv])
    assert summary.rejected == 0, [r.rejects for r in summary.files]
    run_analysis(store, AnalysisSettings(observed_until=observed_until))
    return store


def compared_tables() -> list[str]:
    """Every table analyze derives: tags, sentiment scores, responses, every metric's."""
    from govwatch.analysis.registry import declared_tables

    return ["tags", "sentiment_cache", "responses", "meta", *sorted(declared_tables())]


def assert_same_tables(a: Path, b: Path, tables: list[str] | None = None) -> dict[str, int]:
    """Every derived table of store ``a`` (or ``tables``) equals ``b``'s, row for row
    (as multisets: EXCEPT ALL both ways compares every value exactly, floats bit for bit)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        counts = {}
        for table in tables or compared_tables():
            n_a = con.execute(f"SELECT count(*) FROM a.{table}").fetchone()[0]
            n_b = con.execute(f"SELECT count(*) FROM b.{table}").fetchone()[0]
            assert n_a == n_b, (table, n_a, n_b)
            for x, y in (("a", "b"), ("b", "a")):
                diff = con.execute(f"SELECT count(*) FROM (SELECT * FROM {x}.{table} "
                                   f"EXCEPT ALL SELECT * FROM {y}.{table})").fetchone()[0]
                assert diff == 0, f"{table}: {diff} rows of {x} are not in {y}"
            counts[table] = n_a
        return counts
    finally:
        con.close()


def assert_same_columns(a, b) -> None:
    """Two frames hold the same columns (in any order) with equal values row by row,
    missing values (None, NaN, NaT, NA) all alike."""
    assert sorted(a.columns) == sorted(b.columns)
    for c in a.columns:
        left = a[c].astype(object).where(a[c].notna(), None).tolist()
        right = b[c].astype(object).where(b[c].notna(), None).tolist()
        assert left == right, c
