-- Migration 5: posts without indexes. The import keeps (platform, post_id) unique itself
-- (it merges on that key, see ingest/staging.py); without an index DuckDB appends the rows
-- of a large import straight to the file instead of holding them, and their index
-- entries, in memory until the commit. Analysis reads posts by scans and hash joins,
-- which the secondary indexes did not serve.

DROP INDEX posts_reply_idx;

DROP INDEX posts_author_idx;

CREATE TABLE "posts_unindexed" AS SELECT * FROM "posts";

DROP TABLE "posts";

ALTER TABLE "posts_unindexed" RENAME TO "posts";
