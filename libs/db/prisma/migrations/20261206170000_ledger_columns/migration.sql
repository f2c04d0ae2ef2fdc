-- The ledger stores what the events carry: the user a usage event was metered for and the time it
-- happened (usage is bucketed by it, not by when the ledger caught up), and an audit event's
-- resource and time. Rows written before this migration get the time they were stored.
-- AlterTable
ALTER TABLE "usage_events" ADD COLUMN     "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "user_id" UUID;

UPDATE "usage_events" SET "occurred_at" = "created_at";

-- AlterTable
ALTER TABLE "audit_log" ADD COLUMN     "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "resource_id" TEXT,
ADD COLUMN     "resource_type" TEXT;

UPDATE "audit_log" SET "occurred_at" = "created_at";

-- CreateIndex
CREATE INDEX "usage_events_tenant_id_occurred_at_idx" ON "usage_events"("tenant_id", "occurred_at");
