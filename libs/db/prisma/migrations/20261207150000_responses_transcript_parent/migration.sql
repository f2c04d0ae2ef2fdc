-- A response continued from another (previous_response_id) stores only the transcript messages after
-- those of that response. transcript_parent_id names the response whose transcript comes first. When
-- it is NULL the transcript of the row is whole, as in every row written before this column. A chain of N
-- responses then stores N segments instead of N growing copies. A deleted response that others
-- continue stays as their segment, with deleted_at set and body and input items emptied, until none does. The
-- foreign key keeps a segment from being removed while a continuation is being written.
ALTER TABLE "responses" ADD COLUMN "transcript_parent_id" TEXT;
ALTER TABLE "responses" ADD COLUMN "deleted_at" TIMESTAMPTZ(3);

CREATE INDEX "responses_transcript_parent_id_idx" ON "responses"("transcript_parent_id");

ALTER TABLE "responses" ADD CONSTRAINT "responses_transcript_parent_id_fkey" FOREIGN KEY ("transcript_parent_id") REFERENCES "responses"("id") ON DELETE NO ACTION ON UPDATE CASCADE;
