-- A turn waiting on the confirmation of a tool call resumes when the status of the call changes, instead of
-- re-reading it every 200 ms: every status change of a tool_calls row (approved, rejected, expired,
-- finished, interrupted) notifies channel `tool_call_status` with the tenant, request and call ids of
-- the call. NOTIFY is delivered at commit, so a listener that reads the row on the notification sees the
-- new status. Whoever writes the row (the tool runner today), the waiting orchestrator hears it.
-- The migration runner splits scripts at every semicolon, dollar quotes included, so the function
-- body is an escaped string whose statement separators are written \073.
CREATE FUNCTION notify_tool_call_status() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM pg_notify(
    ''tool_call_status'',
    json_build_object(
      ''tenantId'', NEW.tenant_id,
      ''requestId'', NEW.request_id,
      ''callId'', NEW.call_id,
      ''status'', NEW.status
    )::text
  )\073
  RETURN NULL\073
END
';

CREATE TRIGGER tool_calls_status_notify
AFTER UPDATE OF status ON tool_calls
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION notify_tool_call_status();
