-- Summaries get a per-conversation version (traces name the version a turn used), and existing rows are
-- numbered in the order they were written. A summary row is never rewritten any more (a rebuild of
-- the same range is a new version, and one writer per conversation holds a lease), so the range is
-- no longer unique.
ALTER TABLE "conversation_summaries" ADD COLUMN "version" INTEGER;

UPDATE "conversation_summaries" AS s
SET "version" = numbered.n
FROM (
  SELECT "id", ROW_NUMBER() OVER (PARTITION BY "conversation_id" ORDER BY "created_at", "to_seq", "id") AS n
  FROM "conversation_summaries"
) AS numbered
WHERE s."id" = numbered."id";

ALTER TABLE "conversation_summaries" ALTER COLUMN "version" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "conversation_summaries_conversation_id_version_key" ON "conversation_summaries"("conversation_id", "version");

-- DropIndex
DROP INDEX "conversation_summaries_conversation_id_from_seq_to_seq_key";
