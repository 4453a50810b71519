-- Migration 4: derived tables of event acknowledgement (analysis/events.py) and
-- account activity (analysis/activity.py). Rebuilt by every 'govwatch analyze'.

CREATE TABLE "event_acknowledgements" (
  "event_id" VARCHAR,
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "onset" TIMESTAMP WITH TIME ZONE,
  "first_post_id" VARCHAR,
  "first_post_at" TIMESTAMP WITH TIME ZONE,
  "latency_hours" DOUBLE,
  "censored" BOOLEAN,
  "observed_hours" DOUBLE,
  "matching_posts" BIGINT,
  "first_public_post_id" VARCHAR,
  "first_public_post_at" TIMESTAMP WITH TIME ZONE,
  "public_latency_hours" DOUBLE,
  "public_lead_hours" DOUBLE
);

CREATE TABLE "event_summary" (
  "event_id" VARCHAR,
  "name" VARCHAR,
  "onset" TIMESTAMP WITH TIME ZONE,
  "critical" BOOLEAN,
  "country" VARCHAR,
  "observed_hours" DOUBLE,
  "accounts_in_scope" BIGINT,
  "accounts_acknowledged" BIGINT,
  "median_latency_hours" DOUBLE,
  "first_official_platform" VARCHAR,
  "first_official_author" VARCHAR,
  "first_official_post_at" TIMESTAMP WITH TIME ZONE,
  "first_official_latency_hours" DOUBLE,
  "first_public_post_at" TIMESTAMP WITH TIME ZONE,
  "public_latency_hours" DOUBLE,
  "public_lead_hours" DOUBLE,
  "official_matching_posts" BIGINT,
  "public_matching_posts" BIGINT
);

CREATE TABLE "candidate_events" (
  "country" VARCHAR,
  "day" DATE,
  "critical_messages" BIGINT,
  "baseline_days" BIGINT,
  "baseline_mean" DOUBLE,
  "baseline_sd" DOUBLE,
  "threshold" DOUBLE,
  "first_message_at" TIMESTAMP WITH TIME ZONE,
  "top_hashtags" VARCHAR,
  "known_event_ids" VARCHAR
);

CREATE TABLE "account_activity" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "posts" BIGINT,
  "first_post_at" TIMESTAMP WITH TIME ZONE,
  "last_post_at" TIMESTAMP WITH TIME ZONE,
  "observed_weeks" DOUBLE,
  "posts_per_week" DOUBLE,
  "replies_to_public" BIGINT,
  "dialogue_share" DOUBLE,
  "longest_silence_hours" DOUBLE,
  "longest_silence_start" TIMESTAMP WITH TIME ZONE,
  "longest_silence_end" TIMESTAMP WITH TIME ZONE,
  "longest_silence_ongoing" BOOLEAN,
  "days_since_last_post" DOUBLE
);

CREATE TABLE "platform_silences" (
  "platform" VARCHAR,
  "country" VARCHAR,
  "start_at" TIMESTAMP WITH TIME ZONE,
  "end_at" TIMESTAMP WITH TIME ZONE,
  "hours" BIGINT,
  "expected_accounts_min" BIGINT,
  "expected_accounts_max" BIGINT,
  "silent_share_min" DOUBLE
);
