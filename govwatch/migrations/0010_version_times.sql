-- Migration 10: when each text of a post was current. A post's text comes from the
-- export that is newest by its own time (the edit time or the export/collection time
-- the format carries; the later import when the exports carry none): posts.version_at
-- is that time, and each other text the post has had (post_versions, one row per text)
-- keeps the latest time it was seen current. Rows stored before keep a NULL time: they
-- give way to any later import of another text, as they did before (docs/data-model.md).

ALTER TABLE posts ADD COLUMN "version_at" TIMESTAMP WITH TIME ZONE;
ALTER TABLE post_versions ADD COLUMN "version_at" TIMESTAMP WITH TIME ZONE;
