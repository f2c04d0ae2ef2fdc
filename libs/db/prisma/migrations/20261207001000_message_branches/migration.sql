-- Branching: messages form a tree (parent_id: the previous message on the branch), a conversation
-- has a current branch (current_leaf_id), a summary names the branch it covers (through_message_id),
-- and one item can be soft-deleted (deleted_at). Existing conversations become one linear branch.
ALTER TABLE "messages" ADD COLUMN "parent_id" UUID;
ALTER TABLE "messages" ADD COLUMN "deleted_at" TIMESTAMPTZ(3);
ALTER TABLE "conversations" ADD COLUMN "current_leaf_id" UUID;
ALTER TABLE "conversation_summaries" ADD COLUMN "through_message_id" UUID;

-- Backfill: the parent of each message is the message before it in seq order, the current leaf is
-- the newest message, and a summary covers through the newest message of its range.
UPDATE "messages" m
   SET "parent_id" = o.prev
  FROM (SELECT id, lag(id) OVER (PARTITION BY conversation_id ORDER BY seq) AS prev FROM "messages") o
 WHERE m.id = o.id AND o.prev IS NOT NULL;

UPDATE "conversations" c
   SET "current_leaf_id" = l.id
  FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id
          FROM "messages" ORDER BY conversation_id, seq DESC) l
 WHERE c.id = l.conversation_id;

UPDATE "conversation_summaries" s
   SET "through_message_id" = (SELECT m.id FROM "messages" m
                                WHERE m.conversation_id = s.conversation_id AND m.seq <= s.to_seq
                                ORDER BY m.seq DESC LIMIT 1);

-- CreateIndex
CREATE INDEX "messages_parent_id_idx" ON "messages"("parent_id");

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;
