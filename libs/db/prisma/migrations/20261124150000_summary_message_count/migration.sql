-- Rows a conversation summary covered when it was written, so deleted messages are detected.
ALTER TABLE "conversation_summaries" ADD COLUMN "message_count" INTEGER;
