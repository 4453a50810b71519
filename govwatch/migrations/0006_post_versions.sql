-- Migration 6: earlier texts of edited posts. When a later import brings a stored post
-- with another text (the author edited it between two exports), the later import's text
-- is the post's text and the text it replaced is kept here, with the import that
-- replaced it (imports are applied in the order they are run: see docs/data-model.md).

CREATE TABLE post_versions (
  "platform" VARCHAR NOT NULL,
  "post_id" VARCHAR NOT NULL,
  "text" VARCHAR,
  "replaced_by_import" BIGINT,
  "replaced_at" TIMESTAMP WITH TIME ZONE
);
