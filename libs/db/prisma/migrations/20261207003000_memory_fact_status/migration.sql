-- Memory facts proposed from conversations wait for the user's approval and are never used before
-- it. Every fact stored so far was written by the user, so it is approved.
CREATE TYPE "memory_fact_status" AS ENUM ('proposed', 'approved');

ALTER TABLE "memory_facts" ADD COLUMN "status" "memory_fact_status" NOT NULL DEFAULT 'approved';

UPDATE "memory_facts" SET "approved_at" = "created_at" WHERE "approved_at" IS NULL;
