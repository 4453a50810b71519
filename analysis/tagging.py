"""Tag every post: sentiment (exact VADER) for now; topic, critical and
needs-a-response are filled by the classifiers when they are configured.

Only posts without a tags row are tagged, so re-running is cheap.
"""

from __future__ import annotations

from .sentiment import analyzer_version, text_hash, update_cache

BATCH = 200_000


def tag_new_posts(con, progress=None) -> int:
    """Create tags rows for posts that have none; returns how many were tagged."""
    total = con.execute(
        "SELECT count(*) FROM posts p ANTI JOIN tags t USING (platform, post_id)"
    ).fetchone()[0]
    done = 0
    while True:
        batch = con.execute(
            "SELECT p.platform, p.post_id, p.text, p.lang FROM posts p "
            "ANTI JOIN tags t USING (platform, post_id) LIMIT ?",
            [BATCH],
        ).df()
        if batch.empty:
            break
        update_cache(con, batch["text"])
        batch["text_hash"] = batch["text"].fillna("").map(text_hash)
        con.register("_batch", batch)
        try:
            con.execute(
                """
                INSERT INTO tags (platform, post_id, lang, sentiment, sentiment_pos,
                                  sentiment_neu, sentiment_neg, sentiment_note)
                SELECT b.platform, b.post_id, b.lang, c.compound, c.pos, c.neu, c.neg,
                       CASE WHEN b.text IS NULL THEN 'no text' END
                FROM _batch b
                LEFT JOIN sentiment_cache c
                  ON c.text_hash = b.text_hash AND c.analyzer_version = ? AND b.text IS NOT NULL
                """,
                [analyzer_version()],
            )
        finally:
            con.unregister("_batch")
        done += len(batch)
        if progress:
            progress(done, total)
    return done
