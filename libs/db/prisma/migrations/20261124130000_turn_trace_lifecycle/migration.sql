-- Turn traces become the orchestrator's turn record: inserted when a turn starts (with the client's
-- Idempotency-Key, unique per tenant), completed with the finish reason and error when it ends.
ALTER TABLE "turn_traces" ADD COLUMN "idempotency_key" TEXT,
ADD COLUMN "conversation_id" UUID,
ADD COLUMN "finish_reason" TEXT,
ADD COLUMN "error" JSONB,
ADD COLUMN "finished_at" TIMESTAMPTZ(3),
ALTER COLUMN "prompt_input" SET DEFAULT '[]';

-- CreateIndex
CREATE UNIQUE INDEX "turn_traces_tenant_id_idempotency_key_key" ON "turn_traces"("tenant_id", "idempotency_key");
