"""Reply linking under DuckDB's memory limit: ``responses`` written in ranges of the
messages when one statement would not fit, with the same rows as one statement."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
from govwatch.analysis import replies

from govwatch.store import Store, memory_limit_bytes

OBS_END = datetime(2026, 6, 1, tzinfo=UTC)


def linked_store(path, messages: int) -> Store:
    """A real store file of ``messages`` citizens' replies to 50 official accounts' posts:
    a third answered by a reply link, a sixth in the thread without one, tags for all,
    a channel and rating for every tenth; and answers to no one, which link nothing."""
    store = Store(path)
    con = store.conn
    con.execute("""INSERT INTO accounts (platform, author, official, institution, country)
                   SELECT 'x', 'Office' || i, true, 'Ministry ' || i, 'XA' FROM range(50) t(i)""")
    con.execute("""
        INSERT INTO posts (platform, post_id, author, created_at, text, kind,
                           in_reply_to_post_id, in_reply_to_author, conversation_id)
        SELECT 'x', 'root' || i, 'Office' || i, TIMESTAMPTZ '2026-01-01 00:00:00+00'
               + to_minutes(i), 'Notice ' || i, 'post', NULL, NULL, 'c' || i
        FROM range(50) t(i)""")
    con.execute(f"""
        INSERT INTO posts (platform, post_id, author, created_at, text, kind,
                           in_reply_to_post_id, in_reply_to_author, conversation_id, mentions)
        SELECT 'x', 'm' || (100000000000000000 + i), 'citizen_with_a_long_handle' || (i % 997), TIMESTAMPTZ '2026-01-02 00:00:00+00'
               + to_seconds(i * 7), 'When will this be fixed? ' || i, 'reply',
               'root' || (i % 50), 'Office' || (i % 50), 'c' || (i % 50),
               CASE WHEN i % 11 = 0 THEN ['office' || ((i + 1) % 50)] END
        FROM range({messages}) t(i)""")
    con.execute(f"""
        INSERT INTO posts (platform, post_id, author, created_at, text, kind,
                           in_reply_to_post_id, in_reply_to_author, conversation_id)
        SELECT 'x', 'r' || i, 'office' || (i % 50), TIMESTAMPTZ '2026-01-02 00:00:00+00'
               + to_seconds(i * 7 + 60 + i % 86400),
               'We are on it ' || i, 'reply',
               CASE WHEN i % 2 = 0 THEN 'm' || (100000000000000000 + i) END, 'citizen_with_a_long_handle' || (i % 997),
               'c' || (i % 50)
        FROM range({messages}) t(i) WHERE i % 3 = 0""")
    con.execute(f"""
        INSERT INTO tags (platform, post_id, lang, sentiment, topic, critical, needs_response)
        SELECT 'x', 'm' || (100000000000000000 + i), 'en', (i % 21 - 10) / 10.0, 'roads and transport',
               i % 5 = 0, i % 2 = 0
        FROM range({messages}) t(i)""")
    con.execute(f"""
        INSERT INTO message_attributes (platform, post_id, channel, rating)
        SELECT 'x', 'm' || (100000000000000000 + i), 'review', 1 + i % 5 FROM range({messages}) t(i)
        WHERE i % 10 = 0""")
    return store


def _rows(con) -> list[tuple]:
    return con.execute("SELECT * FROM responses").fetchall()


def test_ranges_write_the_rows_one_statement_writes(tmp_path, monkeypatch):
    store = linked_store(tmp_path / "s.duckdb", 20_000)
    con = store.conn
    with store.transaction():
        assert replies.build_responses(con, OBS_END) == 20_000 + 20_000 // 11 + 1
    one = con.execute("SELECT count(*), count(response_id), count(topic), count(rating), "
                      "count(*) FILTER (WHERE via = 'mention') FROM responses").fetchone()
    assert one[1] > 5_000 and one[2] > 0 and one[3] > 0 and one[4] > 0
    con.execute("CREATE TABLE one AS SELECT * FROM responses")

    passes = []
    real = replies.result_passes

    def counted(messages, limit):
        passes.append(real(messages, limit))
        return passes[-1]

    monkeypatch.setattr(replies, "result_passes", counted)
    for per_message in (10**9, 4 * 10**9 // 20_000 * 10, 4 * 10**9 // 20_000 * 3):
        monkeypatch.setattr(replies, "RESULT_BYTES_PER_MESSAGE", per_message)
        con.execute("SET memory_limit = '4GB'")
        with store.transaction():
            replies.build_responses(con, OBS_END)
        assert con.execute("SELECT (SELECT count(*) FROM (SELECT * FROM responses EXCEPT ALL "
                           "SELECT * FROM one)), (SELECT count(*) FROM (SELECT * FROM one "
                           "EXCEPT ALL SELECT * FROM responses))").fetchone() == (0, 0)
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == \
            con.execute("SELECT count(*) FROM one").fetchone()[0]
    assert passes[0] > 1000 and passes[1] in (10, 11) and passes[2] in (3, 4)
    store.close()


def test_result_passes_follow_the_limit():
    assert replies.result_passes(676_044, 4 * 10**9) == 1
    assert replies.result_passes(7_000_000, 2 * 10**9) == 4
    assert replies.result_passes(10, None) == 1
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    assert abs(memory_limit_bytes(con) - 2 * 10**9) < 0.1 * 2**30
