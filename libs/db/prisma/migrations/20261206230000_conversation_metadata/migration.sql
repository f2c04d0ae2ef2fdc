-- OpenAI's metadata on conversations (the Conversations API), empty for existing rows.
-- AlterTable
ALTER TABLE "conversations" ADD COLUMN     "metadata" JSONB NOT NULL DEFAULT '{}';
