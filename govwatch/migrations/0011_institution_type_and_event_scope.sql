-- Migration 11: institution types and the scope of events.
-- An account's institution type (ministry of health, city hall, police, ...), an optional
-- column of the accounts CSV, normalised (lower case, single spaces); the benchmarks can
-- group peers by it (analyze --peers type).
-- An event's expected acknowledgers beyond its country: the levels and institution types
-- in scope, or an explicit list of accounts ("platform:author" or "author", lower case).

ALTER TABLE "accounts" ADD COLUMN "institution_type" VARCHAR;

ALTER TABLE "events" ADD COLUMN "levels" VARCHAR[];

ALTER TABLE "events" ADD COLUMN "institution_types" VARCHAR[];

ALTER TABLE "events" ADD COLUMN "accounts" VARCHAR[];
