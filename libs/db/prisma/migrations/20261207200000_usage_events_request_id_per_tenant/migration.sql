-- A usage event's request id is unique within its tenant, not across tenants: a client may choose
-- its X-Request-Id, and another tenant's use of the same id must not make its charge a duplicate.
DROP INDEX "usage_events_request_id_key";

CREATE UNIQUE INDEX "usage_events_tenant_id_request_id_key" ON "usage_events"("tenant_id", "request_id");
