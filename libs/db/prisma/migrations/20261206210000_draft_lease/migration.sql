-- An assistant draft (status streaming) whose orchestrator died stayed streaming forever. A draft now
-- carries a lease that the orchestrator running its turn renews, and the sweeper of the orchestrators
-- marks a draft whose lease passed incomplete. Drafts written before this migration get a lease ending
-- ten minutes after they were written (longer than the deadline of any turn), so dead ones are swept.
-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "lease_expires_at" TIMESTAMPTZ(3);

UPDATE "messages" SET "lease_expires_at" = "created_at" + interval '10 minutes' WHERE "status" = 'streaming';

-- CreateIndex
CREATE INDEX "messages_status_lease_expires_at_idx" ON "messages"("status", "lease_expires_at");
