-- Tool runner: confirmations are answered by the model's call id, and only by the user the call was
-- made for.
ALTER TABLE "tool_calls" ADD COLUMN "call_id" TEXT;
ALTER TABLE "tool_calls" ADD COLUMN "user_id" TEXT;

CREATE INDEX "tool_calls_tenant_id_call_id_idx" ON "tool_calls"("tenant_id", "call_id");
