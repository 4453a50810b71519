-- Migration 3: reply-responsiveness metrics.
-- account_metrics gains the window used, minimum-n statuses and business-clock
-- figures; new derived tables: slice_metrics (per period and slice),
-- account_clocks (business clocks), selectivity (selectivity and critic gaps
-- with bootstrap CIs), response_quality and data_quality, benchmarks and
-- benchmark_index (peer ranks and the composite index).
-- Each table is declared by its metric class in analysis/ (the declarations
-- and this file must agree: tests/test_store.py checks it).

ALTER TABLE "account_metrics" ADD COLUMN "window_hours" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "rate_status" VARCHAR;
ALTER TABLE "account_metrics" ADD COLUMN "median_status" VARCHAR;
ALTER TABLE "account_metrics" ADD COLUMN "business_messages" BIGINT;
ALTER TABLE "account_metrics" ADD COLUMN "business_window_hours" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_observed_window" BIGINT;
ALTER TABLE "account_metrics" ADD COLUMN "business_answered_window" BIGINT;
ALTER TABLE "account_metrics" ADD COLUMN "business_answered_rate_window" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_rate_status" VARCHAR;
ALTER TABLE "account_metrics" ADD COLUMN "business_km_median_hours" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_km_median_ci_low" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_km_median_ci_high" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_km_median_reached" BOOLEAN;
ALTER TABLE "account_metrics" ADD COLUMN "business_max_followup_hours" DOUBLE;
ALTER TABLE "account_metrics" ADD COLUMN "business_median_status" VARCHAR;

CREATE TABLE "slice_metrics" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "institution" VARCHAR,
  "population" VARCHAR,
  "period_kind" VARCHAR,
  "period_start" DATE,
  "period" VARCHAR,
  "slice_kind" VARCHAR,
  "slice_value" VARCHAR,
  "messages" BIGINT,
  "answered" BIGINT,
  "window_hours" DOUBLE,
  "observed_window" BIGINT,
  "answered_window" BIGINT,
  "answered_rate_window" DOUBLE,
  "rate_status" VARCHAR,
  "km_median_hours" DOUBLE,
  "km_median_ci_low" DOUBLE,
  "km_median_ci_high" DOUBLE,
  "km_median_reached" BOOLEAN,
  "max_followup_hours" DOUBLE,
  "median_status" VARCHAR,
  "naive_median_hours" DOUBLE,
  "unanswered_1h" DOUBLE,
  "unanswered_24h" DOUBLE,
  "unanswered_72h" DOUBLE,
  "unanswered_7d" DOUBLE,
  "business_messages" BIGINT,
  "business_window_hours" DOUBLE,
  "business_observed_window" BIGINT,
  "business_answered_window" BIGINT,
  "business_answered_rate_window" DOUBLE,
  "business_rate_status" VARCHAR,
  "business_km_median_hours" DOUBLE,
  "business_km_median_ci_low" DOUBLE,
  "business_km_median_ci_high" DOUBLE,
  "business_km_median_reached" BOOLEAN,
  "business_max_followup_hours" DOUBLE,
  "business_median_status" VARCHAR
);

CREATE TABLE "account_clocks" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "timezone" VARCHAR,
  "office_hours" VARCHAR,
  "clock_status" VARCHAR,
  "weekly_office_hours" DOUBLE,
  "business_window_hours" DOUBLE,
  "holidays_country" VARCHAR,
  "holidays_in_range" BIGINT
);

CREATE TABLE "selectivity" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "window_hours" DOUBLE,
  "critical_messages" BIGINT,
  "critical_observed" BIGINT,
  "critical_answered" BIGINT,
  "critical_rate" DOUBLE,
  "routine_messages" BIGINT,
  "routine_observed" BIGINT,
  "routine_answered" BIGINT,
  "routine_rate" DOUBLE,
  "selectivity_gap" DOUBLE,
  "gap_ci_low" DOUBLE,
  "gap_ci_high" DOUBLE,
  "gap_status" VARCHAR,
  "negative_messages" BIGINT,
  "negative_observed" BIGINT,
  "negative_answered" BIGINT,
  "negative_rate" DOUBLE,
  "rest_messages" BIGINT,
  "rest_observed" BIGINT,
  "rest_answered" BIGINT,
  "rest_rate" DOUBLE,
  "critic_gap" DOUBLE,
  "critic_ci_low" DOUBLE,
  "critic_ci_high" DOUBLE,
  "critic_status" VARCHAR,
  "min_n" BIGINT,
  "bootstrap_samples" BIGINT,
  "seed" BIGINT
);

CREATE TABLE "response_quality" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "responses" BIGINT,
  "deflection_tagged" BIGINT,
  "deflections" BIGINT,
  "deflection_share" DOUBLE,
  "deflection_status" VARCHAR
);

CREATE TABLE "data_quality" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "check_name" VARCHAR,
  "count" BIGINT,
  "description" VARCHAR
);

CREATE TABLE "benchmarks" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "country" VARCHAR,
  "level" VARCHAR,
  "metric" VARCHAR,
  "value" DOUBLE,
  "better" VARCHAR,
  "status" VARCHAR,
  "peers" BIGINT,
  "percentile_rank" DOUBLE,
  "weight" DOUBLE
);

CREATE TABLE "benchmark_index" (
  "platform" VARCHAR,
  "official_author" VARCHAR,
  "population" VARCHAR,
  "country" VARCHAR,
  "level" VARCHAR,
  "composite_index" DOUBLE,
  "metrics_used" BIGINT,
  "weight_share" DOUBLE,
  "status" VARCHAR,
  "weights" VARCHAR
);
