-- Which organization usage API reports a usage row: completions (every row so far) or embeddings.
ALTER TABLE "usage_events" ADD COLUMN "operation" TEXT NOT NULL DEFAULT 'completions';
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_operation_check"
    CHECK ("operation" IN ('completions', 'embeddings'));

-- Tenant administrators read the audit trail by time.
CREATE INDEX "audit_log_tenant_id_occurred_at_idx" ON "audit_log"("tenant_id", "occurred_at");
