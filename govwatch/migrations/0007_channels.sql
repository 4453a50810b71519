-- Migration 7: channels other than public replies (complaint tickets, app-store reviews),
-- and outage lists (internet shutdowns, blocked platforms).
-- message_attributes holds what a post is beyond the posts columns: the channel it came
-- through, a review's star rating, a ticket's status and category, and a data-quality flag
-- (written by the readers of those channels). responses gains the channel of each message
-- and its star rating. The derived tables ticket_resolutions and channel_metrics are
-- declared by analysis/channels.py. outages holds the outage lists read by
-- 'govwatch ingest'; outage_windows, platform_blackouts and outage_latencies are declared by
-- analysis/outages.py; reply_templates and template_use by analysis/templates.py.

CREATE TABLE "message_attributes" (
  "platform" VARCHAR,
  "post_id" VARCHAR,
  "channel" VARCHAR,
  "rating" BIGINT,
  "status" VARCHAR,
  "category" VARCHAR,
  "flag" VARCHAR,
  PRIMARY KEY ("platform", "post_id")
);

ALTER TABLE "responses" ADD COLUMN "channel" VARCHAR;

ALTER TABLE "responses" ADD COLUMN "rating" BIGINT;

CREATE TABLE "ticket_resolutions" (
  "platform" VARCHAR,
  "message_id" VARCHAR,
  "official_author" VARCHAR,
  "category" VARCHAR,
  "message_created_at" TIMESTAMP WITH TIME ZONE,
  "response_id" VARCHAR,
  "response_created_at" TIMESTAMP WITH TIME ZONE,
  "response_hours" DOUBLE,
  "response_censored" BOOLEAN,
  "resolution_id" VARCHAR,
  "resolution_created_at" TIMESTAMP WITH TIME ZONE,
  "resolution_hours" DOUBLE,
  "resolution_censored" BOOLEAN,
  "observed_hours" DOUBLE,
  "flag" VARCHAR
);

CREATE TABLE "channel_metrics" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "channel" VARCHAR,
  "messages" BIGINT,
  "answered" BIGINT,
  "window_hours" DOUBLE,
  "observed_window" BIGINT,
  "answered_window" BIGINT,
  "answered_rate_window" DOUBLE,
  "km_median_hours" DOUBLE,
  "km_median_reached" BOOLEAN,
  "max_followup_hours" DOUBLE,
  "resolved" BIGINT,
  "resolution_km_median_hours" DOUBLE,
  "resolution_km_median_reached" BOOLEAN,
  "reply_predates_message" BIGINT,
  "bulk_update" BIGINT
);

CREATE TABLE "outages" (
  "outage_id" VARCHAR,
  "country" VARCHAR,
  "region" VARCHAR,
  "start_at" TIMESTAMP WITH TIME ZONE,
  "end_at" TIMESTAMP WITH TIME ZONE,
  "end_known" BOOLEAN,
  "scope" VARCHAR[],
  "kind" VARCHAR,
  "source" VARCHAR,
  "source_file" VARCHAR,
  PRIMARY KEY ("outage_id")
);

CREATE TABLE "outage_windows" (
  "outage_id" VARCHAR,
  "country" VARCHAR,
  "region" VARCHAR,
  "scope" VARCHAR,
  "start_at" TIMESTAMP WITH TIME ZONE,
  "end_at" TIMESTAMP WITH TIME ZONE,
  "platform" VARCHAR,
  "official_accounts" BIGINT,
  "posts_during" BIGINT,
  "expected_posts" DOUBLE
);

CREATE TABLE "platform_blackouts" (
  "platform" VARCHAR,
  "country" VARCHAR,
  "start_at" TIMESTAMP WITH TIME ZONE,
  "end_at" TIMESTAMP WITH TIME ZONE,
  "hours" BIGINT,
  "accounts" BIGINT,
  "expected_posts" DOUBLE,
  "other_platforms_expected" DOUBLE,
  "other_platforms_posts" BIGINT,
  "kind" VARCHAR,
  "outage_id" VARCHAR
);

CREATE TABLE "reply_templates" (
  "platform" VARCHAR,
  "message_id" VARCHAR,
  "official_author" VARCHAR,
  "response_id" VARCHAR,
  "template" BIGINT,
  "template_size" BIGINT,
  "mismatch" VARCHAR
);

CREATE TABLE "template_use" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "responses" BIGINT,
  "template_responses" BIGINT,
  "template_share" DOUBLE,
  "templates" BIGINT,
  "positive_thanks_to_low_rating" BIGINT,
  "registered_without_follow_up" BIGINT
);

CREATE TABLE "outage_latencies" (
  "platform" VARCHAR,
  "message_id" VARCHAR,
  "official_author" VARCHAR,
  "message_created_at" TIMESTAMP WITH TIME ZONE,
  "censored" BOOLEAN,
  "latency_hours" DOUBLE,
  "observed_hours" DOUBLE,
  "outage_hours" DOUBLE,
  "latency_hours_outside_outages" DOUBLE,
  "observed_hours_outside_outages" DOUBLE,
  "outage_ids" VARCHAR
);
