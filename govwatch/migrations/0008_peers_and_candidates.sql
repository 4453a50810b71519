-- Migration 8: peer groups and intervals; candidate events found, not only given.
-- Benchmarks name the peer group an account
-- was ranked in (country/level by default, a level, or a set from a peer-set file),
-- carry the bootstrap 95% interval of each percentile rank and of the composite
-- index, and give each account's place among its peers as a range (accounts whose
-- intervals overlap share places) or the reason no place can be given.

ALTER TABLE "benchmarks" ADD COLUMN "peer_group" VARCHAR;

ALTER TABLE "benchmarks" ADD COLUMN "rank_ci_low" DOUBLE;

ALTER TABLE "benchmarks" ADD COLUMN "rank_ci_high" DOUBLE;

ALTER TABLE "benchmark_index" ADD COLUMN "peer_group" VARCHAR;

ALTER TABLE "benchmark_index" ADD COLUMN "composite_ci_low" DOUBLE;

ALTER TABLE "benchmark_index" ADD COLUMN "composite_ci_high" DOUBLE;

ALTER TABLE "benchmark_index" ADD COLUMN "peers" BIGINT;

ALTER TABLE "benchmark_index" ADD COLUMN "rank_best" BIGINT;

ALTER TABLE "benchmark_index" ADD COLUMN "rank_worst" BIGINT;

ALTER TABLE "benchmark_index" ADD COLUMN "reason" VARCHAR;

-- Candidate events: bursts against a robust baseline (median and MAD), all topics and
-- per topic, consecutive days as one candidate; each treated as an event.

ALTER TABLE "candidate_events" ADD COLUMN "candidate_id" VARCHAR;

ALTER TABLE "candidate_events" ADD COLUMN "topic" VARCHAR;

ALTER TABLE "candidate_events" ADD COLUMN "last_day" DATE;

ALTER TABLE "candidate_events" ADD COLUMN "burst_days" BIGINT;

ALTER TABLE "candidate_events" ADD COLUMN "episode_messages" BIGINT;

ALTER TABLE "candidate_events" ADD COLUMN "baseline_median" DOUBLE;

ALTER TABLE "candidate_events" ADD COLUMN "baseline_mad" DOUBLE;

CREATE TABLE "candidate_acknowledgements" AS SELECT * FROM "event_acknowledgements" LIMIT 0;

CREATE TABLE "candidate_summary" AS SELECT * FROM "event_summary" LIMIT 0;
