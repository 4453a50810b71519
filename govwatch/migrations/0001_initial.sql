-- Migration 1: initial schema. Shipped migrations are never edited; add a new file.

CREATE TABLE "meta" (
  "key" VARCHAR,
  "value" VARCHAR,
  PRIMARY KEY ("key")
);

CREATE TABLE "imports" (
  "import_id" BIGINT,
  "file" VARCHAR,
  "sha256" VARCHAR,
  "format" VARCHAR,
  "options" VARCHAR,
  "started_at" TIMESTAMP WITH TIME ZONE,
  "finished_at" TIMESTAMP WITH TIME ZONE,
  "rows_read" BIGINT,
  "posts_added" BIGINT,
  "posts_merged" BIGINT,
  "accounts_added" BIGINT,
  "rejected" BIGINT,
  "tool_version" VARCHAR,
  "status" VARCHAR,
  PRIMARY KEY ("import_id")
);

CREATE TABLE "rejects" (
  "import_id" BIGINT,
  "file" VARCHAR,
  "locator" VARCHAR,
  "reason" VARCHAR,
  "excerpt" VARCHAR
);

CREATE TABLE "accounts" (
  "platform" VARCHAR,
  "author" VARCHAR,
  "display_name" VARCHAR,
  "official" BOOLEAN,
  "institution" VARCHAR,
  "country" VARCHAR,
  "level" VARCHAR,
  "timezone" VARCHAR,
  "office_hours" VARCHAR,
  "source_file" VARCHAR,
  "import_id" BIGINT,
  PRIMARY KEY ("platform", "author")
);

CREATE TABLE "posts" (
  "platform" VARCHAR,
  "post_id" VARCHAR,
  "author" VARCHAR,
  "author_id" VARCHAR,
  "created_at" TIMESTAMP WITH TIME ZONE,
  "created_at_derived" BOOLEAN,
  "text" VARCHAR,
  "lang" VARCHAR,
  "kind" VARCHAR,
  "in_reply_to_post_id" VARCHAR,
  "in_reply_to_author" VARCHAR,
  "conversation_id" VARCHAR,
  "mentions" VARCHAR[],
  "url" VARCHAR,
  "like_count" BIGINT,
  "share_count" BIGINT,
  "reply_count" BIGINT,
  "source_file" VARCHAR,
  "import_id" BIGINT,
  "deleted_at" TIMESTAMP WITH TIME ZONE,
  "raw" VARCHAR,
  PRIMARY KEY ("platform", "post_id")
);

CREATE TABLE "events" (
  "event_id" VARCHAR,
  "name" VARCHAR,
  "onset" TIMESTAMP WITH TIME ZONE,
  "keywords" VARCHAR[],
  "critical" BOOLEAN,
  "country" VARCHAR,
  "source_file" VARCHAR,
  PRIMARY KEY ("event_id")
);

CREATE TABLE "tags" (
  "platform" VARCHAR,
  "post_id" VARCHAR,
  "lang" VARCHAR,
  "sentiment" DOUBLE,
  "sentiment_pos" DOUBLE,
  "sentiment_neu" DOUBLE,
  "sentiment_neg" DOUBLE,
  "sentiment_note" VARCHAR,
  "topic" VARCHAR,
  "topic_confidence" DOUBLE,
  "critical" BOOLEAN,
  "critical_confidence" DOUBLE,
  "needs_response" BOOLEAN,
  "needs_response_confidence" DOUBLE,
  "deflection" BOOLEAN,
  "model_version" VARCHAR,
  PRIMARY KEY ("platform", "post_id")
);

CREATE TABLE "sentiment_cache" (
  "text_hash" VARCHAR,
  "analyzer_version" VARCHAR,
  "compound" DOUBLE,
  "pos" DOUBLE,
  "neu" DOUBLE,
  "neg" DOUBLE,
  PRIMARY KEY ("text_hash", "analyzer_version")
);

CREATE TABLE "analysis_runs" (
  "run_id" BIGINT,
  "started_at" TIMESTAMP WITH TIME ZONE,
  "finished_at" TIMESTAMP WITH TIME ZONE,
  "observed_until" TIMESTAMP WITH TIME ZONE,
  "settings" VARCHAR,
  "definition_version" VARCHAR,
  "tool_version" VARCHAR,
  PRIMARY KEY ("run_id")
);

CREATE TABLE "responses" (
  "platform" VARCHAR,
  "message_id" VARCHAR,
  "message_author" VARCHAR,
  "official_author" VARCHAR,
  "via" VARCHAR,
  "message_created_at" TIMESTAMP WITH TIME ZONE,
  "response_id" VARCHAR,
  "response_created_at" TIMESTAMP WITH TIME ZONE,
  "latency_hours" DOUBLE,
  "censored" BOOLEAN,
  "observed_hours" DOUBLE,
  "needs_response" BOOLEAN,
  "critical" BOOLEAN,
  "topic" VARCHAR,
  "sentiment" DOUBLE,
  "lang" VARCHAR
);

CREATE TABLE "account_metrics" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "messages" BIGINT,
  "answered" BIGINT,
  "observed_window" BIGINT,
  "answered_window" BIGINT,
  "answered_rate_7d" DOUBLE,
  "km_median_hours" DOUBLE,
  "km_median_ci_low" DOUBLE,
  "km_median_ci_high" DOUBLE,
  "km_median_reached" BOOLEAN,
  "max_followup_hours" DOUBLE,
  "naive_median_hours" DOUBLE,
  "unanswered_1h" DOUBLE,
  "unanswered_24h" DOUBLE,
  "unanswered_72h" DOUBLE,
  "unanswered_7d" DOUBLE
);

CREATE TABLE "km_curves" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "hours" DOUBLE,
  "survival" DOUBLE,
  "ci_low" DOUBLE,
  "ci_high" DOUBLE
);

CREATE INDEX posts_reply_idx ON posts (platform, in_reply_to_post_id);

CREATE INDEX posts_author_idx ON posts (platform, author);
