-- Migration 12: the sentiment cache without its index, looked up by a 124-bit key.
--
-- The cache grows with the store (one row per distinct text and analyzer). Keeping its
-- primary key made every tagging batch insert into an index of every text scored before
-- (most of a batch's cache time at millions of texts), and the lookup by text_hash read
-- every 64-character hash of the cache. Without the index, rows are appended; text_key
-- (the first 124 bits of text_hash, as an integer) is what the lookup and the check
-- before each append join on: a scan of one 16-byte integer column. The writes keep
-- (text_hash, analyzer_version) unique themselves (govwatch.analysis.sentiment:
-- insert_scores appends only pairs not stored yet, and first updates the meta row
-- 'sentiment_cache_writer' (and sets it back): two transactions cannot both update it,
-- so they cannot append the same pair).
-- The rows of a store migrated are kept, each with its key.

CREATE TABLE "sentiment_cache_unindexed" AS
SELECT "text_hash", "analyzer_version", "compound", "pos", "neu", "neg",
       ('0x' || left("text_hash", 31))::HUGEINT AS "text_key"
FROM "sentiment_cache";

DROP TABLE "sentiment_cache";

ALTER TABLE "sentiment_cache_unindexed" RENAME TO "sentiment_cache";

INSERT INTO "meta" VALUES ('sentiment_cache_writer',
  'one transaction at a time appends to sentiment_cache') ON CONFLICT DO NOTHING;
