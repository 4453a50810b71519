"""The sentiment cache without an index (migration 12): a store made before keeps its
rows and gets their keys; appends, re-runs and two writers at once store each (text
hash, analyzer version) once; lookups return the stored scores."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from govwatch.analysis.sentiment import (
    CACHE_WRITER,
    CACHE_WRITER_VALUE,
    cached_scores,
    insert_scores,
    text_hash,
    text_key_sql,
    update_cache,
)

from govwatch.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from govwatch.store import Store

V = "vaderSentiment-3.3.2"


def _scores(texts: list[str], version: str = V, base: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({
        "text_hash": [text_hash(t) for t in texts], "analyzer_version": version,
        "compound": [base + i / 100 for i in range(len(texts))], "pos": 0.25, "neu": 0.5,
        "neg": 0.25})


def _pairs(con) -> tuple[int, int]:
    return con.execute("SELECT count(*), count(DISTINCT (text_hash, analyzer_version)) "
                       "FROM sentiment_cache").fetchone()


def test_a_store_made_before_keeps_its_cache_rows_with_their_keys(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                "applied_at TIMESTAMP WITH TIME ZONE)")
    for m in MIGRATIONS[:11]:  # the schema before the cache lost its index
        m.run(con)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    con.execute("INSERT INTO meta VALUES ('pseudonym_key', 'k')")
    old = _scores(["a", "b", "c"]).assign(analyzer_version=[V, V, "vaderSentiment-3.3.2+lexicon-x"])
    con.register("old", old)
    con.execute("INSERT INTO sentiment_cache BY NAME SELECT * FROM old")
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = "
                       "'sentiment_cache' AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 1
    con.close()
    with Store(path) as store:
        con = store.conn
        assert store.schema_version() == SCHEMA_VERSION >= 12
        assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = "
                           "'sentiment_cache' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = "
                           "'sentiment_cache'").fetchone()[0] == 0
        got = con.execute("SELECT text_hash, analyzer_version, compound, pos, neu, neg, "
                          f"text_key = {text_key_sql('text_hash')} FROM sentiment_cache "
                          "ORDER BY text_hash").fetchall()
        want = sorted((*row, True) for row in old.itertuples(index=False))
        assert got == want
        # the kept rows are found by the lookup, and not stored again
        found = cached_scores(con, pd.Series([text_hash("a"), text_hash("c")]))
        assert sorted(found["compound"]) == [0.0, 0.02]
        insert_scores(con, _scores(["a", "b", "c", "d"], base=5))
        assert _pairs(con) == (5, 5)  # "c" under V is new: it was cached for the lexicon only
        assert dict(con.execute("SELECT text_hash, compound FROM sentiment_cache "
                                "WHERE analyzer_version = ?", [V]).fetchall()) == {
            text_hash("a"): 0.0, text_hash("b"): 0.01, text_hash("c"): 5.02,
            text_hash("d"): 5.03}


def test_appends_and_reruns_store_each_pair_once(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        con = store.conn
        batch = _scores(["x", "y", "x"])  # a pair twice in one batch
        with store.transaction():
            insert_scores(con, batch)
        assert _pairs(con) == (2, 2)
        for _ in range(2):  # the same batch again, and one overlapping it
            with store.transaction():
                insert_scores(con, _scores(["y", "z"], base=1))
        assert _pairs(con) == (3, 3)
        # the kept score is the first one stored (the same analyzer gives the same score)
        assert con.execute("SELECT compound FROM sentiment_cache WHERE text_hash = ?",
                           [text_hash("y")]).fetchone()[0] == 0.01
        pending = pd.DataFrame({"text": ["x", "new text"],
                                "text_hash": [text_hash("x"), text_hash("new text")],
                                "analyzer_version": V, "lexicon": None})
        with store.transaction():
            scores = update_cache(con, pending, workers=1)
        assert len(scores) == 2 and _pairs(con) == (4, 4)
        assert scores.set_index("text_hash").loc[text_hash("x"), "compound"] == 0.0


def test_two_writers_at_once_cannot_store_a_pair_twice(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        first, second = store.conn.cursor(), store.conn.cursor()
        first.execute("BEGIN TRANSACTION")
        second.execute("BEGIN TRANSACTION")
        insert_scores(first, _scores(["p", "q"]))
        with pytest.raises(duckdb.TransactionException, match="[Cc]onflict"):
            insert_scores(second, _scores(["q", "r"]))
        second.execute("ROLLBACK")
        first.execute("COMMIT")
        insert_scores(second, _scores(["q", "r"]))  # after the first committed: appends r
        assert _pairs(store.conn) == (3, 3)
        # the row the writers take is as the migration left it (stores compare equal)
        assert store.meta(CACHE_WRITER) == CACHE_WRITER_VALUE


def test_lookup_returns_every_version_of_a_text_and_ignores_missing_hashes(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        con = store.conn
        insert_scores(con, _scores(["a", "b"]))
        insert_scores(con, _scores(["a"], version=V + "+lexicon-y", base=9))
        found = cached_scores(con, pd.Series([text_hash("a"), None, text_hash("a"),
                                              text_hash("unseen")]))
        assert sorted(zip(found["analyzer_version"], found["compound"], strict=True)) == [
            (V, 0.0), (V + "+lexicon-y", 9.0)]
        assert set(found["text_hash"]) == {text_hash("a")}
        assert list(TABLES["sentiment_cache"]) == [c[0] for c in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'sentiment_cache' ORDER BY ordinal_position").fetchall()]
