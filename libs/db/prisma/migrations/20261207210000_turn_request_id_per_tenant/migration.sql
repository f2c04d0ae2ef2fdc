-- A turn's request id is unique within its tenant, not across tenants: a client may choose its
-- X-Request-Id, and another tenant's use of the same id must neither refuse the turn nor tell the
-- client that the id was used. The answer a turn writes is unique per conversation (a conversation
-- belongs to one tenant). Within a tenant the turn's trace already makes a request id start one turn.
DROP INDEX "turn_traces_request_id_key";

CREATE UNIQUE INDEX "turn_traces_tenant_id_request_id_key" ON "turn_traces"("tenant_id", "request_id");

DROP INDEX "messages_answer_for_request_id_key";

CREATE UNIQUE INDEX "messages_conversation_id_answer_for_request_id_key" ON "messages"("conversation_id", "answer_for_request_id");
