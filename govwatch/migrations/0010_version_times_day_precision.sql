-- Migration 10: when each text of a post was current, and which times are dates alone.
--
-- A post's text comes from the export that is newest by its own time (the edit time or
-- the export/collection time the format carries; the later import when the exports carry
-- none): posts.version_at is that time, and each other text the post has had
-- (post_versions, one row per text) keeps the latest time it was seen current. Rows
-- stored before keep a NULL time: they give way to any later import of another text, as
-- they did before (docs/data-model.md).
--
-- posts.day_precision marks a created_at written as a date alone and taken as midnight
-- (ingest --day-precision); responses.day_precision marks a message whose time, or its
-- response's, is such a date, so that every figure computed from it can say so.

ALTER TABLE posts ADD COLUMN "version_at" TIMESTAMP WITH TIME ZONE;
ALTER TABLE post_versions ADD COLUMN "version_at" TIMESTAMP WITH TIME ZONE;
ALTER TABLE posts ADD COLUMN "day_precision" BOOLEAN;
ALTER TABLE responses ADD COLUMN "day_precision" BOOLEAN;
