-- Migration 4: tagging. Tagging models kept in the store (skops bytes, never
-- pickle), the text hash each tags row was computed from (so an edited post is
-- re-tagged), and the themes found by NMF topic discovery (analysis/topics.py,
-- rebuilt by every 'govwatch analyze').

ALTER TABLE "tags" ADD COLUMN "text_hash" VARCHAR;

CREATE TABLE "tagging_models" (
  "model_version" VARCHAR,
  "kind" VARCHAR,
  "created_at" TIMESTAMP WITH TIME ZONE,
  "source" VARCHAR,
  "trained_on" BIGINT,
  "taxonomy_digest" VARCHAR,
  "skops" BLOB,
  PRIMARY KEY ("model_version")
);

CREATE TABLE "discovered_topics" (
  "theme" INTEGER,
  "rank" INTEGER,
  "term" VARCHAR,
  "weight" DOUBLE,
  "documents" BIGINT
);

CREATE TABLE "post_themes" (
  "platform" VARCHAR,
  "post_id" VARCHAR,
  "theme" INTEGER,
  "weight" DOUBLE
);
